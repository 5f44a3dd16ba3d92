"""Match depth and camera_info to a colour image by header stamp.

message_filters (not on PyPI) is not used; this keeps its ApproximateTime semantics for
the case the node has: one reference stream (the colour image, of which the node takes
the newest) and secondary streams buffered by stamp. A secondary message matches an
image when their stamps differ by at most ``slop`` seconds; of several, the nearest wins.
Arrival order plays no part. Messages of one topic arrive in stamp order, so once a
message newer than ``stamp + slop`` is in, no match for ``stamp`` can still come.

Plain Python (stamps in seconds, any payload), so it is tested without ROS.
"""

from __future__ import annotations

import bisect
import threading
from typing import Any, List, Optional, Tuple


class StampBuffer:
    """The newest ``queue_size`` messages of one topic, by stamp (seconds)."""

    def __init__(self, queue_size: int = 10, slop: float = 0.05):
        if queue_size < 1:
            raise ValueError(f"queue_size must be >= 1, got {queue_size}")
        if not slop >= 0.0:
            raise ValueError(f"slop must be >= 0 seconds, got {slop}")
        self.queue_size = int(queue_size)
        self.slop = float(slop)
        self._stamps: List[float] = []
        self._messages: List[Any] = []
        self._cond = threading.Condition()

    def add(self, stamp: float, message: Any) -> None:
        with self._cond:
            i = bisect.bisect_right(self._stamps, stamp)
            self._stamps.insert(i, stamp)
            self._messages.insert(i, message)
            while len(self._stamps) > self.queue_size:
                self._stamps.pop(0)
                self._messages.pop(0)
            self._cond.notify_all()

    def latest(self) -> Optional[Tuple[float, Any]]:
        with self._cond:
            return (self._stamps[-1], self._messages[-1]) if self._stamps else None

    def _nearest(self, stamp: float) -> Optional[Tuple[float, Any]]:
        if not self._stamps:
            return None
        i = bisect.bisect_left(self._stamps, stamp)
        best = min((j for j in (i - 1, i) if 0 <= j < len(self._stamps)),
                   key=lambda j: abs(self._stamps[j] - stamp))
        return self._stamps[best], self._messages[best]

    def match(self, stamp: float) -> Optional[Any]:
        """The message nearest to ``stamp`` within ``slop``, or None."""
        with self._cond:
            found = self._nearest(stamp)
        if found is None or abs(found[0] - stamp) > self.slop:
            return None
        return found[1]

    def nearest_gap(self, stamp: float) -> Optional[float]:
        """Seconds between ``stamp`` and the nearest buffered stamp (None when empty): for
        saying how far apart two streams' stamps are when they never match."""
        with self._cond:
            found = self._nearest(stamp)
        return None if found is None else abs(found[0] - stamp)

    def wait_for(self, stamp: float, timeout: float) -> Optional[Any]:
        """Like :meth:`match`, waiting up to ``timeout`` seconds for the match to arrive.

        Returns at once when a match is in, or when a message newer than ``stamp + slop``
        shows that the matching one will not come."""
        with self._cond:
            def settled():
                found = self._nearest(stamp)
                if found is not None and abs(found[0] - stamp) <= self.slop:
                    return True
                return bool(self._stamps) and self._stamps[-1] > stamp + self.slop

            self._cond.wait_for(settled, timeout=max(0.0, timeout))
        return self.match(stamp)

    def clear(self) -> None:
        with self._cond:
            self._stamps.clear()
            self._messages.clear()
