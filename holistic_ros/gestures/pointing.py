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
