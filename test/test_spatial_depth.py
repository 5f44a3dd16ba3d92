"""Depth reading (holistic_ros/spatial/depth.py): units from the dtype, no-reading values, scaling, windows."""

from __future__ import annotations

import numpy as np
import pytest

from holistic_ros.spatial.depth import (MAX_WINDOW_SAMPLES_ACROSS, DepthRange, check_depth_image, depth_scale,
                                        sample_windows, to_metres, window_offsets)

RANGE = DepthRange()


def test_uint16_is_millimetres_float32_is_metres():
    np.testing.assert_allclose(to_metres(np.array([1500, 20000], np.uint16), RANGE), [1.5, 20.0])
    np.testing.assert_allclose(to_metres(np.array([1.5, 20.0], np.float32), RANGE), [1.5, 20.0])


@pytest.mark.parametrize("raw", [
    np.array([0, 50, 20001], np.uint16),
    np.array([0.0, np.nan, np.inf, -np.inf, -1.0, 0.05, 25.0], np.float32),
])
def test_zero_nan_inf_and_out_of_range_are_no_reading(raw):
    assert np.all(np.isnan(to_metres(raw, RANGE)))


def test_range_is_an_option():
    assert np.isfinite(to_metres(np.array([25.0], np.float32), DepthRange(0.1, 30.0)))[0]
    with pytest.raises(ValueError, match="min_m < max_m"):
        DepthRange(2.0, 1.0)


@pytest.mark.parametrize("depth, message", [
    (np.zeros((4, 4), np.int32), "uint16 millimetres"),
    (np.zeros((4, 4, 3), np.uint16), r"\(H, W\)"),
])
def test_bad_depth_images_are_refused_with_a_reason(depth, message):
    with pytest.raises(ValueError, match=message):
        check_depth_image(depth)


@pytest.mark.parametrize("depth_hw, image_wh, scale", [
    ((720, 1280), (1280, 720), 1.0),
    ((360, 640), (1280, 720), 0.5),
    ((480, 848), (1280, 720), 848 / 1280),
    ((1440, 2560), (1280, 720), 2.0),
])
def test_depth_at_a_scale_of_the_image_maps(depth_hw, image_wh, scale):
    sx, sy = depth_scale(depth_hw, image_wh)
    assert sx == pytest.approx(scale) and sy == pytest.approx(depth_hw[0] / image_wh[1])


def test_depth_of_another_aspect_says_both_sizes():
    with pytest.raises(ValueError, match="640x480.*1280x720"):
        depth_scale((480, 640), (1280, 720))


def test_window_median_ignores_holes_and_outliers():
    depth = np.full((100, 100), 2.0, np.float32)
    rng = np.random.default_rng(0)
    depth[rng.random(depth.shape) < 0.3] = 0.0  # 30 % holes
    depth[50, 50] = 0.3  # a stray near pixel at the landmark itself
    value = sample_windows(depth, np.array([[50.0, 50.0]]), 3, (100, 100), RANGE)
    assert value[0] == pytest.approx(2.0)


def test_window_scales_to_the_depth_grid():
    image_wh = (200, 100)
    depth = np.full((50, 100), 3.0, np.float32)  # half resolution
    depth[:, 50:] = 4.0  # right half of the image
    uv = np.array([[40.0, 50.0], [160.0, 50.0], [150.0, 99.0]])
    np.testing.assert_allclose(sample_windows(depth, uv, 4, image_wh, RANGE), [3.0, 4.0, 4.0])


def test_window_without_reading_is_nan():
    depth = np.zeros((50, 50), np.uint16)
    depth[0, 0] = 1000
    values = sample_windows(depth, np.array([[25.0, 25.0], [np.nan, 1.0], [0.0, 0.0]]), 2, (50, 50), RANGE)
    assert np.isnan(values[0]) and np.isnan(values[1]) and values[2] == pytest.approx(1.0)


def test_mask_restricts_the_window_to_the_person():
    depth = np.full((60, 60), 5.0, np.float32)  # the wall behind
    depth[:, 30:] = 3.0  # the person, on the right half
    mask = np.zeros((120, 120), np.float32)  # a mask at another size
    mask[:, 60:] = 1.0
    uv = np.array([[29.0, 30.0]])  # a landmark just off the silhouette: most of its window is wall
    assert sample_windows(depth, uv, 3, (60, 60), RANGE)[0] == pytest.approx(5.0)
    assert sample_windows(depth, uv, 3, (60, 60), RANGE, mask=mask)[0] == pytest.approx(3.0)


def test_windows_are_sampled_on_a_centred_grid():
    for radius in (1, 3, 40):
        dy, dx = window_offsets(radius)
        assert len(dy) == MAX_WINDOW_SAMPLES_ACROSS ** 2
        assert 0 in dx and dx.min() == -radius and dx.max() == radius and dy.min() == -radius


def test_one_radius_per_point():
    depth = np.full((100, 100), 2.0, np.float32)
    depth[48:53, 48:53] = 0.5  # a 5x5 patch: all of a small window, a sliver of a large one
    uv = np.array([[50.0, 50.0], [50.0, 50.0]])
    values = sample_windows(depth, uv, np.array([2.0, 10.0]), (100, 100), DepthRange(0.1, 20.0))
    np.testing.assert_allclose(values, [0.5, 2.0])
