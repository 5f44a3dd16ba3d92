"""Hand gestures over time: MediaPipe's per-frame canned labels -> onset and end events.

MediaPipe's GestureRecognizer classifies every frame on its own, so a held Thumb_Up flickers
(one frame Pointing_Up, one frame None) and a robot behaviour would have to debounce it. Here,
per hand track:

1. smoothing: a label's per-frame score is the share of the last :data:`LABEL_WINDOW` frames
   that gave it (a majority of three), so a one-frame flip scores 1/3, under the
   debouncer's ``off_threshold``, and is gone, while a label held on two frames of three
   scores 2/3, over its ``on_threshold``;
2. the body gestures' :class:`~holistic_ros.gestures.debounce.Debouncer` per track and label,
   with the same :class:`~holistic_ros.gestures.settings.GestureSettings` (hysteresis, hold,
   release, cooldown): a Thumb_Up held for a second is one onset and one end.

"None" (MediaPipe's background label) is no gesture and never fires. A hand that is absent, or
not plausibly a hand (its presence under ``min_presence``; on a body that is not plausibly a
person, :func:`~holistic_ros.gestures.plausibility.person_plausibility`), gives no label that
frame. A track is identified by the palm tracker's hand track id, else by its person and side.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Deque, Dict, Hashable, List, Optional, Sequence, Tuple

from .debounce import Debouncer
from .settings import GestureSettings
from .types import EventKind

#: Frames over which a label's share is its score (a majority of three removes one-frame flips).
LABEL_WINDOW = 3
#: MediaPipe's background label (hand_gesture_recognizer_graph.cc kBackgroundLabel): no gesture.
BACKGROUND_LABEL = "None"
#: Hand presence (the hand model's score) under which its label is not read: MediaPipe's own
#: presence threshold (hand_landmark_cpu.pbtxt, min_tracking_confidence 0.5).
MIN_HAND_PRESENCE = 0.5


@dataclass(frozen=True)
class HandObservation:
    """One hand in one frame, as the gesture layer reads it.

    ``label``: its canned gesture (None when not classified); ``presence``: the hand model's
    score; ``person_id``: the body it belongs to, or None; ``side``: the subject's side;
    ``hand_track_id``: the palm tracker's id, or None for a hand cut from a body's wrist;
    ``plausible``: False when the body it belongs to is not plausibly a person.
    """

    label: Optional[str]
    presence: float
    side: Optional[str]
    person_id: Optional[int] = None
    hand_track_id: Optional[int] = None
    plausible: bool = True

    @property
    def key(self) -> Hashable:
        return ("hand", self.hand_track_id) if self.hand_track_id is not None else ("person", self.person_id,
                                                                                     self.side)


@dataclass(frozen=True)
class HandGestureEvent:
    """A debounced onset or end of a canned hand gesture on one hand track."""

    kind: EventKind
    label: str
    person_id: Optional[int]
    side: Optional[str]
    hand_track_id: Optional[int]
    timestamp: float
    confidence: float
    #: Seconds the gesture was held (0 at onset).
    duration: float = 0.0


@dataclass(frozen=True)
class ActiveHandGesture:
    label: str
    person_id: Optional[int]
    side: Optional[str]
    hand_track_id: Optional[int]
    confidence: float
    since: float


class _Track:
    def __init__(self, settings: GestureSettings, obs: HandObservation):
        self.settings = settings
        self.labels: Deque[Optional[str]] = deque(maxlen=LABEL_WINDOW)
        self.debouncers: Dict[str, Debouncer] = {}
        self.obs = obs
        self.last_seen = -math.inf

    def debouncer(self, label: str) -> Debouncer:
        if label not in self.debouncers:
            self.debouncers[label] = Debouncer(self.settings)
        return self.debouncers[label]


class HandGestureEvents:
    """Canned hand labels of every hand track over time: ``update(observations, t)``.

    Never raises on bad timestamps: one that is not finite, does not increase or jumps by more
    than ``settings.max_gap_s`` ends every active gesture (with an event) and starts over. A
    track not seen for ``max_gap_s`` is forgotten, its active gestures ended.
    """

    def __init__(self, settings: Optional[GestureSettings] = None, min_presence: float = MIN_HAND_PRESENCE):
        self.settings = settings or GestureSettings()
        self.min_presence = float(min_presence)
        self._tracks: Dict[Hashable, _Track] = {}
        self._last_t: Optional[float] = None

    def reset(self) -> None:
        self._tracks.clear()
        self._last_t = None

    def _end_all(self, t: float, keys=None) -> List[HandGestureEvent]:
        events = []
        for key in list(self._tracks if keys is None else keys):
            track = self._tracks.pop(key)
            for label, deb in track.debouncers.items():
                if deb.active:
                    events.append(self._event(EventKind.END, label, track.obs, t, deb, t - (deb.onset_time or t)))
        return events

    @staticmethod
    def _event(kind, label, obs: HandObservation, t, deb: Debouncer, duration=0.0) -> HandGestureEvent:
        return HandGestureEvent(kind, label, obs.person_id, obs.side, obs.hand_track_id, t, deb.confidence, duration)

    def update(self, observations: Sequence[HandObservation], timestamp: float
               ) -> Tuple[Tuple[HandGestureEvent, ...], Tuple[ActiveHandGesture, ...]]:
        """This frame's hands -> (events, gestures active now)."""
        t = float(timestamp) if timestamp is not None else math.nan
        events: List[HandGestureEvent] = []
        if not math.isfinite(t):
            return tuple(self._end_all(self._last_t or 0.0)), ()
        if self._last_t is not None and (t <= self._last_t or t - self._last_t > self.settings.max_gap_s):
            events += self._end_all(t)
        self._last_t = t
        seen = set()
        for obs in observations:
            key = obs.key
            if key in seen:
                continue   # one observation per track and frame
            seen.add(key)
            track = self._tracks.get(key)
            if track is None:
                track = self._tracks[key] = _Track(self.settings, obs)
            track.obs, track.last_seen = obs, t
            readable = (obs.plausible and obs.label is not None and obs.label != BACKGROUND_LABEL
                        and math.isfinite(obs.presence) and obs.presence >= self.min_presence)
            track.labels.append(obs.label if readable else None)
        for key, track in self._tracks.items():
            if key not in seen:
                track.labels.append(None)   # absent this frame
        stale = [k for k, tr in self._tracks.items() if t - tr.last_seen > self.settings.max_gap_s]
        events += self._end_all(t, stale)
        active: List[ActiveHandGesture] = []
        for track in self._tracks.values():
            window = list(track.labels)
            for label in set(l for l in window if l is not None) | set(track.debouncers):
                score = sum(l == label for l in window) / LABEL_WINDOW
                deb = track.debouncer(label)
                was_on = deb.onset_time
                kind = deb.update(score, t)
                if kind is EventKind.ONSET:
                    events.append(self._event(kind, label, track.obs, t, deb))
                elif kind is EventKind.END:
                    events.append(self._event(kind, label, track.obs, t, deb, t - (was_on or t)))
                if deb.active:
                    o = track.obs
                    active.append(ActiveHandGesture(label, o.person_id, o.side, o.hand_track_id, deb.confidence,
                                                    deb.onset_time))
        return tuple(events), tuple(active)
