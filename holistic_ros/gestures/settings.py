"""Settings of the body gesture layer: one frozen dataclass, documented defaults, validated.

Lengths are in torso lengths (shoulder midpoint to hip midpoint, about 0.5 m on an adult),
so the same settings hold for a child or an adult, near or far. Times are seconds of the
timestamps passed to :meth:`BodyGestureRecognizer.update`. Out-of-range values raise
ValueError naming the field, so the node can refuse them with that reason.

The fields a user sets are declared once in :data:`GESTURE_PARAMS` (the node's ``gestures.*``
parameters, see :mod:`holistic_ros.pipeline.params`); the dataclass takes their defaults from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import FrozenSet, Optional, Tuple

from holistic_ros.pipeline.params import Applies, Param, ParamGroup

from .types import BodyGesture

ALL_GESTURES: FrozenSet[str] = frozenset(g.value for g in BodyGesture)

_RUN = Applies.RUN_TIME


def _plane(value) -> Optional[Tuple[float, float, float, float]]:
    plane = tuple(float(v) for v in value)
    return plane if any(plane) else None   # all zero: no plane


#: The settings a user sets (node parameters ``gestures.<name>``); GestureSettings's defaults.
GESTURE_PARAMS = ParamGroup("Body gestures", (
    Param("on_threshold", 0.6, "Score at which a gesture starts its onset (hysteresis, upper); "
          "above off_threshold.", _RUN, range=(0.0, 1.0)),
    Param("off_threshold", 0.4, "Score under which a gesture starts to end (hysteresis, lower).", _RUN,
          range=(0.0, 1.0)),
    Param("min_hold_s", 0.25, "Seconds a gesture must hold before its onset event.", _RUN, range=(0.0, 10.0)),
    Param("min_release_s", 0.25, "Seconds under the off threshold before the end event.", _RUN,
          range=(0.0, 10.0)),
    Param("cooldown_s", 0.5, "Seconds after an end before the same gesture can start again.", _RUN,
          range=(0.0, 60.0)),
    Param("pointing_plane", [0.0, 0.0, 0.0, 0.0], "Plane n.p + d = 0 as [nx, ny, nz, d] in the camera frame "
          "(metres), e.g. the floor; pointing rays report where they meet it. All zero: none.", _RUN,
          length=4, to_core=_plane),
))
_DEFAULT = GESTURE_PARAMS.default


@dataclass(frozen=True)
class GestureSettings:
    """Debouncing, thresholds and geometry of :class:`~holistic_ros.gestures.BodyGestureRecognizer`."""

    # -- debouncing (every gesture) -------------------------------------------------------
    #: A gesture's per-frame score must reach this to start an onset (hysteresis: upper).
    on_threshold: float = _DEFAULT("on_threshold")
    #: ... and stay at or above this (lower threshold) for it to go on, and to stay on.
    off_threshold: float = _DEFAULT("off_threshold")
    #: Seconds the score must hold before the onset event (and before a gesture is active).
    min_hold_s: float = _DEFAULT("min_hold_s")
    #: Seconds the score must stay under ``off_threshold`` before the end event.
    min_release_s: float = _DEFAULT("min_release_s")
    #: Seconds after an end during which the same gesture (same side) cannot start again.
    cooldown_s: float = _DEFAULT("cooldown_s")
    #: Time constant (s) of the exponential average that turns scores into a confidence.
    confidence_time_constant_s: float = 0.2
    #: A gap between timestamps longer than this (or a timestamp that does not increase)
    #: resets all temporal state: positions before the gap say nothing about motion after it.
    max_gap_s: float = 0.5
    #: Names (``BodyGesture`` values) that are recognised; the others always score 0.
    enabled: FrozenSet[str] = ALL_GESTURES

    #: Pose landmark visibility (the model's own, 0..1) of an arm's shoulder, elbow and wrist
    #: where its gestures start to count / count fully: an arm out of view scores nothing.
    visibility: Tuple[float, float] = (0.3, 0.6)

    # -- hand raised ------------------------------------------------------------------------
    #: Wrist height above its shoulder (torso lengths) where "raised" starts scoring (0) and
    #: is sure (1). The nose sits about 0.4 above the shoulders: a raised hand is above it,
    #: a hand at the chin (a thumbs-up, a phone call) is not.
    raised_height: Tuple[float, float] = (0.3, 0.5)

    # -- waving -----------------------------------------------------------------------------
    #: Window (s) in which direction reversals of the wrist's sideways motion are counted.
    wave_window_s: float = 2.0
    #: Smallest swing (torso lengths, peak to peak, wrist relative to elbow) that counts.
    wave_min_swing: float = 0.15
    #: Reversals in the window for a sure wave (score 1); one fewer scores 0.5 (the
    #: debouncer's on threshold then holds it on), two fewer 0: one back-and-forth is no wave.
    wave_reversals: int = 3
    #: Wrist height above its shoulder (torso lengths) where a waving hand starts to count / counts fully.
    wave_height: Tuple[float, float] = (-0.15, 0.05)

    # -- pointing ---------------------------------------------------------------------------
    #: Elbow angle (degrees, 180 = straight) where the arm starts to count as extended / is extended.
    point_elbow_deg: Tuple[float, float] = (140.0, 160.0)
    #: Angle (degrees) of the shoulder->wrist direction from straight down: below the first
    #: the arm hangs; above the second it is lifted clear of the body.
    point_from_down_deg: Tuple[float, float] = (35.0, 50.0)
    #: Angle (degrees) from straight up: below the first the arm is raised, not pointing.
    point_from_up_deg: Tuple[float, float] = (25.0, 40.0)
    #: Systematic error of the ray (degrees), added in quadrature: body-landmark pointing is
    #: not exact (pose-only pointing erred about 28 degrees in PointingNet, arXiv 2307.02949;
    #: not measured here, set it for your set-up).
    pointing_base_uncertainty_deg: float = 10.0
    #: Landmark position noise (m) turned into an angle over the ray's baseline.
    pointing_landmark_noise_m: float = 0.02
    #: Window (s) over which the direction's jitter is measured.
    pointing_jitter_window_s: float = 0.5
    #: Plane (nx, ny, nz, d), n . p + d = 0, in the ray's frame (camera frame when camera
    #: points are given, else the world landmarks' frame); None: no intersection.
    pointing_plane: Optional[Tuple[float, float, float, float]] = _DEFAULT("pointing_plane")

    # -- arms crossed -----------------------------------------------------------------------
    #: How far past the body's midline (torso lengths) each wrist must be: 0 scores 0, this scores 1.
    crossed_overlap: float = 0.15
    #: Wrist height above the hips (torso lengths): the band where crossed arms are.
    crossed_height: Tuple[float, float] = (0.3, 1.1)

    # -- stop (open palm towards the camera, held still) --------------------------------------
    #: Finger tip-to-wrist over knuckle-to-wrist ratio: curled below the first, straight above the second.
    finger_extension: Tuple[float, float] = (1.4, 1.7)
    #: Cosine between the palm's normal and the direction to the camera: from / sure.
    palm_facing_cos: Tuple[float, float] = (0.3, 0.6)
    #: Wrist height above the elbow (torso lengths): forearm raised from / sure.
    stop_forearm_up: Tuple[float, float] = (0.05, 0.2)
    #: Wrist speed (torso lengths per second) above which the hand is moving, not held.
    stop_max_speed: float = 0.8

    # -- come here (fingers curling repeatedly, wrist still) -----------------------------------
    #: Window (s) in which the hand's changes between open and curled (``finger_extension``'s
    #: two ends, so jitter in between never counts) are counted, and the changes for a sure score.
    come_here_window_s: float = 2.0
    come_here_reversals: int = 3

    def __post_init__(self):
        def fail(name, why):
            raise ValueError(f"GestureSettings.{name}: {why}")

        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                fail(f.name, f"must be finite, got {value}")
        if not 0.0 <= self.off_threshold < self.on_threshold <= 1.0:
            fail("on_threshold", f"need 0 <= off_threshold < on_threshold <= 1, got off {self.off_threshold}, "
                 f"on {self.on_threshold}")
        for name in ("min_hold_s", "min_release_s", "cooldown_s", "confidence_time_constant_s"):
            if getattr(self, name) < 0:
                fail(name, f"must be >= 0, got {getattr(self, name)}")
        for name in ("max_gap_s", "wave_window_s", "pointing_jitter_window_s", "come_here_window_s",
                     "wave_min_swing", "crossed_overlap", "stop_max_speed",
                     "pointing_landmark_noise_m"):
            if not getattr(self, name) > 0:
                fail(name, f"must be > 0, got {getattr(self, name)}")
        for name in ("wave_reversals", "come_here_reversals"):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 2:
                fail(name, f"must be an integer >= 2, got {getattr(self, name)}")
        for name in ("raised_height", "wave_height", "point_elbow_deg", "point_from_down_deg", "point_from_up_deg",
                     "crossed_height", "finger_extension", "visibility", "palm_facing_cos", "stop_forearm_up"):
            lo_hi = getattr(self, name)
            if len(lo_hi) != 2 or not all(math.isfinite(v) for v in lo_hi) or not lo_hi[0] < lo_hi[1]:
                fail(name, f"must be (low, high) with low < high, got {lo_hi}")
        if not 0.0 <= self.pointing_base_uncertainty_deg < 180.0:
            fail("pointing_base_uncertainty_deg", f"must be in [0, 180), got {self.pointing_base_uncertainty_deg}")
        if self.pointing_plane is not None:
            plane = tuple(self.pointing_plane)
            if len(plane) != 4 or not all(math.isfinite(v) for v in plane) or math.hypot(*plane[:3]) == 0:
                fail("pointing_plane", f"must be (nx, ny, nz, d) with a non-zero normal, got {self.pointing_plane}")
        unknown = set(self.enabled) - ALL_GESTURES
        if unknown:
            fail("enabled", f"unknown gestures {sorted(unknown)}; choose from {sorted(ALL_GESTURES)}")
