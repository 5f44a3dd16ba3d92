"""sensor_msgs Image / CompressedImage <-> NumPy, the node's only image adapter.

The NumPy converter reads the message fields (height, width, encoding, step, data) and
needs no ROS import, so it is testable alone. ``cv_bridge`` is used instead when it is
installed (a stock ROS install); ``test/test_image_conversion.py`` checks that both give
identical arrays.
"""

from __future__ import annotations

from typing import Callable, Optional

import cv2
import numpy as np

#: Channel count of each accepted ``sensor_msgs/Image`` encoding (all 8 bits per channel).
CHANNELS = {"rgb8": 3, "bgr8": 3, "rgba8": 4, "bgra8": 4, "mono8": 1}
SUPPORTED_ENCODINGS = tuple(CHANNELS)

# cv2 conversions from each encoding to RGB; None: already RGB.
_TO_RGB = {
    "rgb8": None,
    "bgr8": cv2.COLOR_BGR2RGB,
    "rgba8": cv2.COLOR_RGBA2RGB,
    "bgra8": cv2.COLOR_BGRA2RGB,
    "mono8": cv2.COLOR_GRAY2RGB,
}


class ImageConversionError(ValueError):
    """The message cannot be read as an image; the text says why, for the node's log."""


def _msg_pixels(msg, channels: int, dtype: np.dtype, encoding: str) -> np.ndarray:
    """View of an Image message's data as (H, W, channels) of ``dtype``, checking the
    size, the ``step`` and the buffer length; no copy where the byte order allows."""
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    if height <= 0 or width <= 0:
        raise ImageConversionError(f"empty image: {width}x{height}")
    pixel_bytes = channels * dtype.itemsize
    row_bytes = width * pixel_bytes
    if step < row_bytes:
        raise ImageConversionError(
            f"step {step} is smaller than width * bytes per pixel = {width} * {pixel_bytes} = {row_bytes}"
            f" for {encoding}")
    buffer = np.frombuffer(msg.data, dtype=np.uint8)
    expected = step * height
    if buffer.size != expected:
        kind = "truncated" if buffer.size < expected else "too long"
        raise ImageConversionError(
            f"data buffer {kind}: {buffer.size} bytes, expected step * height = "
            f"{step} * {height} = {expected}")
    rows = buffer.reshape(height, step)[:, :row_bytes]
    if dtype.itemsize == 1:
        return rows.reshape(height, width, channels)
    order = ">" if msg.is_bigendian else "<"
    pixels = np.ascontiguousarray(rows).view(dtype.newbyteorder(order)).reshape(height, width, channels)
    return pixels.astype(dtype.newbyteorder("="), copy=False)


def image_msg_to_array(msg) -> np.ndarray:
    """View of a ``sensor_msgs/Image`` as (H, W, C) uint8 (C from the encoding), no copy.

    Raises ImageConversionError for an unsupported encoding, a zero size, a ``step``
    shorter than a row or a ``data`` buffer whose length is not ``step * height``.
    """
    encoding = msg.encoding.lower()
    if encoding not in CHANNELS:
        raise ImageConversionError(
            f"unsupported encoding '{msg.encoding}' (supported: {', '.join(SUPPORTED_ENCODINGS)})")
    return _msg_pixels(msg, CHANNELS[encoding], np.dtype(np.uint8), encoding)


#: Depth encodings and the array type each gives: 16UC1 (and mono16) millimetres, 32FC1
#: metres (REP-118). The units follow from the dtype in :func:`holistic_ros.spatial.locate`.
DEPTH_ENCODINGS = {"16uc1": np.dtype(np.uint16), "mono16": np.dtype(np.uint16), "32fc1": np.dtype(np.float32)}


def depth_msg_to_array(msg) -> np.ndarray:
    """``sensor_msgs/Image`` depth -> (H, W) uint16 millimetres (16UC1) or float32 metres (32FC1).

    Raises ImageConversionError for another encoding (with the ones accepted) or a
    malformed buffer, as :func:`image_msg_to_array` does.
    """
    encoding = msg.encoding.lower()
    if encoding not in DEPTH_ENCODINGS:
        raise ImageConversionError(
            f"unsupported depth encoding '{msg.encoding}' (supported: 16UC1 millimetres, 32FC1 metres); "
            "publish a depth image registered to the colour image")
    return _msg_pixels(msg, 1, DEPTH_ENCODINGS[encoding], msg.encoding)[:, :, 0]


def image_msg_to_rgb(msg) -> np.ndarray:
    """``sensor_msgs/Image`` (rgb8, bgr8, rgba8, bgra8, mono8) -> contiguous (H, W, 3) uint8 RGB."""
    array = image_msg_to_array(msg)
    code = _TO_RGB[msg.encoding.lower()]
    if code is None:
        return np.ascontiguousarray(array)
    return cv2.cvtColor(np.ascontiguousarray(array), code)


def compressed_msg_to_rgb(msg) -> np.ndarray:
    """``sensor_msgs/CompressedImage`` (JPEG, PNG, ...) -> (H, W, 3) uint8 RGB."""
    buffer = np.frombuffer(msg.data, dtype=np.uint8)
    if buffer.size == 0:
        raise ImageConversionError(f"empty compressed image (format '{msg.format}')")
    bgr = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    if bgr is None:
        raise ImageConversionError(
            f"cannot decode compressed image (format '{msg.format}', {buffer.size} bytes)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def cv_bridge_converter() -> Optional[Callable]:
    """``msg -> RGB array`` through cv_bridge, or None when cv_bridge is not installed."""
    try:
        from cv_bridge import CvBridge  # a stock ROS 2 install has it; PyPI has no ROS 2 one
    except ImportError:
        return None
    bridge = CvBridge()

    def convert(msg) -> np.ndarray:
        if msg.encoding.lower() not in CHANNELS:
            raise ImageConversionError(
                f"unsupported encoding '{msg.encoding}' (supported: "
                f"{', '.join(SUPPORTED_ENCODINGS)})")
        image_msg_to_array(msg)  # same size checks as the NumPy path, same messages
        try:
            return np.ascontiguousarray(bridge.imgmsg_to_cv2(msg, desired_encoding="rgb8"))
        except Exception as error:  # cv_bridge raises its own CvBridgeError
            raise ImageConversionError(f"cv_bridge: {error}") from error

    return convert


def image_converter(prefer_cv_bridge: bool = True) -> Callable:
    """The ``sensor_msgs/Image -> RGB`` function the node uses: cv_bridge if present."""
    if prefer_cv_bridge:
        converter = cv_bridge_converter()
        if converter is not None:
            return converter
    return image_msg_to_rgb


def array_to_image_msg(array: np.ndarray, header, encoding: str):
    """(H, W[, C]) array -> ``sensor_msgs/Image`` with the given header and encoding."""
    from sensor_msgs.msg import Image

    array = np.ascontiguousarray(array)
    msg = Image()
    msg.header = header
    msg.height, msg.width = int(array.shape[0]), int(array.shape[1])
    msg.encoding = encoding
    msg.is_bigendian = 0
    msg.step = int(array.strides[0])
    msg.data = array.tobytes()
    return msg


def rgb_to_image_msg(rgb: np.ndarray, header):
    """(H, W, 3) uint8 RGB -> rgb8 ``sensor_msgs/Image``."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected (H, W, 3) uint8, got {rgb.shape} {rgb.dtype}")
    return array_to_image_msg(rgb, header, "rgb8")


def mask_to_image_msg(mask: np.ndarray, header):
    """(H, W) float mask in [0, 1] -> 32FC1 ``sensor_msgs/Image`` (little-endian)."""
    if mask.ndim != 2:
        raise ValueError(f"expected an (H, W) mask, got {mask.shape}")
    return array_to_image_msg(mask.astype("<f4", copy=False), header, "32FC1")
