"""HolisticResult -> holistic_ros/HolisticLandmarks: pure functions, testable alone.

Field meanings, units and frames are documented in msg/Landmark.msg and
msg/HolisticLandmarks.msg.
"""

from __future__ import annotations

from typing import List, Optional

import numpy as np

from geometry_msgs.msg import Point, Pose, Vector3

from holistic_ros.msg import (Gesture, GestureEvent, Hand, HolisticLandmarks, HolisticPeople, HolisticPerson,
                              Landmark, PointingRay)
from holistic_ros.pipeline.result import HolisticResult
from holistic_ros.spatial import PointSource

NAN = float("nan")


def landmarks_to_msgs(landmarks: Optional[np.ndarray],
                      presence: Optional[np.ndarray] = None) -> List[Landmark]:
    """(N, 3) or (N, 4) array -> N Landmark messages; [] for None.

    Column 3, when there, is visibility. Visibility and presence that the array does not
    carry are NaN ("not estimated").
    """
    if landmarks is None:
        return []
    values = np.asarray(landmarks, dtype=np.float64)
    n = values.shape[0]
    visibility = values[:, 3] if values.shape[1] > 3 else np.full(n, NAN)
    present = np.asarray(presence, dtype=np.float64) if presence is not None else np.full(n, NAN)
    return [Landmark(x=x, y=y, z=z, visibility=v, presence=p)
            for (x, y, z), v, p in zip(values[:, :3].tolist(), visibility.tolist(), present.tolist())]


def _score(value: Optional[float]) -> float:
    return NAN if value is None else float(value)


def _fill_landmarks(msg, result) -> None:
    """The landmark fields HolisticLandmarks and HolisticPerson share, from one person's result."""
    msg.pose_score = _score(result.pose_score)
    msg.pose_landmarks = landmarks_to_msgs(result.pose_landmarks, result.pose_presence)
    msg.pose_world_landmarks = landmarks_to_msgs(result.pose_world_landmarks, result.pose_presence)
    msg.face_found = result.face_landmarks is not None
    msg.face_score = _score(result.face_score)
    msg.face_landmarks = landmarks_to_msgs(result.face_landmarks)
    for side in ("left", "right"):
        landmarks = getattr(result, f"{side}_hand_landmarks")
        setattr(msg, f"{side}_hand_found", landmarks is not None)
        setattr(msg, f"{side}_hand_score", _score(getattr(result, f"{side}_hand_score")))
        setattr(msg, f"{side}_hand_landmarks", landmarks_to_msgs(landmarks))


def holistic_result_to_msg(result: HolisticResult, header,
                           processing_time_ms: Optional[float] = None) -> HolisticLandmarks:
    """Build the message for one frame; ``header`` is the input image's, copied unchanged."""
    width, height = result.image_size
    if processing_time_ms is None:
        processing_time_ms = float(sum(result.stage_ms.values())) if result.stage_ms else NAN
    msg = HolisticLandmarks()
    msg.header = header
    msg.image_width = int(width)
    msg.image_height = int(height)

    msg.pose_found = result.pose_landmarks is not None
    _fill_landmarks(msg, result)
    msg.processing_time_ms = float(processing_time_ms)
    return msg


def landmarks_from_msgs(landmarks: List[Landmark]) -> Optional[np.ndarray]:
    """Landmark[] -> (N, 5) float32 array of x, y, z, visibility, presence; None if empty.

    The inverse of :func:`landmarks_to_msgs`, for consumers and tests.
    """
    if not landmarks:
        return None
    return np.array([(m.x, m.y, m.z, m.visibility, m.presence) for m in landmarks],
                    dtype=np.float32)


# ---------------------------------------------------------------------------- people
#: Gesture.msg codes by name: hri_msgs/Gesture's 0-6 where those exist, ours from 20 on.
BODY_GESTURE_CODES = {
    "arms_crossed": 2, "left_hand_raised": 3, "right_hand_raised": 4, "both_hands_raised": 5, "waving": 6,
    "pointing": 20, "stop": 21, "come_here": 22,
}
#: MediaPipe's canned hand gesture labels -> Gesture.msg codes ("None" is OTHER).
HAND_GESTURE_CODES = {
    "None": 0, "Closed_Fist": 30, "Open_Palm": 31, "Pointing_Up": 32, "Thumb_Down": 33, "Thumb_Up": 34,
    "Victory": 35, "ILoveYou": 36,
}
SIDE_CODES = {None: 0, "left": 1, "right": 2, "both": 3}
#: spatial.PointSource -> HolisticPerson.SOURCE_* (NONE 0, DEPTH 1, BODY_MODEL 2).
_POINT_SOURCES = {int(PointSource.NONE): 0, int(PointSource.MEASURED): 1, int(PointSource.MODEL): 2}


def _points(array: Optional[np.ndarray]) -> list:
    if array is None:
        return []
    return [Point(x=x, y=y, z=z) for x, y, z in np.asarray(array, dtype=np.float64)[:, :3].tolist()]


def _pose(pose3d) -> "object":
    msg = Pose()
    if pose3d is None:
        msg.orientation.w = 1.0
        return msg
    msg.position.x, msg.position.y, msg.position.z = (float(v) for v in pose3d.position)
    x, y, z, w = (float(v) for v in pose3d.quaternion)
    msg.orientation.x, msg.orientation.y, msg.orientation.z, msg.orientation.w = x, y, z, w
    return msg


def hand_gesture_to_msg(gesture, side: str):
    """``HandGesture`` (MediaPipe label, score) or None -> Gesture."""
    msg = Gesture(side=SIDE_CODES[side])
    if gesture is not None:
        msg.gesture = HAND_GESTURE_CODES.get(gesture.label, 0)
        msg.name = str(gesture.label)
        msg.confidence = float(gesture.score)
    return msg


def body_gesture_to_msg(name: str, side, confidence: float):
    return Gesture(gesture=BODY_GESTURE_CODES.get(name, 0), side=SIDE_CODES.get(side, 0), name=name,
                   confidence=float(confidence))


def pointing_ray_to_msg(ray):
    msg = PointingRay(in_camera_frame=bool(ray.in_camera_frame), side=SIDE_CODES.get(ray.side, 0),
                      angular_uncertainty=float(ray.angular_uncertainty))
    msg.origin = Point(**dict(zip("xyz", (float(v) for v in ray.origin))))
    msg.direction = Vector3(**dict(zip("xyz", (float(v) for v in ray.direction))))
    if ray.plane_point is not None:
        msg.hits_plane = True
        msg.plane_point = Point(**dict(zip("xyz", (float(v) for v in ray.plane_point))))
    return msg


def person_to_msg(person):
    """:class:`holistic_ros.gestures.person.PersonFrame` -> HolisticPerson."""
    result = person.result
    msg = HolisticPerson(id=int(person.person_id), detailed=bool(getattr(result, "detailed", True)))
    _fill_landmarks(msg, result)
    for side in ("left", "right"):
        setattr(msg, f"{side}_hand_world_landmarks",
                landmarks_to_msgs(getattr(result, f"{side}_hand_world_landmarks", None)))
        setattr(msg, f"{side}_hand_gesture",
                hand_gesture_to_msg(getattr(result, f"{side}_hand_gesture", None), side))

    located = person.located
    if located is not None and located.pose_landmarks is not None:
        msg.located = True
        msg.distance_source = str(located.distance_source or "")
        msg.pose_points = _points(located.pose_landmarks)
        if located.pose_source is not None:
            msg.pose_point_sources = [_POINT_SOURCES.get(int(s), 0) for s in located.pose_source]
        if located.pose_confidence is not None:
            msg.pose_point_confidences = [float(c) for c in located.pose_confidence]
        msg.face_points = _points(located.face_landmarks)
        msg.left_hand_points = _points(located.left_hand_landmarks)
        msg.right_hand_points = _points(located.right_hand_landmarks)
        msg.body_pose = _pose(located.body_pose)
        msg.head_found = located.head_pose is not None
        msg.head_pose = _pose(located.head_pose)
        msg.face_pose = _pose(located.face_pose)
        msg.gaze_pose = _pose(located.gaze_pose)
        msg.looking_at_camera = bool(located.looking_at_camera)
        msg.gaze_angle = NAN if located.looking_angle_rad is None else float(located.looking_angle_rad)
    else:
        msg.gaze_angle = NAN
        for name in ("body_pose", "head_pose", "face_pose", "gaze_pose"):
            setattr(msg, name, _pose(None))

    frame = person.gestures
    if frame is not None:
        msg.gestures = [body_gesture_to_msg(a.gesture.value, a.side, a.confidence) for a in frame.active]
        msg.pointing = [pointing_ray_to_msg(ray) for ray in frame.pointing]
    return msg


def people_to_msg(frame, header, processing_time_ms: float):
    """:class:`holistic_ros.gestures.person.FrameOutput` -> HolisticPeople with the image's header."""
    msg = HolisticPeople(header=header, processing_time_ms=float(processing_time_ms))
    msg.image_width, msg.image_height = (int(v) for v in frame.image_size)
    msg.people = [person_to_msg(p) for p in frame.people]
    hands = tuple(getattr(frame, "hands", ()))
    located = tuple(getattr(frame, "hands_located", ())) or (None,) * len(hands)
    pointing = tuple(getattr(frame, "hands_pointing", ())) or (None,) * len(hands)
    msg.hands = [lone_hand_to_msg(h, loc, ray) for h, loc, ray in zip(hands, located, pointing)]
    return msg


def lone_hand_to_msg(hand, located=None, pointing=None):
    """A hand of no body (:class:`holistic_ros.pipeline.hand_tracker.TrackedHand`) -> Hand, with
    its camera-frame 3D (:class:`holistic_ros.spatial.LocatedHand`) and finger ray when given."""
    msg = Hand(id=int(hand.track_id), side=SIDE_CODES.get(hand.side, 0), score=float(hand.score),
               landmarks=landmarks_to_msgs(hand.landmarks), world_landmarks=landmarks_to_msgs(hand.world_landmarks),
               gesture=hand_gesture_to_msg(hand.gesture, hand.side))
    if located is not None:
        msg.points = _points(located.points)
        msg.distance_source = str(located.distance_source)
    if pointing is not None:
        msg.pointing = [pointing_ray_to_msg(pointing)]
    return msg


def gesture_events_to_msgs(frame, header) -> list:
    """The debounced onsets and ends of this frame, one GestureEvent each."""
    events = []
    for person in frame.people:
        if person.gestures is None:
            continue
        for event in person.gestures.events:
            events.append(GestureEvent(
                header=header, person_id=int(person.person_id),
                kind=GestureEvent.ONSET if event.kind.value == "onset" else GestureEvent.END,
                gesture=body_gesture_to_msg(event.gesture.value, event.side, event.confidence),
                duration=float(event.duration)))
    for event in getattr(frame, "hand_events", ()):
        msg = GestureEvent(header=header, person_id=int(event.person_id or 0),
                           hand_track_id=int(event.hand_track_id or 0),
                           kind=GestureEvent.ONSET if event.kind.value == "onset" else GestureEvent.END,
                           gesture=Gesture(gesture=HAND_GESTURE_CODES.get(event.label, 0),
                                           side=SIDE_CODES.get(event.side, 0), name=str(event.label),
                                           confidence=float(event.confidence)),
                           duration=float(event.duration))
        events.append(msg)
    return events
