"""ROS 2 node ``recorder``: writes holistic_node's output to files.

* ``holistic/annotated`` (sensor_msgs/Image) -> an MP4 video. Frames are repeated so
  that the video keeps the images' own timing (header stamps) at ``fps``.
* ``holistic/landmarks`` (HolisticLandmarks) -> JSON lines, one message per line
  (NaN written as null).
* ``holistic/people`` (HolisticPeople: every person with camera-frame 3D and gestures)
  and ``holistic/gesture_events`` (GestureEvent) -> JSON lines the same way.

Stops after ``idle_timeout`` seconds without messages (once some came), or after
``max_wait`` seconds if none ever comes, and prints where the files are and the rate
at which landmark messages arrived.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Any, Optional

import cv2
from rcl_interfaces.msg import FloatingPointRange, ParameterDescriptor
from rclpy.node import Node
from rclpy.qos import QoSProfile
from rclpy.time import Time
from sensor_msgs.msg import Image

from holistic_ros.ros.main import run_node
from holistic_ros.ros.image_conversion import ImageConversionError, image_msg_to_rgb
from holistic_ros.msg import GestureEvent, HolisticLandmarks, HolisticPeople


def message_to_dict(msg: Any) -> Any:
    """A ROS message as JSON-ready data: nested dicts and lists, NaN and inf as None."""
    if hasattr(msg, "get_fields_and_field_types"):
        return {name: message_to_dict(getattr(msg, name))
                for name in msg.get_fields_and_field_types()}
    if isinstance(msg, (list, tuple)):
        return [message_to_dict(item) for item in msg]
    if isinstance(msg, float):
        return msg if math.isfinite(msg) else None
    if isinstance(msg, (bytes, bytearray)):
        return list(msg)
    if hasattr(msg, "tolist"):   # array.array, numpy
        return msg.tolist()
    return msg


class RecorderNode(Node):
    def __init__(self, **node_kwargs):
        super().__init__("recorder", **node_kwargs)
        params = {
            "output_dir": ("output", "Folder for the files (created)"),
            "video_name": ("annotated.mp4", "Video file name; empty: no video"),
            "log_name": ("landmarks.jsonl", "JSON-lines file name; empty: no log"),
            "people_name": ("people.jsonl", "JSON lines of holistic/people; empty: none"),
            "events_name": ("gesture_events.jsonl", "JSON lines of holistic/gesture_events; empty: none"),
        }
        for name, (default, description) in params.items():
            self.declare_parameter(name, default, ParameterDescriptor(description=description))
        self.declare_parameter("fps", 25.0, ParameterDescriptor(
            description="Frame rate of the video file",
            floating_point_range=[FloatingPointRange(from_value=1.0, to_value=240.0)]))
        self.declare_parameter("idle_timeout", 5.0, ParameterDescriptor(
            description="Stop this many seconds after the last message; 0: never",
            floating_point_range=[FloatingPointRange(from_value=0.0, to_value=3600.0)]))
        self.declare_parameter("max_wait", 120.0, ParameterDescriptor(
            description="Stop if no message came within this many seconds; 0: never",
            floating_point_range=[FloatingPointRange(from_value=0.0, to_value=3600.0)]))
        out = Path(self.get_parameter("output_dir").value)
        out.mkdir(parents=True, exist_ok=True)
        video_name = self.get_parameter("video_name").value
        log_name = self.get_parameter("log_name").value
        self.video_path = out / video_name if video_name else None
        self.log_path = out / log_name if log_name else None
        self.fps = float(self.get_parameter("fps").value)
        self.idle_timeout = float(self.get_parameter("idle_timeout").value)
        self.max_wait = float(self.get_parameter("max_wait").value)
        self.log_file = open(self.log_path, "w", encoding="utf-8") if self.log_path else None
        people_name = self.get_parameter("people_name").value
        events_name = self.get_parameter("events_name").value
        self.people_path = out / people_name if people_name else None
        self.events_path = out / events_name if events_name else None
        self.people_file = open(self.people_path, "w", encoding="utf-8") if self.people_path else None
        self.events_file = open(self.events_path, "w", encoding="utf-8") if self.events_path else None
        self.people_messages = 0
        self.people_located = 0
        self.events = {}
        self.writer: Optional[cv2.VideoWriter] = None
        self.video_frames_written = 0
        self.annotated_received = 0
        self.landmarks_received = 0
        self.people_found = 0
        self.first_stamp: Optional[float] = None
        self.landmark_times = []
        self.started = time.monotonic()
        self.last_message = None
        self.done = False
        qos = QoSProfile(depth=10)
        self.create_subscription(Image, "holistic/annotated", self._on_annotated, qos)
        self.create_subscription(HolisticLandmarks, "holistic/landmarks", self._on_landmarks, qos)
        self.create_subscription(HolisticPeople, "holistic/people", self._on_people, qos)
        self.create_subscription(GestureEvent, "holistic/gesture_events", self._on_event, QoSProfile(depth=50))
        self.create_timer(0.5, self._check_idle)

    def _on_annotated(self, msg: Image) -> None:
        self.last_message = time.monotonic()
        self.annotated_received += 1
        if self.video_path is None:
            return
        try:
            rgb = image_msg_to_rgb(msg)
        except ImageConversionError as error:
            self.get_logger().error(f"annotated image skipped: {error}", throttle_duration_sec=5.0)
            return
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        if self.writer is None:
            height, width = bgr.shape[:2]
            self.writer = cv2.VideoWriter(str(self.video_path), cv2.VideoWriter_fourcc(*"mp4v"),
                                          self.fps, (width, height))
            if not self.writer.isOpened():
                self.get_logger().error(f"cannot write {self.video_path}")
                self.video_path = None
                return
        stamp = Time.from_msg(msg.header.stamp).nanoseconds * 1e-9
        if self.first_stamp is None:
            self.first_stamp = stamp
        # Repeat the frame up to its place in time, so the video plays at the input's pace.
        target = int(round((stamp - self.first_stamp) * self.fps)) + 1
        for _ in range(max(1, target - self.video_frames_written)):
            self.writer.write(bgr)
            self.video_frames_written += 1

    def _on_landmarks(self, msg: HolisticLandmarks) -> None:
        self.last_message = time.monotonic()
        self.landmarks_received += 1
        self.people_found += int(msg.pose_found)
        self.landmark_times.append(self.last_message)
        if self.log_file is not None:
            self.log_file.write(json.dumps(message_to_dict(msg), separators=(",", ":")) + "\n")

    def _on_people(self, msg: HolisticPeople) -> None:
        self.people_messages += 1
        self.people_located += sum(1 for p in msg.people if p.located)
        if self.people_file is not None:
            self.people_file.write(json.dumps(message_to_dict(msg), separators=(",", ":")) + "\n")

    def _on_event(self, msg: GestureEvent) -> None:
        if msg.kind == GestureEvent.ONSET:
            self.events[msg.gesture.name] = self.events.get(msg.gesture.name, 0) + 1
        if self.events_file is not None:
            self.events_file.write(json.dumps(message_to_dict(msg), separators=(",", ":")) + "\n")

    def _check_idle(self) -> None:
        now = time.monotonic()
        if self.last_message is None:
            if self.max_wait and now - self.started > self.max_wait:
                self.get_logger().warning(f"no message within max_wait={self.max_wait} s")
                self.done = True
        elif self.idle_timeout and now - self.last_message > self.idle_timeout:
            self.done = True

    def processing_rate(self) -> float:
        """Landmark messages per second between the first and the last one."""
        if len(self.landmark_times) < 2:
            return float("nan")
        return (len(self.landmark_times) - 1) / (self.landmark_times[-1] - self.landmark_times[0])

    def close(self) -> str:
        """Close the files; returns the summary it also logs."""
        if self.writer is not None:
            self.writer.release()
        for f in (self.log_file, self.people_file, self.events_file):
            if f is not None:
                f.close()
        onsets = ", ".join(f"{name} x{n}" for name, n in sorted(self.events.items())) or "none"
        lines = [
            f"landmark messages: {self.landmarks_received} ({self.people_found} with a person)",
            f"processing rate: {self.processing_rate():.2f} frames/s",
            f"annotated frames: {self.annotated_received}",
            f"people messages: {self.people_messages} ({self.people_located} people located in metres)",
            f"gesture onsets: {onsets}",
        ]
        if self.video_path is not None and self.writer is not None:
            lines.append(f"video: {self.video_path.resolve()} ({self.video_frames_written} frames "
                         f"at {self.fps:g} fps)")
        if self.log_path is not None:
            lines.append(f"landmarks log: {self.log_path.resolve()}")
        if self.people_path is not None:
            lines.append(f"people log: {self.people_path.resolve()}")
        if self.events_path is not None:
            lines.append(f"gesture events: {self.events_path.resolve()}")
        return "\n".join(lines)


def main(args=None) -> int:
    def finish(node: RecorderNode) -> int:
        print(node.close(), flush=True)
        return 0 if node.landmarks_received else 1

    return run_node(RecorderNode, "recorder", args, on_exit=finish)


if __name__ == "__main__":
    sys.exit(main())
