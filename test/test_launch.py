"""The installed launch file, parameters file, RViz config and executables.

The launch file's logic is checked here against small stand-ins of `launch` / `launch_ros`
that record what it asks for (fast, and without the ROS tools); every executable and path
it names is then checked in install/. The node itself is started as a subprocess with the
same parameters file (``--ros-args --params-file``). `ros2 launch` itself, with the real
launch and launch_ros, runs in test_ros2_launch.py.

rviz2 cannot be installed here either: config/holistic.rviz is read as YAML and every
topic and frame it names is checked against the node, from its source and running.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import load_rgb, require_messages, skip_or_fail

require_messages()

WAIT_S = 120.0   # upper bound on waiting; not a performance threshold


# --------------------------------------------------------------------------- launch stand-ins
class _Recorded:
    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


class FakeLaunchConfiguration:
    def __init__(self, name):
        self.name = name

    def perform(self, context):
        return context.launch_configurations[self.name]


class FakeContext:
    def __init__(self, values):
        self.launch_configurations = values


def fake_launch_modules():
    launch = types.ModuleType("launch")
    launch.LaunchDescription = _Recorded
    actions = types.ModuleType("launch.actions")
    actions.DeclareLaunchArgument = _Recorded
    actions.OpaqueFunction = _Recorded
    substitutions = types.ModuleType("launch.substitutions")
    substitutions.LaunchConfiguration = FakeLaunchConfiguration
    launch_ros = types.ModuleType("launch_ros")
    ros_actions = types.ModuleType("launch_ros.actions")
    ros_actions.Node = _Recorded
    ros_actions.LifecycleNode = type("LifecycleNode", (_Recorded,), {})
    return {"launch": launch, "launch.actions": actions, "launch.substitutions": substitutions,
            "launch_ros": launch_ros, "launch_ros.actions": ros_actions}


@pytest.fixture
def share(install_prefix: Path) -> Path:
    return install_prefix / "share" / "holistic_ros"


@pytest.fixture
def launch_description(share: Path, monkeypatch):
    for name, module in fake_launch_modules().items():
        monkeypatch.setitem(sys.modules, name, module)
    path = share / "launch" / "holistic.launch.py"
    assert path.is_file(), f"{path} not installed"
    spec = importlib.util.spec_from_file_location("holistic_launch", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    arguments = {a.args[0]: a.kwargs["default_value"] for a in description.args[0]
                 if isinstance(a, _Recorded) and "default_value" in a.kwargs}
    opaque = [a for a in description.args[0] if "function" in a.kwargs]
    assert len(opaque) == 1

    def evaluate(**overrides):
        return opaque[0].kwargs["function"](FakeContext({**arguments, **overrides}))

    return arguments, evaluate


def test_launch_arguments(launch_description, share: Path):
    arguments, _ = launch_description
    assert {"image", "config", "use_gpu", "compressed", "video", "namespace", "rviz", "rviz_config",
            "fixed_frame", "depth", "camera_info", "field_of_view", "lifecycle"} <= set(arguments)
    assert Path(arguments["config"]) == share / "config" / "holistic.yaml"
    assert Path(arguments["config"]).is_file()
    assert Path(arguments["rviz_config"]) == share / "config" / "holistic.rviz"
    assert Path(arguments["rviz_config"]).is_file()
    assert (arguments["rviz"], arguments["depth"], arguments["camera_info"]) == ("false", "", "")


def test_launch_names_installed_executables(launch_description, install_prefix: Path):
    _, evaluate = launch_description
    (node,) = evaluate()
    assert node.kwargs["package"] == "holistic_ros"
    exe = install_prefix / "lib" / "holistic_ros" / node.kwargs["executable"]
    assert exe.is_file() and os.access(exe, os.X_OK)
    assert dict(node.kwargs["remappings"])["image"] == "/camera/image_raw"
    config, overrides = node.kwargs["parameters"]
    assert Path(config).is_file()
    assert overrides == {"use_depth": False, "use_camera_info": True}

    nodes = evaluate(use_gpu="true", video="/tmp/clip.mp4", image="/cam/image", compressed="true")
    assert [n.kwargs["executable"] for n in nodes] == ["holistic_node", "video_source"]
    for n in nodes:
        assert (install_prefix / "lib" / "holistic_ros" / n.kwargs["executable"]).is_file()
    assert nodes[0].kwargs["parameters"][1] == {"execution_provider": "cuda", "image_transport": "compressed",
                                               "use_depth": False, "use_camera_info": True}
    assert dict(nodes[0].kwargs["remappings"])["image/compressed"] == "/cam/image/compressed"
    assert evaluate(use_gpu="false")[0].kwargs["parameters"][1]["execution_provider"] == "cpu"
    with pytest.raises(ValueError):
        evaluate(use_gpu="maybe")


def test_launch_depth_and_camera_info_arguments(launch_description):
    """depth:= and camera_info:= remap the node's inputs and switch use_depth / use_camera_info."""
    _, evaluate = launch_description
    (node,) = evaluate(image="/camera/camera/color/image_raw",
                       depth="/camera/camera/aligned_depth_to_color/image_raw")
    remap = dict(node.kwargs["remappings"])
    assert remap["depth/image"] == "/camera/camera/aligned_depth_to_color/image_raw"
    # camera_info empty: the image's sibling, where drivers publish it (image_transport's pairing)
    assert remap["camera_info"] == "/camera/camera/color/camera_info"
    assert node.kwargs["parameters"][1] == {"use_depth": True, "use_camera_info": True}

    (node,) = evaluate(camera_info="/calib/info")
    assert dict(node.kwargs["remappings"])["camera_info"] == "/calib/info"
    assert "depth/image" not in dict(node.kwargs["remappings"])   # empty depth: no subscription
    assert node.kwargs["parameters"][1]["use_depth"] is False

    for off in ("none", "false"):
        (node,) = evaluate(camera_info=off)
        assert "camera_info" not in dict(node.kwargs["remappings"])
        assert node.kwargs["parameters"][1]["use_camera_info"] is False


def test_launch_video_gets_a_camera_model(launch_description):
    """video:= publishes an ideal camera_info of field_of_view (default the demo's 60 degrees,
    scripts/demo.py) on the topic the node reads, so the video's people get camera-frame 3D."""
    arguments, evaluate = launch_description
    assert float(arguments["field_of_view"]) == 60.0
    node, video = evaluate(video="/tmp/clip.mp4")
    assert video.kwargs["executable"] == "video_source"
    assert dict(video.kwargs["remappings"])["camera_info"] == dict(node.kwargs["remappings"])["camera_info"]
    assert video.kwargs["parameters"][0]["field_of_view"] == 60.0
    assert video.kwargs["parameters"][0]["frame_id"] == RVIZ_FIXED_FRAME   # RViz's fixed frame
    assert "field_of_view" not in node.kwargs["parameters"][1]
    node, video = evaluate(video="/tmp/clip.mp4", field_of_view="90", fixed_frame="cam", image="/c/image")
    assert video.kwargs["parameters"][0]["field_of_view"] == 90.0
    assert video.kwargs["parameters"][0]["frame_id"] == "cam"
    assert dict(video.kwargs["remappings"]) == {"image": "/c/image", "camera_info": "/c/camera_info"}
    # camera_info switched off: no camera_info from the video, the node's own stand-in instead
    node, video = evaluate(video="/tmp/clip.mp4", camera_info="none")
    assert video.kwargs["parameters"][0]["field_of_view"] == 0.0
    assert "camera_info" not in dict(video.kwargs["remappings"])
    assert node.kwargs["parameters"][1]["field_of_view"] == 60.0
    # no video: field_of_view is not the node's business (a camera brings its camera_info)
    assert "field_of_view" not in evaluate(field_of_view="90")[0].kwargs["parameters"][1]
    for bad in ("wide", "-1", "180"):   # video_source and holistic_node accept [0, 179] degrees
        with pytest.raises(ValueError):
            evaluate(video="/tmp/clip.mp4", field_of_view=bad)


def test_launch_video_waits_for_subscribers(launch_description):
    """wait_for_subscribers:=N (default 0: at once) holds the video until its image topic has N
    subscribers (video_source's min_subscribers); test_ros2_launch.py runs it with 2."""
    arguments, evaluate = launch_description
    assert arguments["wait_for_subscribers"] == "0"
    assert evaluate(video="/tmp/clip.mp4")[1].kwargs["parameters"][0]["min_subscribers"] == 0
    assert evaluate(video="/tmp/clip.mp4", wait_for_subscribers="2")[1].kwargs["parameters"][0]["min_subscribers"] == 2
    for bad in ("two", "-1", "1.5", "true"):
        with pytest.raises(ValueError, match="wait_for_subscribers"):
            evaluate(video="/tmp/clip.mp4", wait_for_subscribers=bad)


def test_launch_lifecycle_argument(launch_description, install_prefix: Path):
    """lifecycle:=true starts the managed node (as launch_ros' LifecycleNode) instead of the plain one."""
    arguments, evaluate = launch_description
    assert arguments["lifecycle"] == "false"
    (plain,) = evaluate()
    assert type(plain).__name__ != "LifecycleNode" and plain.kwargs["executable"] == "holistic_node"
    (managed,) = evaluate(lifecycle="true")
    assert type(managed).__name__ == "LifecycleNode"
    assert managed.kwargs["executable"] == "holistic_lifecycle_node"
    assert (install_prefix / "lib" / "holistic_ros" / "holistic_lifecycle_node").is_file()
    assert {k: v for k, v in managed.kwargs.items() if k != "executable"} == \
        {k: v for k, v in plain.kwargs.items() if k != "executable"}   # same name, parameters, remappings
    with pytest.raises(ValueError):
        evaluate(lifecycle="maybe")


def test_launch_rviz_argument(launch_description, share: Path):
    _, evaluate = launch_description
    assert all(n.kwargs["executable"] != "rviz2" for n in evaluate())
    nodes = evaluate(rviz="true", namespace="robot1")
    holistic, rviz = nodes
    assert (rviz.kwargs["package"], rviz.kwargs["executable"]) == ("rviz2", "rviz2")
    assert rviz.kwargs["arguments"] == ["-d", str(share / "config" / "holistic.rviz")]
    # same namespace as the node: the config's relative topics resolve to its outputs
    assert rviz.kwargs["namespace"] == holistic.kwargs["namespace"] == "robot1"
    assert holistic.kwargs["parameters"][1]["publish_annotated"] is True   # the Image display needs it
    (_, rviz) = evaluate(rviz="true", rviz_config=str(share / "config" / "holistic.rviz"),
                         fixed_frame="camera_link")
    assert rviz.kwargs["arguments"][-2:] == ["-f", "camera_link"]
    with pytest.raises(FileNotFoundError):
        evaluate(rviz="true", rviz_config="/nonexistent.rviz")
    with pytest.raises(ValueError):
        evaluate(rviz="maybe")


# --------------------------------------------------------------------------- RViz config
RVIZ_MESSAGE_TYPES = {   # display class -> the message type it subscribes to
    "rviz_default_plugins/MarkerArray": "visualization_msgs/msg/MarkerArray",
    "rviz_default_plugins/Marker": "visualization_msgs/msg/Marker",
    "rviz_default_plugins/Image": "sensor_msgs/msg/Image",
    "rviz_default_plugins/Camera": "sensor_msgs/msg/Image",
}
#: The camera frame the shipped config (and the README) uses as RViz's fixed frame.
RVIZ_FIXED_FRAME = "camera_color_optical_frame"


def rviz_displays(displays: list) -> list:
    """Every display of a config, groups opened."""
    found = []
    for display in displays or []:
        found.append(display)
        found.extend(rviz_displays(display.get("Displays")))
    return found


@pytest.fixture(scope="module")
def rviz_config(repo_root: Path) -> dict:
    path = repo_root / "config" / "holistic.rviz"
    assert path.is_file(), f"{path} missing"
    return yaml.safe_load(path.read_text())


def rviz_topics(config: dict) -> dict:
    """{topic: display class} of every enabled display that subscribes to a topic."""
    topics = {}
    for display in rviz_displays(config["Visualization Manager"]["Displays"]):
        topic = display.get("Topic")
        if isinstance(topic, dict) and display.get("Enabled", True):
            topics[topic["Value"]] = display["Class"]
    return topics


def node_publishers_in_source(repo_root: Path) -> dict:
    """{topic: message class name} of every ``create_publisher(Type, "topic", ...)`` (or
    ``_output_publisher``, the same for the plain and the lifecycle node) in node.py."""
    tree = ast.parse((repo_root / "holistic_ros" / "ros" / "node.py").read_text())
    publishers = {}
    for call in ast.walk(tree):
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr in ("create_publisher", "_output_publisher") and len(call.args) >= 2
                and isinstance(call.args[1], ast.Constant) and isinstance(call.args[0], ast.Name)):
            publishers[call.args[1].value] = call.args[0].id
    return publishers


def test_rviz_config_shows_markers_tf_and_the_annotated_image(rviz_config: dict):
    manager = rviz_config["Visualization Manager"]
    assert manager["Global Options"]["Fixed Frame"] == RVIZ_FIXED_FRAME
    topics = rviz_topics(rviz_config)
    assert topics == {"holistic/markers": "rviz_default_plugins/MarkerArray",
                      "holistic/annotated": "rviz_default_plugins/Image"}
    tf = [d for d in rviz_displays(manager["Displays"]) if d["Class"] == "rviz_default_plugins/TF"]
    assert len(tf) == 1 and tf[0]["Enabled"] and tf[0]["Frames"]["All Enabled"]
    assert manager["Views"]["Current"]["Target Frame"] == "<Fixed Frame>"


def test_rviz_config_names_only_what_the_node_publishes(rviz_config: dict, repo_root: Path):
    """From the source: each display's topic is one of the node's publishers, of the display's type;
    TF frames named in the config follow the node's frame names (holistic_ros/ros/tf.py)."""
    publishers = node_publishers_in_source(repo_root)
    for topic, display in sorted(rviz_topics(rviz_config).items()):
        assert topic in publishers, f"{display} shows {topic}, which the node does not publish ({sorted(publishers)})"
        assert RVIZ_MESSAGE_TYPES[display].endswith("/" + publishers[topic]), (topic, publishers[topic])
    assert publishers.get("/tf") == "TFMessage", "the TF display needs the node's /tf publisher"

    from holistic_ros.ros.tf import FRAME_PREFIXES

    pattern = re.compile(r"^(%s)_\d+$" % "|".join(map(re.escape, FRAME_PREFIXES.values())))
    for display in rviz_displays(rviz_config["Visualization Manager"]["Displays"]):
        if display["Class"] == "rviz_default_plugins/TF":
            named = [f for f in display["Frames"] if f != "All Enabled"]
            assert all(pattern.match(f) or f == RVIZ_FIXED_FRAME for f in named), named


@pytest.mark.ros
@pytest.mark.slow
def test_rviz_config_matches_a_running_node(rviz_config: dict, context, images_dir: Path):
    """The node, with the real core, on a real photo whose frame is the config's fixed frame and
    a camera_info of the same stamp: every topic of the config is one of its publishers with the
    display's type, and carries what RViz needs: markers in the fixed frame, TF children of it
    with the node's frame names, the annotated image. Markers and TF are where the person
    message's camera-frame 3D says."""
    import rclpy
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import CameraInfo, Image
    from std_msgs.msg import Header
    from tf2_msgs.msg import TFMessage
    from visualization_msgs.msg import MarkerArray

    from holistic_ros.msg import HolisticPeople
    from holistic_ros.ros.image_conversion import rgb_to_image_msg
    from holistic_ros.ros.markers import marker_id, namespace
    from holistic_ros.ros.node import HolisticNode
    from holistic_ros.ros.tf import FRAME_PREFIXES
    from holistic_ros import Holistic
    from holistic_ros.pipeline.models import ModelError

    try:
        Holistic(static_image_mode=True).close()
    except ModelError as error:  # models not converted: a missing prerequisite; any other error fails
        skip_or_fail(f"pipeline core cannot start: {error} (run `make models`)")

    fixed_frame = rviz_config["Visualization Manager"]["Global Options"]["Fixed Frame"]
    params = [Parameter(name, value=value) for name, value in {
        "static_image_mode": True, "execution_provider": "cpu", "publish_annotated": True,
        "publish_markers": True, "use_camera_info": True}.items()]
    node = HolisticNode(context=context, namespace="rvizcheck", parameter_overrides=params)
    probe = rclpy.create_node("rviz_probe", context=context)
    received = {"tf": []}
    lock = threading.Lock()

    def keep(key):
        def callback(msg):
            with lock:
                received.setdefault(key, []).append(msg)
        return callback

    types = {"rviz_default_plugins/MarkerArray": MarkerArray, "rviz_default_plugins/Image": Image}
    topics = rviz_topics(rviz_config)
    for topic, display in topics.items():   # relative, as RViz in the node's namespace resolves them
        probe.create_subscription(types[display], f"/rvizcheck/{topic}", keep(topic), 10)
    probe.create_subscription(TFMessage, "/tf", keep("tf"), 100)
    probe.create_subscription(HolisticPeople, "/rvizcheck/holistic/people", keep("people"), 10)
    image_pub = probe.create_publisher(Image, "/rvizcheck/image", 10)
    info_pub = probe.create_publisher(CameraInfo, "/rvizcheck/camera_info", 10)
    executor = MultiThreadedExecutor(num_threads=2, context=context)
    executor.add_node(node)
    executor.add_node(probe)
    thread = threading.Thread(target=executor.spin, daemon=True)
    thread.start()
    try:
        _wait(lambda: all(f"/rvizcheck/{t}" in dict(probe.get_publisher_names_and_types_by_node(
            "holistic", "/rvizcheck")) for t in topics), "the node's publishers")
        names_types = dict(probe.get_publisher_names_and_types_by_node("holistic", "/rvizcheck"))
        for topic, display in topics.items():
            assert names_types[f"/rvizcheck/{topic}"] == [RVIZ_MESSAGE_TYPES[display]], topic
        assert names_types.get("/tf") == ["tf2_msgs/msg/TFMessage"]

        rgb = load_rgb(images_dir / "tfe_yoga_tree_pose.jpg")
        height, width = rgb.shape[:2]
        focal = 0.5 * width / np.tan(np.radians(69.0) / 2)
        _wait(lambda: image_pub.get_subscription_count() > 0 and info_pub.get_subscription_count() > 0,
              "the node's subscriptions")
        for sec in range(1, 30):   # best effort: send again until one is answered
            head = Header(frame_id=fixed_frame)
            head.stamp.sec = sec
            info = CameraInfo(header=head, width=width, height=height, distortion_model="plumb_bob",
                              k=[focal, 0.0, (width - 1) / 2, 0.0, focal, (height - 1) / 2, 0.0, 0.0, 1.0],
                              d=[0.0] * 5)
            info_pub.publish(info)
            time.sleep(0.05)
            image_pub.publish(rgb_to_image_msg(rgb, head))
            try:
                _wait(lambda: all(received.get(t) for t in topics) and received["tf"] and received.get("people"),
                      "outputs", timeout=10.0)
                break
            except AssertionError:
                continue
        with lock:
            markers = [m for array in received["holistic/markers"] for m in array.markers]
            transforms = [t for msg in received["tf"] for t in msg.transforms]
            annotated = received["holistic/annotated"][0]
            people = received["people"][0]
        assert markers and all(m.header.frame_id == fixed_frame for m in markers)
        assert annotated.header.frame_id == fixed_frame and (annotated.width, annotated.height) == (width, height)
        assert transforms and all(t.header.frame_id == fixed_frame for t in transforms)
        pattern = re.compile(r"^(%s)_(\d+)$" % "|".join(map(re.escape, FRAME_PREFIXES.values())))
        children = {t.child_frame_id for t in transforms}
        assert all(pattern.match(c) for c in children), children
        assert {"body", "head"} <= {pattern.match(c).group(1) for c in children}
        # the markers' person ids are the TF frames' ids
        ids = {int(pattern.match(c).group(2)) for c in children}
        assert {int(m.ns.split("/")[0].split("_")[1]) for m in markers} == ids

        # markers and TF where the person message's camera-frame 3D puts the person
        person = next(p for p in people.people if p.located)
        points = np.array([(q.x, q.y, q.z) for q in person.pose_points])
        points = points[np.all(np.isfinite(points), axis=1)]
        by_key = {(m.ns, m.id): m for m in markers}
        dots = by_key[(namespace(person.id, "pose"), marker_id(person.id, "pose", "points"))]
        np.testing.assert_allclose([(q.x, q.y, q.z) for q in dots.points], points, atol=1e-5)
        assert 0.3 < np.median(points[:, 2]) < 10.0   # in front of the camera, in metres
        body = next(t for t in transforms if t.child_frame_id == f"body_{person.id}")
        position = person.body_pose.position
        assert (body.transform.translation.x, body.transform.translation.y, body.transform.translation.z) == \
            pytest.approx((position.x, position.y, position.z), abs=1e-6)
    finally:
        executor.shutdown(timeout_sec=5.0)
        thread.join(timeout=10.0)
        probe.destroy_node()
        node.destroy_node()


def test_launch_sets_the_installed_fastdds_profile_unless_one_is_set(launch_description, share: Path,
                                                                      monkeypatch):
    _, evaluate = launch_description
    monkeypatch.delenv("FASTRTPS_DEFAULT_PROFILES_FILE", raising=False)
    monkeypatch.delenv("FASTDDS_DEFAULT_PROFILES_FILE", raising=False)
    for node in evaluate(video="/tmp/clip.mp4"):
        profile = Path(node.kwargs["additional_env"]["FASTRTPS_DEFAULT_PROFILES_FILE"])
        assert profile == share / "config" / "fastdds_large_images.xml" and profile.is_file()
    monkeypatch.setenv("FASTRTPS_DEFAULT_PROFILES_FILE", "/mine.xml")
    assert evaluate()[0].kwargs["additional_env"] == {}


def test_launchers_use_an_existing_interpreter(install_prefix: Path):
    for exe in ("holistic_node", "holistic_lifecycle_node", "video_source", "recorder"):
        first = (install_prefix / "lib" / "holistic_ros" / exe).read_text().splitlines()[0]
        assert first.startswith("#!")
        assert Path(first[2:].split()[0]).exists(), first


def test_models_installed_next_to_the_package(install_prefix: Path, repo_root: Path):
    source = repo_root / "models" / "manifest.json"
    if not source.is_file():
        skip_or_fail("models/manifest.json absent: run `make models`")
    site = next((install_prefix / "lib").glob("python3*/site-packages/holistic_ros"))
    assert (site / "models" / "manifest.json").is_file()
    assert (install_prefix / "share" / "holistic_ros" / "models" / "manifest.json").is_file()


# --------------------------------------------------------------------------- subprocesses
def _ros_env() -> dict:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.stdout.read() if process.stdout else ""


@pytest.fixture
def ros_probe():
    import rclpy
    from rclpy.context import Context
    from rclpy.executors import SingleThreadedExecutor

    context = Context()
    rclpy.init(context=context)
    node = rclpy.create_node("launch_probe", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    thread = threading.Thread(target=executor.spin, daemon=True)
    thread.start()
    yield node
    executor.shutdown(timeout_sec=5)
    thread.join(timeout=10)
    node.destroy_node()
    rclpy.try_shutdown(context=context)


def _wait(predicate, what, process=None, timeout=WAIT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if process is not None and process.poll() is not None:
            raise AssertionError(f"process exited ({process.returncode}) while waiting for {what}:\n"
                                 + _stop(process))
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.ros
@pytest.mark.slow
def test_node_runs_with_the_params_file(install_prefix: Path, share: Path, ros_probe, images_dir):
    from rclpy.parameter_client import AsyncParameterClient
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image
    from std_msgs.msg import Header

    from holistic_ros.ros.image_conversion import rgb_to_image_msg
    from holistic_ros.msg import HolisticLandmarks

    received = []
    ros_probe.create_subscription(HolisticLandmarks, "/launchtest/holistic/landmarks",
                                  received.append, 10)
    publisher = ros_probe.create_publisher(Image, "/launchtest/cam", qos_profile_sensor_data)
    process = subprocess.Popen(
        [str(install_prefix / "lib" / "holistic_ros" / "holistic_node"), "--ros-args",
         "--params-file", str(share / "config" / "holistic.yaml"),
         "-p", "execution_provider:=cpu", "-r", "__ns:=/launchtest", "-r", "image:=/launchtest/cam"],
        env=_ros_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait(lambda: publisher.get_subscription_count() > 0, "the node's subscription", process)
        client = AsyncParameterClient(ros_probe, "/launchtest/holistic")
        _wait(client.services_are_ready, "parameter services", process)
        future = client.get_parameters(["markers.world_origin", "execution_provider",
                                        "model_complexity"])
        _wait(future.done, "get_parameters", process)
        values = [v for v in future.result().values]
        assert list(values[0].double_array_value) == [0.0, 0.0, 2.0]   # from the file
        assert values[1].string_value == "cpu"                          # from -p
        assert values[2].integer_value == 1

        rgb = load_rgb(images_dir / "tfe_yoga_tree_pose.jpg")
        header = Header(frame_id="cam")
        for sec in range(1, 100):   # best effort: send again until one is processed
            header.stamp.sec = sec
            publisher.publish(rgb_to_image_msg(rgb, header))
            try:
                _wait(lambda: bool(received), "landmarks", process, timeout=5.0)
                break
            except AssertionError:
                if process.poll() is not None:
                    raise
        assert received and received[0].header.frame_id == "cam"
        assert received[0].pose_found
    finally:
        output = _stop(process)
    assert process.returncode == 0, output


@pytest.mark.ros
def test_node_refuses_an_out_of_range_params_file(install_prefix: Path, tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("/**:\n  ros__parameters:\n    model_complexity: 7\n")
    result = subprocess.run(
        [str(install_prefix / "lib" / "holistic_ros" / "holistic_node"), "--ros-args",
         "--params-file", str(bad), "-r", "__ns:=/badparams"],
        env=_ros_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert result.returncode != 0
    assert "model_complexity" in result.stdout


@pytest.mark.ros
def test_video_source_publishes_frames(install_prefix: Path, videos_dir: Path, ros_probe):
    from sensor_msgs.msg import CameraInfo, Image

    frames, infos = [], []
    ros_probe.create_subscription(Image, "/vs/image", frames.append, 10)
    ros_probe.create_subscription(CameraInfo, "/vs/camera_info", infos.append, 10)
    video = videos_dir / "mps_hand_reach_640x360.mp4"
    process = subprocess.Popen(
        [str(install_prefix / "lib" / "holistic_ros" / "video_source"), "--ros-args",
         "-p", f"source:={video}", "-p", "max_frames:=3", "-p", "wait_for_subscribers:=true",
         "-p", "frame_id:=cam", "-p", "field_of_view:=90.0", "-r", "__ns:=/vs"],
        env=_ros_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait(lambda: process.poll() is not None, "video_source to finish 3 frames")
    finally:
        output = _stop(process)
    assert process.returncode == 0, output
    _wait(lambda: len(frames) >= 1, "frames")
    assert (frames[0].width, frames[0].height, frames[0].encoding) == (640, 360, "rgb8")
    assert frames[0].header.frame_id == "cam"
    # With field_of_view, an ideal camera_info of the same stamp beside each image (90 deg: fx = w / 2).
    _wait(lambda: any(i.header.stamp == frames[0].header.stamp for i in infos), "camera_info of the first frame")
    info = next(i for i in infos if i.header.stamp == frames[0].header.stamp)
    assert (info.width, info.height, info.header.frame_id) == (640, 360, "cam")
    assert info.k[0] == pytest.approx(320.0) and info.k[4] == pytest.approx(320.0)


@pytest.mark.ros
@pytest.mark.slow
def test_demo_writes_video_and_log(repo_root: Path, install_prefix: Path, videos_dir: Path,
                                   tmp_path: Path):
    """scripts/demo.py (make demo) on the short clip: an MP4 and a JSON-lines log."""
    result = subprocess.run(
        [sys.executable, str(repo_root / "scripts" / "demo.py"),
         "--video", str(videos_dir / "mps_hand_reach_640x360.mp4"), "--output", str(tmp_path)],
        env=_ros_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=580)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "processing rate:" in result.stdout
    video, log = tmp_path / "annotated.mp4", tmp_path / "landmarks.jsonl"
    assert video.stat().st_size > 0
    lines = log.read_text().splitlines()
    assert lines
    first = json.loads(lines[0])
    assert {"header", "pose_landmarks", "face_found", "image_width"} <= set(first)
    assert first["image_width"] == 640
    import cv2

    capture = cv2.VideoCapture(str(video))
    ok, frame = capture.read()
    assert ok and frame.shape == (360, 640, 3)
    capture.release()
    assert np.isfinite(float(result.stdout.split("processing rate:")[1].split()[0]))
    # The people log: every frame, the people located in metres from the demo's camera_info.
    people = [json.loads(line) for line in (tmp_path / "people.jsonl").read_text().splitlines()]
    assert len(people) == len(lines)
    located = [p for msg in people for p in msg["people"] if p["located"]]
    assert located and all(len(p["pose_points"]) == 33 for p in located)
    assert all(p["pose_points"][0]["z"] > 0 for p in located)   # in front of the camera
    assert (tmp_path / "gesture_events.jsonl").is_file()
    # The offline path: every frame of the clip through the bag tool into holistic.mcap, which the
    # MCAP reader and rosbags both read.
    from mcap.reader import make_reader
    from rosbags.rosbag2 import Reader

    frames = int(cv2.VideoCapture(str(videos_dir / "mps_hand_reach_640x360.mp4")).get(cv2.CAP_PROP_FRAME_COUNT))
    with open(tmp_path / "holistic.mcap", "rb") as f:
        counted = sum(channel.topic == "/holistic/people" for _, channel, _ in make_reader(f).iter_messages())
    with Reader(tmp_path / "holistic.mcap") as reader:
        topics = reader.topics
    assert counted == topics["/holistic/people"].msgcount == frames
    assert topics["/camera/image_raw/compressed"].msgcount == frames    # the input, copied through
