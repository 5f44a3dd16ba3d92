"""Stamp matching of depth and camera_info to images (holistic_ros.ros.sync), no ROS needed."""

from __future__ import annotations

import threading
import time

import pytest

from holistic_ros.ros.sync import StampBuffer


def test_nearest_within_slop_wins_whatever_the_arrival_order():
    buf = StampBuffer(queue_size=10, slop=0.02)
    for stamp in (10.05, 10.00, 10.10, 9.95):   # out of order
        buf.add(stamp, f"m{stamp:.2f}")
    assert buf.match(10.004) == "m10.00"
    assert buf.match(10.046) == "m10.05"
    assert buf.match(10.075) is None             # 0.025 from both neighbours: outside the slop
    assert buf.nearest_gap(10.075) == pytest.approx(0.025)
    assert buf.match(11.0) is None


def test_only_the_newest_queue_size_messages_are_kept():
    buf = StampBuffer(queue_size=3, slop=0.001)
    for i in range(6):
        buf.add(float(i), i)
    assert [buf.match(float(i)) for i in range(6)] == [None, None, None, 3, 4, 5]
    assert buf.latest() == (5.0, 5)


def test_wait_for_returns_when_the_match_arrives():
    buf = StampBuffer(slop=0.01)
    threading.Timer(0.05, buf.add, args=(5.0, "depth")).start()
    assert buf.wait_for(5.0, timeout=5.0) == "depth"


def test_wait_for_gives_up_at_once_when_a_newer_message_shows_the_match_cannot_come():
    buf = StampBuffer(slop=0.01)
    buf.add(6.0, "later")
    start = time.monotonic()
    assert buf.wait_for(5.0, timeout=5.0) is None
    assert time.monotonic() - start < 2.0        # did not wait for the timeout


def test_wait_for_times_out_without_messages():
    assert StampBuffer(slop=0.01).wait_for(1.0, timeout=0.05) is None


@pytest.mark.parametrize("kwargs", [{"queue_size": 0}, {"slop": -0.1}, {"slop": float("nan")}])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        StampBuffer(**kwargs)
