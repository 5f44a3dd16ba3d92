"""ROI geometry (holistic_ros.pipeline.roi) against hand-worked cases and OpenCV."""

import math

import cv2
import numpy as np
import pytest

from holistic_ros.pipeline.roi import (NormRect, crop_geometry, crop_roi, crop_to_image_matrix, landmarks_from_roi,
                              normalize_radians,
                              pad_rect_to_aspect, project_from_roi, rect_from_alignment_points,
                              rect_from_bounding_box, rect_from_rotated_extent, remove_letterbox,
                              rotation_from_points, transform_rect)


@pytest.mark.parametrize("angle,expected", [(0.0, 0.0), (math.pi, -math.pi), (-math.pi, -math.pi),
                                            (3 * math.pi / 2, -math.pi / 2), (-3 * math.pi / 2, math.pi / 2),
                                            (7.0, 7.0 - 2 * math.pi)])
def test_normalize_radians_wraps_to_half_open_interval(angle, expected):
    assert normalize_radians(angle) == pytest.approx(expected)


def test_rotation_points_upward_vector_is_zero_at_90_degrees():
    # A vector pointing up the image (y decreasing) is the pose's upright case.
    assert rotation_from_points((10, 10), (10, 0), math.pi / 2) == pytest.approx(0.0)
    # Pointing right: the person lies on their side, rotated -90 degrees... i.e. +90 clockwise.
    assert rotation_from_points((0, 0), (10, 0), math.pi / 2) == pytest.approx(math.pi / 2)


def test_alignment_rect_is_square_in_pixels_and_twice_the_distance():
    rect = rect_from_alignment_points((0.5, 0.5), (0.5, 0.25), (200, 100), math.pi / 2)
    assert rect.x_center == pytest.approx(0.5) and rect.y_center == pytest.approx(0.5)
    assert rect.width * 200 == pytest.approx(50.0) and rect.height * 100 == pytest.approx(50.0)
    assert rect.rotation == pytest.approx(0.0)


def test_transform_rect_shifts_in_rotated_frame_and_squares_long_side():
    size = (100, 200)
    rect = NormRect(0.5, 0.5, 0.2, 0.1, rotation=math.pi / 2)
    out = transform_rect(rect, size, scale_x=2.0, scale_y=2.0, shift_y=-0.1, square_long=True)
    # shift_y along the rect's y axis, rotated by 90 degrees, moves along -x in pixels:
    # x_shift = -(H * h * shift_y * sin) / W = -(200 * 0.1 * -0.1 * 1) / 100 = 0.02
    assert out.x_center == pytest.approx(0.52)
    assert out.y_center == pytest.approx(0.5)
    long_side = max(0.2 * 100, 0.1 * 200)
    assert out.width * 100 == pytest.approx(2 * long_side)
    assert out.height * 200 == pytest.approx(2 * long_side)


def test_crop_matrix_matches_opencv_box_points():
    size = (640, 480)
    rect = NormRect(0.4, 0.6, 0.3, 0.4, rotation=0.7)
    m = crop_to_image_matrix(rect, size, 256, 256)
    box = cv2.boxPoints(((rect.x_center * 640, rect.y_center * 480), (rect.width * 640, rect.height * 480),
                         math.degrees(rect.rotation)))
    # image_to_tensor_converter_opencv.cc maps boxPoints 0..3 to (0,H), (0,0), (W,0), (W,H).
    dst = np.array([[0, 256], [0, 0], [256, 0], [256, 256]], dtype=np.float64)
    mapped = (m[:, :2] @ dst.T).T + m[:, 2]
    np.testing.assert_allclose(mapped, box, atol=1e-3)


def test_crop_roi_samples_the_rect_and_scales_values():
    image = np.zeros((100, 100, 3), np.uint8)
    image[40:60, 20:40] = 255
    rect = NormRect(0.3, 0.5, 0.2, 0.2, 0.0)
    crop = crop_roi(image, rect, 20, 20, keep_aspect_ratio=False, value_range=(-1.0, 1.0), border_zero=True)
    assert crop.tensor.shape == (1, 20, 20, 3) and crop.tensor.dtype == np.float32
    np.testing.assert_allclose(crop.tensor, 1.0)


def test_letterbox_padding_and_its_removal_roundtrip():
    rect = NormRect(0.5, 0.5, 1.0, 1.0, 0.0)
    padded, padding = pad_rect_to_aspect(rect, (400, 200), 224, 224)
    assert padding == pytest.approx((0.0, 0.25, 0.0, 0.25))
    assert padded.width * 400 == pytest.approx(400) and padded.height * 200 == pytest.approx(400)
    pts = np.array([[0.5, 0.25, 0.1], [0.5, 0.75, 0.0]])
    np.testing.assert_allclose(remove_letterbox(pts, padding), [[0.5, 0.0, 0.1], [0.5, 1.0, 0.0]])


def test_projection_inverts_the_crop_mapping():
    size = (640, 480)
    rect = transform_rect(NormRect(0.45, 0.55, 0.2, 0.2, 0.5), size, square_long=True)
    m = crop_to_image_matrix(rect, size, 256, 256)
    roi_pts = np.array([[0.1, 0.2], [0.5, 0.5], [0.9, 0.7]])
    img_px = (m[:, :2] @ (roi_pts * 256).T).T + m[:, 2]
    np.testing.assert_allclose(project_from_roi(roi_pts, rect) * size, img_px, atol=1e-6)


def test_landmarks_from_roi_applies_letterbox_then_projection():
    image = np.zeros((100, 200, 3), np.uint8)
    crop = crop_roi(image, NormRect(0.5, 0.5, 1.0, 1.0), 64, 64, True, (0.0, 1.0), True)
    # The image occupies the middle half of the square crop vertically.
    pts = landmarks_from_roi(np.array([[0.0, 0.25, 0.0], [1.0, 0.75, 0.0]]), crop)
    np.testing.assert_allclose(pts[:, :2], [[0.0, 0.0], [1.0, 1.0]], atol=1e-9)


def test_bounding_box_rect_and_rotated_extent_agree_when_axis_aligned():
    pts = np.array([[0.2, 0.3], [0.4, 0.3], [0.2, 0.5], [0.4, 0.5]])
    a = rect_from_bounding_box(pts, (100, 100), 0, 1, 0.0)
    b = rect_from_rotated_extent(pts, (100, 100), 0.0)
    for r in (a, b):
        assert (r.x_center, r.y_center) == pytest.approx((0.3, 0.4))
        assert (r.width, r.height) == pytest.approx((0.2, 0.2))


def _converter_corners(rect, image_size, out_width, out_height):
    """GetRoi, PadRoi (calculators/tensor/image_to_tensor_utils.cc) and the angle of
    image_to_tensor_converter_opencv.cc, statement by statement in float32."""
    f = np.float32
    w, h = f(image_size[0]), f(image_size[1])
    cx, cy, rw, rh = f(rect.x_center) * w, f(rect.y_center) * h, f(rect.width) * w, f(rect.height) * h
    tensor_aspect = f(out_height) / f(out_width)
    if tensor_aspect > rh / rw:
        rh = rw * tensor_aspect
    else:
        rw = rh / tensor_aspect
    degrees = f(float(f(rect.rotation) * f(180.0)) / math.pi)
    return cv2.boxPoints(((cx, cy), (rw, rh), degrees))


def test_crop_corners_are_the_converters_float32_ones():
    """Large ROIs (the torso clip's reach 8 image widths) are sampled sparsely: a last-bit
    difference in a corner moves crop samples. Float64 arithmetic gave other corners for
    about one random ROI in five of these."""
    rng = np.random.default_rng(0)
    dst = np.array([[0, 256], [0, 0], [256, 0], [256, 256]], dtype=np.float32)
    for _ in range(300):
        x, y, side, rotation = (float(np.float32(v)) for v in (rng.uniform(-3, 3), rng.uniform(-3, 3),
                                                              rng.uniform(0.5, 9), rng.uniform(-3.1, 3.1)))
        rect = NormRect(x, y, side, float(np.float32(side * 640 / 360 * rng.choice([0.999, 1.0, 1.001]))), rotation)
        geometry = crop_geometry(rect, (640, 360), 256, 256, keep_aspect_ratio=True)
        expected = cv2.getPerspectiveTransform(_converter_corners(rect, (640, 360), 256, 256), dst)
        np.testing.assert_array_equal(geometry.projection, expected)
