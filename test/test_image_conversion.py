"""holistic_ros.ros.image_conversion: every accepted encoding, every rejected message."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from conftest import import_or_skip, skip_for_hardware

sensor_msgs = import_or_skip("sensor_msgs.msg", "sensor_msgs (ROS 2) not installed: make venv")
from std_msgs.msg import Header  # noqa: E402

from holistic_ros.ros.image_conversion import (  # noqa: E402
    SUPPORTED_ENCODINGS, ImageConversionError, array_to_image_msg, compressed_msg_to_rgb,
    cv_bridge_converter, image_msg_to_rgb, mask_to_image_msg, rgb_to_image_msg)

RNG = np.random.default_rng(7)
RGB = RNG.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
ALPHA = RNG.integers(0, 256, size=(5, 7, 1), dtype=np.uint8)

# encoding -> (the message's array, the RGB array expected back)
GRAY = RGB[:, :, 0]
CASES = {
    "rgb8": (RGB, RGB),
    "bgr8": (RGB[:, :, ::-1], RGB),
    "rgba8": (np.concatenate([RGB, ALPHA], axis=2), RGB),
    "bgra8": (np.concatenate([RGB[:, :, ::-1], ALPHA], axis=2), RGB),
    "mono8": (GRAY, np.repeat(GRAY[:, :, None], 3, axis=2)),
}


def make_msg(array: np.ndarray, encoding: str, padding: int = 0):
    """An Image message; ``padding`` extra bytes at the end of every row."""
    array = np.ascontiguousarray(array)
    rows = array.reshape(array.shape[0], -1)
    if padding:
        rows = np.concatenate([rows, np.full((rows.shape[0], padding), 0xAB, np.uint8)], axis=1)
    msg = sensor_msgs.Image()
    msg.header = Header(frame_id="cam")
    msg.height, msg.width = array.shape[:2]
    msg.encoding = encoding
    msg.step = rows.shape[1]
    msg.data = rows.tobytes()
    return msg


def test_supported_encodings_are_the_five_of_the_issue():
    assert set(SUPPORTED_ENCODINGS) == {"rgb8", "bgr8", "rgba8", "bgra8", "mono8"}


@pytest.mark.parametrize("encoding", sorted(CASES))
@pytest.mark.parametrize("padding", [0, 3])
def test_each_encoding_gives_rgb(encoding, padding):
    source, expected = CASES[encoding]
    rgb = image_msg_to_rgb(make_msg(source, encoding, padding))
    assert rgb.dtype == np.uint8 and rgb.shape == (5, 7, 3)
    assert rgb.flags.c_contiguous
    np.testing.assert_array_equal(rgb, expected)


def test_unsupported_encoding_is_named():
    msg = make_msg(RGB.astype(np.uint8), "rgb8")
    msg.encoding = "16UC1"
    with pytest.raises(ImageConversionError, match="unsupported encoding '16UC1'"):
        image_msg_to_rgb(msg)


def test_step_shorter_than_a_row():
    msg = make_msg(RGB, "rgb8")
    msg.step = 7 * 3 - 1
    with pytest.raises(ImageConversionError, match="step 20 is smaller than"):
        image_msg_to_rgb(msg)


def test_truncated_buffer():
    msg = make_msg(RGB, "rgb8")
    msg.data = bytes(msg.data)[:-5]
    with pytest.raises(ImageConversionError, match="truncated"):
        image_msg_to_rgb(msg)


def test_buffer_too_long():
    msg = make_msg(RGB, "rgb8")
    msg.data = bytes(msg.data) + b"\0"
    with pytest.raises(ImageConversionError, match="too long"):
        image_msg_to_rgb(msg)


def test_empty_image():
    msg = sensor_msgs.Image(encoding="rgb8")
    with pytest.raises(ImageConversionError, match="empty image"):
        image_msg_to_rgb(msg)


def test_conversion_error_is_a_value_error():
    assert issubclass(ImageConversionError, ValueError)


@pytest.mark.parametrize("fmt,ext", [("png", ".png"), ("jpeg", ".jpg")])
def test_compressed(fmt, ext):
    ok, encoded = cv2.imencode(ext, cv2.cvtColor(RGB, cv2.COLOR_RGB2BGR))
    assert ok
    msg = sensor_msgs.CompressedImage(format=fmt, data=encoded.tobytes())
    rgb = compressed_msg_to_rgb(msg)
    assert rgb.shape == RGB.shape
    if fmt == "png":  # lossless
        np.testing.assert_array_equal(rgb, RGB)


def test_compressed_garbage_is_rejected():
    msg = sensor_msgs.CompressedImage(format="jpeg", data=b"not an image")
    with pytest.raises(ImageConversionError, match="cannot decode"):
        compressed_msg_to_rgb(msg)
    with pytest.raises(ImageConversionError, match="empty"):
        compressed_msg_to_rgb(sensor_msgs.CompressedImage(format="jpeg"))


def test_rgb_message_round_trip_keeps_header():
    header = Header(frame_id="camera_optical_frame")
    header.stamp.sec, header.stamp.nanosec = 12, 345
    msg = rgb_to_image_msg(RGB, header)
    assert (msg.encoding, msg.width, msg.height, msg.step) == ("rgb8", 7, 5, 21)
    assert msg.header == header
    np.testing.assert_array_equal(image_msg_to_rgb(msg), RGB)


def test_mask_message_is_32fc1_same_size():
    mask = RNG.random((5, 7), dtype=np.float32)
    msg = mask_to_image_msg(mask, Header(frame_id="cam"))
    assert (msg.encoding, msg.width, msg.height, msg.step, msg.is_bigendian) == ("32FC1", 7, 5, 28, 0)
    back = np.frombuffer(msg.data, dtype="<f4").reshape(5, 7)
    np.testing.assert_array_equal(back, mask)


def test_array_to_image_msg_of_a_view():
    view = np.asarray(RGB)[:, ::2]   # not contiguous
    msg = array_to_image_msg(view, Header(), "rgb8")
    np.testing.assert_array_equal(image_msg_to_rgb(msg), view)


@pytest.mark.parametrize("encoding", sorted(CASES))
def test_cv_bridge_gives_the_same_arrays(encoding):
    convert = cv_bridge_converter()
    if convert is None:
        skip_for_hardware("cv_bridge is not installed (no ROS 2 cv_bridge on PyPI); the NumPy "
                    "converter is the one in use. On a ROS install this compares both.")
    source, _ = CASES[encoding]
    for padding in (0, 3):
        msg = make_msg(source, encoding, padding)
        np.testing.assert_array_equal(convert(msg), image_msg_to_rgb(msg))


# ---------------------------------------------------------------- depth
def _depth_msg(array: np.ndarray, encoding: str, big_endian: bool = False, padding: int = 0):
    order = ">" if big_endian else "<"
    raw = np.ascontiguousarray(array.astype(array.dtype.newbyteorder(order)))
    rows = raw.view(np.uint8).reshape(array.shape[0], -1)
    if padding:
        rows = np.concatenate([rows, np.zeros((rows.shape[0], padding), np.uint8)], axis=1)
    msg = sensor_msgs.Image()
    msg.height, msg.width = array.shape
    msg.encoding = encoding
    msg.is_bigendian = int(big_endian)
    msg.step = rows.shape[1]
    msg.data = rows.tobytes()
    return msg


@pytest.mark.parametrize("big_endian", [False, True])
@pytest.mark.parametrize("encoding,dtype", [("16UC1", np.uint16), ("mono16", np.uint16), ("32FC1", np.float32)])
def test_depth_keeps_its_units_dtype_and_byte_order(encoding, dtype, big_endian):
    from holistic_ros.ros.image_conversion import depth_msg_to_array

    depth = (RNG.random((4, 6)) * 5000).astype(dtype)
    depth[0, 0] = 0
    if dtype == np.float32:
        depth[1, 1] = np.nan
    got = depth_msg_to_array(_depth_msg(depth, encoding, big_endian, padding=4))
    assert got.dtype == dtype and got.shape == depth.shape
    np.testing.assert_array_equal(got, depth)


def test_depth_of_another_encoding_or_a_short_buffer_is_refused_with_the_reason():
    from holistic_ros.ros.image_conversion import depth_msg_to_array

    with pytest.raises(ImageConversionError, match="unsupported depth encoding 'rgb8'.*16UC1.*32FC1"):
        depth_msg_to_array(make_msg(RGB, "rgb8"))
    msg = _depth_msg(np.ones((4, 6), np.uint16), "16UC1")
    msg.data = msg.data[:-3]
    with pytest.raises(ImageConversionError, match="truncated"):
        depth_msg_to_array(msg)
