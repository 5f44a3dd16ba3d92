"""Each person's landmarks in a crowd against a run on that person alone (issue 18).

Issue 18's criterion: each person's pose within 1.5x MediaPipe's own +-1 noise drift of
a one-person run on that person alone (tools/layouts.py, docs/people-layouts.md). What
this file holds (unit level, no models): blanking another person in a pose crop is the
crop of the image with their pixels made black, also where the crop lies outside the
image (the crop repeats the image's edge, so a blanked person at the edge of the frame
must not come back as streaks beyond it), for the people clear of the person's own body.

Where the rest of the error comes from (the first ROI, which a person's tracking keeps;
people nobody tracks in the crop) is measured in docs/people-layouts.md; the layouts
themselves are held to the criterion by test/test_people_layouts.py and tools/layouts.py.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from holistic_ros.pipeline import people as pp
from holistic_ros.pipeline.roi import NormRect, blank_boxes_in_crop, crop_roi

SIZE = (320, 240)


def _crop(image, roi):
    # The pose landmark model's crop (pose_landmarks.PoseLandmarker.run_batch).
    return crop_roi(image, roi, 256, 256, keep_aspect_ratio=True, value_range=(0.0, 1.0), border_zero=False).tensor


@pytest.mark.parametrize("roi", [
    NormRect(0.5, 0.9, 1.4, 1.8, 0.3),      # a waist-up person's ROI: far below the frame
    NormRect(0.1, 0.5, 1.0, 1.3, -0.2),     # out over the left edge
    NormRect(0.5, 0.5, 0.6, 0.6, 0.0),      # inside the frame
], ids=["below", "left", "inside"])
def test_blanking_in_the_crop_is_the_crop_of_the_blanked_image(roi):
    rng = np.random.default_rng(0)
    image = rng.integers(1, 256, (SIZE[1], SIZE[0], 3), dtype=np.uint8)   # no black pixel of its own
    others = [np.array([0.55, 0.6, 0.9, 1.4]),    # a person cut by the bottom edge (hips below the frame)
              np.array([-0.2, 0.3, 0.25, 0.7])]   # one cut by the left edge
    keep = np.array([0.5, 0.45, 0.7, 0.8])        # the person's own head and shoulders, in the frame
    blanked_image = image.copy()
    w, h = SIZE
    for box in others:
        x0, y0, x1, y1 = (np.clip(np.array(box) * (w, h, w, h), 0, (w, h, w, h))).round().astype(int)
        blanked_image[y0:y1, x0:x1] = 0
    x0, y0, x1, y1 = (np.clip(keep * (w, h, w, h), 0, (w, h, w, h))).round().astype(int)
    blanked_image[y0:y1, x0:x1] = image[y0:y1, x0:x1]
    expected = _crop(blanked_image, roi)[0]
    got = _crop(image, roi)
    blank_boxes_in_crop(got, roi, SIZE, others, keep, to_border=[True, True])
    got = got[0]
    expected_black = np.all(expected == 0, axis=2).astype(np.uint8)
    got_black = np.all(got == 0, axis=2).astype(np.uint8)
    # Where they differ: only along the boxes' edges (bilinear sampling there mixes a black
    # and a kept pixel; the mask is rounded to the crop's pixels): within 2 crop pixels of
    # an edge of the expected black region.
    edges = cv2.morphologyEx(expected_black, cv2.MORPH_GRADIENT, np.ones((5, 5), np.uint8))
    differ = got_black != expected_black
    assert expected_black.sum() > 0.05 * expected_black.size   # the case blanks something
    assert not (differ & (edges == 0)).any(), f"{int((differ & (edges == 0)).sum())} pixels off the edges differ"


def _body(cx, cy, height=0.4):
    """A 33-point body (x, y, z, visibility 1) centred at (cx, cy): shoulders and hips
    apart, the other landmarks spread over the box of the body."""
    lm = np.zeros((33, 4))
    lm[:, :2] = np.random.default_rng(7).uniform(-0.5, 0.5, (33, 2)) * (0.5 * height, height) + (cx, cy)
    lm[[11, 12], :2] = [(cx - 0.12 * height, cy - 0.25 * height), (cx + 0.12 * height, cy - 0.25 * height)]
    lm[[23, 24], :2] = [(cx - 0.08 * height, cy + 0.1 * height), (cx + 0.08 * height, cy + 0.1 * height)]
    lm[:, 3] = 1.0
    return lm


def test_only_people_clear_of_the_person_are_blanked_out_to_the_crop_edge():
    tracker = pp.PeopleTracker(3, lambda: (None, None))
    size = (1280, 720)
    tracks = []
    for cx in (0.3, 0.42, 0.85):   # the second over the first; the third far off
        track, _ = tracker.start(_body(cx, 0.8), size)
        track.seen(_body(cx, 0.8))
        tracks.append(track)
    boxes, keep, to_border = tracker.blanks_for_track(tracks[0], size)
    assert len(boxes) == 2 and keep is not None
    # The one over the person: only inside their box (repeated along the frame's edge, the
    # coarse box would blank the person's own body there too); the one far off: as the image.
    assert to_border == [False, True]
