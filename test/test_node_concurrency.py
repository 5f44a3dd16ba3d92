"""holistic_node with ``pipelined: true``: a frame's outputs are published from the core's
branch thread while parameter changes come from the executor's. The people's gesture
state (one recogniser per person id) must come out of a change whole: every recogniser
after it has the new settings, and no frame is lost to it.

The pipeline is a stand-in with Holistic's ``submit`` (the frame completes on a branch
thread of its own, where the node publishes it), so that many frames and parameter
changes meet within seconds; and a recogniser takes a millisecond to build (as on a
loaded machine), which makes an unguarded interleaving likely on every change.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pytest

from conftest import require_messages

require_messages()
pytestmark = pytest.mark.ros

from rclpy.parameter import Parameter  # noqa: E402
from std_msgs.msg import Header  # noqa: E402

from holistic_ros.gestures import person as person_module  # noqa: E402
from holistic_ros.pipeline.result import HolisticResult  # noqa: E402
from holistic_ros.ros.image_conversion import rgb_to_image_msg  # noqa: E402
from test_body_gestures import REST, pose_world  # noqa: E402
from test_node import start  # noqa: E402

STAYING = 4        # people in every frame
STAY_FRAMES = 5    # and one newcomer a frame, who stays this many frames
CHANGES = 60       # parameter changes, each checked two frames later
HOLDS = (0.25, 0.3)   # gestures.min_hold_s, alternated: every change resets the gesture state
BUILD_S = 0.005    # what building a recogniser takes here


def _person(person_id: int) -> HolisticResult:
    world = pose_world(REST).astype(np.float32)
    image = world.copy()
    image[:, :3] = world[:, :3] * 0.3 + np.float32([0.5, 0.6, 0.0])
    return HolisticResult(pose_landmarks=image, pose_presence=np.ones(33, np.float32), pose_world_landmarks=world,
                          pose_score=0.9, image_size=(64, 48), person_id=person_id)


class BranchThreadPipeline:
    """``submit`` returns at once; the result completes on a branch thread, as the core's does."""

    def __init__(self, **kwargs):
        self.kwargs, self.frames, self.providers = kwargs, 0, ["FakeExecutionProvider"]
        self._branch = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fake-branch")

    def submit(self, rgb, timestamp=None):
        self.frames += 1
        return self._branch.submit(self._result, self.frames)

    def process(self, rgb, timestamp=None):
        return self.submit(rgb, timestamp).result()

    @staticmethod
    def _result(frame: int) -> HolisticResult:
        people = tuple(_person(k) for k in range(1, STAYING + 1)) + tuple(
            _person(1000 + k) for k in range(max(0, frame - STAY_FRAMES + 1), frame + 1))
        return replace(people[0], people=people)

    def set_thresholds(self, **_):
        pass

    def close(self):
        self._branch.shutdown(wait=True)


class SlowRecognizer(person_module.BodyGestureRecognizer):
    def __init__(self, settings=None):
        super().__init__(settings)
        time.sleep(BUILD_S)


def test_gesture_parameter_changes_while_pipelined_frames_publish(context, monkeypatch):
    monkeypatch.setattr(person_module, "BodyGestureRecognizer", SlowRecognizer)
    harness = start(context, {"recognize_gestures": True, "use_camera_info": False, "pipelined": True},
                    factory=BranchThreadPipeline, namespace="c")
    node = harness.node
    stop = threading.Event()
    rgb = np.zeros((48, 64, 3), np.uint8)

    def feed():   # the node's worker: one frame after another
        frame = 0
        while not stop.is_set():
            frame += 1
            header = Header(frame_id="cam")
            header.stamp.sec, header.stamp.nanosec = 1 + frame // 30, (frame % 30) * 33_000_000
            node.process_image(rgb_to_image_msg(rgb, header))

    def frames_published() -> int:
        with node._stats.lock:
            return node._stats.total_processed

    feeder = threading.Thread(target=feed, name="feeder")
    feeder.start()
    try:
        for change in range(CHANGES):
            hold = HOLDS[change % 2]
            assert node.set_parameters([Parameter("gestures.min_hold_s", value=hold)])[0].successful
            seen = frames_published()
            harness.wait_for(lambda: frames_published() >= seen + 2, "frames after the change")
            stale = sorted(pid for pid, recognizer in list(node._gesture_tracks._by_id.items())
                           if recognizer.settings.min_hold_s != hold)
            assert not stale, f"change {change}: people {stale} kept the gesture settings from before it"
        with node._stats.lock:
            errors, last_error = node._stats.total_errors, node._stats.last_error
        assert errors == 0, f"{errors} frame(s) failed while parameters changed: {last_error}"
        assert frames_published() >= 2 * CHANGES
    finally:
        stop.set()
        feeder.join(timeout=10.0)
        harness.close()
