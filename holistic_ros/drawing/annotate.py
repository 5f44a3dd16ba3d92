"""Draw a HolisticResult on an image with OpenCV (no ROS import).

After MediaPipe's ``mediapipe/python/solutions/drawing_utils.py``: lines between
connected landmarks, dots on the landmarks; pose landmarks whose visibility or
presence is below ``VISIBILITY_THRESHOLD`` are left out, as MediaPipe does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Tuple

import cv2
import numpy as np

from holistic_ros.drawing.connections import (
    FACE_CONTOURS, FACE_IRISES, HAND_CONNECTIONS, POSE_CONNECTIONS, Edge)
from holistic_ros.pipeline.result import HolisticResult

#: drawing_utils.py's _VISIBILITY_THRESHOLD and _PRESENCE_THRESHOLD.
VISIBILITY_THRESHOLD = 0.5
PRESENCE_THRESHOLD = 0.5

Color = Tuple[int, int, int]


@dataclass(frozen=True)
class DrawingStyle:
    """Colours are in the image's own channel order (RGB for the node's images)."""

    point_color: Color
    line_color: Color
    point_radius: int = 2
    line_thickness: int = 2


POSE_STYLE = DrawingStyle(point_color=(255, 48, 48), line_color=(224, 224, 224))
FACE_STYLE = DrawingStyle(point_color=(80, 110, 10), line_color=(200, 200, 200),
                          point_radius=0, line_thickness=1)
LEFT_HAND_STYLE = DrawingStyle(point_color=(255, 138, 0), line_color=(240, 240, 240))
RIGHT_HAND_STYLE = DrawingStyle(point_color=(0, 160, 255), line_color=(240, 240, 240))


def to_pixels(landmarks: np.ndarray, width: int, height: int) -> np.ndarray:
    """(N, >=2) normalised x, y -> (N, 2) int32 pixel coordinates."""
    scale = np.array([width, height], dtype=np.float64)
    return np.round(landmarks[:, :2].astype(np.float64) * scale).astype(np.int32)


def draw_landmarks(image: np.ndarray, landmarks: np.ndarray, connections: Iterable[Edge],
                   style: DrawingStyle, shown: Optional[np.ndarray] = None) -> None:
    """Draw one part in place. ``shown``: (N,) bool, landmarks to draw (default all)."""
    height, width = image.shape[:2]
    points = to_pixels(landmarks, width, height)
    if shown is None:
        shown = np.ones(len(points), dtype=bool)
    for a, b in connections:
        if a < len(points) and b < len(points) and shown[a] and shown[b]:
            cv2.line(image, tuple(map(int, points[a])), tuple(map(int, points[b])),
                     style.line_color, style.line_thickness, cv2.LINE_AA)
    if style.point_radius > 0:
        for (x, y), visible in zip(points, shown):
            if visible:
                cv2.circle(image, (int(x), int(y)), style.point_radius, style.point_color,
                           -1, cv2.LINE_AA)


def draw_holistic(image: np.ndarray, result: HolisticResult, draw_face: bool = True) -> np.ndarray:
    """Draw pose, face contours (and irises) and both hands on ``image`` in place; returns it."""
    if result.face_landmarks is not None and draw_face:
        connections = FACE_CONTOURS | (FACE_IRISES if len(result.face_landmarks) > 468 else frozenset())
        draw_landmarks(image, result.face_landmarks, connections, FACE_STYLE)
    if result.pose_landmarks is not None:
        shown = result.pose_landmarks[:, 3] >= VISIBILITY_THRESHOLD
        if result.pose_presence is not None:
            shown &= result.pose_presence >= PRESENCE_THRESHOLD
        draw_landmarks(image, result.pose_landmarks, POSE_CONNECTIONS, POSE_STYLE, shown)
    if result.left_hand_landmarks is not None:
        draw_landmarks(image, result.left_hand_landmarks, HAND_CONNECTIONS, LEFT_HAND_STYLE)
    if result.right_hand_landmarks is not None:
        draw_landmarks(image, result.right_hand_landmarks, HAND_CONNECTIONS, RIGHT_HAND_STYLE)
    return image
