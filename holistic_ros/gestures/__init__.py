"""Body gestures over time, pointing rays and debounced events (no ROS).

``BodyGestureRecognizer(settings).update(result, timestamp, points_cam=None) -> GestureFrame``,
one recogniser per tracked person. MediaPipe's per-frame hand gestures live in the pipeline
(:mod:`holistic_ros.pipeline.hand_gesture`, ``Holistic(recognize_gestures=True)``); over time,
per hand track, ``HandGestureEvents().update(observations, timestamp)`` turns them into onset and
end events with the same settings. No gesture fires on a body that is not plausibly a person
(:func:`person_plausibility`).
"""

from __future__ import annotations

from .hand_events import (ActiveHandGesture, HandGestureEvent, HandGestureEvents, HandObservation)
from .plausibility import Plausibility, person_plausibility
from .pointing import intersect_plane
from .recognizer import BodyGestureRecognizer
from .settings import ALL_GESTURES, GestureSettings
from .types import (HRI_GESTURE_CODES, ActiveGesture, BodyGesture, EventKind, GestureEvent, GestureFrame,
                    PointingRay)

__all__ = ["BodyGestureRecognizer", "GestureSettings", "GestureFrame", "GestureEvent", "ActiveGesture",
           "BodyGesture", "EventKind", "PointingRay", "HRI_GESTURE_CODES", "ALL_GESTURES", "intersect_plane",
           "HandGestureEvents", "HandObservation", "HandGestureEvent", "ActiveHandGesture", "Plausibility",
           "person_plausibility"]
