"""Keep-or-recrop decisions (holistic_ros.pipeline.tracking)."""

import math

import numpy as np

from holistic_ros.pipeline.roi import NormRect
from holistic_ros.pipeline.tracking import TrackingRequirements, choose_tracking_roi

REQ = TrackingRequirements(rotation_degrees=15.0, translation=0.1, scale=0.3, recrop_rect_margin=-0.2)
SIZE = (640, 480)
RECROP = NormRect(0.5, 0.5, 0.2, 0.2 * 640 / 480, 0.0)
INSIDE = np.array([[0.48, 0.5], [0.52, 0.52]])


def test_keeps_previous_roi_when_close_and_landmarks_inside():
    prev = NormRect(0.505, 0.5, 0.21, 0.21 * 640 / 480, math.radians(5))
    assert choose_tracking_roi(INSIDE, prev, RECROP, SIZE, REQ) is prev


def test_recrops_on_rotation_translation_scale_or_escaped_landmarks():
    cases = [NormRect(0.5, 0.5, 0.2, 0.2 * 640 / 480, math.radians(20)),
             NormRect(0.53, 0.5, 0.2, 0.2 * 640 / 480, 0.0),
             NormRect(0.5, 0.5, 0.3, 0.3 * 640 / 480, 0.0)]
    for prev in cases:
        assert choose_tracking_roi(INSIDE, prev, RECROP, SIZE, REQ) is RECROP
    escaped = np.array([[0.5, 0.5], [0.58, 0.5]])   # outside the rect shrunk by 20%
    assert choose_tracking_roi(escaped, RECROP, RECROP, SIZE, REQ) is RECROP


def test_without_history_uses_recrop():
    assert choose_tracking_roi(None, None, RECROP, SIZE, REQ) is RECROP


# -- RecropSkipper ---------------------------------------------------------------

from holistic_ros.pipeline.tracking import (RecropSkipper, RecropSkipPolicy, rect_difference_ratio,  # noqa: E402
                                   rect_requirements_satisfied, tracking_margins)


def test_rect_difference_ratio_agrees_with_the_requirements_check():
    rng = np.random.default_rng(0)
    for _ in range(500):
        prev = NormRect(0.5 + rng.normal(0, 0.02), 0.5 + rng.normal(0, 0.02),
                        0.2 * rng.uniform(0.6, 1.4), 0.2 * 640 / 480 * rng.uniform(0.6, 1.4),
                        math.radians(rng.normal(0, 15)))
        ratio = rect_difference_ratio(prev, RECROP, SIZE, REQ)
        if abs(ratio - 1.0) > 1e-9:
            assert (ratio <= 1.0) == rect_requirements_satisfied(prev, RECROP, SIZE, REQ)


def _confirm_confidently(skipper, pose_roi):
    prev = NormRect(0.502, 0.5, 0.2, 0.2 * 640 / 480, 0.0)
    margins = tracking_margins(INSIDE, prev, RECROP, SIZE, REQ)
    assert margins[0] <= 0.5 and margins[1] <= 0.9
    skipper.confirmed(pose_roi, margins)


def test_skipper_needs_a_confident_confirmation_first():
    skipper = RecropSkipper(REQ)
    pose_roi = NormRect(0.5, 0.5, 0.6, 0.8, 0.0)
    assert not skipper.can_skip(pose_roi, SIZE)
    skipper.confirmed(pose_roi, (0.9, 0.5))           # rect barely within the allowance
    assert not skipper.can_skip(pose_roi, SIZE)
    skipper.confirmed(pose_roi, (0.1, 0.97))          # landmarks near the edge
    assert not skipper.can_skip(pose_roi, SIZE)
    _confirm_confidently(skipper, pose_roi)
    assert skipper.can_skip(pose_roi, SIZE)


def test_skipper_stops_when_the_pose_moves_and_after_max_frames():
    policy = RecropSkipPolicy(max_skipped_frames=3)
    skipper = RecropSkipper(REQ, policy)
    pose_roi = NormRect(0.5, 0.5, 0.6, 0.8, 0.0)
    _confirm_confidently(skipper, pose_roi)
    moved = NormRect(0.5 + 0.6 * 0.1 * 0.5, 0.5, 0.6, 0.8, 0.0)   # half the translation allowance
    assert not skipper.can_skip(moved, SIZE)
    turned = NormRect(0.5, 0.5, 0.6, 0.8, math.radians(0.5 * 15))
    assert not skipper.can_skip(turned, SIZE)
    still = NormRect(0.501, 0.5, 0.6, 0.8, 0.0)
    assert [skipper.can_skip(still, SIZE) for _ in range(5)] == [True, True, True, False, False]
    _confirm_confidently(skipper, pose_roi)            # a re-crop ran: skipping may resume
    assert skipper.can_skip(still, SIZE)
    skipper.reset()
    assert not skipper.can_skip(still, SIZE)
