"""Soak run: many frames through holistic_node, watching its memory and frame rate.

Runs holistic_node (the real node and pipeline, default parameters) in this process,
beside a driver node, and feeds it real frames from a clip in a closed loop: the next
image is published when the landmarks of the previous one arrive, so the node is
always busy and no frame is dropped. Both nodes share one ROS context, so the ~1 MB
images go through Fast DDS's intra-process path rather than UDP fragments. Every
``--report-every`` frames it prints the frame rate over that window and the process's
resident memory (VmRSS); at the end, whether memory stayed flat.
Run `make build` and `source install/setup.bash` first (for the messages).

    .venv/bin/python scripts/soak.py --frames 10000 [--video CLIP] [--size 640x480]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VIDEO = ROOT.parent / "shared" / "testdata" / "media" / "videos" / "mps_woman_thumbs_up_1280x720.mp4"


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def load_frames(path: Path, size) -> list:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        if size:
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        frames.append(np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
    cap.release()
    return frames


def open_loop(args, publish, executor, received) -> int:
    """Publish at a camera's pace; the node drops what it cannot take (depth-1 QoS)."""
    period = 1.0 / args.rate
    sent, start_n = 0, received["n"]
    start = time.monotonic()
    while received["n"] - start_n < args.frames:
        publish(1 + sent)
        sent += 1
        deadline = start + sent * period
        while time.monotonic() < deadline:
            executor.spin_once(timeout_sec=max(0.0, deadline - time.monotonic()))
    elapsed = time.monotonic() - start
    processed = received["n"] - start_n
    print(f"soak (open loop at {args.rate:.0f} FPS): sent {sent} frames, the node processed "
          f"{processed} in {elapsed:.1f} s = {processed / elapsed:.1f} FPS")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10000)
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--size", default="640x480", help="WxH the frames are resized to ('' keeps them)")
    parser.add_argument("--report-every", type=int, default=1000)
    parser.add_argument("--pipelined", action="store_true", help="run the node with pipelined:=true")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="publish open loop at this many frames per second, like a camera, "
                             "for --frames frames' worth of time at the node's speed (0: closed loop)")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x")) if args.size else None
    frames = load_frames(args.video, size)
    if not frames:
        print(f"soak: no frames in {args.video}", file=sys.stderr)
        return 2

    os.environ.setdefault("ROS_DOMAIN_ID", str(1 + os.getpid() % 100))
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    import rclpy
    from sensor_msgs.msg import Image

    from holistic_ros.msg import HolisticLandmarks

    from holistic_ros.ros.node import HolisticNode

    from rclpy.executors import SingleThreadedExecutor
    from rclpy.signals import SignalHandlerOptions

    rclpy.init(signal_handler_options=SignalHandlerOptions.NO)
    from rclpy.parameter import Parameter

    holistic = HolisticNode(namespace="soak",
                            parameter_overrides=[Parameter("pipelined", value=bool(args.pipelined))])
    node = rclpy.create_node("soak_driver")
    # Reliable, as video_source publishes: large best-effort samples are easily
    # lost in fragments, and the node's best-effort subscription accepts both.
    pub = node.create_publisher(Image, "/soak/image", 1)
    arrived = threading.Event()
    received = {"n": 0, "people": 0}

    def on_landmarks(msg):
        received["n"] += 1
        received["people"] += int(msg.pose_found)
        arrived.set()

    node.create_subscription(HolisticLandmarks, "/soak/holistic/landmarks", on_landmarks, 10)
    executor = SingleThreadedExecutor()
    executor.add_node(holistic)
    executor.add_node(node)

    def wait_for_answer(timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not arrived.is_set() and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.05)
        return arrived.is_set()

    def publish(i: int) -> None:
        rgb = frames[i % len(frames)]
        msg = Image()
        # Stamps keep increasing across loops of the clip, as a live camera's would.
        t = (i + 1) / 30.0
        msg.header.stamp.sec, msg.header.stamp.nanosec = int(t), int((t % 1) * 1e9)
        msg.header.frame_id = "camera"
        msg.height, msg.width = rgb.shape[:2]
        msg.encoding, msg.step = "rgb8", rgb.shape[1] * 3
        msg.data = rgb.tobytes()
        pub.publish(msg)

    print(f"soak: {args.frames} frames of {args.video.name} at {frames[0].shape[1]}x{frames[0].shape[0]}, "
          f"pid {os.getpid()}", flush=True)
    # Wait until the node (models loaded) answers.
    deadline = time.monotonic() + 120
    while received["n"] == 0 and time.monotonic() < deadline:
        arrived.clear()
        publish(0)
        wait_for_answer(1.0)
    if received["n"] == 0:
        print("soak: the node never answered", file=sys.stderr)
        return 1
    if args.rate > 0:
        try:
            return open_loop(args, publish, executor, received)
        finally:
            holistic.destroy_node()
            node.destroy_node()
            rclpy.shutdown()
    samples = []
    start = window_start = time.monotonic()
    start_n = received["n"]
    rss0 = rss_mb(os.getpid())
    print(f"{'frames':>7} {'seconds':>8} {'window FPS':>10} {'RSS MB':>8}", flush=True)
    i = 1
    timeouts = 0
    while received["n"] - start_n < args.frames:
        arrived.clear()
        publish(i)
        if not wait_for_answer(5.0):
            timeouts += 1   # a dropped or lost frame: publish the next one
        i += 1
        done = received["n"] - start_n
        if done and done % args.report_every == 0 and (not samples or samples[-1][0] != done):
            now = time.monotonic()
            fps = args.report_every / (now - window_start)
            window_start = now
            samples.append((done, now - start, fps, rss_mb(os.getpid())))
            print(f"{done:7d} {now - start:8.1f} {fps:10.1f} {samples[-1][3]:8.1f}", flush=True)
    total = time.monotonic() - start
    holistic.destroy_node()
    node.destroy_node()
    rclpy.shutdown()
    rss = [s[3] for s in samples]
    fps = [s[2] for s in samples]
    print(f"soak: {args.frames} frames in {total:.1f} s, {args.frames / total:.1f} FPS overall; "
          f"window FPS min {min(fps):.1f} max {max(fps):.1f}; RSS {rss0:.1f} MB after warm-up, "
          f"{rss[0]:.1f} MB at the first report, {rss[-1]:.1f} MB at the end "
          f"({rss[-1] - rss[0]:+.1f} MB); person found in {received['people']} messages; "
          f"{timeouts} frames without an answer within 5 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
