"""People of one frame -> visualization_msgs/MarkerArray for RViz: pure functions.

One namespace per person and part, ``person_<id>/<part>``, and one colour per person
(:func:`holistic_ros.drawing.annotate.person_color`, the palette of the annotated image).
Marker ids are stable across frames and unique over all people, as Azure Kinect's body
tracker numbers them: ``id = person_id * 100 + slot`` (:data:`SLOTS`). Every marker drawn
last frame and not drawn now is sent as DELETE, so a part that vanished and every marker
of a person who left disappear at once; :func:`delete_all_markers` clears everything.

Parts (namespace suffix: markers):

* ``pose``, ``face``, ``left_hand``, ``right_hand``: a LINE_LIST of the part's connections
  and a SPHERE_LIST of its landmarks;
* ``pointing``: an ARROW per pointing arm (origin, direction, ``pointing_length`` metres)
  and a SPHERE where the ray meets the gesture layer's plane, when it does;
* ``gestures``: TEXT_VIEW_FACING above each hand with MediaPipe's hand gesture and score;
* ``label``: TEXT_VIEW_FACING above the head: the person's id, then the active body gestures
  with their confidence.

Hands of no body (``HolisticPeople.hands``) get namespaces of their own, ``hand_<track id>/hand``
(LINE_LIST and SPHERE_LIST, drawn as a person's hand), ``hand_<track id>/pointing`` (the index
finger's ray where the hand points) and ``hand_<track id>/label`` ("hand #<track id>" and the
gesture), ids ``track_id * 100 + slot`` (:data:`LONE_HAND_SLOTS`), in the colour of their track
id; in the camera frame where located, else in the image plane. Deleted when the track ends.

Placement, per person:

* **located** (a camera model was available: ``PersonFrame.located``): the real positions
  in metres in the camera optical frame (x right, y down, z ahead); the markers carry the
  image's header (frame and stamp), which is the parent of the node's TF frames.
* otherwise, in ``MarkerSettings.frame_id`` (meant to be an optical frame):
  ``use_world_landmarks``: the pose's world landmarks (metres, origin between the hips)
  with the hips at ``world_origin``; the face and hands, which MediaPipe gives only in
  image coordinates, hang from the pose's nose and wrists at the body's metres per pixel
  (an approximation, for display). With several people, each is shifted sideways from the
  first by the pixel distance between their hips at its own metres per pixel, so they stand
  side by side, not inside each other. Without ``use_world_landmarks``: the image plane,
  pixel coordinates times ``image_scale``, image centre at ``world_origin``.

Points with no position (NaN: a located landmark without a 2D position) are left out,
and so is every line that ends at one: RViz refuses a marker with a NaN point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import AbstractSet, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

import numpy as np
from builtin_interfaces.msg import Duration
from geometry_msgs.msg import Point
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker, MarkerArray

from holistic_ros.drawing.annotate import (
    HandAnnotation, PersonAnnotation, body_gesture_labels, gesture_text, hand_gesture_texts, lone_hand_gesture_texts,
    lone_hand_label, person_color)
from holistic_ros.drawing.connections import (
    FACE_CONTOURS, FACE_IRISES, HAND_CONNECTIONS, POSE_CONNECTIONS)
from holistic_ros.gestures.person import FrameOutput, PersonFrame
from holistic_ros.pipeline.landmark_names import HandLandmark, PoseLandmark as _P
from holistic_ros.pipeline.params import Applies, Param, ParamGroup
from holistic_ros.pipeline.result import HolisticResult
from holistic_ros.spatial.frames import FACE_NOSE_TIP

PARTS = ("pose", "face", "left_hand", "right_hand")
#: Namespaces of a person, after ``person_<id>/``.
NAMESPACES = PARTS + ("pointing", "gestures", "label")
FACE_STYLES = ("contours", "points", "none")

#: Marker id = person_id * IDS_PER_PERSON + slot (Azure_Kinect_ROS_Driver numbers its body
#: markers body_id * 100 + joint the same way).
IDS_PER_PERSON = 100
#: (namespace suffix, what) -> slot.
SLOTS: Dict[Tuple[str, str], int] = {
    ("pose", "lines"): 0, ("pose", "points"): 1,
    ("face", "lines"): 2, ("face", "points"): 3,
    ("left_hand", "lines"): 4, ("left_hand", "points"): 5,
    ("right_hand", "lines"): 6, ("right_hand", "points"): 7,
    ("pointing", "left"): 8, ("pointing", "right"): 9,
    ("pointing", "left_target"): 10, ("pointing", "right_target"): 11,
    ("gestures", "left_hand"): 12, ("gestures", "right_hand"): 13,
    ("label", "head"): 14,
}

#: Pose landmarks of the head (nose, eyes, ears, mouth): the label sits above them.
POSE_HEAD = tuple(range(_P.NOSE, _P.MOUTH_RIGHT + 1))
# Shoulders and hips: long, rigid segments to estimate metres per pixel.
_SCALE_SEGMENTS = ((_P.LEFT_SHOULDER, _P.RIGHT_SHOULDER), (_P.LEFT_SHOULDER, _P.LEFT_HIP),
                   (_P.RIGHT_SHOULDER, _P.RIGHT_HIP), (_P.LEFT_HIP, _P.RIGHT_HIP))

#: How each part is drawn in the person's colour: (mix with white 0..1, alpha).
_SHADES: Dict[str, Tuple[float, float]] = {
    "pose": (0.0, 1.0), "face": (0.3, 0.8), "left_hand": (0.35, 1.0), "right_hand": (0.35, 1.0),
    "pointing": (0.0, 0.9), "gestures": (0.6, 1.0), "label": (0.6, 1.0),
}


_RUN = Applies.RUN_TIME

#: The markers' settings (node parameters ``markers.<name>``); MarkerSettings's defaults.
MARKER_PARAMS = ParamGroup("RViz markers", (
    Param("frame_id", "", "Frame of the fallback markers of people without a camera model (an optical "
          "frame: x right, y down, z forward); empty: the image's frame_id. People located in metres are "
          "always drawn in the image's frame.", _RUN),
    Param("use_world_landmarks", True, "Fallback markers from the pose world landmarks (metres); false: "
          "image-plane coordinates.", _RUN),
    Param("world_origin", [0.0, 0.0, 2.0], "x, y, z in metres in frame_id where the hips' midpoint (or the "
          "image centre) of the fallback markers is placed.", _RUN, length=3),
    Param("image_scale", 0.002, "Metres per pixel in image-plane mode.", _RUN, range=(1e-5, 1.0)),
    Param("face", "contours", "Face markers: contours, points (every mesh point) or none.", _RUN,
          choices=FACE_STYLES, field="face_style"),
    Param("line_width", 0.01, "Line width in metres.", _RUN, range=(0.0005, 0.2)),
    Param("point_size", 0.02, "Landmark sphere diameter in metres.", _RUN, range=(0.0005, 0.5)),
    Param("lifetime", 0.0, "Seconds a marker stays without an update; 0: until replaced or deleted.", _RUN,
          range=(0.0, 60.0)),
    Param("pointing_length", 1.0, "Length in metres of the pointing arrow.", _RUN, range=(0.01, 20.0)),
    Param("text_size", 0.06, "Height in metres of the gesture and id labels.", _RUN, range=(0.005, 1.0)),
    Param("label_offset", 0.08, "Metres between the top of a hand or head and its label.", _RUN,
          range=(0.0, 1.0)),
))
_DEFAULT = MARKER_PARAMS.default


@dataclass(frozen=True)
class MarkerSettings:
    """How :func:`build_markers` draws; declared in :data:`MARKER_PARAMS`."""

    frame_id: str = _DEFAULT("frame_id")
    use_world_landmarks: bool = _DEFAULT("use_world_landmarks")
    world_origin: Tuple[float, float, float] = _DEFAULT("world_origin")
    image_scale: float = _DEFAULT("image_scale")
    face_style: str = _DEFAULT("face_style")
    line_width: float = _DEFAULT("line_width")
    point_size: float = _DEFAULT("point_size")
    lifetime: float = _DEFAULT("lifetime")
    pointing_length: float = _DEFAULT("pointing_length")
    text_size: float = _DEFAULT("text_size")
    label_offset: float = _DEFAULT("label_offset")

    def __post_init__(self):
        if self.face_style not in FACE_STYLES:
            raise ValueError(f"face_style must be one of {FACE_STYLES}, not {self.face_style!r}")
        if len(self.world_origin) != 3:
            raise ValueError("world_origin needs 3 values (x, y, z)")
        for name in ("pointing_length", "text_size"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number of metres, not {value!r}")
        if not (math.isfinite(self.label_offset) and self.label_offset >= 0):
            raise ValueError(f"label_offset must be >= 0 metres, not {self.label_offset!r}")


DEFAULT_FRAME_ID = "camera"   # used when both the setting and the image's frame_id are empty

#: A marker's key: (namespace, id).
MarkerKey = Tuple[str, int]


def namespace(person_id: int, part: str) -> str:
    return f"person_{int(person_id)}/{part}"


def marker_id(person_id: int, part: str, what: str) -> int:
    return int(person_id) * IDS_PER_PERSON + SLOTS[(part, what)]


# ----------------------------------------------------------------------------- placement
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
    return float(m / px) if px > 1e-6 and math.isfinite(m / px) else None


def _hips_px(result: HolisticResult) -> np.ndarray:
    width, height = result.image_size
    hips = result.pose_landmarks[[_P.LEFT_HIP, _P.RIGHT_HIP], :2].astype(np.float64)
    return hips.mean(axis=0) * np.array([width, height])


def _attached(landmarks: np.ndarray, anchor_index: int, anchor_world: np.ndarray,
              size: Tuple[int, int], metres_per_px: float) -> np.ndarray:
    width, height = size
    xyz = np.asarray(landmarks[:, :3], dtype=np.float64)
    pixels = xyz * np.array([width, height, width])
    return anchor_world + (pixels - pixels[anchor_index]) * metres_per_px


def _world_mode(result: HolisticResult, settings: MarkerSettings) -> Optional[float]:
    """Metres per pixel when ``result`` can be drawn from its world landmarks, else None."""
    if not (settings.use_world_landmarks and result.pose_world_landmarks is not None
            and result.pose_landmarks is not None):
        return None
    return _metres_per_pixel(result)


def part_points(result: HolisticResult, settings: MarkerSettings,
                origin: Optional[Sequence[float]] = None) -> Dict[str, np.ndarray]:
    """(N, 3) marker positions in metres for each part that was found (no camera model).

    ``origin``: where the hips go in world mode (default ``settings.world_origin``).
    """
    parts = {"pose": result.pose_landmarks, "face": result.face_landmarks,
             "left_hand": result.left_hand_landmarks, "right_hand": result.right_hand_landmarks}
    found = {name: lm for name, lm in parts.items() if lm is not None}
    size = result.image_size
    scale = _world_mode(result, settings)
    if scale is None:
        return {name: _image_plane(lm, size, settings) for name, lm in found.items()}
    hips = np.asarray(settings.world_origin if origin is None else origin, dtype=np.float64)
    pose_world = np.asarray(result.pose_world_landmarks[:, :3], dtype=np.float64) + hips
    # the face hangs from the nose, each hand from its wrist
    anchors = {"face": (FACE_NOSE_TIP, _P.NOSE), "left_hand": (HandLandmark.WRIST, _P.LEFT_WRIST),
               "right_hand": (HandLandmark.WRIST, _P.RIGHT_WRIST)}
    points = {}
    for name, lm in found.items():
        if name == "pose":
            points[name] = pose_world
        else:
            own, pose_index = anchors[name]
            points[name] = _attached(lm, own, pose_world[pose_index], size, scale)
    return points


@dataclass(frozen=True)
class _Placed:
    """One person's marker positions: parts, and how to bring a world-landmark-frame point
    (a pointing ray built without camera points) into the marker frame (None: it cannot be)."""

    points: Dict[str, np.ndarray]
    world_to_marker: Optional[Callable[[np.ndarray], np.ndarray]]
    located: bool


def _located_points(person: PersonFrame) -> Optional[_Placed]:
    located = person.located
    if located is None or located.pose_landmarks is None:
        return None
    points = {"pose": located.pose_landmarks, "face": located.face_landmarks,
              "left_hand": located.left_hand_landmarks, "right_hand": located.right_hand_landmarks}
    points = {k: np.asarray(v, dtype=np.float64)[:, :3] for k, v in points.items() if v is not None}
    t = located.body_translation
    world_to_marker = None if t is None else _body_model_to_marker(t, float(located.body_depth_scale))
    return _Placed(points, world_to_marker, True)


def _body_model_to_marker(translation, depth_scale: float):
    """The body model of locate(): world point i sits at (X + tx, Y + ty, tz + s * Z)."""
    tx, ty, tz = (float(v) for v in np.asarray(translation)[:3])

    def to_marker(p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=np.float64)
        return np.array([p[0] + tx, p[1] + ty, tz + depth_scale * p[2]])
    return to_marker


def _offset_to_marker(origin: np.ndarray):
    """World points drawn at ``origin`` (the person's place in the marker frame)."""
    def to_marker(p: np.ndarray) -> np.ndarray:
        return np.asarray(p, dtype=np.float64)[:3] + origin
    return to_marker


def _place_people(frame: FrameOutput, settings: MarkerSettings) -> List[_Placed]:
    placed: List[_Placed] = []
    first_hips_px: Optional[np.ndarray] = None
    for person in frame.people:
        located = _located_points(person)
        if located is not None:
            placed.append(located)
            continue
        result = person.result
        scale = _world_mode(result, settings)
        origin = np.asarray(settings.world_origin, dtype=np.float64)
        if scale is not None:
            hips_px = _hips_px(result)
            if first_hips_px is None:
                first_hips_px = hips_px
            elif np.all(np.isfinite(hips_px)):
                origin = origin + np.array([*(hips_px - first_hips_px) * scale, 0.0])
        points = part_points(result, settings, origin)
        world_to_marker = None if scale is None else _offset_to_marker(origin)
        placed.append(_Placed(points, world_to_marker, False))
    return placed


# ----------------------------------------------------------------------------- markers
def _connections(name: str, count: int, settings: MarkerSettings):
    if name == "pose":
        return POSE_CONNECTIONS
    if name == "face":
        if settings.face_style != "contours":
            return frozenset()
        return FACE_CONTOURS | (FACE_IRISES if count > 468 else frozenset())
    return HAND_CONNECTIONS


def _base_marker(header, frame_id: str, ns: str, marker_id: int, settings: MarkerSettings) -> Marker:
    marker = Marker()
    marker.header.stamp = header.stamp
    marker.header.frame_id = frame_id
    marker.ns = ns
    marker.id = marker_id
    marker.pose.orientation.w = 1.0
    seconds = float(settings.lifetime)
    marker.lifetime = Duration(sec=int(seconds), nanosec=int(round((seconds % 1.0) * 1e9)))
    return marker


def part_color(person_id: int, part: str) -> ColorRGBA:
    """The person's colour (0..1), lightened and made translucent as ``part`` is drawn."""
    mix, alpha = _SHADES[part]
    r, g, b = (c / 255.0 for c in person_color(person_id))
    return ColorRGBA(r=r + (1.0 - r) * mix, g=g + (1.0 - g) * mix, b=b + (1.0 - b) * mix, a=alpha)


def _point(p) -> Point:
    return Point(x=float(p[0]), y=float(p[1]), z=float(p[2]))


def marker_frame(header, settings: MarkerSettings) -> str:
    return settings.frame_id or header.frame_id or DEFAULT_FRAME_ID


def located_frame(header, settings: MarkerSettings) -> str:
    """Frame of located people's markers: the image's own (their positions are in it)."""
    return header.frame_id or settings.frame_id or DEFAULT_FRAME_ID


def _part_markers(person_id: int, name: str, xyz: np.ndarray, header, frame_id: str,
                  settings: MarkerSettings, ns: Optional[str] = None,
                  ids: Optional[Tuple[int, int]] = None) -> List[Marker]:
    """The lines and points of one part; ``ns`` and ``ids`` (lines, points) default to the person's."""
    ns = namespace(person_id, name) if ns is None else ns
    if ids is None:
        ids = (marker_id(person_id, name, "lines"), marker_id(person_id, name, "points"))
    finite = np.all(np.isfinite(xyz), axis=1)
    edges = sorted((a, b) for a, b in _connections(name, len(xyz), settings)
                   if a < len(xyz) and b < len(xyz) and finite[a] and finite[b])
    if name == "face" and settings.face_style == "contours":
        # only the contour landmarks as dots, not all 468
        shown = sorted({i for edge in edges for i in edge})
    else:
        shown = [i for i in range(len(xyz)) if finite[i]]
    markers = []
    if edges:
        lines = _base_marker(header, frame_id, ns, ids[0], settings)
        lines.type = Marker.LINE_LIST
        lines.action = Marker.ADD
        lines.scale.x = settings.line_width * (0.5 if name == "face" else 1.0)
        lines.color = part_color(person_id, name)
        lines.points = [_point(xyz[i]) for edge in edges for i in edge]
        markers.append(lines)
    if shown:
        dots = _base_marker(header, frame_id, ns, ids[1], settings)
        dots.type = Marker.SPHERE_LIST
        dots.action = Marker.ADD
        size = settings.point_size * (0.3 if name == "face" else 1.0)
        dots.scale.x = dots.scale.y = dots.scale.z = size
        dots.color = part_color(person_id, name)
        dots.points = [_point(xyz[i]) for i in shown]
        markers.append(dots)
    return markers


def _text_marker(person_id: int, part: str, what: str, text: str, position: np.ndarray, header,
                 frame_id: str, settings: MarkerSettings, key: Optional[MarkerKey] = None) -> Marker:
    """A label in the person's colour; ``key`` (namespace, id) defaults to the person's ``part``/``what``."""
    ns, mid = key if key is not None else (namespace(person_id, part), marker_id(person_id, part, what))
    marker = _base_marker(header, frame_id, ns, mid, settings)
    marker.type = Marker.TEXT_VIEW_FACING
    marker.action = Marker.ADD
    marker.text = text
    marker.scale.z = settings.text_size
    marker.color = part_color(person_id, part)
    marker.pose.position = _point(position)
    return marker


def _above(points: Optional[np.ndarray], settings: MarkerSettings, lines: int = 1) -> Optional[np.ndarray]:
    """A point above ``points`` (marker frames are optical: up is -y) for a ``lines``-line label."""
    if points is None:
        return None
    points = points[np.all(np.isfinite(points), axis=1)]
    if not len(points):
        return None
    centre = points.mean(axis=0)
    top = float(points[:, 1].min())
    return np.array([centre[0], top - settings.label_offset - 0.5 * lines * settings.text_size, centre[2]])


def _pointing_markers(person: PersonFrame, placed: _Placed, header, frame_id: str,
                      settings: MarkerSettings) -> List[Marker]:
    gestures = person.gestures
    markers: List[Marker] = []
    for ray in getattr(gestures, "pointing", ()) if gestures is not None else ():
        if ray.side not in ("left", "right"):
            continue
        origin = np.asarray(ray.origin, dtype=np.float64)[:3]
        direction = np.asarray(ray.direction, dtype=np.float64)[:3]
        target = None if ray.plane_point is None else np.asarray(ray.plane_point, dtype=np.float64)[:3]
        if ray.in_camera_frame and not placed.located:
            continue   # camera-frame ray of a person drawn without a camera model: nowhere to put it
        if not ray.in_camera_frame:
            # A ray in the world landmarks' frame goes where the person's body went, when the
            # placement knows how (not in the image plane).
            if placed.world_to_marker is None:
                continue
            tip = placed.world_to_marker(origin + direction)
            origin = placed.world_to_marker(origin)
            direction = tip - origin
            target = None if target is None else placed.world_to_marker(target)
        ns = namespace(person.person_id, "pointing")
        markers.extend(_ray_markers(origin, direction, target, person.person_id,
                                    (ns, marker_id(person.person_id, "pointing", ray.side)),
                                    (ns, marker_id(person.person_id, "pointing", f"{ray.side}_target")),
                                    header, frame_id, settings))
    return markers


def _ray_markers(origin: np.ndarray, direction: np.ndarray, target: Optional[np.ndarray], color_id: int,
                 arrow_key: MarkerKey, target_key: MarkerKey, header, frame_id: str,
                 settings: MarkerSettings) -> List[Marker]:
    """An ARROW ``pointing_length`` metres along a ray and a SPHERE where it meets the plane,
    in colour ``color_id``'s pointing shade; nothing for a degenerate ray."""
    norm = float(np.linalg.norm(direction))
    if not (norm > 0 and np.all(np.isfinite(origin)) and np.all(np.isfinite(direction))):
        return []
    end = origin + direction / norm * settings.pointing_length
    arrow = _base_marker(header, frame_id, *arrow_key, settings)
    arrow.type = Marker.ARROW
    arrow.action = Marker.ADD
    # With two points: scale.x the shaft diameter, scale.y the head diameter, scale.z the head length.
    arrow.scale.x = settings.line_width * 1.5
    arrow.scale.y = settings.line_width * 3.0
    arrow.scale.z = settings.line_width * 5.0
    arrow.color = part_color(color_id, "pointing")
    arrow.points = [_point(origin), _point(end)]
    markers = [arrow]
    if target is not None and np.all(np.isfinite(target)):
        dot = _base_marker(header, frame_id, *target_key, settings)
        dot.type = Marker.SPHERE
        dot.action = Marker.ADD
        dot.scale.x = dot.scale.y = dot.scale.z = settings.point_size * 3.0
        dot.color = part_color(color_id, "pointing")
        dot.pose.position = _point(target)
        markers.append(dot)
    return markers


def _person_markers(person: PersonFrame, placed: _Placed, header, frame_id: str,
                    settings: MarkerSettings) -> List[Marker]:
    points = dict(placed.points)
    if settings.face_style == "none":
        points.pop("face", None)
    markers: List[Marker] = []
    for name in PARTS:
        if name in points:
            markers.extend(_part_markers(person.person_id, name, points[name], header, frame_id, settings))
    markers.extend(_pointing_markers(person, placed, header, frame_id, settings))
    for part, text in hand_gesture_texts(person.result).items():
        position = _above(placed.points.get(part), settings)
        if position is not None:
            markers.append(_text_marker(person.person_id, "gestures", part, text, position, header, frame_id,
                                        settings))
    pose = placed.points.get("pose")
    head = None if pose is None else pose[list(POSE_HEAD)]
    labels = [f"#{int(person.person_id)}"] + [gesture_text(label, confidence)
                                              for label, confidence in body_gesture_labels(person.gestures)]
    # TEXT_VIEW_FACING is centred on its position: lift it by half its own height per line.
    position = _above(head, settings, lines=len(labels))
    if position is not None:
        markers.append(_text_marker(person.person_id, "label", "head", "\n".join(reversed(labels)), position,
                                    header, frame_id, settings))
    return markers


# ----------------------------------------------------------------------------- hands of no body
#: Marker id of a hand of no body = track_id * IDS_PER_PERSON + slot, in its own namespaces
#: ``hand_<track id>/<part>`` (hand track ids are not person ids: the namespaces keep them apart).
LONE_HAND_SLOTS: Dict[Tuple[str, str], int] = {
    ("hand", "lines"): 0, ("hand", "points"): 1, ("pointing", "finger"): 2, ("pointing", "target"): 3,
    ("label", "hand"): 4,
}


def lone_hand_namespace(track_id: int, part: str) -> str:
    return f"hand_{int(track_id)}/{part}"


def lone_hand_key(track_id: int, part: str, what: str) -> MarkerKey:
    """(namespace, id) of one marker of a hand of no body."""
    return lone_hand_namespace(track_id, part), int(track_id) * IDS_PER_PERSON + LONE_HAND_SLOTS[(part, what)]


def _lone_hand_markers(hand, located, pointing, size: Tuple[int, int], header,
                       settings: MarkerSettings) -> List[Marker]:
    """A hand of no body drawn as a person's hand: skeleton lines and points (camera frame where
    located, else the image plane as people without ``use_world_landmarks``), its index finger's
    ray where it points, and a label "hand #<track id>" with its gesture above it."""
    track_id = int(hand.track_id)
    part = "left_hand" if hand.side == "left" else "right_hand"
    if located is not None:
        xyz = np.asarray(located.points, dtype=np.float64)[:, :3]
        frame_id = located_frame(header, settings)
    else:
        xyz = _image_plane(np.asarray(hand.landmarks, dtype=np.float64), size, settings)
        frame_id = marker_frame(header, settings)
    ns, lines_id = lone_hand_key(track_id, "hand", "lines")
    markers = _part_markers(track_id, part, xyz, header, frame_id, settings, ns=ns,
                            ids=(lines_id, lone_hand_key(track_id, "hand", "points")[1]))
    if pointing is not None and located is not None:
        target = None if pointing.plane_point is None else np.asarray(pointing.plane_point, dtype=np.float64)[:3]
        markers.extend(_ray_markers(np.asarray(pointing.origin, dtype=np.float64)[:3],
                                    np.asarray(pointing.direction, dtype=np.float64)[:3], target, track_id,
                                    lone_hand_key(track_id, "pointing", "finger"),
                                    lone_hand_key(track_id, "pointing", "target"), header, frame_id, settings))
    labels = [lone_hand_label(track_id)] + lone_hand_gesture_texts(hand)
    position = _above(xyz, settings, lines=len(labels))
    if position is not None:
        markers.append(_text_marker(track_id, "label", "", "\n".join(reversed(labels)), position, header, frame_id,
                                    settings, key=lone_hand_key(track_id, "label", "hand")))
    return markers


def _as_frame(frame) -> FrameOutput:
    """A bare HolisticResult (single-person callers) is person 0 without a camera model."""
    if isinstance(frame, HolisticResult):
        return FrameOutput(people=(PersonFrame(person_id=0, result=frame),), image_size=frame.image_size)
    return frame


def build_markers(frame: FrameOutput, header, settings: MarkerSettings,
                  drawn_before: AbstractSet[MarkerKey] = frozenset()
                  ) -> Tuple[MarkerArray, FrozenSet[MarkerKey]]:
    """Markers for one frame, and the (namespace, id) of every marker now drawn (pass it back next frame).

    ``frame``: the people of the frame (a bare ``HolisticResult`` is taken as person 0).
    Every marker in ``drawn_before`` that is not drawn now gets a DELETE: a vanished part,
    a gesture that ended, every marker of a person who left.
    """
    frame = _as_frame(frame)
    array = MarkerArray()
    for person, placed in zip(frame.people, _place_people(frame, settings)):
        frame_id = located_frame(header, settings) if placed.located else marker_frame(header, settings)
        array.markers.extend(_person_markers(person, placed, header, frame_id, settings))
    hands = tuple(frame.hands)
    located = tuple(frame.hands_located) or (None,) * len(hands)
    pointing = tuple(frame.hands_pointing) or (None,) * len(hands)
    for hand, loc, ray in zip(hands, located, pointing):
        array.markers.extend(_lone_hand_markers(hand, loc, ray, frame.image_size, header, settings))
    drawn = frozenset((m.ns, m.id) for m in array.markers)
    for ns, stale_id in sorted(set(drawn_before) - drawn):
        marker = _base_marker(header, marker_frame(header, settings), ns, stale_id, settings)
        marker.action = Marker.DELETE
        array.markers.append(marker)
    return array, drawn


def person_annotations(frame: FrameOutput):
    """What :func:`holistic_ros.drawing.annotate.draw_people` draws for ``frame``'s people."""
    return tuple(PersonAnnotation(person_id=p.person_id, result=p.result,
                                  body_gestures=body_gesture_labels(p.gestures))
                 for p in _as_frame(frame).people)


def hand_annotations(frame: FrameOutput):
    """What :func:`holistic_ros.drawing.annotate.draw_people` draws for ``frame``'s hands of no body."""
    return tuple(HandAnnotation(track_id=int(h.track_id), side=h.side, landmarks=h.landmarks, gesture=h.gesture)
                 for h in getattr(_as_frame(frame), "hands", ()))


def delete_all_markers(header, settings: MarkerSettings) -> MarkerArray:
    """One DELETEALL marker: clears every marker of this publisher in RViz."""
    marker = _base_marker(header, marker_frame(header, settings), "", 0, settings)
    marker.action = Marker.DELETEALL
    return MarkerArray(markers=[marker])
