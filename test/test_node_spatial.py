"""holistic_node with depth and camera_info: camera-frame 3D, TF at the image stamp, and
bad spatial input that never stops the 2D output. Real rclpy over Fast DDS, the real core,
a real photo; the depth is synthetic (a flat wall) so its truth is known."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from conftest import import_or_skip, load_rgb, require_messages

require_messages()
pytestmark = [pytest.mark.ros, pytest.mark.slow]

from sensor_msgs.msg import CameraInfo  # noqa: E402

from holistic_ros.msg import HolisticPeople  # noqa: E402
from holistic_ros.ros.image_conversion import array_to_image_msg, rgb_to_image_msg  # noqa: E402
from test_node import Harness, header, start  # noqa: E402

tf2_msgs = import_or_skip("tf2_msgs.msg", "tf2_msgs not built (make build builds a test copy)")

WALL_M = 2.5        # depth of the synthetic wall the person stands against
HFOV_DEG = 60.0


@pytest.fixture(scope="module")
def person(images_dir: Path):
    path = images_dir / "tfe_businessman_standing.jpg"
    return load_rgb(path)


def camera_info(sec: int, width: int, height: int, zero_k: bool = False) -> CameraInfo:
    f = (width / 2.0) / math.tan(math.radians(HFOV_DEG) / 2.0)
    info = CameraInfo(header=header(sec), width=width, height=height, distortion_model="plumb_bob")
    info.k = [0.0] * 9 if zero_k else [f, 0.0, (width - 1) / 2.0, 0.0, f, (height - 1) / 2.0, 0.0, 0.0, 1.0]
    info.d = [0.0] * 5
    return info


class SpatialProbe:
    """Publishers for camera_info and depth, subscribers for people and /tf, on the harness's probe."""

    def __init__(self, harness: Harness):
        node, probe = harness.node, harness.probe
        self.harness = harness
        self.people, self.tf = [], []
        probe.create_subscription(HolisticPeople, node._people_pub.topic_name, self.people.append, 50)
        probe.create_subscription(tf2_msgs.TFMessage, "/tf", self.tf.append, 100)
        self.info_pub = probe.create_publisher(CameraInfo, node._info_sub.topic_name, 10)
        self.depth_pub = (probe.create_publisher(type(rgb_to_image_msg(np.zeros((1, 1, 3), np.uint8), header(0))),
                                                 node._depth_sub.topic_name, 10)
                          if node._depth_buffer is not None else None)
        harness.wait_for(lambda: node._people_pub.get_subscription_count() > 0
                         and node._info_sub.get_publisher_count() > 0
                         and (self.depth_pub is None or node._depth_sub.get_publisher_count() > 0),
                         "discovery of the spatial topics")

    def people_for(self, sec: int) -> HolisticPeople:
        found = []

        def arrived():
            found[:] = [m for m in list(self.people) if m.header.stamp.sec == sec]
            return bool(found)

        self.harness.wait_for(arrived, f"people stamped {sec}")
        return found[0]


def _start(context, person, **params):
    harness = start(context, {"static_image_mode": True, "use_camera_info": True, **params},
                    factory=None, namespace="spatial")
    return harness, SpatialProbe(harness)


def test_depth_and_camera_info_put_the_person_on_the_wall_with_tf_at_the_image_stamp(context, person):
    height, width = person.shape[:2]
    harness, probe = _start(context, person, use_depth=True, depth_wait=2.0)
    try:
        # Depth at half resolution in millimetres: units and scale come from the message.
        depth = np.full((height // 2, width // 2), int(WALL_M * 1000), np.uint16)
        probe.info_pub.publish(camera_info(3, width, height))
        probe.depth_pub.publish(array_to_image_msg(depth, header(3), "16UC1"))
        harness.wait_for(lambda: harness.node._depth_buffer.latest() is not None
                         and harness.node._info_buffer.latest() is not None, "depth and camera_info in")
        harness.image_pub.publish(rgb_to_image_msg(person, header(3)))
        msg = probe.people_for(3)
        assert msg.header == header(3) and len(msg.people) == 1
        p = msg.people[0]
        assert p.located and p.distance_source == "depth"
        points = np.array([(q.x, q.y, q.z) for q in p.pose_points])
        uv = np.array([(lm.x * width, lm.y * height) for lm in p.pose_landmarks])
        visible = np.array([lm.visibility > 0.5 for lm in p.pose_landmarks])
        inside = (uv[:, 0] >= 0) & (uv[:, 0] < width) & (uv[:, 1] >= 0) & (uv[:, 1] < height)
        measured = np.array(p.pose_point_sources) == 1
        assert np.count_nonzero(visible & inside & measured) >= 10
        np.testing.assert_allclose(points[visible & inside & measured, 2], WALL_M, atol=0.01)
        # Every point lies on its landmark's ray: it projects back onto the 2D landmark.
        f = (width / 2.0) / math.tan(math.radians(HFOV_DEG) / 2.0)
        projected = np.column_stack([f * points[:, 0] / points[:, 2] + (width - 1) / 2.0,
                                     f * points[:, 1] / points[:, 2] + (height - 1) / 2.0])
        assert np.max(np.abs(projected - uv)) < 2.0

        harness.wait_for(lambda: any(t.child_frame_id == f"body_{p.id}" for m in probe.tf for t in m.transforms),
                         "body frame on /tf")
        frames = {t.child_frame_id: t for m in probe.tf for t in m.transforms}
        body = frames[f"body_{p.id}"]
        assert body.header.stamp == header(3).stamp and body.header.frame_id == header(3).frame_id
        got = np.array([body.transform.translation.x, body.transform.translation.y, body.transform.translation.z])
        want = np.array([p.body_pose.position.x, p.body_pose.position.y, p.body_pose.position.z])
        np.testing.assert_allclose(got, want, atol=1e-6)
        assert f"head_{p.id}" in frames and f"face_{p.id}" in frames and f"gaze_{p.id}" in frames
    finally:
        harness.close()


def test_bad_spatial_input_is_reported_and_the_landmarks_go_on(context, person):
    height, width = person.shape[:2]
    harness, probe = _start(context, person, use_depth=True, depth_wait=0.5, sync_slop=0.01)
    node = harness.node
    try:
        # 1. Depth of another encoding: an error, the person is placed from the body model.
        probe.info_pub.publish(camera_info(4, width, height))
        probe.depth_pub.publish(rgb_to_image_msg(person, header(4)))
        harness.wait_for(lambda: node._depth_buffer.latest() is not None
                         and node._info_buffer.latest() is not None, "bad depth in")
        harness.image_pub.publish(rgb_to_image_msg(person, header(4)))
        p = probe.people_for(4).people[0]
        assert p.located and p.distance_source == "body_model"
        assert "unsupported depth encoding" in node._stats.last_error

        # 2. Depth stamps that never match: said, and the frame goes on without depth.
        probe.depth_pub.publish(array_to_image_msg(np.full((height, width), 2.0, np.float32), header(50), "32FC1"))
        harness.wait_for(lambda: node._depth_buffer.latest()[0] > 40, "late depth in")
        harness.image_pub.publish(rgb_to_image_msg(person, header(5)))
        assert probe.people_for(5).people[0].distance_source == "body_model"
        assert "no depth image within sync_slop" in node._stats.last_error

        # 3. camera_info with a zero K: an error, no camera-frame 3D, the 2D output goes on.
        probe.info_pub.publish(camera_info(6, width, height, zero_k=True))
        harness.wait_for(lambda: node._info_buffer.latest()[0] > 5.9, "zero-K camera_info in")
        harness.image_pub.publish(rgb_to_image_msg(person, header(6)))
        p = probe.people_for(6).people[0]
        assert not p.located and len(p.pose_landmarks) == 33
        assert "K is all zero" in node._stats.last_error
        assert node._stats.total_errors >= 3
    finally:
        harness.close()
