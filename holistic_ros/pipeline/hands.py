"""Hand branch: ROI from pose, re-crop model, tracking, hand landmark model.

Ports, under ``mediapipe/modules/``:
``holistic_landmark/hand_landmarks_left_and_right_cpu.pbtxt``,
``holistic_landmark/hand_landmarks_from_pose_cpu.pbtxt`` (the branch, per hand),
``holistic_landmark/hand_visibility_from_hand_landmarks_from_pose.pbtxt``,
``holistic_landmark/hand_landmarks_from_pose_to_recrop_roi.pbtxt`` with
``holistic_landmark/calculators/hand_detections_from_pose_to_rects_calculator.cc``,
``holistic_landmark/hand_recrop_by_roi_cpu.pbtxt``,
``holistic_landmark/hand_tracking.pbtxt`` with ``holistic_landmark/hand_landmarks_to_roi.pbtxt``
and ``hand_landmark/calculators/hand_landmarks_to_rect_calculator.cc``,
``hand_landmark/hand_landmark_cpu.pbtxt``; the world landmarks, which Holistic drops, as
``tasks/cc/vision/hand_landmarker/hand_landmarks_detector_graph.cc`` keeps them (rotated out
of the ROI by ``calculators/util/world_landmark_projection_calculator.cc``); with a gesture
recognizer, each hand's gesture (:mod:`holistic_ros.pipeline.hand_gesture`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .hand_gesture import HandGesture, HandGestureRecognizer
from .models import ModelSession
from .roi import (NormRect, crop_image, crop_images, landmarks_from_roi, rect_from_alignment_points,
                  rect_from_rotated_extent, rotation_from_points, transform_rect)
from .tracking import RoiTracker, TrackingRequirements

# hand_landmarks_left_and_right_cpu.pbtxt: wrist, pinky, index of each side
# ("left" is the subject's left).
LEFT_HAND_POSE_INDICES = (15, 17, 19)
RIGHT_HAND_POSE_INDICES = (16, 18, 20)
# hand_visibility_from_hand_landmarks_from_pose.pbtxt
WRIST_VISIBILITY_THRESHOLD = 0.1
# hand_landmarks_from_pose_to_recrop_roi.pbtxt
HAND_FROM_POSE_SCALE = 2.7
HAND_FROM_POSE_SHIFT_Y = -0.1
HAND_FROM_POSE_TARGET_ANGLE = math.radians(90.0)
# hand_recrop_by_roi_cpu.pbtxt
HAND_RECROP_INPUT_SIZE = 256
HAND_RECROP_TARGET_ANGLE = math.radians(-90.0)
HAND_RECROP_SHIFT_Y = -0.1
# hand_landmarks_to_roi.pbtxt + hand_landmarks_to_rect_calculator.cc: given all
# 21 landmarks, the calculator keeps this palm-and-lower-finger subset
# (GetPartialLandmarks); its rotation runs from the wrist to the mean of the
# middle MCP and of the index/ring MCPs' midpoint (subset indices 0; 4, 6, 8).
HAND_PARTIAL_LANDMARKS = (0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18)
HAND_ROTATION_FROM = 0
HAND_ROTATION_TO = (4, 6, 8)
HAND_TRACKING_TARGET_ANGLE = math.radians(90.0)
HAND_TRACKING_SCALE = 2.0
HAND_TRACKING_SHIFT_Y = -0.1
# hand_tracking.pbtxt
HAND_TRACKING_REQUIREMENTS = TrackingRequirements(
    rotation_degrees=40.0, translation=0.2, scale=0.4, recrop_rect_margin=-0.1)
# hand_landmark_cpu.pbtxt
HAND_LANDMARK_INPUT_SIZE = 224
HAND_PRESENCE_THRESHOLD = 0.5
HAND_Z_NORMALIZATION = 0.4
NUM_HAND_LANDMARKS = 21


def hand_roi_from_pose(wrist: np.ndarray, pinky: np.ndarray, index: np.ndarray, image_size) -> NormRect:
    """``hand_detections_from_pose_to_rects_calculator.cc`` then scale 2.7, shift -0.1."""
    w, h = image_size
    wrist_px = np.array([wrist[0] * w, wrist[1] * h])
    middle_px = (2.0 * np.array([index[0] * w, index[1] * h]) + np.array([pinky[0] * w, pinky[1] * h])) / 3.0
    box = 2.0 * float(np.hypot(*(middle_px - wrist_px)))
    rect = NormRect(middle_px[0] / w, middle_px[1] / h, box / w, box / h,
                    rotation_from_points(wrist_px, middle_px, HAND_FROM_POSE_TARGET_ANGLE))
    return transform_rect(rect, image_size, HAND_FROM_POSE_SCALE, HAND_FROM_POSE_SCALE,
                          shift_y=HAND_FROM_POSE_SHIFT_Y, square_long=True)


def hand_roi_from_landmarks(landmarks: np.ndarray, image_size) -> NormRect:
    """ROI for the next frame from this frame's 21 hand landmarks."""
    w, h = image_size
    partial = landmarks[list(HAND_PARTIAL_LANDMARKS), :2]
    a, b, c = HAND_ROTATION_TO
    target = ((partial[a] + partial[c]) / 2.0 + partial[b]) / 2.0
    rotation = rotation_from_points(partial[HAND_ROTATION_FROM] * (w, h), target * (w, h),
                                    HAND_TRACKING_TARGET_ANGLE)
    rect = rect_from_rotated_extent(partial, image_size, rotation)
    return transform_rect(rect, image_size, HAND_TRACKING_SCALE, HAND_TRACKING_SCALE,
                          shift_y=HAND_TRACKING_SHIFT_Y, square_long=True)


def world_landmarks_from_roi(world_roi: np.ndarray, rotation: float) -> np.ndarray:
    """world_landmark_projection_calculator.cc: the model's metric landmarks are in the
    ROI's rotated frame; rotate x, y back into the image's axes (z unchanged)."""
    c, s = math.cos(rotation), math.sin(rotation)
    out = np.array(world_roi, dtype=np.float64, copy=True)
    out[:, 0] = c * world_roi[:, 0] - s * world_roi[:, 1]
    out[:, 1] = s * world_roi[:, 0] + c * world_roi[:, 1]
    return out


@dataclass(frozen=True)
class HandResult:
    """One hand's landmarks (21, 3), image-normalised, or None; and the model's score.

    ``world_landmarks`` (21, 3) metres around the hand's centre, in the image's axes;
    ``handedness`` the model's P(right hand) (mirrored-image convention, see
    :mod:`~holistic_ros.pipeline.hand_gesture`); ``gesture`` when gestures are recognised.
    """

    landmarks: Optional[np.ndarray] = None
    score: Optional[float] = None
    world_landmarks: Optional[np.ndarray] = None
    handedness: Optional[float] = None
    gesture: Optional[HandGesture] = None


def hand_from_model_output(out, crop, presence_threshold: float = HAND_PRESENCE_THRESHOLD) -> "HandResult":
    """One crop's hand landmark model outputs -> a :class:`HandResult` without gesture
    (``hand_landmark_cpu.pbtxt``; world landmarks as ``hand_landmarks_detector_graph.cc``).

    ``out``: the model's outputs for this crop (batch of one); the hand is absent (landmarks
    None, the score kept) when the presence score is not above ``presence_threshold``."""
    score = float(np.asarray(out["hand_flag"]).reshape(-1)[0])
    if score <= presence_threshold:
        return HandResult(None, score)
    lm = out["landmarks"].reshape(NUM_HAND_LANDMARKS, 3).astype(np.float64) / HAND_LANDMARK_INPUT_SIZE
    lm[:, 2] /= HAND_Z_NORMALIZATION
    lm = landmarks_from_roi(lm, crop)
    world = world_landmarks_from_roi(out["world_landmarks"].reshape(NUM_HAND_LANDMARKS, 3).astype(np.float64),
                                     crop.rect.rotation)
    handedness = float(np.asarray(out["handedness"]).reshape(-1)[0])
    return HandResult(lm, score, world, handedness)


class HandsBranch:
    """Both hands of the person found by the pose stage.

    Each hand has its own ROI chain and tracking state (hand_landmarks_from_pose_cpu.pbtxt,
    once per side); the two landmark crops go through the hand model together
    when the model takes a batch.
    """

    def __init__(self, recrop: ModelSession, landmarker: ModelSession, skip_recrops: bool = False,
                 gestures: Optional[HandGestureRecognizer] = None):
        self.recrop_model = recrop
        self.landmarker = landmarker
        self.gestures = gestures
        self.sides = (LEFT_HAND_POSE_INDICES, RIGHT_HAND_POSE_INDICES)
        self.trackers = [RoiTracker(HAND_TRACKING_REQUIREMENTS, skip_recrops) for _ in range(2)]

    def reset(self) -> None:
        for tracker in self.trackers:
            tracker.reset()

    def reset_side(self, side: int) -> None:
        self.trackers[side].reset()

    def recrop_roi(self, image: np.ndarray, roi: NormRect) -> NormRect:
        """hand_recrop.tflite finds the hand's centre and size inside the pose ROI."""
        h, w = image.shape[:2]
        crop = crop_image(image, roi, HAND_RECROP_INPUT_SIZE, HAND_RECROP_INPUT_SIZE,
                        keep_aspect_ratio=True, value_range=(0.0, 1.0), border_zero=False)
        out = self.recrop_model.run(crop.tensor)
        points = out["keypoints"].reshape(2, 2).astype(np.float64) / HAND_RECROP_INPUT_SIZE
        points = landmarks_from_roi(points, crop)
        rect = rect_from_alignment_points(points[0], points[1], (w, h), HAND_RECROP_TARGET_ANGLE)
        return transform_rect(rect, (w, h), 1.0, 1.0, shift_y=HAND_RECROP_SHIFT_Y, square_long=True)

    def tracking_roi(self, image: np.ndarray, pose_landmarks: np.ndarray, side: int) -> Optional[NormRect]:
        """This frame's ROI for one hand, or None when the pose's wrist is not visible."""
        h, w = image.shape[:2]
        wrist, pinky, index = (pose_landmarks[i] for i in self.sides[side])
        if wrist[3] <= WRIST_VISIBILITY_THRESHOLD:
            return None
        return self.trackers[side].roi_for_frame(hand_roi_from_pose(wrist, pinky, index, (w, h)), (w, h),
                                                 lambda pose_roi: self.recrop_roi(image, pose_roi))

    def _landmark_roi(self, image, pose_landmarks: np.ndarray, side: int) -> Optional[NormRect]:
        roi = self.tracking_roi(image, pose_landmarks, side)
        if roi is None:
            self.reset_side(side)
        return roi

    def _finish(self, side: int, crop, out, image_size) -> HandResult:
        hand = hand_from_model_output(out, crop)
        if hand.landmarks is None:
            self.reset_side(side)
            return hand
        self.trackers[side].update(hand.landmarks, hand_roi_from_landmarks(hand.landmarks, image_size), image_size)
        if self.gestures is None:
            return hand
        # The image itself is upright: rotation 0 (hand_gesture.py says why).
        return replace(hand, gesture=self.gestures.recognize(hand.landmarks, hand.world_landmarks,
                                                             hand.handedness, image_size))


def landmarks_of_hands(image, hands: Sequence[Tuple[HandsBranch, np.ndarray, int]]) -> List[HandResult]:
    """Results of several hands, each ``(branch, its body's pose landmarks, side)``.

    Each hand's ROI comes from its own body's wrist and its branch's tracking
    state (one :class:`HandsBranch` per person), so a hand cannot move to
    another body; the landmark crops of all of them (one person's two hands,
    or every person's) go through the hand model as one batch when it takes one.
    """
    results = [HandResult() for _ in hands]
    todo = [(k, branch._landmark_roi(image, pose_landmarks, side))
            for k, (branch, pose_landmarks, side) in enumerate(hands)]
    todo = [(k, roi) for k, roi in todo if roi is not None]
    if not todo:
        return results
    landmarker = hands[0][0].landmarker
    groups = [todo] if landmarker.input_shape[0] != 1 else [[job] for job in todo]
    size = (image.shape[1], image.shape[0])
    for group in groups:
        batch, crops = crop_images(image, [roi for _, roi in group], HAND_LANDMARK_INPUT_SIZE,
                                   HAND_LANDMARK_INPUT_SIZE, keep_aspect_ratio=True, value_range=(0.0, 1.0),
                                   border_zero=False)
        out = landmarker.run(batch)
        for i, ((k, _), crop) in enumerate(zip(group, crops)):
            branch, _, side = hands[k]
            results[k] = branch._finish(side, crop, {key: v[i:i + 1] for key, v in out.items()}, size)
    return results
