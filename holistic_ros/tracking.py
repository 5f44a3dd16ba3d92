"""Choosing between last frame's ROI and this frame's re-crop ROI.

Port of ``modules/holistic_landmark/calculators/roi_tracking_calculator.cc``
(path relative to ``mediapipe/``), used by the face and hand branches: the
ROI built from the previous frame's landmarks is kept while it stays close to
the re-crop ROI and the previous landmarks stay inside the re-crop ROI;
otherwise the re-crop ROI is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

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


def rect_requirements_satisfied(prev: NormRect, recrop: NormRect, image_size: ImageSize,
                                req: TrackingRequirements) -> bool:
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
    return (abs(diff) <= req.rotation_degrees
            and abs(px - rx) <= recrop_w * req.translation
            and abs(py - ry) <= recrop_h * req.translation
            and abs(prev.width * w - recrop_w) <= recrop_w * req.scale
            and abs(prev.height * h - recrop_h) <= recrop_h * req.scale)


def landmarks_requirements_satisfied(landmarks_norm: np.ndarray, recrop: NormRect,
                                     image_size: ImageSize, req: TrackingRequirements) -> bool:
    w, h = image_size
    rotation = -recrop.rotation
    cosa, sina = math.cos(rotation), math.sin(rotation)
    rx, ry = _rotated_center(recrop, image_size, cosa, sina)
    half_w = recrop.width * w * (1.0 + req.recrop_rect_margin) * 0.5
    half_h = recrop.height * h * (1.0 + req.recrop_rect_margin) * 0.5
    x = landmarks_norm[:, 0] * w * cosa - landmarks_norm[:, 1] * h * sina
    y = landmarks_norm[:, 0] * w * sina + landmarks_norm[:, 1] * h * cosa
    inside = (rx - half_w < x) & (x < rx + half_w) & (ry - half_h < y) & (y < ry + half_h)
    return bool(inside.all())


def choose_tracking_roi(prev_landmarks: Optional[np.ndarray], prev_rect: Optional[NormRect],
                        recrop: NormRect, image_size: ImageSize, req: TrackingRequirements) -> NormRect:
    """The previous frame's ROI when tracking holds, else the re-crop ROI."""
    if prev_rect is None or prev_landmarks is None:
        return recrop
    if (rect_requirements_satisfied(prev_rect, recrop, image_size, req)
            and landmarks_requirements_satisfied(prev_landmarks, recrop, image_size, req)):
        return prev_rect
    return recrop
