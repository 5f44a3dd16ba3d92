"""What the body gesture layer returns: gestures, events, pointing rays, one frame's output."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple

import numpy as np


class BodyGesture(str, enum.Enum):
    """Body gestures. Names map one to one onto ros4hri ``hri_msgs/Gesture`` constants where
    those exist (ARMS_CROSSED=2, LEFT_HAND_RAISED=3, RIGHT_HAND_RAISED=4, BOTH_HANDS_RAISED=5,
    WAVING=6); POINTING, STOP and COME_HERE are ours (see :data:`HRI_GESTURE_CODES`)."""

    LEFT_HAND_RAISED = "left_hand_raised"
    RIGHT_HAND_RAISED = "right_hand_raised"
    BOTH_HANDS_RAISED = "both_hands_raised"
    WAVING = "waving"
    POINTING = "pointing"
    ARMS_CROSSED = "arms_crossed"
    STOP = "stop"
    COME_HERE = "come_here"


#: ros4hri hri_msgs/msg/Gesture.msg constants (ros4hri/hri_msgs) for the gestures that have one.
HRI_GESTURE_CODES: Mapping[BodyGesture, int] = {
    BodyGesture.ARMS_CROSSED: 2,
    BodyGesture.LEFT_HAND_RAISED: 3,
    BodyGesture.RIGHT_HAND_RAISED: 4,
    BodyGesture.BOTH_HANDS_RAISED: 5,
    BodyGesture.WAVING: 6,
}

#: Which side makes a gesture: the subject's own "left" / "right" (as Holistic), "both", or None.
Side = Optional[str]

#: Gestures made by one hand or arm (recognised per side); the others are whole-body.
PER_SIDE = (BodyGesture.WAVING, BodyGesture.POINTING, BodyGesture.STOP, BodyGesture.COME_HERE)
#: The side a whole-body gesture reports.
BODY_SIDE = {BodyGesture.LEFT_HAND_RAISED: "left", BodyGesture.RIGHT_HAND_RAISED: "right",
             BodyGesture.BOTH_HANDS_RAISED: "both", BodyGesture.ARMS_CROSSED: "both"}


@dataclass(frozen=True)
class ActiveGesture:
    """A gesture held now (after debouncing)."""

    gesture: BodyGesture
    side: Side
    #: 0..1: exponential average of the per-frame score since onset.
    confidence: float
    #: Timestamp (s) of its onset event.
    since: float


class EventKind(str, enum.Enum):
    ONSET = "onset"
    END = "end"


@dataclass(frozen=True)
class GestureEvent:
    """A debounced onset or end of a gesture."""

    kind: EventKind
    gesture: BodyGesture
    side: Side
    timestamp: float
    confidence: float
    #: Seconds the gesture was held (0 at onset).
    duration: float = 0.0


@dataclass(frozen=True)
class PointingRay:
    """A pointing arm as a ray ``origin + t * direction``, t >= 0, in metres.

    ``in_camera_frame``: True when built from camera-frame points (x right, y down, z ahead);
    False: the pose world landmarks' frame (origin between the hips, camera-aligned axes).
    """

    side: str
    origin: np.ndarray            # (3,)
    direction: np.ndarray         # (3,) unit
    #: Half-angle (rad) of the cone the true direction is believed to lie in.
    angular_uncertainty: float
    in_camera_frame: bool
    #: Where the ray meets the settings' plane, or None (no plane, parallel, or behind).
    plane_point: Optional[np.ndarray] = None


@dataclass(frozen=True)
class GestureFrame:
    """One frame of the body gesture layer for one person."""

    timestamp: float
    active: Tuple[ActiveGesture, ...] = ()
    events: Tuple[GestureEvent, ...] = ()
    #: Per-frame scores before debouncing, keyed by (gesture, side).
    scores: Mapping[Tuple[BodyGesture, Side], float] = field(default_factory=dict)
    pointing: Tuple[PointingRay, ...] = ()
    #: Why the temporal state was reset on this frame ("nan", "time went back", "gap"), else None.
    reset_reason: Optional[str] = None

    def is_active(self, gesture: BodyGesture, side: Side = None) -> bool:
        """Whether ``gesture`` (on ``side``, or on any side when None) is active."""
        return any(a.gesture == gesture and (side is None or a.side == side) for a in self.active)
