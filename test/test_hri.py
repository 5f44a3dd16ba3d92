"""REP-155 (ros4hri) output, :mod:`holistic_ros.ros.hri`: the message contents as pure
functions (no hri_msgs needed), then the messages (hri_msgs built by ``make build`` from
../shared/vendor/hri_msgs, test-only).

The node over real rclpy (per-id topics appear and go, no publisher leaks, no hri_msgs) is
in test_hri_node.py; the two-person evidence with an outside hri_msgs client too.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from holistic_ros.gestures.types import ActiveGesture, BodyGesture, GestureFrame
from holistic_ros.pipeline.face import MESH_LEFT_EYE_OUTER, MESH_RIGHT_EYE_OUTER
from holistic_ros.pipeline.landmark_names import PoseLandmark as P
from holistic_ros.pipeline.result import HandGesture, HolisticResult
from holistic_ros.pipeline.roi import crop_geometry
from holistic_ros.ros import hri

CPU = ["CPUExecutionProvider"]


def _pose(seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pose = np.zeros((33, 4), np.float32)
    pose[:, :2] = rng.uniform(0.1, 0.9, (33, 2))
    pose[:, 3] = rng.uniform(0.0, 1.0, 33)
    return pose


# ------------------------------------------------------------------------------ ids
def test_ids_keep_our_integer_ids_visible():
    assert (hri.body_id(3), hri.face_id(3)) == ("b3", "f3")
    assert hri.body_id(np.uint32(12)) == "b12"


# ------------------------------------------------------------------------------ skeleton
def test_skeleton2d_takes_the_openpose_points_from_the_pose_and_makes_the_neck():
    pose = _pose()
    points = hri.skeleton2d_points(pose)
    assert points.shape == (18, 3)
    # Skeleton2D.msg constants (OpenPose COCO order) -> MediaPipe pose landmarks.
    expected = {0: P.NOSE, 2: P.RIGHT_SHOULDER, 3: P.RIGHT_ELBOW, 4: P.RIGHT_WRIST, 5: P.LEFT_SHOULDER,
                6: P.LEFT_ELBOW, 7: P.LEFT_WRIST, 8: P.RIGHT_HIP, 9: P.RIGHT_KNEE, 10: P.RIGHT_ANKLE,
                11: P.LEFT_HIP, 12: P.LEFT_KNEE, 13: P.LEFT_ANKLE, 14: P.LEFT_EYE, 15: P.RIGHT_EYE,
                16: P.LEFT_EAR, 17: P.RIGHT_EAR}
    for i, landmark in expected.items():
        assert np.allclose(points[i], pose[landmark, [0, 1, 3]], atol=1e-6), i
    shoulders = pose[[P.LEFT_SHOULDER, P.RIGHT_SHOULDER]]
    assert np.allclose(points[1, :2], shoulders[:, :2].mean(axis=0))
    assert points[1, 2] == pytest.approx(shoulders[:, 3].min())


def test_skeleton2d_points_stay_in_the_image_as_hri_msgs_asks():
    pose = _pose()
    pose[P.LEFT_ANKLE, :2] = (0.4, 1.7)     # legs below a waist-up frame
    pose[P.RIGHT_ANKLE, :2] = (-0.2, 1.5)
    points = hri.skeleton2d_points(pose)
    assert points[:, :2].min() >= 0.0 and points[:, :2].max() <= 1.0
    assert tuple(points[13, :2]) == (pytest.approx(0.4, abs=1e-6), 1.0)


# ------------------------------------------------------------------------------ face landmarks
def test_facial_landmarks_map_68_distinct_mesh_points():
    table = hri.FACIAL_LANDMARKS_FROM_MESH
    assert len(table) == 68 and len(set(table)) == 68 and all(0 <= i < 468 for i in table)
    # The eye corners are the mesh points MediaPipe's face ROI uses (pipeline/face.py).
    assert table[36] == MESH_RIGHT_EYE_OUTER and table[45] == MESH_LEFT_EYE_OUTER


@pytest.fixture(scope="module")
def face_mesh(images_dir):
    """The 478-point mesh (with irises) of a frontal face, and the image."""
    from conftest import load_rgb

    from holistic_ros import Holistic

    rgb = load_rgb(images_dir / "tfe_grace_hopper_bust.jpg")
    with Holistic(static_image_mode=True, refine_face_landmarks=True, providers=CPU) as holistic:
        result = holistic.process(rgb)
    assert result.face_landmarks is not None and result.face_landmarks.shape == (478, 3)
    return result.face_landmarks, rgb


def test_facial_landmarks_lie_where_dlib_puts_them_on_a_real_face(face_mesh):
    mesh, _ = face_mesh
    points = hri.facial_landmarks_points(mesh, 0.9)
    x, y = points[:, 0], points[:, 1]
    assert points.shape == (70, 3) and np.all(points[:, 2] == np.float64(0.9))
    # The subject faces the camera: their right (dlib's first points) is on the image's left.
    assert x[0] < x[8] < x[16] and x[36] < x[39] < x[42] < x[45] and x[17] < x[26]
    assert x[48] < x[51] < x[54] and x[60] < x[62] < x[64] and x[31] < x[33] < x[35]
    # The chin (MENTON) is the lowest jaw point; brows above eyes above the nose tip above the mouth.
    assert y[8] == y[:17].max()
    assert y[19] < y[37] < y[30] < y[51] < y[57]
    assert y[27] < y[28] < y[29] < y[30]            # down the nose bridge
    assert y[51] < y[62] and y[66] < y[57]          # inner lips inside the outer ones (may touch)
    # Each eye's top points above its bottom points.
    assert max(y[37], y[38]) < min(y[40], y[41]) and max(y[43], y[44]) < min(y[46], y[47])


def test_pupils_without_the_iris_model_are_the_eye_centres(face_mesh):
    """With refine_face_landmarks the pupils are the iris centres; from the 468-point mesh
    they are the eye contours' centres. How far apart the two are on a frontal face, as a
    fraction of the eye's width (corner to corner)."""
    mesh, _ = face_mesh
    with_iris = hri.facial_landmarks_points(mesh, 1.0)
    without = hri.facial_landmarks_points(mesh[:468], 1.0)
    assert np.array_equal(with_iris[:68], without[:68])
    for pupil, (outer, inner) in ((hri.RIGHT_PUPIL, (36, 39)), (hri.LEFT_PUPIL, (45, 42))):
        eye_width = np.linalg.norm(with_iris[outer, :2] - with_iris[inner, :2])
        gap = np.linalg.norm(with_iris[pupil, :2] - without[pupil, :2]) / eye_width
        print(f"pupil {pupil}: eye-contour centre {100 * gap:.1f}% of the eye's width from the iris centre")
        # Inside the eye: the iris of someone looking ahead is near the eye's middle; a quarter
        # of the eye's width is where the iris (about half the eye's width) still covers it.
        assert gap < 0.25
        # and between the corners
        lo, hi = sorted((with_iris[outer, 0], with_iris[inner, 0]))
        assert lo < without[pupil, 0] < hi


# ------------------------------------------------------------------------------ regions and crops
def test_face_crops_have_the_reps_default_size_and_the_aligned_one_levels_the_eyes(face_mesh):
    mesh, rgb = face_mesh
    # Turn the face by 25 degrees (about the image centre): the mesh turns with it.
    import cv2

    height, width = rgb.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), 25.0, 1.0)
    turned = cv2.warpAffine(rgb, turn, (width, height))
    xy_px = mesh[:, :2] * (width, height)
    mesh_turned = mesh.copy()
    mesh_turned[:, :2] = (np.c_[xy_px, np.ones(len(xy_px))] @ turn.T) / (width, height)
    for aligned in (False, True):
        crop = hri.face_crop(turned, mesh_turned, aligned=aligned)
        assert crop.shape == (128, 128, 3) and crop.dtype == np.uint8   # REP-155 /humans/faces/{width,height}
        assert crop.mean() > 20      # the face, not the padding
        rect = hri.face_crop_rect(mesh_turned, (width, height), aligned=aligned)
        projection = crop_geometry(rect, (width, height), 128, 128, True).projection
        corners = cv2.perspectiveTransform(
            (mesh_turned[[MESH_RIGHT_EYE_OUTER, MESH_LEFT_EYE_OUTER], :2] * (width, height))[None].astype(np.float32),
            projection)[0]
        inside = cv2.perspectiveTransform((mesh_turned[:, :2] * (width, height))[None].astype(np.float32),
                                          projection)[0]
        assert inside.min() >= -0.5 and inside.max() <= 128.5   # the whole face is in the crop
        tilt = math.degrees(math.atan2(corners[1, 1] - corners[0, 1], corners[1, 0] - corners[0, 0]))
        eyes_px = mesh_turned[[MESH_RIGHT_EYE_OUTER, MESH_LEFT_EYE_OUTER], :2] * (width, height)
        image_tilt = math.degrees(math.atan2(*(eyes_px[1] - eyes_px[0])[::-1]))
        assert abs(image_tilt) > 20.0      # the turned face is tilted by about 25 degrees
        # aligned: level; cropped: as in the image (0.5 degree: sub-pixel over the eyes' distance)
        assert abs(tilt - (0.0 if aligned else image_tilt)) < 0.5, (aligned, tilt, image_tilt)


def test_body_box_and_crop_stay_in_the_image():
    pose = _pose()
    pose[:, 3] = 1.0
    pose[0, :2] = (-0.3, -0.2)
    box = hri.body_roi_box(pose)
    assert box[0] == 0.0 and box[1] == 0.0 and np.all(box[2:] <= 1.0) and np.all(box[:2] < box[2:])
    rgb = np.arange(48 * 64 * 3, dtype=np.uint8).reshape(48, 64, 3)
    crop = hri.body_crop(rgb, np.array([0.25, 0.5, 0.5, 1.0]))
    assert crop.shape == (24, 16, 3) and np.array_equal(crop, rgb[24:48, 16:32])
    assert hri.body_crop(rgb, np.array([0.5, 0.5, 0.5, 0.9])) is None


# ------------------------------------------------------------------------------ gestures
class Gesture20:
    """hri_msgs 2.0's Gesture constants."""
    OTHER, HANDS_ON_FACE, ARMS_CROSSED, LEFT_HAND_RAISED, RIGHT_HAND_RAISED, BOTH_HANDS_RAISED, WAVING = range(7)


class Gesture22(Gesture20):
    """hri_msgs 2.2's (docs.ros.org, hri_msgs/msg/Gesture)."""
    CLOSED_FIST, OPEN_PALM, POINTING_UP, THUMB_DOWN, THUMB_UP, VICTORY, LOVE = range(7, 14)
    INDEPENDENT, RIGHT, LEFT = 0, 1, 2


def _person(active=(), left=None, right=None, gestures=True):
    result = HolisticResult(pose_landmarks=_pose(), left_hand_gesture=left, right_hand_gesture=right)
    frame = GestureFrame(timestamp=1.0, active=tuple(active)) if gestures else None
    return SimpleNamespace(person_id=1, result=result, gestures=frame, located=None)


def test_body_gestures_keep_their_hri_codes_and_come_first():
    waving = ActiveGesture(BodyGesture.WAVING, "right", 0.7, 0.0)
    both = ActiveGesture(BodyGesture.BOTH_HANDS_RAISED, "both", 0.9, 0.0)
    pointing = ActiveGesture(BodyGesture.POINTING, "left", 0.99, 0.0)   # no hri_msgs code
    thumb = HandGesture("Thumb_Up", 0.95)
    assert hri.gesture_of(_person([waving, pointing], right=thumb), Gesture22) == (Gesture22.WAVING, "right")
    assert hri.gesture_of(_person([waving, both]), Gesture20) == (Gesture20.BOTH_HANDS_RAISED, None)
    assert hri.gesture_of(_person([pointing]), Gesture20) is None


def test_hand_gestures_map_onto_hri_msgs_2_2_and_are_left_out_with_2_0():
    from holistic_ros.pipeline.hand_gesture import CANNED_GESTURE_LABELS

    assert set(hri.HAND_GESTURE_NAMES) == set(CANNED_GESTURE_LABELS) - {"None"}
    for label, name in hri.HAND_GESTURE_NAMES.items():
        person = _person(left=HandGesture(label, 0.8), right=HandGesture("None", 0.9))
        assert hri.gesture_of(person, Gesture22) == (getattr(Gesture22, name), "left")
        assert hri.gesture_of(person, Gesture20) is None
    both = _person(left=HandGesture("Victory", 0.6), right=HandGesture("Closed_Fist", 0.7), gestures=False)
    assert hri.gesture_of(both, Gesture22) == (Gesture22.CLOSED_FIST, "right")


# ------------------------------------------------------------------------------ messages
needs_hri_msgs = pytest.mark.skipif(not hri.available(), reason="hri_msgs not built: run `make build` "
                                    "(it builds ../shared/vendor/hri_msgs test-only)")


@needs_hri_msgs
def test_messages_carry_the_header_and_the_points():
    from std_msgs.msg import Header

    header = Header(frame_id="camera")
    header.stamp.sec = 7
    pose = _pose()
    skeleton = hri.skeleton2d_msg(pose, header)
    assert skeleton.header == header and len(skeleton.skeleton) == 18
    assert skeleton.skeleton[skeleton.NECK].x == pytest.approx(hri.skeleton2d_points(pose)[1, 0], abs=1e-6)
    mesh = np.random.default_rng(1).uniform(0, 1, (468, 3))
    landmarks = hri.facial_landmarks_msg(mesh, 0.8, (640, 480), header)
    assert (landmarks.width, landmarks.height) == (640, 480) and len(landmarks.landmarks) == 70
    assert landmarks.landmarks[landmarks.MENTON].x == pytest.approx(mesh[152, 0], abs=1e-6)
    roi = hri.roi_msg(np.array([0.1, 0.2, 0.3, 0.4]), 1.5, header)
    assert (roi.xmin, roi.ymax, roi.c) == (pytest.approx(0.1), pytest.approx(0.4), 1.0)
    match = hri.ids_match_msg("f3", "b3")
    assert (match.id1, match.id1_type, match.id2, match.id2_type, match.confidence) == (
        "f3", match.FACE, "b3", match.BODY, 1.0)
    gesture = hri.gesture_msg(6, "left", header)
    assert gesture.gesture == gesture.WAVING
    if hasattr(gesture, "handedness"):   # hri_msgs 2.2
        assert gesture.handedness == gesture.LEFT
    assert hri.ids_list_msg(["b1", "b2"], header).ids == ["b1", "b2"]
