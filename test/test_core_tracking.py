"""Keep-or-recrop decisions (holistic_ros.tracking)."""

import math

import numpy as np

from holistic_ros.roi import NormRect
from holistic_ros.tracking import TrackingRequirements, choose_tracking_roi

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
