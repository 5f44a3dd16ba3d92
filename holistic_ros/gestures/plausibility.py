"""Is this body plausibly a person? Checked before any gesture fires (issue 17).

The pose model finds a "person" in whatever it is given, and on a street clip a pose found on
a parked bicycle and a bollard fired ``left_hand_raised`` at 0.99 (issue 17). A gesture needs
a body that is plausibly a person:

* the pose model's own presence score (``pose_score``) at least :data:`MIN_POSE_SCORE`;
* human proportions in the pose's world landmarks (metres): shoulder width, upper arms and
  forearms in :data:`PROPORTIONS` of the torso length (shoulder midpoint to hip midpoint),
  and the two upper arms of similar length;
* a face or a hand found on that body (Holistic's face and hand models each check their own
  crop with their own presence score; a pose on an object rarely gets either);
* per gesture, what it reads (:func:`parts_missing`): a raised hand and waving are measured
  against the head, so they need the face in view; pointing needs the face (the eye end of
  its ray) and that side's hand (its shape).

Fields a result object does not have at all are not checked (synthetic landmark tracks in the
tests carry world landmarks only; without a ``face_landmarks`` field the face-or-hand check is
skipped); a :class:`holistic_ros.HolisticResult` has them all, None
meaning "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import numpy as np

from ..pipeline.landmark_names import PoseLandmark as _P

#: Holistic's pose presence threshold (min_tracking_confidence's default, 0.5: holistic.py).
MIN_POSE_SCORE = 0.5
#: Ratios to the torso length (shoulder midpoint to hip midpoint) that a person's pose world
#: landmarks fall in. Adults: torso ~0.5 m, shoulder (acromion) width ~0.35-0.4 m, upper arm
#: ~0.3 m, forearm ~0.25 m (anthropometric tables, e.g. NASA-STD-3000 vol. I, 3.3), i.e. about
#: 0.75, 0.6 and 0.5; the ranges are two-fold wide for children, foreshortened depth and the
#: model's own error.
PROPORTIONS = {
    "shoulder width": ((_P.LEFT_SHOULDER, _P.RIGHT_SHOULDER), (0.3, 1.5)),
    "left upper arm": ((_P.LEFT_SHOULDER, _P.LEFT_ELBOW), (0.3, 1.2)),
    "right upper arm": ((_P.RIGHT_SHOULDER, _P.RIGHT_ELBOW), (0.3, 1.2)),
    "left forearm": ((_P.LEFT_ELBOW, _P.LEFT_WRIST), (0.25, 1.1)),
    "right forearm": ((_P.RIGHT_ELBOW, _P.RIGHT_WRIST), (0.25, 1.1)),
}
#: A limb's proportion is checked only where both its ends are this visible (the model's own
#: visibility; 0.5 is MediaPipe's usual cut, e.g. drawing_utils' _VISIBILITY_THRESHOLD): on
#: the waist-up thumbs-up clip the hidden left forearm measured 0.20-0.23 torso lengths.
MIN_VISIBILITY = 0.5
#: Longer upper arm over the shorter one: a body's two arms are alike.
MAX_ARM_ASYMMETRY = 1.6

_MISSING = object()


@dataclass(frozen=True)
class Plausibility:
    """Whether a body is plausibly a person, and why not."""

    plausible: bool
    reasons: Tuple[str, ...] = ()


def _length(world: np.ndarray, a: int, b: int) -> float:
    return float(np.linalg.norm(world[int(a), :3] - world[int(b), :3]))


def person_plausibility(result) -> Plausibility:
    """:class:`Plausibility` of the body in ``result`` (a HolisticResult or one of its ``people``)."""
    reasons = []
    world = getattr(result, "pose_world_landmarks", None)
    if world is None:
        return Plausibility(False, ("no pose",))
    world = np.asarray(world, dtype=np.float64)
    score = getattr(result, "pose_score", _MISSING)
    if score is not _MISSING and (score is None or not score >= MIN_POSE_SCORE):
        reasons.append(f"pose score {score}")
    hip_mid = (world[_P.LEFT_HIP, :3] + world[_P.RIGHT_HIP, :3]) / 2.0
    shoulder_mid = (world[_P.LEFT_SHOULDER, :3] + world[_P.RIGHT_SHOULDER, :3]) / 2.0
    torso = float(np.linalg.norm(shoulder_mid - hip_mid))
    if not np.isfinite(torso) or torso < 1e-6:
        reasons.append("no torso")
    else:
        visibility = world[:, 3] if world.shape[1] > 3 else np.ones(len(world))
        for name, ((a, b), (lo, hi)) in PROPORTIONS.items():
            if min(visibility[int(a)], visibility[int(b)]) < MIN_VISIBILITY:
                continue   # a limb out of view or hidden: the model guesses its length
            ratio = _length(world, a, b) / torso
            if not lo <= ratio <= hi:
                reasons.append(f"{name} {ratio:.2f} torso lengths")
        arms = (_length(world, _P.LEFT_SHOULDER, _P.LEFT_ELBOW), _length(world, _P.RIGHT_SHOULDER, _P.RIGHT_ELBOW))
        seen = min(visibility[int(i)] for i in (_P.LEFT_SHOULDER, _P.LEFT_ELBOW, _P.RIGHT_SHOULDER, _P.RIGHT_ELBOW))
        if seen >= MIN_VISIBILITY and (min(arms) <= 0 or max(arms) / min(arms) > MAX_ARM_ASYMMETRY):
            reasons.append("upper arms unlike")
    parts = [getattr(result, name, _MISSING) for name in (
        "face_landmarks", "left_hand_landmarks", "right_hand_landmarks", "left_hand_world_landmarks",
        "right_hand_world_landmarks")]
    if parts[0] is not _MISSING and all(p is None for p in parts if p is not _MISSING):
        reasons.append("no face and no hand")
    return Plausibility(not reasons, tuple(reasons))



#: Gestures measured against the head (the nose above the shoulders, the eye end of a ray).
NEEDS_FACE = frozenset({"left_hand_raised", "right_hand_raised", "both_hands_raised", "waving", "pointing"})
#: Gestures that read the shape of that side's hand.
NEEDS_HAND = frozenset({"pointing", "stop", "come_here"})


def parts_missing(result, gesture: str, side) -> bool:
    """Whether ``result`` lacks a part ``gesture`` (made by ``side``) reads: the face, or that
    side's hand. Fields a result does not have are not checked (see the module docstring)."""
    if gesture in NEEDS_FACE and getattr(result, "face_landmarks", _MISSING) is None:
        return True
    if gesture in NEEDS_HAND and side in ("left", "right"):
        hand = getattr(result, f"{side}_hand_landmarks", _MISSING)
        world = getattr(result, f"{side}_hand_world_landmarks", _MISSING)
        if hand is None and (world is None or world is _MISSING):
            return True
    return False
