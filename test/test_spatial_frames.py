"""Frames (holistic_ros/spatial/frames.py) on synthetic skeletons whose orientation is known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from holistic_ros.pipeline.landmark_names import HandLandmark, PoseLandmark
from holistic_ros.spatial.frames import (body_pose, facing_angle, gaze_pose, hand_pose, head_pose,
                                         matrix_from_quaternion, quaternion_from_matrix)

TOWARD_CAMERA = np.array([0.0, 0.0, -1.0])
UP = np.array([0.0, -1.0, 0.0])  # the optical frame's y points down


def _rotation(axis, angle):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + math.sin(angle) * k + (1 - math.cos(angle)) * k @ k


@pytest.mark.parametrize("axis, angle", [((1, 0, 0), 0.0), ((0, 1, 0), math.pi), ((1, 2, 3), 2.0),
                                         ((0, 0, 1), -3.1), ((1, 1, 0), math.pi / 2)])
def test_quaternion_round_trip(axis, angle):
    r = _rotation(axis, angle)
    q = quaternion_from_matrix(r)
    assert np.linalg.norm(q) == pytest.approx(1.0) and q[3] >= 0
    np.testing.assert_allclose(matrix_from_quaternion(q), r, atol=1e-12)


def _person_facing_camera(distance: float = 2.0) -> np.ndarray:
    """33 pose points of a person standing 2 m ahead, facing the camera (their left = camera +x)."""
    p = np.zeros((33, 3))
    p[:, 2] = distance
    p[PoseLandmark.LEFT_HIP] = [0.1, 0.0, distance]
    p[PoseLandmark.RIGHT_HIP] = [-0.1, 0.0, distance]
    p[PoseLandmark.LEFT_SHOULDER] = [0.18, -0.5, distance]
    p[PoseLandmark.RIGHT_SHOULDER] = [-0.18, -0.5, distance]
    p[PoseLandmark.LEFT_EAR] = [0.08, -0.69, distance + 0.05]
    p[PoseLandmark.RIGHT_EAR] = [-0.08, -0.69, distance + 0.05]
    p[PoseLandmark.LEFT_EYE] = [0.03, -0.72, distance - 0.05]
    p[PoseLandmark.RIGHT_EYE] = [-0.03, -0.72, distance - 0.05]
    p[PoseLandmark.NOSE] = [0.0, -0.69, distance - 0.08]
    return p


def test_body_and_head_of_a_person_facing_the_camera():
    p = _person_facing_camera()
    body = body_pose(p)
    np.testing.assert_allclose(body.position, [0.0, 0.0, 2.0])
    np.testing.assert_allclose(body.x_axis, TOWARD_CAMERA, atol=1e-9)
    np.testing.assert_allclose(body.z_axis, UP, atol=1e-9)
    head = head_pose(p)
    np.testing.assert_allclose(head.position, [0.0, -0.72, 1.95])
    np.testing.assert_allclose(head.z_axis, UP, atol=1e-9)
    np.testing.assert_allclose(head.x_axis, TOWARD_CAMERA, atol=1e-9)
    assert facing_angle(head) == pytest.approx(math.atan2(0.72, 1.95), abs=1e-9)


def test_body_turned_left_points_its_x_to_the_camera_s_left():
    p = _person_facing_camera()
    turn = _rotation(UP, math.radians(90))  # the person turns to their left (seen from above)
    centre = np.array([0.0, 0.0, 2.0])
    body = body_pose((p - centre) @ turn.T + centre)
    # Facing the camera, their left is the camera's +x; turned 90 degrees left, they face the camera's +x.
    np.testing.assert_allclose(body.x_axis, [1.0, 0.0, 0.0], atol=1e-9)


def test_gaze_is_the_face_frame_in_optical_convention():
    head = head_pose(_person_facing_camera())
    gaze = gaze_pose(head)
    r, g = head.rotation, gaze.rotation
    np.testing.assert_allclose(g[:, 2], r[:, 0], atol=1e-12)
    np.testing.assert_allclose(g[:, 0], -r[:, 1], atol=1e-12)
    np.testing.assert_allclose(g[:, 1], -r[:, 2], atol=1e-12)


def _hand_palm_toward_camera(is_left: bool) -> np.ndarray:
    """A raised hand, fingers up, palm toward the camera, of a person facing the camera.

    Seen from the camera the subject's right hand has its thumb on the camera's +x side
    (toward the subject's middle), the left hand on the -x side.
    """
    thumb_side = -1.0 if is_left else 1.0
    h = np.zeros((21, 3))
    h[:, 2] = 1.0
    h[HandLandmark.WRIST] = [0.0, 0.1, 1.0]
    h[HandLandmark.INDEX_FINGER_MCP] = [0.03 * thumb_side, 0.0, 1.0]
    h[HandLandmark.MIDDLE_FINGER_MCP] = [0.01 * thumb_side, 0.0, 1.0]
    h[HandLandmark.PINKY_MCP] = [-0.03 * thumb_side, 0.01, 1.0]
    return h


@pytest.mark.parametrize("is_left", [False, True], ids=["right", "left"])
def test_hand_frame_z_leaves_the_palm(is_left):
    h = _hand_palm_toward_camera(is_left)
    pose = hand_pose(h, is_left=is_left)
    np.testing.assert_allclose(pose.position, h[HandLandmark.WRIST])
    to_middle = h[HandLandmark.MIDDLE_FINGER_MCP] - h[HandLandmark.WRIST]
    np.testing.assert_allclose(pose.x_axis, to_middle / np.linalg.norm(to_middle), atol=1e-9)
    assert pose.z_axis @ TOWARD_CAMERA > 0.99


def test_degenerate_landmarks_give_no_frame():
    p = np.zeros((33, 3))
    assert body_pose(p) is None and head_pose(p) is None
    p = _person_facing_camera()
    p[PoseLandmark.LEFT_HIP] = np.nan
    assert body_pose(p) is None
