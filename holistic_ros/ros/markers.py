"""HolisticResult -> visualization_msgs/MarkerArray for RViz: pure functions.

Each part has its own namespace ("pose", "face", "left_hand", "right_hand") and the
same two ids every frame: ``LINES_ID`` (a LINE_LIST of the part's connections) and
``POINTS_ID`` (a SPHERE_LIST of its landmarks). When a part that was shown disappears,
its two markers are sent as DELETE; :func:`delete_all_markers` clears everything.

Placement, in ``MarkerSettings.frame_id`` (meant to be an optical frame: x right,
y down, z forward, like the camera's and like MediaPipe's own axes):

* ``use_world_landmarks``: the pose's world landmarks (metres, origin between the hips)
  shifted by ``world_origin``. MediaPipe gives no metric face or hand landmarks, so
  those are attached to the pose's nose and wrists and scaled by the metres-per-pixel
  of the shoulders and hips (an approximation, for display).
* otherwise, the image plane: pixel coordinates times ``image_scale`` (metres per
  pixel), image centre at ``world_origin``, z from MediaPipe's relative depth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import AbstractSet, Dict, FrozenSet, Optional, Tuple

import numpy as np
from builtin_interfaces.msg import Duration
from geometry_msgs.msg import Point
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker, MarkerArray

from holistic_ros.drawing.connections import (
    FACE_CONTOURS, FACE_IRISES, HAND_CONNECTIONS, POSE_CONNECTIONS)
from holistic_ros.pipeline.result import HolisticResult

PARTS = ("pose", "face", "left_hand", "right_hand")
LINES_ID = 0
POINTS_ID = 1
FACE_STYLES = ("contours", "points", "none")

# Pose indices the face and hands hang from in world mode (MediaPipe pose topology).
POSE_NOSE, POSE_LEFT_WRIST, POSE_RIGHT_WRIST = 0, 15, 16
FACE_NOSE_TIP, HAND_WRIST = 1, 0
# Shoulders and hips: long, rigid segments to estimate metres per pixel.
_SCALE_SEGMENTS = ((11, 12), (11, 23), (12, 24), (23, 24))

_COLORS: Dict[str, Tuple[float, float, float]] = {
    "pose": (0.95, 0.95, 0.95),
    "face": (0.75, 0.75, 0.75),
    "left_hand": (1.0, 0.55, 0.0),
    "right_hand": (0.0, 0.63, 1.0),
}


@dataclass(frozen=True)
class MarkerSettings:
    frame_id: str = ""              # "" = the input image's frame_id
    use_world_landmarks: bool = True
    world_origin: Tuple[float, float, float] = (0.0, 0.0, 2.0)   # metres, in frame_id
    image_scale: float = 0.002      # metres per pixel in image-plane mode
    face_style: str = "contours"    # one of FACE_STYLES
    line_width: float = 0.01        # metres
    point_size: float = 0.02        # metres
    lifetime: float = 0.0           # seconds, 0 = until replaced or deleted

    def __post_init__(self):
        if self.face_style not in FACE_STYLES:
            raise ValueError(f"face_style must be one of {FACE_STYLES}, not {self.face_style!r}")
        if len(self.world_origin) != 3:
            raise ValueError("world_origin needs 3 values (x, y, z)")


DEFAULT_FRAME_ID = "camera"   # used when both the setting and the image's frame_id are empty


def _image_plane(landmarks: np.ndarray, size: Tuple[int, int], settings: MarkerSettings) -> np.ndarray:
    width, height = size
    xyz = np.asarray(landmarks[:, :3], dtype=np.float64)
    points = np.stack([(xyz[:, 0] - 0.5) * width, (xyz[:, 1] - 0.5) * height,
                       xyz[:, 2] * width], axis=1) * settings.image_scale
    return points + np.asarray(settings.world_origin)


def _metres_per_pixel(result: HolisticResult) -> Optional[float]:
    """Ratio of world to pixel lengths of the torso segments (x, y only)."""
    width, height = result.image_size
    pixels = result.pose_landmarks[:, :2] * np.array([width, height])
    world = result.pose_world_landmarks[:, :2]
    px = sum(np.linalg.norm(pixels[a] - pixels[b]) for a, b in _SCALE_SEGMENTS)
    m = sum(np.linalg.norm(world[a] - world[b]) for a, b in _SCALE_SEGMENTS)
    return float(m / px) if px > 1e-6 else None


def _attached(landmarks: np.ndarray, anchor_index: int, anchor_world: np.ndarray,
              size: Tuple[int, int], metres_per_px: float) -> np.ndarray:
    width, height = size
    xyz = np.asarray(landmarks[:, :3], dtype=np.float64)
    pixels = xyz * np.array([width, height, width])
    return anchor_world + (pixels - pixels[anchor_index]) * metres_per_px


def part_points(result: HolisticResult, settings: MarkerSettings) -> Dict[str, np.ndarray]:
    """(N, 3) marker positions in metres for each part that was found."""
    parts = {"pose": result.pose_landmarks, "face": result.face_landmarks,
             "left_hand": result.left_hand_landmarks, "right_hand": result.right_hand_landmarks}
    found = {name: lm for name, lm in parts.items() if lm is not None}
    size = result.image_size
    world = result.pose_world_landmarks
    use_world = (settings.use_world_landmarks and world is not None
                 and result.pose_landmarks is not None)
    scale = _metres_per_pixel(result) if use_world else None
    if not use_world or scale is None:
        return {name: _image_plane(lm, size, settings) for name, lm in found.items()}
    origin = np.asarray(settings.world_origin)
    pose_world = np.asarray(world[:, :3], dtype=np.float64) + origin
    anchors = {"face": (FACE_NOSE_TIP, POSE_NOSE), "left_hand": (HAND_WRIST, POSE_LEFT_WRIST),
               "right_hand": (HAND_WRIST, POSE_RIGHT_WRIST)}
    points = {}
    for name, lm in found.items():
        if name == "pose":
            points[name] = pose_world
        else:
            own, pose_index = anchors[name]
            points[name] = _attached(lm, own, pose_world[pose_index], size, scale)
    return points


def _connections(name: str, count: int, settings: MarkerSettings):
    if name == "pose":
        return POSE_CONNECTIONS
    if name == "face":
        if settings.face_style != "contours":
            return frozenset()
        return FACE_CONTOURS | (FACE_IRISES if count > 468 else frozenset())
    return HAND_CONNECTIONS


def _base_marker(header, frame_id: str, name: str, marker_id: int, settings: MarkerSettings) -> Marker:
    marker = Marker()
    marker.header.stamp = header.stamp
    marker.header.frame_id = frame_id
    marker.ns = name
    marker.id = marker_id
    marker.pose.orientation.w = 1.0
    seconds = float(settings.lifetime)
    marker.lifetime = Duration(sec=int(seconds), nanosec=int(round((seconds % 1.0) * 1e9)))
    return marker


def _color(name: str, alpha: float = 1.0) -> ColorRGBA:
    r, g, b = _COLORS[name]
    return ColorRGBA(r=r, g=g, b=b, a=alpha)


def marker_frame(header, settings: MarkerSettings) -> str:
    return settings.frame_id or header.frame_id or DEFAULT_FRAME_ID


def build_markers(result: HolisticResult, header, settings: MarkerSettings,
                  shown_before: AbstractSet[str] = frozenset()) -> Tuple[MarkerArray, FrozenSet[str]]:
    """Markers for one frame, and the set of parts now shown (pass it back next frame).

    A part in ``shown_before`` that is absent now gets DELETE markers for both its ids.
    """
    frame_id = marker_frame(header, settings)
    array = MarkerArray()
    points = part_points(result, settings)
    if settings.face_style == "none":
        points.pop("face", None)
    for name in PARTS:
        if name not in points:
            if name in shown_before:
                for marker_id in (LINES_ID, POINTS_ID):
                    marker = _base_marker(header, frame_id, name, marker_id, settings)
                    marker.action = Marker.DELETE
                    array.markers.append(marker)
            continue
        xyz = points[name]
        edges = sorted(_connections(name, len(xyz), settings))
        lines = _base_marker(header, frame_id, name, LINES_ID, settings)
        lines.type = Marker.LINE_LIST
        lines.action = Marker.ADD
        lines.scale.x = settings.line_width * (0.5 if name == "face" else 1.0)
        lines.color = _color(name)
        lines.points = [Point(x=p[0], y=p[1], z=p[2])
                        for a, b in edges for p in (xyz[a].tolist(), xyz[b].tolist())]
        dots = _base_marker(header, frame_id, name, POINTS_ID, settings)
        dots.type = Marker.SPHERE_LIST
        dots.action = Marker.ADD
        size = settings.point_size * (0.3 if name == "face" else 1.0)
        dots.scale.x = dots.scale.y = dots.scale.z = size
        dots.color = _color(name)
        dots.points = [Point(x=x, y=y, z=z) for x, y, z in xyz.tolist()]
        if name == "face" and settings.face_style == "contours":
            array.markers.append(lines)
            # only the contour landmarks as dots, not all 468
            used = sorted({i for edge in edges for i in edge})
            dots.points = [dots.points[i] for i in used]
            array.markers.append(dots)
        else:
            if edges:
                array.markers.append(lines)
            elif name in shown_before:
                lines.action = Marker.DELETE
                lines.points = []
                array.markers.append(lines)
            array.markers.append(dots)
    return array, frozenset(points)


def delete_all_markers(header, settings: MarkerSettings) -> MarkerArray:
    """One DELETEALL marker: clears every marker of this publisher in RViz."""
    marker = _base_marker(header, marker_frame(header, settings), "", 0, settings)
    marker.action = Marker.DELETEALL
    return MarkerArray(markers=[marker])
