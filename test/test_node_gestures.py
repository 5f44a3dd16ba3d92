"""Gestures through holistic_node: debounced body gestures reach holistic/people and, once
each, holistic/gesture_events (reliable), with the image's header and the person's id.

The pipeline is a stand-in that replays a synthetic stick figure raising both hands (the
body gesture layer is tested on its own in test_body_gestures.py; this checks the wiring)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import require_messages

require_messages()
pytestmark = pytest.mark.ros

from std_msgs.msg import Header  # noqa: E402

from holistic_ros.msg import Gesture, GestureEvent, HolisticPeople  # noqa: E402
from holistic_ros.pipeline.result import HolisticResult  # noqa: E402
from holistic_ros.ros.image_conversion import rgb_to_image_msg  # noqa: E402
from test_body_gestures import REST, both_raised, pose_world  # noqa: E402
from test_node import start  # noqa: E402

FPS = 30
RAISE_FROM = 10      # frames at rest, then both hands up


class RaisingPipeline:
    """Rest for RAISE_FROM frames, then both hands raised; image landmarks follow the world ones."""

    def __init__(self, **kwargs):
        self.kwargs, self.frames, self.providers = kwargs, 0, ["FakeExecutionProvider"]

    def process(self, rgb, timestamp=None):
        arms = REST if self.frames < RAISE_FROM else both_raised(0.0)
        self.frames += 1
        world = pose_world(arms).astype(np.float32)
        image = world.copy()
        image[:, :3] = world[:, :3] * 0.3 + np.float32([0.5, 0.6, 0.0])
        # a face found on the body: gestures fire only on a plausible person (gestures/plausibility.py)
        face = np.tile(image[:1, :3], (468, 1))
        return HolisticResult(pose_landmarks=image, pose_presence=np.ones(33, np.float32),
                              pose_world_landmarks=world, pose_score=0.9, face_landmarks=face,
                              image_size=(rgb.shape[1], rgb.shape[0]))

    def set_thresholds(self, **_):
        pass

    def close(self):
        pass


def _header(i: int) -> Header:
    h = Header(frame_id="cam")
    ns = 1_000_000_000 + i * 1_000_000_000 // FPS
    h.stamp.sec, h.stamp.nanosec = ns // 1_000_000_000, ns % 1_000_000_000
    return h


def test_a_held_gesture_gives_one_onset_event_and_shows_in_the_person_message(context):
    harness = start(context, {"recognize_gestures": True, "use_camera_info": False},
                    factory=RaisingPipeline, namespace="g")
    node = harness.node
    events, people = [], []
    harness.probe.create_subscription(GestureEvent, node._events_pub.topic_name, events.append, 50)
    harness.probe.create_subscription(HolisticPeople, node._people_pub.topic_name, people.append, 50)
    harness.wait_for(lambda: node._events_pub.get_subscription_count() > 0
                     and node._people_pub.get_subscription_count() > 0, "discovery")
    try:
        rgb = np.zeros((48, 64, 3), np.uint8)
        n = RAISE_FROM + FPS   # one second with both hands up
        for i in range(n):
            node.process_image(rgb_to_image_msg(rgb, _header(i)))   # synchronously, in frame order
        harness.wait_for(lambda: len(people) == n, "every frame's people message")
        harness.wait_for(lambda: events, "a gesture event")
        onsets = [e for e in events if e.kind == GestureEvent.ONSET]
        both = [e for e in onsets if e.gesture.gesture == Gesture.BOTH_HANDS_RAISED]
        assert len(both) == 1, [(e.gesture.name, e.kind) for e in events]
        event = both[0]
        assert event.person_id == 0 and event.gesture.name == "both_hands_raised"
        assert event.gesture.side == Gesture.SIDE_BOTH and 0.0 < event.gesture.confidence <= 1.0
        frame_of_event = next(i for i in range(n) if _header(i).stamp == event.header.stamp)
        assert frame_of_event >= RAISE_FROM            # not before the hands went up (debounced)
        # Nothing fired while at rest.
        assert all(_header(i).stamp != e.header.stamp for e in onsets for i in range(RAISE_FROM))
        # From the onset on, the person message lists it as active.
        by_stamp = {(m.header.stamp.sec, m.header.stamp.nanosec): m for m in people}
        last = by_stamp[(_header(n - 1).stamp.sec, _header(n - 1).stamp.nanosec)]
        active = {(g.gesture, g.side) for g in last.people[0].gestures}
        assert (Gesture.BOTH_HANDS_RAISED, Gesture.SIDE_BOTH) in active
    finally:
        harness.close()
