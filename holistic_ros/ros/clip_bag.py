"""A video clip into a rosbag2 of camera topics: the input of the ``bag`` tool, for the demo
and the tests.

    python -m holistic_ros.ros.clip_bag VIDEO OUT [--max-frames N] [--field-of-view 60] [--compressed]

Writes ``/camera/image_raw`` (rgb8 Image, or ``/camera/image_raw/compressed`` JPEG) and
``/camera/camera_info`` (an ideal pinhole of the given field of view, as video_source
publishes), and, when asked, ``/camera/depth/image_raw`` (32FC1 metres, from a function of
the frame index). Frames are stamped from ``--start`` at the clip's frame rate; each
message is logged at its stamp plus ``log_delay`` (as a recorder receives it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Tuple

import cv2
import numpy as np
from sensor_msgs.msg import CompressedImage
from std_msgs.msg import Header

from holistic_ros.ros.bag import OutputBag, typestore
from holistic_ros.ros.camera_info import camera_to_info
from holistic_ros.ros.image_conversion import array_to_image_msg, rgb_to_image_msg
from holistic_ros.ros.video_source import FrameReader
from holistic_ros.spatial import PinholeCamera

IMAGE_TOPIC = "/camera/image_raw"
COMPRESSED_TOPIC = "/camera/image_raw/compressed"
CAMERA_INFO_TOPIC = "/camera/camera_info"
DEPTH_TOPIC = "/camera/depth/image_raw"
FRAME_ID = "camera_optical_frame"
#: 1 s into the epoch, so no stamp is 0 ("unstamped").
DEFAULT_START_NS = 1_000_000_000


def clip_frames(video: Path, max_frames: int = 0, first_frame: int = 0) -> Tuple[float, Iterator[np.ndarray]]:
    """The clip's frame rate and its frames as (H, W, 3) uint8 RGB, ``first_frame`` on, at most
    ``max_frames`` (0: all)."""
    reader = FrameReader(str(video))

    def frames():
        try:
            for _ in range(first_frame):
                if reader.read() is None:
                    return
            count = 0
            while not max_frames or count < max_frames:
                bgr = reader.read()
                if bgr is None:
                    return
                count += 1
                yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        finally:
            reader.close()

    return reader.rate, frames()


def write_camera_bag(output: Path, frames: Iterable[np.ndarray], rate_hz: float, *, field_of_view: float = 60.0,
                     compressed: bool = False, depth_m: Optional[Callable[[int, np.ndarray], np.ndarray]] = None,
                     start_ns: int = DEFAULT_START_NS, log_delay_ns: int = 0, storage: str = "mcap") -> int:
    """Write ``frames`` (RGB) as a camera's topics into a new rosbag2 at ``output``; returns the
    number of frames. ``depth_m(index, rgb)`` gives a (H, W) float depth image in metres."""
    out = OutputBag(output, storage, typestore())
    image_topic = COMPRESSED_TOPIC if compressed else IMAGE_TOPIC
    out.add(image_topic, "sensor_msgs/msg/CompressedImage" if compressed else "sensor_msgs/msg/Image")
    out.add(CAMERA_INFO_TOPIC, "sensor_msgs/msg/CameraInfo")
    if depth_m is not None:
        out.add(DEPTH_TOPIC, "sensor_msgs/msg/Image")
    count = 0
    try:
        for index, rgb in enumerate(frames):
            stamp_ns = start_ns + int(round(index * 1e9 / rate_hz))
            header = Header(frame_id=FRAME_ID)
            header.stamp.sec, header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
            log_ns = stamp_ns + log_delay_ns
            height, width = rgb.shape[:2]
            camera = PinholeCamera.from_field_of_view(np.radians(field_of_view), width, height)
            out.write_message(CAMERA_INFO_TOPIC, log_ns, camera_to_info(camera, header))
            if depth_m is not None:
                depth = np.asarray(depth_m(index, rgb), dtype="<f4")
                out.write_message(DEPTH_TOPIC, log_ns, array_to_image_msg(depth, header, "32FC1"))
            if compressed:
                ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
                if not ok:
                    raise ValueError("JPEG encoding failed")
                msg = CompressedImage(header=header, format="rgb8; jpeg compressed bgr8", data=jpeg.tobytes())
            else:
                msg = rgb_to_image_msg(np.ascontiguousarray(rgb), header)
            out.write_message(image_topic, log_ns, msg)
            count += 1
    finally:
        out.close()
    return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="A video clip into a rosbag2 of camera topics (image, camera_info).")
    parser.add_argument("video", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--max-frames", type=int, default=0, help="at most this many frames (0: all)")
    parser.add_argument("--first-frame", type=int, default=0)
    parser.add_argument("--field-of-view", type=float, default=60.0, help="horizontal degrees of the camera_info")
    parser.add_argument("--compressed", action="store_true", help="JPEG CompressedImage instead of raw rgb8")
    parser.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap")
    args = parser.parse_args(argv)
    if not args.video.exists():
        print(f"clip_bag: {args.video} does not exist", file=sys.stderr)
        return 1
    rate, frames = clip_frames(args.video, args.max_frames, args.first_frame)
    count = write_camera_bag(args.output, frames, rate, field_of_view=args.field_of_view,
                             compressed=args.compressed, storage=args.storage)
    print(f"clip_bag: {count} frames of {args.video} at {rate:.2f} Hz into {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
