"""What one call of :meth:`holistic_ros.Holistic.process` returns.

Field names, shapes and coordinate conventions follow MediaPipe's legacy
``mp.solutions.holistic`` (``mediapipe/python/solutions/holistic.py``) so that
MediaPipe's connection tables and tutorials apply unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple

import numpy as np

from .hand_gesture import HandGesture
from .hand_tracker import TrackedHand

__all__ = ["HolisticResult", "HandGesture", "TrackedHand"]

NUM_POSE_LANDMARKS = 33
NUM_FACE_LANDMARKS = 468
NUM_FACE_LANDMARKS_REFINED = 478
NUM_HAND_LANDMARKS = 21


@dataclass(frozen=True)
class HolisticResult:
    """Landmarks of the one person MediaPipe Holistic tracks (with several people,
    the most prominent; all of them in ``people``); ``None`` where absent.

    Image landmarks: x and y are normalised to the image width and height
    ([0, 1] inside the image, may fall outside), z is relative depth on
    roughly the same scale as x (MediaPipe's convention).
    """

    #: (33, 4) float32: x, y (normalised), z, visibility in [0, 1].
    pose_landmarks: Optional[np.ndarray] = None
    #: (33,) float32: presence in [0, 1] of each pose landmark.
    pose_presence: Optional[np.ndarray] = None
    #: (33, 4) float32: x, y, z in metres, origin between the hips; visibility.
    pose_world_landmarks: Optional[np.ndarray] = None
    #: (468, 3) or (478, 3) with refine_face_landmarks: x, y (normalised), z.
    face_landmarks: Optional[np.ndarray] = None
    #: (21, 3): the subject's left hand (pose landmarks 15/17/19), as MediaPipe.
    left_hand_landmarks: Optional[np.ndarray] = None
    #: (21, 3): the subject's right hand (pose landmarks 16/18/20).
    right_hand_landmarks: Optional[np.ndarray] = None
    #: (21, 3) float32 metres around the hand's centre, image axes (x right, y down, z away from
    #: the camera): the hand model's world landmarks, which MediaPipe Holistic drops.
    left_hand_world_landmarks: Optional[np.ndarray] = None
    right_hand_world_landmarks: Optional[np.ndarray] = None
    #: MediaPipe's canned hand gesture of each found hand, with ``Holistic(recognize_gestures=True)``.
    left_hand_gesture: Optional[HandGesture] = None
    right_hand_gesture: Optional[HandGesture] = None
    #: (H, W) float32 in [0, 1], when segmentation is enabled and a pose was found.
    segmentation_mask: Optional[np.ndarray] = None
    #: Model confidence (the landmark model's presence flag) per part, None when absent.
    pose_score: Optional[float] = None
    face_score: Optional[float] = None
    left_hand_score: Optional[float] = None
    right_hand_score: Optional[float] = None
    #: (width, height) of the processed image in pixels.
    image_size: Tuple[int, int] = (0, 0)
    #: Wall-clock milliseconds per pipeline stage for this frame (for benchmarks and diagnostics).
    stage_ms: Mapping[str, float] = field(default_factory=dict)
    #: The person these fields describe: an id that stays with the person across
    #: frames and is never given to another (with one person, a new id each time
    #: tracking starts over from the detector). 0 when no person was found.
    person_id: int = 0
    #: Everyone found this frame (up to ``Holistic(max_num_people=...)``), most
    #: prominent first, each with its own fields, id and mask and ``people=()``;
    #: this result's own fields are ``people[0]``'s. Empty when no one was found.
    people: Tuple["HolisticResult", ...] = ()
    #: False when the detail budget (``Holistic(max_detailed_people=K)``) left this person's
    #: face and hands out of this frame: not looked for (None) from the pose's wrists or the
    #: palm detector, the pose is there. True
    #: whenever they were looked for, found or not (always, without a budget). With a budget,
    #: ``people`` lists the detailed first, so this result's own fields are a detailed person's.
    detailed: bool = True
    #: Hands that belong to no body (``Holistic(hand_source="palm"|"both")``: no pose found, or
    #: far from every wrist), each with its own track id, side, landmarks, world landmarks,
    #: score and gesture (:class:`~holistic_ros.pipeline.hand_tracker.TrackedHand`). Empty with
    #: ``hand_source="pose"``, and in each of ``people``.
    hands: Tuple[TrackedHand, ...] = ()
