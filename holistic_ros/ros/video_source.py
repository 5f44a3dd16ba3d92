"""ROS 2 node ``video_source``: frames of a video file, an image folder or a camera.

Publishes ``image`` (sensor_msgs/Image, rgb8 or bgr8) at the file's frame rate, or at
``rate`` when set, stamped with the time of publication.

Parameters: ``source`` (a video file, a folder of images, or a camera: an index such
as ``0`` or a device such as ``/dev/video0``), ``rate`` (frames per second; 0: the
video's own rate, 10 for folders, the camera's for cameras), ``loop``, ``frame_id``,
``encoding`` (rgb8 | bgr8), ``max_frames`` (0: all), ``wait_for_subscribers``
(start only once someone subscribes to ``image``), ``min_subscribers`` (start only once
``image`` has this many subscribers, e.g. 2: the node and a recorder, so that none of them
misses the first frame; 0: at once), ``field_of_view`` (horizontal
degrees; when set, ``camera_info`` is published with each image, same stamp, an ideal
pinhole of that field of view: a video file has no calibration of its own).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import cv2
import numpy as np
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.node import Node
from rclpy.qos import QoSProfile
from sensor_msgs.msg import CameraInfo, Image

from holistic_ros.ros.camera_info import camera_to_info
from holistic_ros.ros.main import run_node
from holistic_ros.ros.image_conversion import array_to_image_msg

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
FOLDER_RATE_HZ = 10.0
FALLBACK_RATE_HZ = 30.0   # when a video or camera does not report its rate


class FrameReader:
    """Frames from a video file, an image folder or a camera, as BGR arrays."""

    def __init__(self, source: str):
        self.source = source
        self._files: List[Path] = []
        self._index = 0
        self._capture: Optional[cv2.VideoCapture] = None
        path = Path(source)
        if path.is_dir():
            self._files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not self._files:
                raise ValueError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {source}")
            self.kind, self.rate = "folder", FOLDER_RATE_HZ
            return
        if source.isdigit():
            self._capture, self.kind = cv2.VideoCapture(int(source)), "camera"
        elif path.is_file() or source.startswith("/dev/"):
            self._capture = cv2.VideoCapture(source)
            self.kind = "camera" if source.startswith("/dev/") else "video"
        else:
            raise ValueError(f"source '{source}' is neither a file, a folder nor a camera")
        if not self._capture.isOpened():
            raise ValueError(f"cannot open {self.kind} '{source}'")
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        self.rate = float(fps) if fps and np.isfinite(fps) and fps > 0 else FALLBACK_RATE_HZ

    def read(self) -> Optional[np.ndarray]:
        """The next BGR frame, or None at the end."""
        if self._files:
            while self._index < len(self._files):
                frame = cv2.imread(str(self._files[self._index]), cv2.IMREAD_COLOR)
                self._index += 1
                if frame is not None:
                    return frame
            return None
        ok, frame = self._capture.read()
        return frame if ok else None

    def rewind(self) -> bool:
        if self._files:
            self._index = 0
            return True
        if self.kind == "video":
            return self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        return False

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()


class VideoSourceNode(Node):
    def __init__(self, **node_kwargs):
        super().__init__("video_source", **node_kwargs)
        self.declare_parameter("source", "", ParameterDescriptor(
            description="Video file, image folder, or camera index / device", read_only=True))
        self.declare_parameter("rate", 0.0, ParameterDescriptor(
            description="Frames per second; 0: the source's own rate",
            floating_point_range=[FloatingPointRange(from_value=0.0, to_value=1000.0)]))
        self.declare_parameter("loop", False, ParameterDescriptor(
            description="Start again at the end of a file or folder"))
        self.declare_parameter("frame_id", "camera_optical_frame", ParameterDescriptor(
            description="frame_id of the published images"))
        self.declare_parameter("encoding", "rgb8", ParameterDescriptor(
            description="rgb8 or bgr8", additional_constraints="rgb8 or bgr8"))
        self.declare_parameter("max_frames", 0, ParameterDescriptor(
            description="Stop after this many frames; 0: no limit",
            integer_range=[IntegerRange(from_value=0, to_value=10**9, step=1)]))
        self.declare_parameter("wait_for_subscribers", False, ParameterDescriptor(
            description="Publish only once image has a subscriber (min_subscribers 1)"))
        self.declare_parameter("min_subscribers", 0, ParameterDescriptor(
            description="Publish only once image has this many subscribers (e.g. 2: holistic_node and a "
                        "recorder), so that none misses the first frame; 0: at once. Once started, it goes on",
            integer_range=[IntegerRange(from_value=0, to_value=1000, step=1)], read_only=True))
        self.declare_parameter("field_of_view", 0.0, ParameterDescriptor(
            description="Horizontal field of view (degrees) of an ideal camera_info published with each "
                        "image; 0: no camera_info",
            floating_point_range=[FloatingPointRange(from_value=0.0, to_value=179.0)], read_only=True))
        source = self.get_parameter("source").value
        if not source:
            raise ValueError("parameter 'source' is empty: give a video file, folder or camera")
        self.encoding = self.get_parameter("encoding").value
        if self.encoding not in ("rgb8", "bgr8"):
            raise ValueError(f"encoding must be rgb8 or bgr8, not '{self.encoding}'")
        self.reader = FrameReader(source)
        rate = self.get_parameter("rate").value or self.reader.rate
        self.loop = bool(self.get_parameter("loop").value)
        self.frame_id = self.get_parameter("frame_id").value
        self.max_frames = int(self.get_parameter("max_frames").value)
        #: image subscribers to wait for before the first frame (0: none)
        self.wait = max(int(self.get_parameter("min_subscribers").value),
                        int(bool(self.get_parameter("wait_for_subscribers").value)))
        self.published = 0
        self.done = False
        self.publisher = self.create_publisher(
            Image, "image", QoSProfile(depth=1))   # reliable: matches best-effort and reliable readers
        self.field_of_view = float(self.get_parameter("field_of_view").value)
        self.info_publisher = (self.create_publisher(CameraInfo, "camera_info", QoSProfile(depth=1))
                               if self.field_of_view > 0 else None)
        self.timer = self.create_timer(1.0 / rate, self._tick)
        self.get_logger().info(
            f"publishing {self.reader.kind} '{source}' on {self.publisher.topic_name} at {rate:.2f} Hz")

    def _tick(self) -> None:
        if self.done:
            return
        if self.wait:
            if self.publisher.get_subscription_count() < self.wait:
                return
            self.get_logger().info(f"{self.publisher.get_subscription_count()} subscribers: starting")
            self.wait = 0
        frame = self.reader.read()
        if frame is None and self.loop and self.reader.rewind():
            frame = self.reader.read()
        if frame is None:
            self.get_logger().info(f"end of source after {self.published} frames")
            self.done = True
            return
        if self.encoding == "rgb8":
            frame = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        header = self._header()
        if self.info_publisher is not None:
            self.info_publisher.publish(self._camera_info(header, frame.shape[1], frame.shape[0]))
        self.publisher.publish(array_to_image_msg(frame, header, self.encoding))
        self.published += 1
        if self.max_frames and self.published >= self.max_frames:
            self.get_logger().info(f"published max_frames={self.max_frames}")
            self.done = True

    def _header(self):
        from std_msgs.msg import Header

        return Header(stamp=self.get_clock().now().to_msg(), frame_id=self.frame_id)

    def _camera_info(self, header, width: int, height: int) -> CameraInfo:
        """An ideal pinhole of ``field_of_view`` (the one camera model's own constructor)."""
        from holistic_ros.spatial import PinholeCamera

        return camera_to_info(PinholeCamera.from_field_of_view(np.radians(self.field_of_view), width, height),
                              header)

    def destroy_node(self) -> None:
        self.reader.close()
        super().destroy_node()


def main(args=None) -> int:
    return run_node(VideoSourceNode, "video_source", args)


if __name__ == "__main__":
    sys.exit(main())
