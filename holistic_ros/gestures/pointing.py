"""Pointing rays: eye -> index fingertip, and where a ray meets a plane.

Why eye -> fingertip and not shoulder -> wrist: people aim by lining the fingertip up with
the target from the eye, so the head-hand line is the direction they mean; with a bent elbow
or wrist, shoulder -> wrist points elsewhere (Nickel & Stiefelhagen 2007 found the head-hand
line the most reliable of the two; "head-finger" in volaly_kinematics). It also has the
longer baseline (about 0.7 m against 0.5 m for an extended adult arm), so the same landmark
noise tilts it less. The eye is the midpoint of the two eyes (which eye dominates is not
known); the fingertip is the hand model's index tip attached at the pose's wrist when the
hand was found (finer than the pose's own index point), else the pose's index point.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

import numpy as np

from ..pipeline.landmark_names import HandLandmark, PoseLandmark
from .types import PointingRay

EYES = (PoseLandmark.LEFT_EYE, PoseLandmark.RIGHT_EYE)
WRIST = {"left": PoseLandmark.LEFT_WRIST, "right": PoseLandmark.RIGHT_WRIST}
POSE_INDEX = {"left": PoseLandmark.LEFT_INDEX, "right": PoseLandmark.RIGHT_INDEX}


def eye_and_fingertip(points: np.ndarray, side: str,
                      hand_world: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
    """(eye midpoint, index fingertip), both (3,) in the frame of ``points`` (33, >=3) metres.

    ``hand_world`` (21, 3) metres in camera-aligned axes (the hand model's world landmarks):
    its wrist-to-index-tip vector is added to the pose wrist.
    """
    eye = (points[EYES[0], :3] + points[EYES[1], :3]) / 2.0
    if hand_world is not None:
        tip = points[WRIST[side], :3] + (hand_world[HandLandmark.INDEX_FINGER_TIP, :3]
                                         - hand_world[HandLandmark.WRIST, :3])
    else:
        tip = points[POSE_INDEX[side], :3]
    return np.asarray(eye, dtype=np.float64), np.asarray(tip, dtype=np.float64)


def intersect_plane(origin: np.ndarray, direction: np.ndarray, plane: Sequence[float],
                    eps: float = 1e-9) -> Optional[np.ndarray]:
    """Where ``origin + t * direction`` (t > 0) meets the plane n . p + d = 0 (``plane`` = nx, ny, nz, d).

    None when the ray is parallel to the plane or the plane is behind its origin.
    """
    n = np.asarray(plane[:3], dtype=np.float64)
    d = float(plane[3])
    denom = float(n @ direction)
    if abs(denom) < eps * max(1.0, float(np.linalg.norm(n))):
        return None
    t = -(float(n @ origin) + d) / denom
    if not t > 0.0 or not math.isfinite(t):
        return None
    return origin + t * direction


def angle_between(a: np.ndarray, b: np.ndarray) -> float:
    """Angle (rad) between two vectors; 0 when either has no length."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return 0.0
    return math.acos(max(-1.0, min(1.0, float(a @ b) / (na * nb))))


def angular_uncertainty(baseline_m: float, landmark_noise_m: float, jitter_rad: float, base_rad: float) -> float:
    """Half-angle (rad): systematic prior, the landmarks' noise over the baseline, and the measured
    jitter of the direction, added in quadrature."""
    noise = math.atan2(math.sqrt(2.0) * landmark_noise_m, max(baseline_m, 1e-6))
    return float(min(math.pi, math.sqrt(base_rad ** 2 + noise ** 2 + jitter_rad ** 2)))


def index_finger_ray(hand_cam: np.ndarray, hand_world: np.ndarray, side: str, settings) -> Optional[PointingRay]:
    """The pointing ray of a hand of no body: index knuckle (MCP) -> index tip, in the camera frame.

    A lone hand has no eye and no shoulder, so the body's eye -> fingertip ray cannot be
    built; the index finger itself is the only direction it gives, over a short baseline
    (about 7 cm against the body ray's 0.7 m: the same landmark noise tilts it ten times
    more, which ``angular_uncertainty`` says). Given only for a pointing hand, tested with the
    body's pointing-hand measure (``recognizer.finger_extension`` against
    ``settings.finger_extension``): the index straight and *each* other finger curled, past the
    middle of that range (the body's test takes the other fingers' mean, which a V sign passes;
    a lone hand has no arm to tell the two apart), on the hand model's metric ``hand_world``
    (21, 3); ``hand_cam`` (21, 3) the located points. ``settings``: the body
    gestures' :class:`~holistic_ros.gestures.settings.GestureSettings` (finger thresholds,
    landmark noise, base uncertainty, plane). None when the hand does not point or is degenerate.
    """
    from .recognizer import FINGERS, finger_extension, ramp   # recognizer imports this module

    hand_world = np.asarray(hand_world, dtype=np.float64)
    hand_cam = np.asarray(hand_cam, dtype=np.float64)
    others = max(finger_extension(hand_world, fingers=(finger,)) for finger in FINGERS[1:])
    pointing = min(ramp(finger_extension(hand_world, fingers=FINGERS[:1]), settings.finger_extension),
                   1.0 - ramp(others, settings.finger_extension))
    if pointing < 0.5:
        return None
    origin = hand_cam[HandLandmark.INDEX_FINGER_MCP, :3]
    v = hand_cam[HandLandmark.INDEX_FINGER_TIP, :3] - origin
    baseline = float(np.linalg.norm(v))
    if not (math.isfinite(baseline) and baseline > 1e-6 and np.all(np.isfinite(origin))):
        return None
    direction = v / baseline
    uncertainty = angular_uncertainty(baseline, settings.pointing_landmark_noise_m, 0.0,
                                      math.radians(settings.pointing_base_uncertainty_deg))
    plane = settings.pointing_plane
    hit = intersect_plane(origin, direction, plane) if plane is not None else None
    return PointingRay(side, origin.copy(), direction, uncertainty, True, hit)
