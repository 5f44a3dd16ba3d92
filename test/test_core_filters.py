"""Temporal filters (holistic_ros.pipeline.filters) against scalar transcriptions of MediaPipe's."""

import math

import numpy as np
import pytest

from holistic_ros.pipeline.filters import (LandmarksSmoother, OneEuroArrayFilter, OneEuroSettings, VisibilitySmoother,
                                  smooth_segmentation)


class ScalarOneEuro:
    """util/filtering/one_euro_filter.cc + low_pass_filter.cc, one value, written plainly."""

    def __init__(self, min_cutoff, beta, dcutoff):
        self.min_cutoff, self.beta, self.dcutoff = min_cutoff, beta, dcutoff
        self.freq, self.last_t = 30.0, None
        self.x_raw = self.x_stored = self.dx_stored = None

    @staticmethod
    def alpha(cutoff, freq):
        return 1.0 / (1.0 + (1.0 / (2 * math.pi * cutoff)) / (1.0 / freq))

    def apply(self, t, value, value_scale):
        if self.last_t is not None and t <= self.last_t:
            return value
        if self.last_t is not None:
            self.freq = 1.0 / (t - self.last_t)
        self.last_t = t
        d = 0.0 if self.x_raw is None else (value - self.x_raw) * value_scale * self.freq
        a = self.alpha(self.dcutoff, self.freq)
        self.dx_stored = d if self.dx_stored is None else a * d + (1 - a) * self.dx_stored
        cutoff = self.min_cutoff + self.beta * abs(self.dx_stored)
        a = self.alpha(cutoff, self.freq)
        self.x_stored = value if self.x_stored is None else a * value + (1 - a) * self.x_stored
        self.x_raw = value
        return self.x_stored


def test_one_euro_matches_scalar_transcription_on_noisy_motion():
    rng = np.random.default_rng(0)
    settings = OneEuroSettings(min_cutoff=0.05, beta=80.0, derivate_cutoff=1.0)
    vec = OneEuroArrayFilter(settings)
    scalars = [ScalarOneEuro(0.05, 80.0, 1.0) for _ in range(3)]
    t = 0.0
    for step in range(60):
        t += 1 / 30 + rng.uniform(-0.005, 0.005)
        values = np.array([step * 2.0, math.sin(step / 5) * 50, 7.0]) + rng.normal(0, 1.0, 3)
        out = vec.apply(values, t, value_scale=1 / 200)
        expected = [s.apply(t, v, 1 / 200) for s, v in zip(scalars, values)]
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_one_euro_passes_values_through_when_time_does_not_advance():
    f = OneEuroArrayFilter(OneEuroSettings(0.05, 80.0, 1.0))
    f.apply(np.array([0.0]), 1.0)
    f.apply(np.array([10.0]), 2.0)
    np.testing.assert_array_equal(f.apply(np.array([42.0]), 2.0), [42.0])
    np.testing.assert_array_equal(f.apply(np.array([43.0]), 1.5), [43.0])


def test_one_euro_smooths_jitter_but_follows_fast_motion():
    settings = OneEuroSettings(0.05, 80.0, 1.0)
    still = OneEuroArrayFilter(settings)
    out = [still.apply(np.array([100.0 + (1 if i % 2 else -1)]), i / 30, 1 / 200)[0] for i in range(1, 31)]
    assert np.ptp(out[10:]) < 0.5 * 2.0    # +-1 px jitter cut by more than half
    moving = OneEuroArrayFilter(settings)
    out = [moving.apply(np.array([i * 20.0]), i / 30, 1 / 200)[0] for i in range(1, 31)]
    assert out[-1] > 30 * 20.0 - 25        # fast motion lags by about a frame or less


def test_landmarks_smoother_works_in_pixels_and_keeps_visibility():
    sm = LandmarksSmoother(OneEuroSettings(0.05, 80.0, 1.0))
    lm = np.array([[0.5, 0.5, 0.1, 0.9], [0.6, 0.4, 0.0, 0.3]])
    first = sm.apply(lm, (640, 480), 1 / 30, object_scale_px=100.0)
    np.testing.assert_allclose(first, lm)
    moved = lm.copy()
    moved[:, 0] += 0.01
    second = sm.apply(moved, (640, 480), 2 / 30, object_scale_px=100.0)
    assert np.all(second[:, 0] > lm[:, 0]) and np.all(second[:, 0] < moved[:, 0])
    np.testing.assert_array_equal(second[:, 3], moved[:, 3])
    # An object smaller than min_allowed_object_scale disables smoothing.
    np.testing.assert_array_equal(sm.apply(lm, (640, 480), 3 / 30, object_scale_px=0.0), lm)


def test_world_smoother_matches_scalar_transcription():
    """apply_world writes the result into a copy of its input: the filter must
    keep the raw values for the next derivative, not that copy's filtered ones
    (measured: 0.2 m off MediaPipe's world landmarks on the torso clip before)."""
    rng = np.random.default_rng(3)
    sm = LandmarksSmoother(OneEuroSettings(0.1, 40.0, 1.0, disable_value_scaling=True))
    scalars = [[ScalarOneEuro(0.1, 40.0, 1.0) for _ in range(3)] for _ in range(2)]
    for step in range(1, 20):
        world = np.column_stack([rng.normal(0.0, 0.3, (2, 3)), [0.9, 0.4]])
        out = sm.apply_world(world, step * 0.033333)
        expected = [[s.apply(step * 0.033333, v, 1.0) for s, v in zip(row, lm[:3])] for row, lm in zip(scalars, world)]
        np.testing.assert_allclose(out[:, :3], expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(out[:, 3], world[:, 3])


def test_visibility_low_pass():
    v = VisibilitySmoother(alpha=0.1)
    np.testing.assert_allclose(v.apply(np.array([1.0])), [1.0])
    np.testing.assert_allclose(v.apply(np.array([0.0])), [0.9])
    v.reset()
    np.testing.assert_allclose(v.apply(np.array([0.0])), [0.0])


def test_segmentation_smoothing_keeps_confident_pixels_and_blends_uncertain_ones():
    prev = np.array([[1.0, 0.0, 1.0]], np.float32)
    cur = np.array([[0.5, 1.0, 0.0]], np.float32)
    out = smooth_segmentation(cur, prev)
    # p = 0.5 is fully uncertain: 70% of the previous value comes back.
    assert out[0, 0] == pytest.approx(0.5 + 0.5 * 0.7)
    # p = 1 and p = 0: almost no uncertainty, the current value (nearly) stands.
    assert out[0, 1] == pytest.approx(1.0, abs=1e-3) and out[0, 2] == pytest.approx(0.0, abs=1e-3)
    np.testing.assert_array_equal(smooth_segmentation(cur, None), cur)
