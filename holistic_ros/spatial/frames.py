"""Poses of the body, head, face, gaze and hands, from located 3D landmarks.

All poses are in the camera optical frame (x right, y down, z ahead). The body, head,
face and gaze frames follow REP-155 ("Conventions, Topics, Interfaces for Perception in
Human-Robot Interaction", sections "Body Frames" and "Face and Gaze Frames"):

* body: origin at the mid point of the hips, x forward (out of the chest), z up (toward
  the head), y to the person's left.
* face (and head): origin at the sellion, x forward out of the face, z toward the scalp.
* gaze: at the face's origin, z along the gaze, x right, y down (optical convention).
  Gaze is estimated from the head's orientation only, so its z is the face's x, as
  REP-155 asks in that case.

REP-155 has no hand frames; ours are described at :func:`hand_pose`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..pipeline.landmark_names import HandLandmark, PoseLandmark

#: Face-mesh indices (canonical MediaPipe face mesh, ``mediapipe/modules/face_geometry/
#: data/canonical_face_model_uv_visualization.png``): the sellion (between the eyes, on the
#: nose bridge), the outer eye corners on the subject's left and right, forehead top, chin.
FACE_SELLION = 168
FACE_LEFT_EYE_OUTER = 263
FACE_RIGHT_EYE_OUTER = 33
FACE_FOREHEAD = 10
FACE_CHIN = 152
#: Face-mesh nose tip: the point that matches the pose model's NOSE landmark.
FACE_NOSE_TIP = 1

#: Below this length (metres) two landmarks are taken as coincident: no axis from them.
_MIN_AXIS_LENGTH_M = 1e-4


@dataclass(frozen=True, eq=False)
class Pose3D:
    """A rigid pose in the camera optical frame: the frame's origin and orientation.

    ``quaternion`` is (x, y, z, w) as in ``geometry_msgs/Quaternion``; it rotates the
    frame's axes into the camera's (the columns of :attr:`rotation` are the frame's x, y
    and z axes in camera coordinates).
    """

    position: np.ndarray  # (3,) float64 metres
    quaternion: np.ndarray  # (4,) float64 x, y, z, w, unit norm

    @property
    def rotation(self) -> np.ndarray:
        """(3, 3) rotation matrix of the quaternion."""
        return matrix_from_quaternion(self.quaternion)

    @property
    def x_axis(self) -> np.ndarray:
        return self.rotation[:, 0]

    @property
    def z_axis(self) -> np.ndarray:
        return self.rotation[:, 2]


def quaternion_from_matrix(rotation: np.ndarray) -> np.ndarray:
    """(3, 3) rotation -> (x, y, z, w) unit quaternion with w >= 0 (Shepperd's method)."""
    m = np.asarray(rotation, dtype=np.float64)
    trace = m[0, 0] + m[1, 1] + m[2, 2]
    if trace > 0.0:
        s = 2.0 * np.sqrt(trace + 1.0)
        q = np.array([(m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, 0.25 * s])
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = 2.0 * np.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2])
        q = np.array([0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s, (m[2, 1] - m[1, 2]) / s])
    elif m[1, 1] > m[2, 2]:
        s = 2.0 * np.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2])
        q = np.array([(m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s, (m[0, 2] - m[2, 0]) / s])
    else:
        s = 2.0 * np.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1])
        q = np.array([(m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s, (m[1, 0] - m[0, 1]) / s])
    q /= np.linalg.norm(q)
    return -q if q[3] < 0.0 else q


def matrix_from_quaternion(quaternion: np.ndarray) -> np.ndarray:
    """(x, y, z, w) quaternion -> (3, 3) rotation matrix."""
    x, y, z, w = np.asarray(quaternion, dtype=np.float64) / np.linalg.norm(quaternion)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def _unit(v: np.ndarray) -> Optional[np.ndarray]:
    n = math.sqrt(float(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]))
    if not math.isfinite(n) or n < _MIN_AXIS_LENGTH_M:
        return None
    return v / n


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross product of two 3-vectors (np.cross costs ten times more on one pair)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def frame_from_axes(origin: np.ndarray, primary: np.ndarray, secondary: np.ndarray,
                    order: str) -> Optional[Pose3D]:
    """A right-handed frame from two approximate axes.

    ``order`` names the axes: ``"yz"`` keeps ``primary`` as y exactly and makes z the part
    of ``secondary`` orthogonal to it (x = y x z); ``"yx"`` keeps y and orthogonalises x
    (z = x x y); ``"xy"`` keeps x and orthogonalises y (z = x x y). None when an axis is
    degenerate or any input is not finite.
    """
    primary = np.asarray(primary, dtype=np.float64)
    secondary = np.asarray(secondary, dtype=np.float64)
    if not (np.isfinite(origin).all() and np.isfinite(primary).all() and np.isfinite(secondary).all()):
        return None
    a = _unit(primary)
    if a is None:
        return None
    b = _unit(secondary - float(secondary @ a) * a)
    if b is None:
        return None
    if order == "yz":
        y, z = a, b
        x = _cross(y, z)
    elif order == "yx":
        y, x = a, b
        z = _cross(x, y)
    elif order == "xy":
        x, y = a, b
        z = _cross(x, y)
    else:
        raise ValueError(f"unknown axis order {order!r}")
    rotation = np.stack([x, y, z], axis=1)
    return Pose3D(np.asarray(origin, dtype=np.float64).copy(), quaternion_from_matrix(rotation))


def body_pose(pose_cam: np.ndarray) -> Optional[Pose3D]:
    """REP-155 ``body_<id>`` from the (33, 3) located pose landmarks.

    Origin at the hips' mid point; y to the person's left (the mean of the hip and
    shoulder left-right vectors, which is steadier than either alone); z toward the
    shoulders' mid point, made orthogonal to y; x = y x z, out of the chest.
    """
    p = pose_cam
    hip_mid = 0.5 * (p[PoseLandmark.LEFT_HIP] + p[PoseLandmark.RIGHT_HIP])
    shoulder_mid = 0.5 * (p[PoseLandmark.LEFT_SHOULDER] + p[PoseLandmark.RIGHT_SHOULDER])
    left = (p[PoseLandmark.LEFT_HIP] - p[PoseLandmark.RIGHT_HIP]) + (
        p[PoseLandmark.LEFT_SHOULDER] - p[PoseLandmark.RIGHT_SHOULDER])
    return frame_from_axes(hip_mid, left, shoulder_mid - hip_mid, "yz")


def head_pose(pose_cam: np.ndarray) -> Optional[Pose3D]:
    """REP-155 ``head_<id>`` from the pose model's head landmarks.

    Origin at the eyes' mid point (REP-155's approximation of the sellion); y from the
    right ear to the left ear; x from the ears' mid point toward the nose, made
    orthogonal to y; z = x x y, toward the scalp.
    """
    p = pose_cam
    eye_mid = 0.5 * (p[PoseLandmark.LEFT_EYE] + p[PoseLandmark.RIGHT_EYE])
    ear_mid = 0.5 * (p[PoseLandmark.LEFT_EAR] + p[PoseLandmark.RIGHT_EAR])
    left = p[PoseLandmark.LEFT_EAR] - p[PoseLandmark.RIGHT_EAR]
    return frame_from_axes(eye_mid, left, p[PoseLandmark.NOSE] - ear_mid, "yx")


def face_pose(face_cam: np.ndarray) -> Optional[Pose3D]:
    """REP-155 ``face_<id>`` from the located face mesh.

    Origin at the sellion (mesh point 168); y from the right to the left outer eye
    corner; z from the chin toward the forehead, made orthogonal to y; x = y x z, out of
    the face.
    """
    f = face_cam
    return frame_from_axes(f[FACE_SELLION], f[FACE_LEFT_EYE_OUTER] - f[FACE_RIGHT_EYE_OUTER],
                           f[FACE_FOREHEAD] - f[FACE_CHIN], "yz")


def gaze_pose(face: Pose3D) -> Pose3D:
    """REP-155 ``gaze_<id>``: the face's frame in optical convention (z = face x, x = -face y, y = -face z)."""
    r = face.rotation
    gaze_rotation = np.stack([-r[:, 1], -r[:, 2], r[:, 0]], axis=1)
    return Pose3D(face.position.copy(), quaternion_from_matrix(gaze_rotation))


def hand_pose(hand_cam: np.ndarray, is_left: bool) -> Optional[Pose3D]:
    """Our hand frame (REP-155 has none): ``<side>_hand_<id>`` in the ROS layer.

    Origin at the wrist (hand landmark 0); x from the wrist toward the middle finger's
    knuckle (MCP); z out of the palm (the palm's normal, from the index and little
    finger knuckles); y = z x x, which points toward the little finger on the right hand
    and toward the thumb on the left hand (the two hands mirror each other).
    """
    h = hand_cam
    wrist = h[HandLandmark.WRIST]
    to_index = h[HandLandmark.INDEX_FINGER_MCP] - wrist
    to_pinky = h[HandLandmark.PINKY_MCP] - wrist
    # For a right hand, index x pinky points out of the palm; the left hand mirrors it.
    palm_normal = _cross(to_index, to_pinky)
    if is_left:
        palm_normal = -palm_normal
    x_approx = h[HandLandmark.MIDDLE_FINGER_MCP] - wrist
    x = _unit(x_approx) if np.all(np.isfinite(x_approx)) else None
    if x is None:
        return None
    pose = frame_from_axes(wrist, x, palm_normal, "xy")  # provisional y = palm normal
    if pose is None:
        return None
    # Re-label: keep x, z := provisional y (the palm normal), y := z x x.
    r = pose.rotation
    z = r[:, 1]
    y = _cross(z, r[:, 0])
    rotation = np.stack([r[:, 0], y, z], axis=1)
    return Pose3D(pose.position, quaternion_from_matrix(rotation))


def facing_angle(pose: Pose3D) -> float:
    """Angle (rad) between a frame's x axis and the direction from its origin to the camera."""
    to_camera = -np.asarray(pose.position, dtype=np.float64)
    n = float(np.linalg.norm(to_camera))
    if n < _MIN_AXIS_LENGTH_M:
        return 0.0
    cos = min(1.0, max(-1.0, float(pose.x_axis @ to_camera) / n))
    return float(np.arccos(cos))
