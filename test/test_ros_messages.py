"""holistic_ros.ros.messages: HolisticResult -> HolisticLandmarks, with hand-made results."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import require_messages

require_messages()

from std_msgs.msg import Header  # noqa: E402

from holistic_ros.msg import HolisticLandmarks  # noqa: E402
from holistic_ros.pipeline.result import HolisticResult  # noqa: E402
from holistic_ros.ros.messages import (  # noqa: E402
    holistic_result_to_msg, landmarks_from_msgs, landmarks_to_msgs)

RNG = np.random.default_rng(3)


def full_result(face_points: int = 468) -> HolisticResult:
    return HolisticResult(
        pose_landmarks=RNG.random((33, 4), dtype=np.float32),
        pose_presence=RNG.random(33, dtype=np.float32),
        pose_world_landmarks=RNG.random((33, 4), dtype=np.float32) - 0.5,
        face_landmarks=RNG.random((face_points, 3), dtype=np.float32),
        left_hand_landmarks=RNG.random((21, 3), dtype=np.float32),
        right_hand_landmarks=RNG.random((21, 3), dtype=np.float32),
        pose_score=0.9, face_score=0.8, left_hand_score=0.7, right_hand_score=0.6,
        image_size=(640, 480), stage_ms={"pose": 3.0, "face": 2.0},
    )


def header() -> Header:
    h = Header(frame_id="camera_optical_frame")
    h.stamp.sec, h.stamp.nanosec = 1700000000, 123456789
    return h


def test_full_result():
    result = full_result()
    msg = holistic_result_to_msg(result, header())
    assert isinstance(msg, HolisticLandmarks)
    assert msg.header == header()
    assert (msg.image_width, msg.image_height) == (640, 480)
    assert msg.pose_found and msg.face_found and msg.left_hand_found and msg.right_hand_found
    assert len(msg.pose_landmarks) == msg.NUM_POSE_LANDMARKS == 33
    assert len(msg.pose_world_landmarks) == 33
    assert len(msg.face_landmarks) == msg.NUM_FACE_LANDMARKS == 468
    assert len(msg.left_hand_landmarks) == len(msg.right_hand_landmarks) == msg.NUM_HAND_LANDMARKS
    assert msg.pose_score == pytest.approx(0.9)
    assert msg.right_hand_score == pytest.approx(0.6)
    assert msg.processing_time_ms == pytest.approx(5.0)

    pose = landmarks_from_msgs(msg.pose_landmarks)
    np.testing.assert_array_equal(pose[:, :4], result.pose_landmarks)
    np.testing.assert_array_equal(pose[:, 4], result.pose_presence)
    world = landmarks_from_msgs(msg.pose_world_landmarks)
    np.testing.assert_array_equal(world[:, :4], result.pose_world_landmarks)
    hand = landmarks_from_msgs(msg.left_hand_landmarks)
    np.testing.assert_array_equal(hand[:, :3], result.left_hand_landmarks)
    # face and hands carry no visibility or presence: NaN, not 0
    assert np.isnan(hand[:, 3:]).all()
    assert np.isnan(landmarks_from_msgs(msg.face_landmarks)[:, 3:]).all()


def test_refined_face_has_478_points():
    msg = holistic_result_to_msg(full_result(478), header())
    assert len(msg.face_landmarks) == msg.NUM_FACE_LANDMARKS_REFINED == 478


def test_nothing_found_is_distinct_from_empty():
    msg = holistic_result_to_msg(HolisticResult(image_size=(320, 240)), header(), 4.5)
    assert not (msg.pose_found or msg.face_found or msg.left_hand_found or msg.right_hand_found)
    assert msg.pose_landmarks == [] and msg.face_landmarks == [] and msg.pose_world_landmarks == []
    assert math.isnan(msg.pose_score) and math.isnan(msg.left_hand_score)
    assert (msg.image_width, msg.image_height) == (320, 240)
    assert msg.processing_time_ms == pytest.approx(4.5)


def test_partial_result():
    result = full_result()
    partial = HolisticResult(pose_landmarks=result.pose_landmarks,
                             pose_world_landmarks=result.pose_world_landmarks,
                             right_hand_landmarks=result.right_hand_landmarks,
                             pose_score=0.5, right_hand_score=0.4, image_size=(10, 10))
    msg = holistic_result_to_msg(partial, header())
    assert msg.pose_found and msg.right_hand_found
    assert not msg.face_found and not msg.left_hand_found
    # no presence array: NaN presence, visibility still from column 3
    pose = landmarks_from_msgs(msg.pose_landmarks)
    assert np.isnan(pose[:, 4]).all()
    np.testing.assert_array_equal(pose[:, 3], result.pose_landmarks[:, 3])


def test_landmarks_to_msgs_none_and_empty():
    assert landmarks_to_msgs(None) == []
    assert landmarks_from_msgs([]) is None


def test_message_publishes_and_serialises():
    """The message built here survives rclpy's serialisation (the field types match)."""
    from rclpy.serialization import deserialize_message, serialize_message

    msg = holistic_result_to_msg(full_result(478), header())
    back = deserialize_message(serialize_message(msg), HolisticLandmarks)
    np.testing.assert_array_equal(landmarks_from_msgs(back.face_landmarks)[:, :3],
                                  landmarks_from_msgs(msg.face_landmarks)[:, :3])
    assert back.header == msg.header


def test_hands_of_no_body_and_their_gesture_events():
    """Issue 17: a hand without a body reaches HolisticPeople.hands, and its gesture events
    go on holistic/gesture_events with person id 0 ("no person"), its side and track id."""
    from holistic_ros.msg import GestureEvent
    from holistic_ros.pipeline.hand_gesture import HandGesture
    from holistic_ros.pipeline.hand_tracker import TrackedHand
    from holistic_ros.pipeline.roi import NormRect
    from holistic_ros.ros.messages import gesture_events_to_msgs, people_to_msg
    from holistic_ros.gestures.person import GestureTracks, assemble_frame

    hand = TrackedHand(7, "right", RNG.random((21, 3)), RNG.random((21, 3)) - 0.5, 0.97, 0.9,
                       NormRect(0.5, 0.5, 0.2, 0.2), True, HandGesture("Thumb_Up", 0.8))
    tracks = GestureTracks()
    onsets = []
    for i in range(20):
        result = HolisticResult(image_size=(640, 480), hands=(hand,))
        frame = assemble_frame(result, i / 25.0, gestures=tracks)
        onsets += [e for e in gesture_events_to_msgs(frame, header()) if e.kind == GestureEvent.ONSET]
    msg = people_to_msg(frame, header(), 5.0)
    assert msg.people == [] and [h.id for h in msg.hands] == [7]
    assert msg.hands[0].side == 2 and msg.hands[0].gesture.name == "Thumb_Up"
    assert len(msg.hands[0].landmarks) == 21 and len(msg.hands[0].world_landmarks) == 21
    assert [(e.person_id, e.hand_track_id, e.gesture.name, e.gesture.side) for e in onsets] == [
        (0, 7, "Thumb_Up", 2)]
