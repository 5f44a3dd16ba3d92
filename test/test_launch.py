"""The installed launch file, parameters file and executables.

`launch` / `launch_ros` cannot be installed here, so the launch file is run against
small stand-ins that record what it asks for; every executable and path it names is
then checked in install/. The node itself is started as a subprocess with the same
parameters file (``--ros-args --params-file``), as `ros2 launch` would.
"""

from __future__ import annotations

import importlib.util
import json
import os
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

from conftest import load_rgb, require_messages

require_messages()

from holistic_ros.ros.node import PARAMETERS  # noqa: E402

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
    assert {"image", "config", "use_gpu", "compressed", "video", "namespace"} <= set(arguments)
    assert Path(arguments["config"]) == share / "config" / "holistic.yaml"
    assert Path(arguments["config"]).is_file()


def test_launch_names_installed_executables(launch_description, install_prefix: Path):
    _, evaluate = launch_description
    (node,) = evaluate()
    assert node.kwargs["package"] == "holistic_ros"
    exe = install_prefix / "lib" / "holistic_ros" / node.kwargs["executable"]
    assert exe.is_file() and os.access(exe, os.X_OK)
    assert dict(node.kwargs["remappings"])["image"] == "/camera/image_raw"
    (config,) = node.kwargs["parameters"]
    assert Path(config).is_file()

    nodes = evaluate(use_gpu="true", video="/tmp/clip.mp4", image="/cam/image", compressed="true")
    assert [n.kwargs["executable"] for n in nodes] == ["holistic_node", "video_source"]
    for n in nodes:
        assert (install_prefix / "lib" / "holistic_ros" / n.kwargs["executable"]).is_file()
    assert nodes[0].kwargs["parameters"][1] == {"execution_provider": "cuda",
                                               "image_transport": "compressed"}
    assert dict(nodes[0].kwargs["remappings"])["image/compressed"] == "/cam/image/compressed"
    assert evaluate(use_gpu="false")[0].kwargs["parameters"][1] == {"execution_provider": "cpu"}
    with pytest.raises(ValueError):
        evaluate(use_gpu="maybe")


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
    for exe in ("holistic_node", "video_source", "recorder"):
        first = (install_prefix / "lib" / "holistic_ros" / exe).read_text().splitlines()[0]
        assert first.startswith("#!")
        assert Path(first[2:].split()[0]).exists(), first


def test_models_installed_next_to_the_package(install_prefix: Path, repo_root: Path):
    source = repo_root / "models" / "manifest.json"
    if not source.is_file():
        pytest.skip("models/manifest.json absent: run `make models`")
    site = next((install_prefix / "lib").glob("python3*/site-packages/holistic_ros"))
    assert (site / "models" / "manifest.json").is_file()
    assert (install_prefix / "share" / "holistic_ros" / "models" / "manifest.json").is_file()


def test_config_declares_every_parameter(repo_root: Path):
    config = yaml.safe_load((repo_root / "config" / "holistic.yaml").read_text())
    params = config["/**"]["ros__parameters"]
    flat = {}
    for key, value in params.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    assert set(flat) == set(PARAMETERS)
    for name, value in flat.items():
        assert value == PARAMETERS[name][0], name   # the file says what the defaults are


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
