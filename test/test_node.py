"""holistic_node over real rclpy and Fast DDS.

The node runs in this process (its own rclpy Context) next to a probe node that
publishes images and listens to every output, both spun by one executor thread. The
first group of tests injects a fake pipeline (fast, deterministic); the second runs the
real core and compares the messages with the core's own output for the same image.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Callable, List, Optional

import numpy as np
import pytest

from conftest import WAIT_S, load_rgb, require_messages, skip_or_fail, wait_for

require_messages()
pytestmark = pytest.mark.ros

import rclpy  # noqa: E402
from diagnostic_msgs.msg import DiagnosticArray  # noqa: E402
from rclpy.context import Context  # noqa: E402
from rclpy.executors import MultiThreadedExecutor  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from rclpy.parameter_client import AsyncParameterClient  # noqa: E402
from sensor_msgs.msg import CompressedImage, Image  # noqa: E402
from std_msgs.msg import Header  # noqa: E402
from visualization_msgs.msg import Marker, MarkerArray  # noqa: E402

from holistic_ros.ros.image_conversion import image_msg_to_rgb, rgb_to_image_msg  # noqa: E402
from holistic_ros.msg import HolisticLandmarks  # noqa: E402
from holistic_ros.ros.node import HolisticNode  # noqa: E402
from holistic_ros.pipeline.result import HolisticResult  # noqa: E402
from holistic_ros.ros.markers import marker_id, namespace  # noqa: E402
from holistic_ros.ros.messages import landmarks_from_msgs  # noqa: E402



# --------------------------------------------------------------------------- fixtures
class FakePipeline:
    """Stands in for holistic_ros.Holistic: records calls, returns a fixed person."""

    instances: List["FakePipeline"] = []

    def __init__(self, **kwargs):
        if kwargs.get("models_dir") == "/nonexistent":
            raise RuntimeError("model file /nonexistent/pose_detection.onnx not found")
        self.kwargs = kwargs
        self.timestamps: List[float] = []
        self.thresholds: List[dict] = []
        self.closed = False
        self.block: Optional[threading.Event] = None
        self.entered = threading.Event()   # set when a frame enters process (before block)
        self.providers = ["FakeExecutionProvider"]
        FakePipeline.instances.append(self)

    def process(self, rgb, timestamp=None):
        self.entered.set()
        if self.block is not None:
            self.block.wait(WAIT_S)
        self.timestamps.append(timestamp)
        height, width = rgb.shape[:2]
        rng = np.random.default_rng(int(rgb.sum()) % 1000)
        mask = np.full((height, width), 0.25, np.float32) if self.kwargs["enable_segmentation"] else None
        return HolisticResult(
            pose_landmarks=rng.random((33, 4), dtype=np.float32),
            pose_presence=np.ones(33, np.float32),
            pose_world_landmarks=rng.random((33, 4), dtype=np.float32) - 0.5,
            face_landmarks=rng.random((468, 3), dtype=np.float32),
            left_hand_landmarks=rng.random((21, 3), dtype=np.float32),
            segmentation_mask=mask, pose_score=0.9, face_score=0.8, left_hand_score=0.7,
            image_size=(width, height))

    def set_thresholds(self, min_detection_confidence=None, min_tracking_confidence=None):
        self.thresholds.append(dict(min_detection_confidence=min_detection_confidence,
                                    min_tracking_confidence=min_tracking_confidence))

    def close(self):
        self.closed = True


class Harness:
    """A HolisticNode and a probe node, spun by one executor in a background thread."""

    def __init__(self, node: HolisticNode, context: Context):
        self.node = node
        self.probe = rclpy.create_node("probe", context=context)
        self.lock = threading.Lock()
        self.received = {"landmarks": [], "segmentation": [], "markers": [], "annotated": [],
                         "diagnostics": []}
        ns = node.get_namespace().rstrip("/")
        topics = {"landmarks": (HolisticLandmarks, f"{ns}/holistic/landmarks"),
                  "segmentation": (Image, f"{ns}/holistic/segmentation"),
                  "markers": (MarkerArray, f"{ns}/holistic/markers"),
                  "annotated": (Image, f"{ns}/holistic/annotated"),
                  "diagnostics": (DiagnosticArray, f"{ns}/diagnostics")}
        for key, (msg_type, topic) in topics.items():
            self.probe.create_subscription(msg_type, topic, self._keep(key), 50)
        image_type = CompressedImage if node._sub.topic_name.endswith("/compressed") else Image
        self.image_pub = self.probe.create_publisher(image_type, node._sub.topic_name, 10)
        self.executor = MultiThreadedExecutor(num_threads=2, context=context)
        self.executor.add_node(node)
        self.executor.add_node(self.probe)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()
        self.params = AsyncParameterClient(self.probe, node.get_fully_qualified_name())
        self.wait_for(lambda: node._landmarks_pub.get_subscription_count() > 0
                      and node._markers_pub.get_subscription_count() > 0
                      and node._sub.get_publisher_count() > 0, "discovery")

    def _keep(self, key: str) -> Callable:
        def callback(msg):
            with self.lock:
                self.received[key].append(msg)
        return callback

    def messages(self, key: str) -> list:
        with self.lock:
            return list(self.received[key])

    def wait_for(self, predicate: Callable[[], bool], what: str, timeout: float = WAIT_S):
        wait_for(predicate, what, timeout)

    def landmarks_for(self, stamp_sec: int, timeout: float = WAIT_S) -> HolisticLandmarks:
        found = []

        def arrived():
            found[:] = [m for m in self.messages("landmarks") if m.header.stamp.sec == stamp_sec]
            return bool(found)

        self.wait_for(arrived, f"landmarks stamped {stamp_sec}", timeout)
        return found[0]

    def set_params(self, **values):
        params = [Parameter(name.replace("__", "."), value=value) for name, value in values.items()]
        self.wait_for(lambda: self.params.services_are_ready(), "parameter services")
        future = self.params.set_parameters(params)
        self.wait_for(future.done, "set_parameters reply")
        return future.result().results

    def close(self):
        self.executor.shutdown(timeout_sec=5.0)
        self.thread.join(timeout=10.0)
        self.probe.destroy_node()
        self.node.destroy_node()


def start(context, overrides=None, factory=FakePipeline, namespace="t") -> Harness:
    params = [Parameter(name, value=value) for name, value in (overrides or {}).items()]
    node = HolisticNode(pipeline_factory=factory, context=context, namespace=namespace,
                        parameter_overrides=params)
    return Harness(node, context)


@pytest.fixture
def fake(context):
    FakePipeline.instances.clear()
    harness = start(context, {"enable_segmentation": True, "publish_annotated": True})
    yield harness
    harness.close()


def header(sec: int, frame_id: str = "camera_optical_frame") -> Header:
    h = Header(frame_id=frame_id)
    h.stamp.sec, h.stamp.nanosec = sec, 250000000
    return h


def image_msg(sec: int, rgb: Optional[np.ndarray] = None) -> Image:
    if rgb is None:
        rgb = np.full((48, 64, 3), sec % 256, np.uint8)
    return rgb_to_image_msg(rgb, header(sec))


# --------------------------------------------------------------------------- fake pipeline
def test_outputs_carry_the_input_header(fake):
    fake.image_pub.publish(image_msg(100))
    msg = fake.landmarks_for(100)
    assert msg.header == header(100)
    assert (msg.image_width, msg.image_height) == (64, 48)
    assert msg.pose_found and msg.face_found and msg.left_hand_found and not msg.right_hand_found
    assert len(msg.pose_landmarks) == 33 and msg.right_hand_landmarks == []
    assert math.isnan(msg.right_hand_score)

    fake.wait_for(lambda: fake.messages("segmentation") and fake.messages("annotated")
                  and fake.messages("markers"), "mask, annotated image and markers")
    mask = fake.messages("segmentation")[0]
    assert mask.header == header(100) and mask.encoding == "32FC1"
    assert (mask.width, mask.height) == (64, 48)
    np.testing.assert_array_equal(np.frombuffer(mask.data, "<f4"), 0.25)
    annotated = fake.messages("annotated")[0]
    assert annotated.header == header(100) and (annotated.width, annotated.height) == (64, 48)
    markers = fake.messages("markers")[0]
    drawn = {(m.ns, m.id) for m in markers.markers}
    parts = {(namespace(0, part), marker_id(0, part, what))
             for part in ("pose", "face", "left_hand") for what in ("lines", "points")}
    assert parts <= drawn   # one person (id 0 from a pipeline that gives no ids), the parts found
    assert not any(ns == namespace(0, "right_hand") for ns, _ in drawn)
    assert all(m.header.stamp == header(100).stamp for m in markers.markers)
    assert all(m.header.frame_id == "camera_optical_frame" for m in markers.markers)
    # the header stamp is the pipeline's timestamp
    assert FakePipeline.instances[-1].timestamps == [pytest.approx(100.25)]


def test_bad_messages_are_survived(fake):
    node = fake.node
    good = image_msg(7)
    bad_encoding = image_msg(1)
    bad_encoding.encoding = "16UC1"
    bad_step = image_msg(2)
    bad_step.step = 10
    truncated = image_msg(3)
    truncated.data = bytes(truncated.data)[:100]
    for n, bad in enumerate([bad_encoding, bad_step, truncated], start=1):
        fake.image_pub.publish(bad)
        fake.wait_for(lambda: node._stats.total_errors >= n, f"error count {n}")
    assert "truncated" in node._stats.last_error
    fake.image_pub.publish(good)
    assert fake.landmarks_for(7).pose_found
    assert [m.header.stamp.sec for m in fake.messages("landmarks")] == [7]


def test_stamps_going_back_reach_the_pipeline(fake):
    for sec in (50, 51, 20):
        fake.image_pub.publish(image_msg(sec))
        fake.landmarks_for(sec)
    assert FakePipeline.instances[-1].timestamps == [
        pytest.approx(50.25), pytest.approx(51.25), pytest.approx(20.25)]


def test_newest_frame_wins_and_drops_are_counted(fake):
    pipeline = FakePipeline.instances[-1]
    pipeline.block, pipeline.entered = threading.Event(), threading.Event()
    fake.image_pub.publish(image_msg(1))
    fake.wait_for(lambda: fake.node._stats.total_received == 1, "first frame")
    # Received is not yet taken: a frame arriving before the worker takes the first would
    # replace it (newest wins) and the first would be the one dropped.
    fake.wait_for(pipeline.entered.is_set, "the first frame in the pipeline")
    for sec in (2, 3, 4):
        fake.image_pub.publish(image_msg(sec))
        fake.wait_for(lambda: fake.node._stats.total_received == sec, f"frame {sec}")
    pipeline.block.set()
    fake.landmarks_for(4)
    assert [m.header.stamp.sec for m in fake.messages("landmarks")] == [1, 4]
    assert fake.node._stats.total_dropped == 2


def test_diagnostics_report_rates_and_provider(fake):
    fake.image_pub.publish(image_msg(9))
    fake.landmarks_for(9)

    def reported():
        for array in fake.messages("diagnostics"):
            values = {kv.key: kv.value for kv in array.status[0].values}
            if values.get("total_processed") == "1":
                return values
        return None

    fake.wait_for(lambda: reported() is not None, "diagnostics after one frame")
    values = reported()
    assert values["execution_providers"] == "FakeExecutionProvider"
    for key in ("input_rate_hz", "processing_rate_hz", "latency_ms", "processing_time_ms",
                "dropped_frames", "total_dropped"):
        assert key in values


def test_run_time_parameters(fake):
    pipeline = FakePipeline.instances[-1]
    results = fake.set_params(min_detection_confidence=0.3, min_tracking_confidence=0.7)
    assert all(r.successful for r in results)
    assert pipeline.thresholds[-1] == {"min_detection_confidence": pytest.approx(0.3),
                                       "min_tracking_confidence": pytest.approx(0.7)}
    assert len(FakePipeline.instances) == 1   # thresholds need no rebuild

    # markers off: a DELETEALL, then no more markers
    fake.image_pub.publish(image_msg(30))
    fake.landmarks_for(30)
    fake.wait_for(lambda: fake.messages("markers"), "markers")
    assert fake.set_params(publish_markers=False)[0].successful
    fake.wait_for(lambda: any(m.action == Marker.DELETEALL for a in fake.messages("markers")
                              for m in a.markers), "DELETEALL")
    count = len(fake.messages("markers"))
    fake.image_pub.publish(image_msg(31))
    fake.landmarks_for(31)
    assert len(fake.messages("markers")) == count

    # image-plane markers, another frame
    assert fake.set_params(publish_markers=True, markers__use_world_landmarks=False,
                           markers__frame_id="overlay")[0].successful
    fake.image_pub.publish(image_msg(32))
    fake.landmarks_for(32)
    fake.wait_for(lambda: any(m.header.frame_id == "overlay" for a in fake.messages("markers")
                              for m in a.markers), "markers in the new frame")


@pytest.mark.parametrize("name,value,reason", [
    ("min_detection_confidence", 1.5, ""),
    ("min_tracking_confidence", -0.1, ""),
    ("model_complexity", 3, ""),
    ("device_id", -1, ""),
    ("markers__line_width", 5.0, ""),
    ("execution_provider", "opencl", "execution_provider must be one of"),
    ("markers__face", "mesh", "markers.face must be one of"),
    ("markers__world_origin", [0.0, 1.0], "3 finite values"),
    ("image_transport", "compressed", "read-only"),
    ("model_complexity", "two", ""),
])
def test_invalid_values_are_refused(fake, name, value, reason):
    before = fake.node.get_parameter(name.replace("__", ".")).value
    result = fake.set_params(**{name: value})[0]
    assert not result.successful
    assert result.reason
    if reason:
        assert reason in result.reason
    assert fake.node.get_parameter(name.replace("__", ".")).value == before


def test_pipeline_options_rebuild_safely(fake):
    old = FakePipeline.instances[-1]
    assert fake.set_params(model_complexity=2, refine_face_landmarks=True)[0].successful
    new = FakePipeline.instances[-1]
    assert new is not old and old.closed and not new.closed
    assert new.kwargs["model_complexity"] == 2 and new.kwargs["refine_face_landmarks"]
    fake.image_pub.publish(image_msg(40))
    fake.landmarks_for(40)
    assert new.timestamps and not old.timestamps

    # a rebuild that fails is refused and keeps the running pipeline
    result = fake.set_params(models_dir="/nonexistent")[0]
    assert not result.successful and "/nonexistent" in result.reason
    assert FakePipeline.instances[-1] is new and not new.closed
    assert fake.node.get_parameter("models_dir").value == ""

    assert fake.set_params(execution_provider="cpu")[0].successful
    assert FakePipeline.instances[-1].kwargs["providers"] == ["CPUExecutionProvider"]


def test_out_of_range_start_up_value_is_refused(context):
    with pytest.raises(Exception, match="min_detection_confidence"):
        HolisticNode(pipeline_factory=FakePipeline, context=context,
                     parameter_overrides=[Parameter("min_detection_confidence", value=2.0)])


def test_compressed_transport(context):
    import cv2

    harness = start(context, {"image_transport": "compressed"}, namespace="c")
    try:
        assert harness.node._sub.topic_name == "/c/image/compressed"
        rgb = np.zeros((32, 48, 3), np.uint8)
        rgb[:, :24] = (200, 10, 10)
        ok, png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        harness.image_pub.publish(CompressedImage(header=header(60), format="png",
                                                       data=png.tobytes()))
        msg = harness.landmarks_for(60)
        assert msg.header == header(60) and (msg.image_width, msg.image_height) == (48, 32)
    finally:
        harness.close()


# --------------------------------------------------------------------------- real core
@pytest.fixture(scope="module")
def core_available():
    from holistic_ros import Holistic
    from holistic_ros.pipeline.models import ModelError

    try:
        Holistic(static_image_mode=True).close()
    except ModelError as error:  # models not converted: a missing prerequisite; any other error fails
        skip_or_fail(f"pipeline core cannot start: {error} (run `make models`)")
    return Holistic


@pytest.mark.slow
def test_real_image_matches_the_core(context, core_available, images_dir: Path):
    Holistic = core_available
    rgb = load_rgb(images_dir / "mps_woman_sitting_fullbody.jpg")
    options = dict(static_image_mode=True, enable_segmentation=True)
    from holistic_ros.ros.node import PARAMETERS
    with Holistic(**options, hand_source=PARAMETERS["hand_source"].declared_default) as core:   # the node's default
        expected = core.process(rgb, timestamp=1.25)
    assert expected.pose_landmarks is not None   # the image shows a person

    harness = start(context, {**options, "publish_annotated": True}, factory=None, namespace="real")
    try:
        harness.image_pub.publish(rgb_to_image_msg(rgb, header(1)))
        msg = harness.landmarks_for(1)
        assert msg.header == header(1)
        assert (msg.image_width, msg.image_height) == expected.image_size
        for part in ("pose", "face", "left_hand", "right_hand"):
            array = getattr(expected, f"{part}_landmarks")
            assert getattr(msg, f"{part}_found") == (array is not None), part
            if array is not None:
                got = landmarks_from_msgs(getattr(msg, f"{part}_landmarks"))
                np.testing.assert_allclose(got[:, :array.shape[1]], array, atol=1e-5, err_msg=part)
                assert getattr(msg, f"{part}_score") == pytest.approx(
                    getattr(expected, f"{part}_score"), abs=1e-5)
        world = landmarks_from_msgs(msg.pose_world_landmarks)
        np.testing.assert_allclose(world[:, :4], expected.pose_world_landmarks, atol=1e-5)
        np.testing.assert_allclose(landmarks_from_msgs(msg.pose_landmarks)[:, 4],
                                   expected.pose_presence, atol=1e-5)

        harness.wait_for(lambda: harness.messages("segmentation") and harness.messages("markers")
                         and harness.messages("annotated"), "mask, markers, annotated")
        mask_msg = harness.messages("segmentation")[0]
        assert mask_msg.header == header(1)
        assert (mask_msg.width, mask_msg.height) == (rgb.shape[1], rgb.shape[0])
        mask = np.frombuffer(mask_msg.data, "<f4").reshape(rgb.shape[:2])
        np.testing.assert_allclose(mask, expected.segmentation_mask, atol=1e-5)

        markers = {(m.ns, m.id): m for m in harness.messages("markers")[0].markers}
        person_id = getattr(expected, "person_id", 0)
        pose_points = np.array([(p.x, p.y, p.z) for p in
                                markers[(namespace(person_id, "pose"), marker_id(person_id, "pose", "points"))].points])
        origin = np.array(harness.node.get_parameter("markers.world_origin").value)
        np.testing.assert_allclose(pose_points, expected.pose_world_landmarks[:, :3] + origin,
                                   atol=1e-5)
        annotated = image_msg_to_rgb(harness.messages("annotated")[0])
        assert annotated.shape == rgb.shape and not np.array_equal(annotated, rgb)
    finally:
        harness.close()


@pytest.mark.slow
def test_pipelined_node_publishes_every_frame_in_order(context, core_available, images_dir: Path):
    rgb = load_rgb(images_dir / "tfe_yoga_tree_pose.jpg")
    harness = start(context, {"pipelined": True}, factory=None, namespace="piped")
    try:
        for sec in (1, 2, 3):
            harness.node.process_image(rgb_to_image_msg(rgb, header(sec)))   # as the worker does
        harness.wait_for(lambda: len(harness.messages("landmarks")) >= 3, "three landmark messages")
        msgs = harness.messages("landmarks")
        assert [m.header.stamp.sec for m in msgs] == [1, 2, 3]
        assert all(m.pose_found and m.face_found for m in msgs)
    finally:
        harness.close()


@pytest.mark.slow
def test_real_image_without_a_person(context, core_available, images_dir: Path):
    rgb = load_rgb(images_dir / "tfe_noperson_cat.jpg")
    harness = start(context, {"static_image_mode": True}, factory=None, namespace="empty")
    try:
        harness.image_pub.publish(rgb_to_image_msg(rgb, header(3)))
        msg = harness.landmarks_for(3)
        assert not (msg.pose_found or msg.face_found or msg.left_hand_found
                    or msg.right_hand_found)
        assert msg.pose_landmarks == [] and math.isnan(msg.pose_score)
        # then a person: the node kept going
        person = load_rgb(images_dir / "tfe_yoga_tree_pose.jpg")
        harness.image_pub.publish(rgb_to_image_msg(person, header(4)))
        assert harness.landmarks_for(4).pose_found
    finally:
        harness.close()


def test_execution_provider_mapping():
    from holistic_ros.ros.node import pipeline_kwargs, providers_for, PARAMETERS

    assert providers_for("auto") is None
    assert providers_for("cpu") == ["CPUExecutionProvider"]
    assert providers_for("cuda") == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert providers_for("tensorrt")[0] == "TensorrtExecutionProvider"
    with pytest.raises(ValueError):
        providers_for("opencl")
    values = {name: p.declared_default for name, p in PARAMETERS.items()}
    kwargs = pipeline_kwargs({**values, "execution_provider": "cuda", "device_id": 2})
    assert kwargs["device_id"] == 2 and kwargs["providers"][0] == "CUDAExecutionProvider"
    assert kwargs["models_dir"] is None
