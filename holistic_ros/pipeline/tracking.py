"""Choosing between last frame's ROI and this frame's re-crop ROI.

Port of ``modules/holistic_landmark/calculators/roi_tracking_calculator.cc``
(path relative to ``mediapipe/``), used by the face and hand branches: the
ROI built from the previous frame's landmarks is kept while it stays close to
the re-crop ROI and the previous landmarks stay inside the re-crop ROI;
otherwise the re-crop ROI is used.

:class:`RoiTracker` holds one part's tracking state (the face, or one hand).
:class:`RecropSkipper` is ours, not MediaPipe's: it saves the re-crop model on
frames where its answer is foregone (see there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import numpy as np

from .roi import ImageSize, NormRect


@dataclass(frozen=True)
class TrackingRequirements:
    """``RoiTrackingCalculatorOptions``: rect_requirements and landmarks_requirements."""

    rotation_degrees: float
    translation: float
    scale: float
    recrop_rect_margin: float


def _rotated_center(rect: NormRect, image_size: ImageSize, cosa: float, sina: float):
    w, h = image_size
    x = rect.x_center * w * cosa - rect.y_center * h * sina
    y = rect.x_center * w * sina + rect.y_center * h * cosa
    return x, y


def _rect_differences(prev: NormRect, recrop: NormRect, image_size: ImageSize) -> Tuple[float, ...]:
    """|rotation| (degrees), |dx|, |dy| in the recrop's frame, |dw|, |dh|, and the recrop's w, h (pixels)."""
    w, h = image_size
    rotation = -recrop.rotation
    cosa, sina = math.cos(rotation), math.sin(rotation)
    px, py = _rotated_center(prev, image_size, cosa, sina)
    rx, ry = _rotated_center(recrop, image_size, cosa, sina)
    diff = math.degrees(prev.rotation) - math.degrees(recrop.rotation)
    if diff > 180.0:
        diff -= 360.0
    if diff < -180.0:
        diff += 360.0
    recrop_w, recrop_h = recrop.width * w, recrop.height * h
    return (abs(diff), abs(px - rx), abs(py - ry), abs(prev.width * w - recrop_w),
            abs(prev.height * h - recrop_h), recrop_w, recrop_h)


def rect_requirements_satisfied(prev: NormRect, recrop: NormRect, image_size: ImageSize,
                                req: TrackingRequirements) -> bool:
    rot, dx, dy, dw, dh, recrop_w, recrop_h = _rect_differences(prev, recrop, image_size)
    return (rot <= req.rotation_degrees
            and dx <= recrop_w * req.translation
            and dy <= recrop_h * req.translation
            and dw <= recrop_w * req.scale
            and dh <= recrop_h * req.scale)


def rect_difference_ratio(prev: NormRect, recrop: NormRect, image_size: ImageSize,
                          req: TrackingRequirements) -> float:
    """How much of the rect requirements' allowance ``prev`` uses: <= 1 passes."""
    rot, dx, dy, dw, dh, recrop_w, recrop_h = _rect_differences(prev, recrop, image_size)
    if recrop_w <= 0.0 or recrop_h <= 0.0:
        return math.inf
    return max(rot / req.rotation_degrees, dx / (recrop_w * req.translation), dy / (recrop_h * req.translation),
               dw / (recrop_w * req.scale), dh / (recrop_h * req.scale))


def _landmarks_in_recrop_frame(landmarks_norm: np.ndarray, recrop: NormRect, image_size: ImageSize,
                               req: TrackingRequirements):
    """Landmark offsets from the recrop's centre in its own frame, and the shrunk half sizes."""
    w, h = image_size
    rotation = -recrop.rotation
    cosa, sina = math.cos(rotation), math.sin(rotation)
    rx, ry = _rotated_center(recrop, image_size, cosa, sina)
    half_w = recrop.width * w * (1.0 + req.recrop_rect_margin) * 0.5
    half_h = recrop.height * h * (1.0 + req.recrop_rect_margin) * 0.5
    x = landmarks_norm[:, 0] * w * cosa - landmarks_norm[:, 1] * h * sina
    y = landmarks_norm[:, 0] * w * sina + landmarks_norm[:, 1] * h * cosa
    return x - rx, y - ry, half_w, half_h


def landmarks_requirements_satisfied(landmarks_norm: np.ndarray, recrop: NormRect,
                                     image_size: ImageSize, req: TrackingRequirements) -> bool:
    dx, dy, half_w, half_h = _landmarks_in_recrop_frame(landmarks_norm, recrop, image_size, req)
    inside = (-half_w < dx) & (dx < half_w) & (-half_h < dy) & (dy < half_h)
    return bool(inside.all())


def landmarks_extent_ratio(landmarks_norm: np.ndarray, recrop: NormRect, image_size: ImageSize,
                           req: TrackingRequirements) -> float:
    """How far out the landmarks reach in the shrunk recrop rect: < 1 is inside."""
    dx, dy, half_w, half_h = _landmarks_in_recrop_frame(landmarks_norm, recrop, image_size, req)
    if half_w <= 0.0 or half_h <= 0.0:
        return math.inf
    return float(max(np.abs(dx).max() / half_w, np.abs(dy).max() / half_h))


def choose_tracking_roi(prev_landmarks: Optional[np.ndarray], prev_rect: Optional[NormRect],
                        recrop: NormRect, image_size: ImageSize, req: TrackingRequirements) -> NormRect:
    """The previous frame's ROI when tracking holds, else the re-crop ROI."""
    if prev_rect is None or prev_landmarks is None:
        return recrop
    if (rect_requirements_satisfied(prev_rect, recrop, image_size, req)
            and landmarks_requirements_satisfied(prev_landmarks, recrop, image_size, req)):
        return prev_rect
    return recrop


def tracking_margins(landmarks: np.ndarray, roi_from_landmarks: NormRect, recrop: NormRect,
                     image_size: ImageSize, req: TrackingRequirements) -> Tuple[float, float]:
    """(:func:`rect_difference_ratio`, :func:`landmarks_extent_ratio`) of this
    frame's landmarks and their ROI against this frame's recrop ROI: what the
    next frame's check would find if nothing moved."""
    return (rect_difference_ratio(roi_from_landmarks, recrop, image_size, req),
            landmarks_extent_ratio(landmarks, recrop, image_size, req))


@dataclass(frozen=True)
class RecropSkipPolicy:
    """When the re-crop model may be skipped (all must hold).

    The last re-crop found the landmark ROI using at most ``max_rect_ratio``
    of the rect requirements' allowance, and the landmarks within
    ``max_landmarks_extent`` of the shrunk re-crop rect's half size. Since
    then the ROI the pose gives for this part has moved, turned or grown by at
    most ``max_motion`` of the allowance. A re-crop runs at least every
    ``max_skipped_frames + 1`` frames regardless.
    """

    max_rect_ratio: float = 0.5
    max_landmarks_extent: float = 0.9
    max_motion: float = 0.25
    max_skipped_frames: int = 10


class RecropSkipper:
    """Skips a branch's re-crop model while its answer looks foregone (a speed option, off by default).

    In MediaPipe's graph the re-crop model runs every frame, but while tracking
    holds its ROI only serves to confirm that last frame's landmark ROI is still
    good, and that ROI is used. When the last re-crop confirmed it with a wide
    margin and the pose shows the part has hardly moved since, the re-crop is
    skipped and the landmark ROI used, betting that the check would pass again.

    The bet is not safe on footage it was not tuned on: running the re-crop
    anyway on the frames it skipped, MediaPipe's check would have switched to
    the re-crop ROI on 30 of 290 (the woman clip it was tuned on), 76 of 282
    (rotated -15 degrees), 44 of 72 (-30), 28 of 234 (mirrored), and the hands
    move away from MediaPipe (right hand, mean over both clips and 8 variants
    each: 1.05% -> 1.12% of the diagonal; rotated -15: 1.03% -> 1.54%;
    tools/video_fidelity.py). It saves up to 1.6 re-crop model runs per frame
    there (2.9 -> 1.3).
    """

    def __init__(self, requirements: TrackingRequirements, policy: RecropSkipPolicy = RecropSkipPolicy()):
        self.requirements = requirements
        self.policy = policy
        self.reset()

    def reset(self) -> None:
        self._reference: Optional[NormRect] = None   # the pose's ROI when a re-crop last confirmed
        self._skipped = 0

    def can_skip(self, pose_roi: NormRect, image_size: ImageSize) -> bool:
        """True (and counted) when this frame's re-crop may be skipped."""
        if self._reference is None or self._skipped >= self.policy.max_skipped_frames:
            return False
        if rect_difference_ratio(pose_roi, self._reference, image_size, self.requirements) > self.policy.max_motion:
            return False
        self._skipped += 1
        return True

    def confirmed(self, pose_roi: NormRect, margins: Tuple[float, float]) -> None:
        """A re-crop ran; ``margins`` are :func:`tracking_margins` of its frame."""
        rect_ratio, extent = margins
        self._skipped = 0
        confident = rect_ratio <= self.policy.max_rect_ratio and extent <= self.policy.max_landmarks_extent
        self._reference = pose_roi if confident else None


class RoiTracker:
    """One part's tracking across frames (the face, or one hand).

    Holds last frame's landmarks and the ROI they give this frame, picks this
    frame's ROI as ``roi_tracking_calculator.cc`` does (or, with
    ``skip_recrops``, lets a :class:`RecropSkipper` spare the re-crop model),
    and counts re-crops run and skipped.
    """

    def __init__(self, requirements: TrackingRequirements, skip_recrops: bool = False):
        self.requirements = requirements
        self.skipper = RecropSkipper(requirements) if skip_recrops else None
        self.recrops_run = self.recrops_skipped = 0
        self.reset()

    def reset(self) -> None:
        """Lose the part: the next frame starts from its re-crop ROI."""
        self.landmarks: Optional[np.ndarray] = None
        self.roi: Optional[NormRect] = None
        self._checked: Optional[Tuple[NormRect, NormRect]] = None   # (pose ROI, recrop ROI) of this frame
        if self.skipper is not None:
            self.skipper.reset()

    def roi_for_frame(self, pose_roi: NormRect, image_size: ImageSize,
                      recrop: Callable[[NormRect], Optional[NormRect]]) -> Optional[NormRect]:
        """This frame's ROI. ``recrop`` runs the re-crop model in the pose's ROI;
        when it finds nothing (None) tracking is reset and None returned."""
        self._checked = None
        if self.skipper is not None and self.roi is not None and self.skipper.can_skip(pose_roi, image_size):
            self.recrops_skipped += 1
            return self.roi
        recrop_roi = recrop(pose_roi)
        self.recrops_run += 1
        if recrop_roi is None:
            self.reset()
            return None
        self._checked = (pose_roi, recrop_roi)
        return choose_tracking_roi(self.landmarks, self.roi, recrop_roi, image_size, self.requirements)

    def update(self, landmarks: np.ndarray, roi_from_landmarks: NormRect, image_size: ImageSize) -> None:
        """This frame's landmarks, and the ROI they give the next frame."""
        self.landmarks, self.roi = landmarks, roi_from_landmarks
        if self._checked is not None and self.skipper is not None:
            pose_roi, recrop_roi = self._checked
            self.skipper.confirmed(pose_roi, tracking_margins(landmarks, roi_from_landmarks, recrop_roi,
                                                              image_size, self.requirements))
