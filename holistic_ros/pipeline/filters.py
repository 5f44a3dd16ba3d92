"""Temporal filters: One-Euro landmark smoothing, visibility low-pass, mask smoothing.

Ports (paths relative to ``mediapipe/``):
``util/filtering/one_euro_filter.cc``, ``util/filtering/low_pass_filter.cc``,
``calculators/util/landmarks_smoothing_calculator{,_utils}.cc``,
``calculators/util/visibility_smoothing_calculator.cc`` and
``calculators/image/segmentation_smoothing_calculator.cc``. Filter settings
are those of ``modules/pose_landmark/pose_landmark_filtering.pbtxt`` and
``modules/pose_landmark/pose_segmentation_filtering.pbtxt``.

Each filter works on a whole landmark array at once (one One-Euro filter per
coordinate, vectorised). Timestamps are seconds; a timestamp that does not
increase makes the filter return its input unchanged, as upstream does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

# One-Euro filter's default frequency before two timestamps are known
# (LandmarksSmoothingCalculatorOptions.OneEuroFilter.frequency default).
_DEFAULT_FREQUENCY = 30.0
# LandmarksSmoothingCalculatorOptions min_allowed_object_scale default.
_MIN_ALLOWED_OBJECT_SCALE = 1e-6


@dataclass(frozen=True)
class OneEuroSettings:
    min_cutoff: float
    beta: float
    derivate_cutoff: float
    disable_value_scaling: bool = False


# modules/pose_landmark/pose_landmark_filtering.pbtxt
POSE_LANDMARKS_FILTER = OneEuroSettings(min_cutoff=0.05, beta=80.0, derivate_cutoff=1.0)
POSE_WORLD_LANDMARKS_FILTER = OneEuroSettings(min_cutoff=0.1, beta=40.0, derivate_cutoff=1.0,
                                              disable_value_scaling=True)
POSE_AUXILIARY_LANDMARKS_FILTER = OneEuroSettings(min_cutoff=0.01, beta=10.0, derivate_cutoff=1.0)
VISIBILITY_LOW_PASS_ALPHA = 0.1
# modules/pose_landmark/pose_segmentation_filtering.pbtxt
SEGMENTATION_COMBINE_WITH_PREVIOUS_RATIO = 0.7


def _alpha(cutoff: np.ndarray | float, frequency: float):
    te = 1.0 / frequency
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / te)


class OneEuroArrayFilter:
    """One-Euro filters over every value of an array, with MediaPipe's value scaling.

    The derivative is taken from the last *raw* value, scaled by
    ``value_scale`` (1 / object size), as ``OneEuroFilter::Apply`` does.
    """

    def __init__(self, settings: OneEuroSettings):
        self.settings = settings
        self.reset()

    def reset(self) -> None:
        self._last_time: Optional[float] = None
        self._frequency = _DEFAULT_FREQUENCY
        self._last_raw: Optional[np.ndarray] = None
        self._last_value: Optional[np.ndarray] = None
        self._last_dvalue: Optional[np.ndarray] = None

    def apply(self, values: np.ndarray, timestamp: float, value_scale: float = 1.0) -> np.ndarray:
        # A copy: the raw values are kept for the next derivative, and a caller
        # that writes the result back into the array it passed (a view) must
        # not turn them into the filtered ones.
        values = np.array(values, dtype=np.float64, copy=True)
        if self._last_time is not None and timestamp <= self._last_time:
            return values
        if self._last_raw is not None and self._last_raw.shape != values.shape:
            self.reset()
        if self._last_time is not None:
            self._frequency = 1.0 / (timestamp - self._last_time)
        self._last_time = timestamp
        s = self.settings
        if self._last_raw is None:
            dvalue = np.zeros_like(values)
        else:
            dvalue = (values - self._last_raw) * value_scale * self._frequency
        if self._last_dvalue is None:
            edvalue = dvalue
        else:
            a = _alpha(s.derivate_cutoff, self._frequency)
            edvalue = a * dvalue + (1.0 - a) * self._last_dvalue
        self._last_dvalue = edvalue
        if self._last_value is None:
            out = values
        else:
            cutoff = s.min_cutoff + s.beta * np.abs(edvalue)
            a = _alpha(cutoff, self._frequency)
            out = a * values + (1.0 - a) * self._last_value
        self._last_raw = values
        self._last_value = out
        return out


class LandmarksSmoother:
    """``LandmarksSmoothingCalculator`` with a One-Euro filter.

    Normalised landmarks are filtered in pixels (x*W, y*H, z*W), with the
    object scale taken from a ROI (its mean side in pixels) or, without one,
    from the landmarks' extent.
    """

    def __init__(self, settings: OneEuroSettings):
        self._filter = OneEuroArrayFilter(settings)

    def reset(self) -> None:
        self._filter.reset()

    def apply(self, landmarks_norm: np.ndarray, image_size, timestamp: float,
              object_scale_px: Optional[float] = None) -> np.ndarray:
        w, h = image_size
        to_px = np.array([w, h, w], dtype=np.float64)
        xyz = landmarks_norm[:, :3] * to_px
        value_scale = 1.0
        if not self._filter.settings.disable_value_scaling:
            if object_scale_px is None:
                extent = xyz[:, :2].max(axis=0) - xyz[:, :2].min(axis=0)
                object_scale_px = float(extent.mean())
            if object_scale_px < _MIN_ALLOWED_OBJECT_SCALE:
                return landmarks_norm
            value_scale = 1.0 / object_scale_px
        out = np.array(landmarks_norm, dtype=np.float64, copy=True)
        out[:, :3] = self._filter.apply(xyz, timestamp, value_scale) / to_px
        return out

    def apply_world(self, landmarks: np.ndarray, timestamp: float) -> np.ndarray:
        """Filter metric landmarks as they are (no pixel conversion)."""
        out = np.array(landmarks, dtype=np.float64, copy=True)
        out[:, :3] = self._filter.apply(out[:, :3], timestamp, 1.0)
        return out


class VisibilitySmoother:
    """``VisibilitySmoothingCalculator`` with a low-pass filter (alpha 0.1)."""

    def __init__(self, alpha: float = VISIBILITY_LOW_PASS_ALPHA):
        self.alpha = alpha
        self.reset()

    def reset(self) -> None:
        self._stored: Optional[np.ndarray] = None

    def apply(self, visibility: np.ndarray) -> np.ndarray:
        visibility = np.asarray(visibility, dtype=np.float64)
        if self._stored is None or self._stored.shape != visibility.shape:
            self._stored = visibility
        else:
            self._stored = self.alpha * visibility + (1.0 - self.alpha) * self._stored
        return self._stored


def smooth_segmentation(current: np.ndarray, previous: Optional[np.ndarray],
                        combine_with_previous_ratio: float = SEGMENTATION_COMBINE_WITH_PREVIOUS_RATIO
                        ) -> np.ndarray:
    """Blend a mask with the previous one where the current one is uncertain.

    ``calculators/image/segmentation_smoothing_calculator.cc`` (CPU path): the
    uncertainty is a polynomial approximation of the binary entropy of p.
    """
    if previous is None or previous.shape != current.shape:
        return current
    t = current - 0.5
    x = t * t
    # Polynomial coefficients from segmentation_smoothing_calculator.cc.
    poly = x * (5.68842 + x * (-0.748699 + x * (-57.8051 + x * (291.309 + x * -624.717))))
    uncertainty = 1.0 - np.minimum(1.0, poly)
    out = current + (previous - current) * (uncertainty * combine_with_previous_ratio)
    return out.astype(np.float32, copy=False)
