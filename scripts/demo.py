"""`make demo`: video_source -> holistic_node -> recorder, as three ROS 2 processes.

What `ros2 launch holistic_ros holistic.launch.py video:=...` plus a recorder would do
on a full ROS install, with the executables of install/holistic_ros (run `make build`
and `source install/setup.bash` first; `make demo` does both).

Writes <output>/annotated.mp4, landmarks.jsonl, people.jsonl (every person with
camera-frame 3D and gestures) and gesture_events.jsonl, and prints where they are and
the processing rate. Then the offline path: the clip goes into a camera bag
(holistic_ros.ros.clip_bag), and the ``bag`` executable turns it into
<output>/holistic.mcap, every frame, with the input image and camera_info copied through
(``ros2 bag play output/holistic.mcap`` and RViz show it). A video file has no calibration: video_source publishes an ideal
camera_info of --field-of-view degrees beside each frame, so the 3D is a demonstration
of the plumbing, with distances only as right as that guess.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = ROOT / "install" / "holistic_ros"
EXE_DIR = PREFIX / "lib" / "holistic_ros"
CONFIG = PREFIX / "share" / "holistic_ros" / "config" / "holistic.yaml"
TOPIC = "/demo/image"


def ros_args(*items: str) -> list:
    return ["--ros-args", *items]


def stop(process: subprocess.Popen, name: str, timeout: float = 10.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"demo: {name} did not stop on SIGINT, killing it", flush=True)
        process.kill()
        process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", required=True, help="video file, image folder or camera")
    parser.add_argument("--output", default="output", help="output folder")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after seconds")
    parser.add_argument("--field-of-view", type=float, default=60.0,
                        help="horizontal degrees of the camera_info published with the video (0: none)")
    args = parser.parse_args()
    video = Path(args.video)
    if not video.exists() and not args.video.isdigit():
        print(f"demo: video not found: {video} (set VIDEO=path)", file=sys.stderr)
        return 2
    for exe in ("holistic_node", "video_source", "recorder", "bag"):
        if not (EXE_DIR / exe).is_file():
            print(f"demo: {EXE_DIR / exe} missing: run `make build`", file=sys.stderr)
            return 2
    output = Path(args.output).resolve()
    output.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    # ~1-3 MB frames between processes: shared memory, not UDP fragments.
    env.setdefault("FASTRTPS_DEFAULT_PROFILES_FILE",
                   str(PREFIX / "share" / "holistic_ros" / "config" / "fastdds_large_images.xml"))
    env.setdefault("ROS_DOMAIN_ID", str(1 + os.getpid() % 100))   # keep the demo to itself
    env.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")

    node = subprocess.Popen(
        [str(EXE_DIR / "holistic_node"), *ros_args(
            "--params-file", str(CONFIG), "-p", "publish_annotated:=true",
            "-r", f"image:={TOPIC}", "-r", "__ns:=/demo")], env=env)
    recorder = subprocess.Popen(
        [str(EXE_DIR / "recorder"), *ros_args(
            "-p", f"output_dir:={output}", "-p", "idle_timeout:=5.0", "-r", "__ns:=/demo")],
        env=env, stdout=subprocess.PIPE, text=True)
    # The node subscribes only once its models are loaded; the source waits for that.
    source = subprocess.Popen(
        [str(EXE_DIR / "video_source"), *ros_args(
            "-p", f"source:={video.resolve() if video.exists() else args.video}",
            "-p", "wait_for_subscribers:=true", "-p", f"field_of_view:={args.field_of_view}",
            "-r", f"image:={TOPIC}", "-r", "camera_info:=/demo/camera_info")], env=env)
    started = time.monotonic()
    rc = 0
    try:
        while recorder.poll() is None:
            if node.poll() is not None:
                print(f"demo: holistic_node exited with {node.returncode}", file=sys.stderr)
                rc = 1
                break
            if time.monotonic() - started > args.timeout:
                print("demo: timed out", file=sys.stderr)
                rc = 1
                break
            time.sleep(0.5)
    finally:
        stop(source, "video_source")
        stop(recorder, "recorder")
        stop(node, "holistic_node")
    summary = recorder.stdout.read() if recorder.stdout else ""
    print("\n=== holistic_ros demo ===")
    print(f"input: {args.video}")
    print(summary.strip())
    if recorder.returncode not in (0, None) and rc == 0:
        rc = 1
    if rc == 0 and video.is_file():
        rc = offline(video, output, args.field_of_view, env)
    return rc


def offline(video: Path, output: Path, field_of_view: float, env: dict) -> int:
    """The clip into a camera bag, then ``bag`` over it into <output>/holistic.mcap."""
    result = output / "holistic.mcap"
    if result.exists():
        result.unlink()
    scratch = Path(tempfile.mkdtemp(prefix="holistic_demo_"))
    try:
        camera_bag = scratch / "camera"
        # Run from the scratch folder: from the repository root, -m would find the source tree's
        # holistic_ros (without the built messages) before the installed one.
        # The video by its absolute path: a relative one (make demo's ../shared/...) would be
        # read from the scratch folder.
        made = subprocess.run([sys.executable, "-m", "holistic_ros.ros.clip_bag", str(video.resolve()), str(camera_bag),
                               "--compressed", "--field-of-view", str(field_of_view)], env=env, cwd=scratch)
        if made.returncode != 0:
            print("demo: could not write the clip into a bag", file=sys.stderr)
            return 1
        print("\n=== offline: every frame of the clip through the bag tool ===", flush=True)
        done = subprocess.run([str(EXE_DIR / "bag"), str(camera_bag), str(result), "--params-file", str(CONFIG),
                               "--copy", "/camera/image_raw/compressed", "--copy", "/camera/camera_info"], env=env)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if done.returncode != 0:
        print(f"demo: bag exited with {done.returncode}", file=sys.stderr)
        return 1
    print(f"offline: {result} ({result.stat().st_size / 1e6:.1f} MB); play it with `ros2 bag play {result}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
