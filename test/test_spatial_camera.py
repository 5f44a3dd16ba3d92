"""PinholeCamera (holistic_ros/spatial/camera.py): CameraInfo fields, scaling, rays and projection."""

from __future__ import annotations

import math

import numpy as np
import pytest

from holistic_ros.spatial import PinholeCamera

PLUMB_BOB = (-0.2, 0.05, 0.001, -0.0005, 0.0)
RATIONAL = (0.3, -0.1, 0.001, -0.0005, 0.01, 0.6, -0.05, 0.02)


def _grid(cam: PinholeCamera, n: int = 9) -> np.ndarray:
    u, v = np.meshgrid(np.linspace(0, cam.width - 1, n), np.linspace(0, cam.height - 1, n))
    return np.stack([u.ravel(), v.ravel()], axis=1)


def test_from_k_reads_camera_info_fields():
    cam = PinholeCamera.from_k([600.0, 0, 320.5, 0, 610.0, 240.5, 0, 0, 1], PLUMB_BOB, 640, 480, "plumb_bob")
    assert (cam.fx, cam.fy, cam.cx, cam.cy, cam.width, cam.height) == (600.0, 610.0, 320.5, 240.5, 640, 480)
    assert cam.distortion == PLUMB_BOB
    np.testing.assert_array_equal(cam.k, [[600.0, 0, 320.5], [0, 610.0, 240.5], [0, 0, 1]])


def test_from_k_all_zero_k_says_uncalibrated():
    with pytest.raises(ValueError, match="uncalibrated camera_info: K is all zero; calibrate or set field_of_view"):
        PinholeCamera.from_k([0.0] * 9, [], 640, 480)


@pytest.mark.parametrize("k, d, model, message", [
    ([600.0, 0, 320], [], "plumb_bob", "9 values"),
    ([600.0, 0, 320, 0, 600, 240, 0, 0, 1], [0.1, 0.0], "plumb_bob", "needs 5"),
    ([600.0, 0, 320, 0, 600, 240, 0, 0, 1], [0.1] * 5, "equidistant", "not supported"),
    ([-600.0, 0, 320, 0, 600, 240, 0, 0, 1], [], "plumb_bob", "focal lengths"),
])
def test_from_k_rejects_bad_fields_with_a_reason(k, d, model, message):
    with pytest.raises(ValueError, match=message):
        PinholeCamera.from_k(k, d, 640, 480, model)


def test_zero_distortion_is_no_distortion():
    cam = PinholeCamera.from_k([600.0, 0, 320, 0, 600, 240, 0, 0, 1], [0.0] * 5, 640, 480)
    assert cam.distortion is None


def test_from_field_of_view_has_that_field_of_view():
    cam = PinholeCamera.from_field_of_view(math.radians(90.0), 640, 480)
    assert cam.fx == pytest.approx(320.0) and cam.fy == cam.fx
    edge_rays = cam.rays(np.array([[-0.5, cam.cy], [639.5, cam.cy]]))
    assert math.degrees(math.atan(edge_rays[1, 0]) - math.atan(edge_rays[0, 0])) == pytest.approx(90.0)
    with pytest.raises(ValueError, match="field of view"):
        PinholeCamera.from_field_of_view(0.0, 640, 480)


def test_scaled_to_sees_the_same_rays():
    cam = PinholeCamera(600.0, 600.0, 319.5, 239.5, 640, 480, PLUMB_BOB)
    half = cam.scaled_to(320, 240)
    assert (half.width, half.height, half.fx) == (320, 240, 300.0)
    pts = _grid(cam)
    np.testing.assert_allclose(half.rays((pts + 0.5) * 0.5 - 0.5), cam.rays(pts), atol=1e-9)
    assert cam.scaled_to(640, 480) is cam


@pytest.mark.parametrize("distortion", [None, PLUMB_BOB, RATIONAL], ids=["none", "plumb_bob", "rational"])
def test_rays_project_back_onto_their_pixels(distortion):
    cam = PinholeCamera(500.0, 505.0, 321.0, 243.0, 640, 480, distortion)
    pts = _grid(cam)
    depth = np.linspace(0.5, 9.0, len(pts))[:, None]
    back = cam.project(depth * cam.rays(pts))
    assert np.max(np.abs(back - pts)) < 1e-2


def test_distortion_moves_rays():
    plain = PinholeCamera(500.0, 500.0, 320.0, 240.0, 640, 480)
    distorted = PinholeCamera(500.0, 500.0, 320.0, 240.0, 640, 480, PLUMB_BOB)
    corner = np.array([[0.0, 0.0]])
    # Barrel distortion (k1 < 0) pulls the image corner inward: its true ray is wider.
    assert abs(distorted.rays(corner)[0, 0]) > abs(plain.rays(corner)[0, 0]) + 0.01


def test_nan_pixels_give_nan_rays():
    cam = PinholeCamera(500.0, 500.0, 320.0, 240.0, 640, 480, PLUMB_BOB)
    rays = cam.rays(np.array([[np.nan, 10.0], [100.0, 100.0]]))
    assert np.all(np.isnan(rays[0, :2])) and np.all(np.isfinite(rays[1]))


def test_cameras_compare_by_value():
    a = PinholeCamera(500.0, 500.0, 320.0, 240.0, 640, 480, list(PLUMB_BOB))
    b = PinholeCamera(500.0, 500.0, 320.0, 240.0, 640, 480, np.array(PLUMB_BOB))
    assert a == b and hash(a) == hash(b)
