"""Debouncing: per-frame scores in, onset and end events out (hysteresis, hold, cooldown)."""

from __future__ import annotations

import math
from collections import deque
from typing import Deque, Optional, Tuple

from .settings import GestureSettings
from .types import EventKind


class Debouncer:
    """One gesture on one side: a two-state machine over its per-frame score.

    Off -> on: the score reaches ``on_threshold`` (outside the cooldown) and then stays at or
    above ``off_threshold`` for ``min_hold_s``. On -> off: the score stays under
    ``off_threshold`` for ``min_release_s``; the cooldown starts then. Two thresholds and two
    hold times keep a score that hovers near one threshold from flickering on and off.
    """

    def __init__(self, settings: GestureSettings):
        self.settings = settings
        self.reset()

    def reset(self) -> None:
        self.active = False
        self.onset_time: Optional[float] = None
        self.confidence = 0.0
        self._pending_since: Optional[float] = None
        self._release_since: Optional[float] = None
        self._cooldown_until = -math.inf
        self._last_t: Optional[float] = None

    def _average(self, score: float, t: float) -> None:
        tau = self.settings.confidence_time_constant_s
        if self._last_t is None or tau == 0.0:
            self.confidence = score
        else:
            alpha = 1.0 - math.exp(-max(t - self._last_t, 0.0) / tau)
            self.confidence += alpha * (score - self.confidence)
        self._last_t = t

    def update(self, score: float, t: float) -> Optional[EventKind]:
        """Feed this frame's score (0..1) at time ``t``; returns the event it causes, if any."""
        s = self.settings
        score = min(max(float(score), 0.0), 1.0) if math.isfinite(score) else 0.0
        if not self.active:
            if self._pending_since is None:
                if score >= s.on_threshold and t >= self._cooldown_until:
                    self._pending_since = t
                    self._last_t = None   # the confidence starts from this frame
            elif score < s.off_threshold:
                self._pending_since = None
            if self._pending_since is None:
                return None
            self._average(score, t)
            if t - self._pending_since >= s.min_hold_s:
                self.active, self.onset_time, self._release_since = True, t, None
                return EventKind.ONSET
            return None
        self._average(score, t)
        if score >= s.off_threshold:
            self._release_since = None
            return None
        if self._release_since is None:
            self._release_since = t
        if t - self._release_since >= s.min_release_s:
            self.active, self._pending_since = False, None
            self._cooldown_until = t + s.cooldown_s
            return EventKind.END
        return None


class ReversalCounter:
    """Direction reversals of a 1-D signal, each at least ``min_swing`` from the last extreme.

    The swing threshold makes it deaf to landmark jitter: a reversal counts only once the
    signal has come back by ``min_swing`` from its extreme. The signal is first taken
    through a median of its last three samples, which removes a one-frame spike: a pose
    track that jumps for one frame and back (seen on real footage, where it made a reaching
    hand "wave") is a tracking glitch, not a swing. Returns how many reversals fall in the
    last ``window_s`` seconds.
    """

    def __init__(self, min_swing: float, window_s: float):
        self.min_swing, self.window_s = float(min_swing), float(window_s)
        self.reset()

    def reset(self) -> None:
        self._ref: Optional[float] = None
        self._extreme = 0.0
        self._direction = 0
        self._times: Deque[float] = deque()
        self._last: Deque[float] = deque(maxlen=3)

    def update(self, value: float, t: float) -> int:
        self._last.append(float(value))
        value = sorted(self._last)[len(self._last) // 2] if len(self._last) == 3 else self._last[0]
        if self._ref is None:
            self._ref = self._extreme = value
        elif self._direction == 0:
            if abs(value - self._ref) >= self.min_swing:
                self._direction = 1 if value > self._ref else -1
                self._extreme = value
        elif (value - self._extreme) * self._direction > 0:
            self._extreme = value          # still going the same way
        elif abs(self._extreme - value) >= self.min_swing:
            self._times.append(t)          # came back far enough: the extreme was a reversal
            self._ref, self._extreme, self._direction = self._extreme, value, -self._direction
        while self._times and self._times[0] < t - self.window_s:
            self._times.popleft()
        return len(self._times)


class SchmittCounter:
    """Changes of a signal between "low" (at or under ``low_high[0]``) and "high" (at or over
    ``low_high[1]``) in the last ``window_s`` seconds; values in between change nothing."""

    def __init__(self, low_high: Tuple[float, float], window_s: float):
        self.low, self.high = low_high
        self.window_s = float(window_s)
        self.reset()

    def reset(self) -> None:
        self._state: Optional[bool] = None
        self._times: Deque[float] = deque()

    def update(self, value: float, t: float) -> int:
        state = True if value >= self.high else False if value <= self.low else self._state
        if state is not None and self._state is not None and state != self._state:
            self._times.append(t)
        self._state = state
        while self._times and self._times[0] < t - self.window_s:
            self._times.popleft()
        return len(self._times)


class TimedHistory:
    """(time, value) pairs of the last ``window_s`` seconds."""

    def __init__(self, window_s: float):
        self.window_s = float(window_s)
        self.items: Deque[Tuple[float, object]] = deque()

    def reset(self) -> None:
        self.items.clear()

    def add(self, t: float, value) -> None:
        self.items.append((t, value))
        while self.items and self.items[0][0] < t - self.window_s:
            self.items.popleft()
