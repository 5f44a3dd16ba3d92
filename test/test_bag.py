"""The offline bag tool (holistic_ros/ros/bag.py, issue 20): a rosbag2 in, a rosbag2 out.

A camera bag is made here from 45 frames of the shared clip (1280x720, the span where the
woman raises her right hand and lowers it: one onset and one end of right_hand_raised),
with camera_info and a synthetic depth image of known truth (a flat wall at 2 m). The
output is read back with rosbags and with the MCAP reader and checked against
Holistic.process on the same frames and against the live node driven frame by frame.
"""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO_ROOT, require_messages, skip_or_fail

require_messages()

from rclpy.serialization import deserialize_message, serialize_message  # noqa: E402
from sensor_msgs.msg import CameraInfo, Image  # noqa: E402

from holistic_ros.msg import GestureEvent, HolisticLandmarks, HolisticPeople  # noqa: E402
from holistic_ros.ros import bag as bagtool  # noqa: E402
from holistic_ros.ros.clip_bag import (CAMERA_INFO_TOPIC, COMPRESSED_TOPIC, DEPTH_TOPIC, IMAGE_TOPIC,  # noqa: E402
                                       clip_frames, write_camera_bag)
from holistic_ros.ros.messages import landmarks_from_msgs  # noqa: E402

CLIP = "mps_woman_thumbs_up_1280x720.mp4"
#: Frames 30-74 of the clip: the right hand goes up at ~50 and down at ~62 (measured with
#: the bag tool over the whole clip), so the span holds one onset and one end.
FIRST_FRAME, FRAMES = 30, 45
WALL_M = 2.0                       # the synthetic depth: a flat wall this far away
LOG_DELAY_NS = 7_000_000           # the input is logged 7 ms after capture, as a recorder would
#: The parameters of every run here: the node's defaults with depth on.
OVERRIDES = [("use_depth", True)]
OUTPUT_TOPICS = ("/holistic/people", "/holistic/landmarks", "/holistic/gesture_events", "/tf",
                 "/holistic/markers")


def _wall(index: int, rgb: np.ndarray) -> np.ndarray:
    """Depth registered to the image at half its size (the node takes any scale)."""
    return np.full((rgb.shape[0] // 2, rgb.shape[1] // 2), WALL_M, np.float32)


def _read_all(path: Path):
    """(topic, log time, raw) of every message, with rosbags."""
    from rosbags.rosbag2 import Reader

    with Reader(path) as reader:
        return [(c.topic, t, bytes(raw)) for c, t, raw in reader.messages()]


def _run(input_path: Path, output_path: Path, overrides=OVERRIDES, **kwargs) -> bagtool.Report:
    values = bagtool.parameter_values(overrides=overrides)
    return bagtool.run(input_path, output_path, values,
                       options=bagtool.BagOptions(progress=False, **kwargs.pop("options", {})), **kwargs)


@pytest.fixture(scope="module")
def clip(videos_dir):
    rate, frames = clip_frames(videos_dir / CLIP, FRAMES, FIRST_FRAME)
    return rate, list(frames)


@pytest.fixture(scope="module")
def camera_bag(clip, tmp_path_factory) -> Path:
    rate, frames = clip
    path = tmp_path_factory.mktemp("bag") / "camera"
    write_camera_bag(path, frames, rate, depth_m=_wall, log_delay_ns=LOG_DELAY_NS)
    return path


@pytest.fixture(scope="module")
def processed(camera_bag, tmp_path_factory):
    output = tmp_path_factory.mktemp("bag") / "holistic"
    report = _run(camera_bag, output)
    return output, report


def _input_stamps(camera_bag: Path) -> list:
    return [bagtool.header_stamp_ns(raw) for topic, _, raw in _read_all(camera_bag) if topic == IMAGE_TOPIC]


# ------------------------------------------------------------------------ pure parts
def test_stamp_order_handles_images_by_stamp_after_their_depth():
    # bag order: image 3, depth 2, image 1, depth 1, image 2, info 3
    items = [("image", 3), ("depth", 2), ("image", 1), ("depth", 1), ("image", 2), ("info", 3)]
    order = bagtool.stamp_order(items, slop_ns=0)
    handled = [items[i] for i, _, _ in order]
    # the contract (docs/bag.md): images are handled in stamp order, whatever the bag's order
    assert [s for k, s in handled if k == "image"] == [1, 2, 3]
    # each image comes after every depth/info message of its stamp
    for position, (kind, stamp) in enumerate(handled):
        if kind == "image":
            assert all(s > stamp for k, s in handled[position:] if k != "image")
    # ready-after never points before the message itself, and only grows
    ready = [r for _, r, _ in order]
    assert all(r >= i for i, r, _ in order) and ready == sorted(ready)


class _Listing:
    """Just the topic list of a bag, for choose_topics."""

    def __init__(self, **types):
        self.path = Path("listing")
        self.topics = {name.replace("__", "/"): bagtool.Topic(name.replace("__", "/"), msgtype, 1)
                       for name, msgtype in types.items()}

    def image_topics(self):
        return sorted(n for n, t in self.topics.items() if t.msgtype in bagtool.IMAGE_TYPES)


def test_topics_are_found_by_type_and_name():
    values = bagtool.parameter_values(overrides=[("use_depth", True)])
    listing = _Listing(__cam__color__image_raw__compressed="sensor_msgs/msg/CompressedImage",
                       __cam__depth__image_raw="sensor_msgs/msg/Image",
                       __cam__color__camera_info="sensor_msgs/msg/CameraInfo",
                       __cam__depth__camera_info="sensor_msgs/msg/CameraInfo")
    chosen = bagtool.choose_topics(listing, values)
    # the image is the one not named depth; its camera_info is the one beside it
    assert chosen == bagtool.InputTopics(image="/cam/color/image_raw/compressed", compressed=True,
                                         depth="/cam/depth/image_raw", camera_info="/cam/color/camera_info")
    no_depth = bagtool.choose_topics(listing, bagtool.parameter_values())
    assert no_depth.depth is None                                  # use_depth off and none named
    two = _Listing(__a__image_raw="sensor_msgs/msg/Image", __b__image_raw="sensor_msgs/msg/Image")
    with pytest.raises(bagtool.BagError, match="several image topics.*/a/image_raw.*--image-topic"):
        bagtool.choose_topics(two, values)
    with pytest.raises(bagtool.BagError, match="is sensor_msgs/msg/CameraInfo, not"):
        bagtool.choose_topics(listing, values, image="/cam/color/camera_info")


def test_parameters_come_from_the_node_declarations(tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text("/**:\n  ros__parameters:\n    model_complexity: 0\n    markers:\n      face: points\n"
                      "holistic:\n  ros__parameters:\n    model_complexity: 2\n    min_detection_confidence: 1\n"
                      "other_node:\n  ros__parameters:\n    model_complexity: 1\n")
    values = bagtool.parameter_values(params, [("publish_tf", False)])
    assert values["model_complexity"] == 2                      # the node's own section wins over /**
    assert values["markers.face"] == "points"                    # nested names are dotted
    # the YAML's int 1 becomes the schema's double, as rclpy's declare would refuse an int
    assert values["min_detection_confidence"] == 1.0 and isinstance(values["min_detection_confidence"], float)
    assert values["publish_tf"] is False
    with pytest.raises(bagtool.BagError, match=r"model_complexity must be in \[0, 2\]"):
        bagtool.parameter_values(overrides=[("model_complexity", 3)])
    with pytest.raises(bagtool.BagError, match="publish_tf must be a bool"):
        bagtool.parameter_values(overrides=[("publish_tf", "yes")])
    with pytest.raises(bagtool.BagError, match="markers.face"):
        bagtool.parameter_values(overrides=[("markers.face", "mesh")])
    shipped = bagtool.parameter_values(REPO_ROOT / "config" / "holistic.yaml")
    # the shipped file is the schema's defaults: model_complexity 1 is MediaPipe Holistic's default
    assert shipped["model_complexity"] == 1


# ------------------------------------------------------------------------ the tool on a real clip
@pytest.mark.slow
def test_one_people_message_per_frame_stamped_as_its_image(camera_bag, processed):
    output, report = processed
    assert (report.frames, report.processed, report.skipped, report.damage) == (FRAMES, FRAMES, {}, None)
    assert report.with_camera == FRAMES and report.with_depth == FRAMES
    stamps = _input_stamps(camera_bag)
    assert len(stamps) == FRAMES

    # rosbags: types, counts, stamps; every output logged at its image's stamp
    from rosbags.rosbag2 import Reader

    store = bagtool.typestore()
    with Reader(output) as reader:
        topics = reader.topics
        assert set(OUTPUT_TOPICS) <= set(topics)
        assert topics["/holistic/people"].msgtype == "holistic_ros/msg/HolisticPeople"
        people = [(t, store.deserialize_cdr(raw, c.msgtype)) for c, t, raw in reader.messages()
                  if c.topic == "/holistic/people"]
        logged = {c.topic: [] for c in reader.connections}
        for c, t, raw in reader.messages():
            logged[c.topic].append(t)
            if c.topic in ("/holistic/people", "/holistic/landmarks", "/holistic/gesture_events"):
                assert t == bagtool.header_stamp_ns(raw)   # headers first: logged at their stamp
    assert all(set(times) <= set(stamps) for times in logged.values())
    assert [t for t, _ in people] == stamps
    # the contract: each output carries its input image's header stamp, to the nanosecond
    assert [m.header.stamp.sec * 10**9 + m.header.stamp.nanosec for _, m in people] == stamps
    assert all(m.header.frame_id == "camera_optical_frame" for _, m in people)
    assert all(math.isnan(m.processing_time_ms) for _, m in people)   # no wall time in the payloads
    assert sum(len(m.people) for _, m in people) == FRAMES             # the woman, in every frame

    # The wall's known truth: every landmark measured by depth sits on it.
    for _, msg in people:
        person = msg.people[0]
        assert person.located and person.distance_source == "depth"
        measured = [p.z for p, s in zip(person.pose_points, person.pose_point_sources) if s == 1]
        assert measured, "no landmark measured by depth"
        # the reading itself: the synthetic wall's known 2 m. 1e-5 m is float32 rounding of the
        # pipeline's arithmetic at 2 m (a few ulp of 2.4e-7 m), 100x below a depth camera's 1 mm step
        np.testing.assert_allclose(measured, WALL_M, atol=1e-5)

    # MCAP reader: the same counts and log times, ROS 2 schemas
    from mcap.reader import make_reader

    mcap_file = next(output.glob("*.mcap"))
    with open(mcap_file, "rb") as f:
        reader = make_reader(f)
        seen = {}
        for schema, channel, message in reader.iter_messages():
            seen.setdefault(channel.topic, []).append(message.log_time)
            # MCAP's ROS 2 profile: ros2msg schemas and CDR messages, what ros2 bag and Foxglove read
            assert schema.encoding == "ros2msg" and channel.message_encoding == "cdr"
    assert seen["/holistic/people"] == stamps and seen["/holistic/landmarks"] == stamps


@pytest.mark.slow
def test_landmarks_equal_holistic_process_on_the_same_frames(clip, camera_bag, processed):
    from holistic_ros import Holistic
    from holistic_ros.ros.node import pipeline_kwargs

    output, _ = processed
    _, frames = clip
    stamps = _input_stamps(camera_bag)
    landmarks = [deserialize_message(raw, HolisticLandmarks) for topic, _, raw in _read_all(output)
                 if topic == "/holistic/landmarks"]
    assert len(landmarks) == FRAMES
    with Holistic(**pipeline_kwargs(bagtool.parameter_values(overrides=OVERRIDES))) as holistic:
        for rgb, stamp, msg in zip(frames, stamps, landmarks):
            result = holistic.process(rgb, timestamp=stamp * 1e-9)
            for part in ("pose_landmarks", "pose_world_landmarks", "face_landmarks", "left_hand_landmarks",
                         "right_hand_landmarks"):
                expected, got = getattr(result, part), landmarks_from_msgs(getattr(msg, part))
                if expected is None:
                    assert got is None, part
                else:   # float32 in the message: equal to the bit
                    np.testing.assert_array_equal(got[:, :expected.shape[1]], expected.astype(np.float32), part)


@pytest.mark.slow
@pytest.mark.ros
def test_the_same_messages_as_the_live_node_frame_by_frame(context, camera_bag, processed):
    """HolisticNode.process_image over the same images, depth and camera_info, in order: every
    message the node publishes equals the bag's, byte for byte, once processing_time_ms (wall
    time) is set aside; the gesture events included."""
    from holistic_ros.ros.node import HolisticNode
    from rclpy.parameter import Parameter

    output, _ = processed
    values = dict(OVERRIDES)
    node = HolisticNode(context=context, parameter_overrides=[Parameter(k, value=v) for k, v in values.items()])
    published = []
    topics = {node._people_pub: "/holistic/people", node._landmarks_pub: "/holistic/landmarks",
              node._events_pub: "/holistic/gesture_events", node._markers_pub: "/holistic/markers",
              node._tf_pub: "/tf"}
    for publisher, topic in topics.items():
        publisher.publish = lambda msg, topic=topic: published.append((topic, msg))
    try:
        for topic, _, raw in _read_all(camera_bag):
            if topic == CAMERA_INFO_TOPIC:
                info = deserialize_message(raw, CameraInfo)
                node._info_buffer.add(node._stamp_seconds(info.header), info)      # as its subscription does
            elif topic == DEPTH_TOPIC:
                depth = deserialize_message(raw, Image)
                node._depth_buffer.add(node._stamp_seconds(depth.header), depth)
            elif topic == IMAGE_TOPIC:
                node.process_image(deserialize_message(raw, Image))
    finally:
        node.destroy_node()
    for _, msg in published:
        if hasattr(msg, "processing_time_ms"):
            msg.processing_time_ms = float("nan")
    store = bagtool.typestore()
    types = {"/holistic/people": "holistic_ros/msg/HolisticPeople", "/holistic/landmarks":
             "holistic_ros/msg/HolisticLandmarks", "/holistic/gesture_events": "holistic_ros/msg/GestureEvent",
             "/holistic/markers": "visualization_msgs/msg/MarkerArray", "/tf": "tf2_msgs/msg/TFMessage"}
    live = [(topic, bagtool.canonical_cdr(msg, types[topic], store)) for topic, msg in published]
    offline = [(topic, raw) for topic, _, raw in _read_all(output)]
    for topic in OUTPUT_TOPICS:
        assert [r for t, r in offline if t == topic] == [r for t, r in live if t == topic], topic
    events = [deserialize_message(raw, GestureEvent) for t, raw in offline if t == "/holistic/gesture_events"]
    # The span's one raise of the right hand: an onset, then its end ...
    body = [(e.kind, e.gesture.name) for e in events if e.gesture.name != "Thumb_Up"]
    assert body == [(GestureEvent.ONSET, "right_hand_raised"), (GestureEvent.END, "right_hand_raised")]
    # ... and the thumbs-up it shows (the node's default hand_source "both" gives hand gesture
    # events too): one onset, nothing else of the hand.
    hand = [e.kind for e in events if e.gesture.name == "Thumb_Up"]
    assert hand[:1] == [GestureEvent.ONSET] and hand.count(GestureEvent.ONSET) == 1, hand


@pytest.mark.slow
def test_two_runs_give_identical_payloads(camera_bag, processed, tmp_path):
    output, _ = processed
    again = tmp_path / "again"
    _run(camera_bag, again)
    assert _read_all(again) == _read_all(output)


# ------------------------------------------------------------------------ inputs and bad input
class StubPipeline:
    """A person-less stand-in, for the input-handling tests (no models to load)."""

    def __init__(self, **kwargs):
        self.frames = 0

    def process(self, rgb, timestamp=None):
        from holistic_ros.pipeline.result import HolisticResult

        self.frames += 1
        return HolisticResult(image_size=(rgb.shape[1], rgb.shape[0]))

    def close(self):
        pass


@pytest.mark.slow
def test_compressed_images_in_sqlite3_and_topics_copied_through(videos_dir, tmp_path):
    rate, frames = clip_frames(videos_dir / "mps_hand_reach_640x360.mp4", 6, 60)
    source = tmp_path / "compressed"
    write_camera_bag(source, frames, rate, compressed=True, storage="sqlite3")
    assert next(source.glob("*.db3"))
    report = _run(source, tmp_path / "out", options={"copy_topics": (COMPRESSED_TOPIC,)})
    assert report.processed == 6 and report.copied == 6 and report.with_camera == 6
    messages = _read_all(tmp_path / "out")
    people = [deserialize_message(raw, HolisticPeople) for t, _, raw in messages if t == "/holistic/people"]
    assert len(people) == 6 and all(len(p.people) == 1 for p in people)
    copied = [(t, raw) for t, _, raw in messages if t == COMPRESSED_TOPIC]
    assert copied == [(t, raw) for t, _, raw in _read_all(source) if t == COMPRESSED_TOPIC]


class RecordingPipeline(StubPipeline):
    """Remembers the timestamps it was given."""

    seen: list = []

    def process(self, rgb, timestamp=None):
        RecordingPipeline.seen.append(timestamp)
        return super().process(rgb, timestamp)


def test_images_are_processed_in_stamp_order_whatever_the_bag_order(tmp_path):
    from std_msgs.msg import Header

    from holistic_ros.ros.image_conversion import rgb_to_image_msg

    out = bagtool.OutputBag(tmp_path / "in", "mcap", bagtool.typestore())
    out.add(IMAGE_TOPIC, "sensor_msgs/msg/Image")
    for i, sec in enumerate((3, 1, 2, 5, 4)):      # logged in this order, one per second
        header = Header(frame_id="cam")
        header.stamp.sec = sec
        out.write_message(IMAGE_TOPIC, (10 + i) * 10**9, rgb_to_image_msg(np.zeros((8, 8, 3), np.uint8), header))
    out.close()
    RecordingPipeline.seen = []
    report = _run(tmp_path / "in", tmp_path / "out", overrides=[("use_camera_info", False)],
                  pipeline_factory=RecordingPipeline)
    assert report.processed == 5
    assert RecordingPipeline.seen == [1.0, 2.0, 3.0, 4.0, 5.0]
    people = [(t, bagtool.header_stamp_ns(raw)) for t, _, raw in _read_all(tmp_path / "out")
              if t == "/holistic/people"]
    assert [stamp for _, stamp in people] == [s * 10**9 for s in (1, 2, 3, 4, 5)]


def test_one_mcap_file_out(tmp_path):
    frames = [np.zeros((24, 32, 3), np.uint8)] * 3
    write_camera_bag(tmp_path / "in", frames, 10.0)
    report = _run(tmp_path / "in", tmp_path / "out.mcap", pipeline_factory=StubPipeline,
                  options={"compress": True})
    assert report.processed == 3
    assert (tmp_path / "out.mcap").is_file() and not (tmp_path / "out").exists()
    assert sum(t == "/holistic/people" for t, _, _ in _read_all(tmp_path / "out.mcap")) == 3
    from mcap.reader import make_reader

    with open(tmp_path / "out.mcap", "rb") as f:
        reader = make_reader(f)
        assert {c.compression for c in reader.get_summary().chunk_indexes} == {"zstd"}
        assert sum(ch.topic == "/holistic/people" for _, ch, _ in reader.iter_messages()) == 3


def test_not_a_bag_and_a_missing_topic_say_so(tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(bagtool.BagError, match="not a readable rosbag2"):
        _run(text, tmp_path / "o1", pipeline_factory=StubPipeline)
    (tmp_path / "empty").mkdir()
    with pytest.raises(bagtool.BagError, match="not a rosbag2: no metadata.yaml"):
        _run(tmp_path / "empty", tmp_path / "o2", pipeline_factory=StubPipeline)
    with pytest.raises(bagtool.BagError, match="does not exist"):
        _run(tmp_path / "nowhere", tmp_path / "o3", pipeline_factory=StubPipeline)

    write_camera_bag(tmp_path / "in", [np.zeros((24, 32, 3), np.uint8)] * 2, 10.0, depth_m=lambda i, rgb: rgb[..., 0])
    with pytest.raises(bagtool.BagError) as error:
        _run(tmp_path / "in", tmp_path / "o4", image_topic="/camera/colour", pipeline_factory=StubPipeline)
    # the topics there are listed, with their types and counts
    assert "/camera/colour is not in" in str(error.value)
    assert f"{IMAGE_TOPIC} (Image, 2)" in str(error.value) and f"{DEPTH_TOPIC} (Image, 2)" in str(error.value)
    assert not (tmp_path / "o4").exists()     # nothing half-made
    # through the command line: exit 1 and the reason
    assert bagtool.main([str(tmp_path / "in"), str(tmp_path / "o5"), "--image-topic", "/x", "--no-progress"]) == 1
    assert "/x is not in" in capsys.readouterr().err
    # the output is never overwritten
    (tmp_path / "taken").mkdir()
    with pytest.raises(bagtool.BagError, match="exists already"):
        _run(tmp_path / "in", tmp_path / "taken", pipeline_factory=StubPipeline)


def test_unreadable_images_are_skipped_counted_and_reported(tmp_path):
    from std_msgs.msg import Header

    out = bagtool.OutputBag(tmp_path / "in", "mcap", bagtool.typestore())
    out.add(IMAGE_TOPIC, "sensor_msgs/msg/Image")
    for i in range(5):
        header = Header(frame_id="cam")
        header.stamp.sec = 1 + i
        msg = Image(header=header, height=4, width=4, encoding="rgb8" if i % 2 == 0 else "bayer_grbg16",
                    step=12, data=bytes(48))
        out.write(IMAGE_TOPIC, (1 + i) * 10**9, serialize_message(msg))
    out.close()
    report = _run(tmp_path / "in", tmp_path / "out", pipeline_factory=StubPipeline)
    assert (report.frames, report.processed) == (5, 3)
    said = "\n".join(report.lines(tmp_path / "out"))
    assert "3 of 5 frames processed" in said and "skipped 2 frame(s): image not readable" in said
    assert "unsupported encoding 'bayer_grbg16'" in said
    people = [t for t, _, _ in _read_all(tmp_path / "out") if t == "/holistic/people"]
    assert len(people) == 3


def test_a_truncated_bag_gives_what_could_be_read(tmp_path, capsys):
    frames = [np.full((240, 320, 3), i, np.uint8) for i in range(20)]   # ~5 chunks of 1 MB
    write_camera_bag(tmp_path / "in", frames, 10.0)
    mcap_file = next((tmp_path / "in").glob("*.mcap"))
    data = mcap_file.read_bytes()
    mcap_file.write_bytes(data[:len(data) * 6 // 10])     # a recording cut short
    report = _run(tmp_path / "in", tmp_path / "out", pipeline_factory=StubPipeline)
    assert report.damage and "ends early" in report.damage
    assert 0 < report.processed < 20
    people = [t for t, _, _ in _read_all(tmp_path / "out") if t == "/holistic/people"]
    assert len(people) == report.processed           # the output is a whole bag of what was read
    # the command line says so, with its own exit status
    assert bagtool.main([str(tmp_path / "in"), str(tmp_path / "out2"), "--no-progress"]) == 3
    assert "the input is damaged" in capsys.readouterr().err


@pytest.mark.slow
def test_ctrl_c_leaves_a_closed_bag_of_the_frames_done(camera_bag, tmp_path):
    output = tmp_path / "interrupted"
    code = ("import sys; sys.path[:0] = [{!r}, {!r}]; import conftest; "
            "from holistic_ros.ros.bag import main; sys.exit(main())").format(str(REPO_ROOT), str(REPO_ROOT / "test"))
    process = subprocess.Popen([sys.executable, "-c", code, str(camera_bag), str(output), "-p", "use_depth:=true"],
                               stderr=subprocess.PIPE, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    seen = b""
    deadline = time.monotonic() + 120
    try:
        # The progress bar says 3 frames or more are done (tqdm may skip a count between refreshes).
        while (max(map(int, re.findall(rb" (\d+)/%d " % FRAMES, seen)), default=0) < 3
               and process.poll() is None and time.monotonic() < deadline):
            seen += os.read(process.stderr.fileno(), 4096)
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    err = (seen + rest).decode(errors="replace")
    assert process.returncode == 130, err
    assert "interrupted" in err
    people = [t for t, _, _ in _read_all(output) if t == "/holistic/people"]
    assert 3 <= len(people) < FRAMES
    assert f"bag: {len(people)} of {FRAMES} frames processed" in err


def test_the_installed_executable(install_prefix):
    exe = install_prefix / "lib" / "holistic_ros" / "bag"
    if not exe.is_file():
        skip_or_fail(f"{exe} not built: run `make build`")
    done = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "--image-topic" in done.stdout
