"""Draw a HolisticResult, or a frame of several people, on an image with OpenCV (no ROS import).

After MediaPipe's ``mediapipe/python/solutions/drawing_utils.py``: lines between
connected landmarks, dots on the landmarks; pose landmarks whose visibility or
presence is below ``VISIBILITY_THRESHOLD`` are left out, as MediaPipe does.

:func:`draw_people` adds what a robot's operator needs to tell people apart: each
person's skeleton in the person's own colour (:func:`person_color`, the same palette as
the RViz markers), the person's id above the head, the hand gesture label next to each
hand and the body gestures under the id; hands of no body in their track's colour with
"hand #<track id>" and their gesture.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence, Tuple

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


def draw_holistic(image: np.ndarray, result: HolisticResult, draw_face: bool = True,
                  pose_style: DrawingStyle = POSE_STYLE,
                  hand_styles: Tuple[DrawingStyle, DrawingStyle] = (LEFT_HAND_STYLE, RIGHT_HAND_STYLE)
                  ) -> np.ndarray:
    """Draw pose, face contours (and irises) and both hands on ``image`` in place; returns it.

    ``hand_styles``: (left, right).
    """
    if result.face_landmarks is not None and draw_face:
        connections = FACE_CONTOURS | (FACE_IRISES if len(result.face_landmarks) > 468 else frozenset())
        draw_landmarks(image, result.face_landmarks, connections, FACE_STYLE)
    if result.pose_landmarks is not None:
        shown = result.pose_landmarks[:, 3] >= VISIBILITY_THRESHOLD
        if result.pose_presence is not None:
            shown &= result.pose_presence >= PRESENCE_THRESHOLD
        draw_landmarks(image, result.pose_landmarks, POSE_CONNECTIONS, pose_style, shown)
    if result.left_hand_landmarks is not None:
        draw_landmarks(image, result.left_hand_landmarks, HAND_CONNECTIONS, hand_styles[0])
    if result.right_hand_landmarks is not None:
        draw_landmarks(image, result.right_hand_landmarks, HAND_CONNECTIONS, hand_styles[1])
    return image


# ----------------------------------------------------------------------------- people
#: One colour per person id (RGB), cycled by id: Tableau 10 without its grey, chosen for
#: being told apart on video and in RViz. The markers use the same table (ros/markers.py).
PERSON_COLORS: Tuple[Color, ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (188, 189, 34), (23, 190, 207),
)

#: Labels of MediaPipe's canned classifier that mean "no gesture": not drawn.
NO_HAND_GESTURE = "None"

LABEL_FONT = cv2.FONT_HERSHEY_SIMPLEX


def person_color(person_id: int) -> Color:
    """The person's colour (RGB, 0-255): the same id always gets the same colour."""
    return PERSON_COLORS[int(person_id) % len(PERSON_COLORS)]


@dataclass(frozen=True)
class PersonAnnotation:
    """What :func:`draw_people` draws for one person (plain inputs).

    ``body_gestures``: (label, confidence 0..1) of each active body gesture, e.g.
    ``("waving (left)", 0.8)``. The hand gestures come from ``result.left_hand_gesture``
    / ``right_hand_gesture`` (label, score).
    """

    person_id: int
    result: HolisticResult
    body_gestures: Sequence[Tuple[str, float]] = ()


@dataclass(frozen=True)
class HandAnnotation:
    """What :func:`draw_people` draws for one hand of no body (``result.hands``): its skeleton in
    its track's colour, "hand #<track_id>" and its gesture (``HandGesture`` or None) above it."""

    track_id: int
    side: str
    landmarks: np.ndarray
    gesture: Optional[object] = None


def lone_hand_label(track_id: int) -> str:
    """``"hand #7"``: a hand of no body, by its track id (person labels are ``"#3"``)."""
    return f"hand #{int(track_id)}"


def lone_hand_gesture_texts(hand) -> list:
    """[text] of a hand of no body's gesture other than MediaPipe's "None" (``hand.gesture``), else []."""
    gesture = getattr(hand, "gesture", None)
    if gesture is None or gesture.label == NO_HAND_GESTURE:
        return []
    return [gesture_text(gesture.label, gesture.score)]


def gesture_text(label: str, confidence: float) -> str:
    """``"Thumb_Up 0.93"``: a label with its confidence, as markers and image show it."""
    return f"{label} {float(confidence):.2f}"


def hand_gesture_texts(result: HolisticResult) -> dict:
    """{"left_hand" | "right_hand": text} for each hand with a gesture other than MediaPipe's "None"."""
    texts = {}
    for part, gesture in (("left_hand", result.left_hand_gesture), ("right_hand", result.right_hand_gesture)):
        if gesture is not None and gesture.label != NO_HAND_GESTURE:
            texts[part] = gesture_text(gesture.label, gesture.score)
    return texts


def body_gesture_labels(gestures) -> Tuple[Tuple[str, float], ...]:
    """(label, confidence) of each active gesture of a :class:`holistic_ros.gestures.GestureFrame`
    (None: none): the gesture's name, with the side for one-sided gestures ("waving (left)")."""
    if gestures is None:
        return ()
    labels = []
    for active in gestures.active:
        name = getattr(active.gesture, "value", str(active.gesture))
        side = f" ({active.side})" if active.side in ("left", "right") and active.side not in name else ""
        labels.append((name + side, float(active.confidence)))
    return tuple(labels)


def _label_size(height: int) -> Tuple[float, int]:
    """Font scale and thickness readable at this image height (0.5 / 1 at 480 rows)."""
    scale = max(0.35, height / 960.0)
    return scale, max(1, int(round(scale * 2)))


def _overlaps(a: Tuple[int, int, int, int], b: Tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def put_label(image: np.ndarray, text: str, anchor_px: Tuple[float, float], color: Color,
              below: bool = False, taken: Optional[list] = None) -> Tuple[int, int, int, int]:
    """Write ``text`` on a dark box centred above (or below) ``anchor_px``, kept inside the image.

    ``taken``: boxes already written on the image (the new one is added); a box that would
    cover one of them moves up (down when ``below``) until it covers none, so two hands
    close together (or the two "hands" Holistic can hang on one) keep readable labels.
    Returns the box (x0, y0, x1, y1) in pixels, so that further lines can be stacked.
    """
    height, width = image.shape[:2]
    scale, thickness = _label_size(height)
    (text_w, text_h), baseline = cv2.getTextSize(text, LABEL_FONT, scale, thickness)
    pad = max(2, thickness)
    box_w, box_h = text_w + 2 * pad, text_h + baseline + 2 * pad
    x0 = int(round(anchor_px[0] - box_w / 2))
    y0 = int(round(anchor_px[1] + pad)) if below else int(round(anchor_px[1] - pad - box_h))
    x0 = min(max(x0, 0), max(width - box_w, 0))
    y0 = min(max(y0, 0), max(height - box_h, 0))
    for _ in range(len(taken or ())):
        hit = [b for b in taken if _overlaps((x0, y0, x0 + box_w, y0 + box_h), b)]
        if not hit:
            break
        y0 = max(b[3] for b in hit) if below else min(b[1] for b in hit) - box_h
        y0 = min(max(y0, 0), max(height - box_h, 0))
    if taken is not None:
        taken.append((x0, y0, x0 + box_w, y0 + box_h))
    cv2.rectangle(image, (x0, y0), (x0 + box_w, y0 + box_h), (0, 0, 0), -1)
    cv2.putText(image, text, (x0 + pad, y0 + pad + text_h), LABEL_FONT, scale, color, thickness, cv2.LINE_AA)
    return x0, y0, x0 + box_w, y0 + box_h


def _finite_px(points: np.ndarray, width: int, height: int) -> Optional[np.ndarray]:
    xy = np.asarray(points[:, :2], dtype=np.float64) * np.array([width, height])
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    return xy if len(xy) else None


def head_anchor_px(result: HolisticResult, width: int, height: int) -> Optional[Tuple[float, float]]:
    """Pixel point above the head: the top of the face mesh, else of the pose's head points
    (nose, eyes, ears: indices 0-10), else of the whole pose; None without either."""
    for points in (result.face_landmarks,
                   None if result.pose_landmarks is None else result.pose_landmarks[:11],
                   result.pose_landmarks):
        if points is None:
            continue
        xy = _finite_px(points, width, height)
        if xy is not None:
            return float(np.mean(xy[:, 0])), float(np.min(xy[:, 1]))
    return None


def hand_anchor_px(landmarks: Optional[np.ndarray], width: int, height: int) -> Optional[Tuple[float, float]]:
    """Pixel point above a hand (its landmarks' top, horizontally centred), None without the hand."""
    if landmarks is None:
        return None
    xy = _finite_px(landmarks, width, height)
    if xy is None:
        return None
    return float(np.mean(xy[:, 0])), float(np.min(xy[:, 1]))


def draw_people(image: np.ndarray, people: Iterable[PersonAnnotation], draw_face: bool = True,
                hands: Iterable[HandAnnotation] = ()) -> np.ndarray:
    """Draw every person, and every hand of no body, on ``image`` in place (RGB); returns it.

    Each skeleton's lines are in the person's colour; the person's id ("#3") is written
    above the head with the body gestures under it, and each hand's gesture label above
    the hand. Hands keep MediaPipe's left / right dot colours. A hand of no body is drawn the
    same way in its track's colour, labelled "hand #<track id>" with its gesture above.
    """
    height, width = image.shape[:2]
    taken: list = []   # label boxes written so far: later labels move clear of them
    for person in people:
        color = person_color(person.person_id)
        result = person.result
        pose_style = DrawingStyle(point_color=POSE_STYLE.point_color, line_color=color,
                                  point_radius=POSE_STYLE.point_radius, line_thickness=POSE_STYLE.line_thickness)
        hand_styles = (DrawingStyle(point_color=LEFT_HAND_STYLE.point_color, line_color=color),
                       DrawingStyle(point_color=RIGHT_HAND_STYLE.point_color, line_color=color))
        draw_holistic(image, result, draw_face=draw_face, pose_style=pose_style, hand_styles=hand_styles)
        head = head_anchor_px(result, width, height)
        if head is not None:
            lines = [f"#{int(person.person_id)}"] + [gesture_text(label, confidence)
                                                      for label, confidence in person.body_gestures]
            # Stacked upwards from the head: the id nearest the head, gestures above it.
            anchor = head
            for text in lines:
                x0, y0, x1, _ = put_label(image, text, anchor, color, taken=taken)
                anchor = ((x0 + x1) / 2.0, float(y0))
        for part, text in hand_gesture_texts(result).items():
            anchor = hand_anchor_px(getattr(result, f"{part}_landmarks"), width, height)
            if anchor is not None:
                put_label(image, text, anchor, color, taken=taken)
    for hand in hands:
        color = person_color(hand.track_id)
        base = LEFT_HAND_STYLE if hand.side == "left" else RIGHT_HAND_STYLE
        draw_landmarks(image, np.asarray(hand.landmarks), HAND_CONNECTIONS,
                       DrawingStyle(point_color=base.point_color, line_color=color))
        anchor = hand_anchor_px(np.asarray(hand.landmarks), width, height)
        if anchor is None:
            continue
        # Stacked upwards from the hand: its id nearest the hand, the gesture above it.
        for text in [lone_hand_label(hand.track_id)] + lone_hand_gesture_texts(hand):
            x0, y0, x1, _ = put_label(image, text, anchor, color, taken=taken)
            anchor = ((x0 + x1) / 2.0, float(y0))
    return image
