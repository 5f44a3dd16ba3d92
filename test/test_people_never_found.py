"""People never found although a one-person run on them alone finds them (issue 18;
docs/people-layouts.md, "Sixth round" for the diagnosis, "Seventh round" for the change).

The detector keys on faces, and a face beside another scores under its threshold: on the
layouts, most of the people a one-person run finds alone and the several-people run never
found scored 0.00-0.44 in the layout. The whole-frame search with the tracked people's
bodies blanked (fifth round) blanked them too where they stand in front of or below a
tracked person. So on every other pass of the one-region-a-frame search, the region is
looked at with the tracked people's heads blanked in place of the plain search, at no extra
detector run (people.PeopleTracker.heads_pass, heads_for_search); a tracked person's body
found there without its head is not a newcomer (people.PeopleTracker.headless_tracked),
unless its face lies beyond that person's shoulders (someone beside them).
With real models and media: test_people_newcomers.py ("below-a-face", fresh layout seed 221).
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import synthetic_body as body

from holistic_ros.pipeline import people as pp
from holistic_ros.pipeline.detection import Detection
from holistic_ros.pipeline.pose_detection import detection_regions

from test_multi_person import started

SIZE = (1280, 720)


def _tracker_with(*poses):
    """Crowd tracking (one place free) with ``poses`` tracked and reported."""
    tracker = pp.PeopleTracker(len(poses) + 1, lambda: (None, None))
    for landmarks in poses:
        started(tracker, landmarks)
    return tracker


def _detection(face, shoulders, size=0.05):
    """A detector's detection (image-normalised): its box around ``face``, its keypoint 2 at
    ``shoulders``, upright: its hips' keypoint 0 below them and its body-size keypoint 1
    above the hips (an upside-down one is looked at again: people.upright; 3 anywhere)."""
    face, shoulders = np.asarray(face, float), np.asarray(shoulders, float)
    keypoints = np.array([shoulders + (0, 0.2), shoulders - (0, 0.2), shoulders, shoulders - (0, 0.1)])
    return Detection(0.9, np.concatenate([face - size, face + size]), keypoints)


# --- people.py, without models ---------------------------------------------------------

def test_a_tracked_persons_headless_body_is_theirs_and_someone_beside_is_not():
    tracked = body(0.3, 0.5, 0.4)
    tracker = _tracker_with(tracked)
    anchor = pp.motion_anchor(tracked)
    region = pp.body_region(tracked, SIZE, with_hips=False)
    # The rule's own bounds, each case far on one side of them (geometry, not measured):
    # its face at the centre of the tracked person's head and shoulders region;
    assert tracker.headless_tracked(_detection(pp.box_center(region), (0.9, 0.9)), SIZE)
    # its shoulders 15 px from the tracked person's, within JUMP_SHOULDERS (one) body widths,
    # 291 px for this body, the face guessed elsewhere on the body's axis (the normal of its
    # shoulder line, which this random body has steep), 1.5 widths down it, out of the region;
    width = pp.body_scale_px(tracked, SIZE)
    line = (tracked[11, :2] - tracked[12, :2]) * SIZE
    axis = np.array([-line[1], line[0]]) / np.hypot(*line)
    face = anchor + np.sign(axis[1]) * 1.5 * width * axis / SIZE
    # On the axis by construction: 0 px across, to floating point (1e-6 px).
    assert not pp.in_box(face, region) and pp.across_body_px(face, tracked, SIZE) == pytest.approx(0.0, abs=1e-6)
    assert tracker.headless_tracked(_detection(face, anchor + (0.01, 0.01)), SIZE)
    # someone beside: the face outside that region, the shoulders 688 px off.
    assert not tracker.headless_tracked(_detection((0.8, 0.4), (0.8, 0.5)), SIZE)


def _waist_up_over_someone():
    """A waist-up person (shoulders 0.1 of the width apart, at y 0.32) whose guessed hips
    (y 0.55) lie, fully visible, on someone standing below her: the model's pose of a
    waist-up view over another body (never-seen layout seed 378: visibility 1.0 there,
    0.2 on her alone)."""
    lm = np.zeros((33, 4))
    lm[:, 3] = 1.0
    lm[:11, :2] = (0.5, 0.2)
    lm[[1, 2, 3, 7, 9], 0] -= 0.02      # her left eye, ear and mouth corner
    lm[[4, 5, 6, 8, 10], 0] += 0.02
    lm[11, :2], lm[12, :2] = (0.55, 0.32), (0.45, 0.32)
    lm[13:23, :2] = (0.5, 0.45)          # arms down in front of her
    lm[23, :2], lm[24, :2] = (0.53, 0.55), (0.47, 0.55)
    lm[25:, :2], lm[25:, 3] = (0.5, 0.8), 0.1
    return lm


def test_the_face_of_someone_below_a_waist_up_persons_guessed_hips_is_not_her_headless_body():
    upper = _waist_up_over_someone()
    tracker = _tracker_with(upper)
    anchor = pp.motion_anchor(upper)
    # Every expectation is the rule's own geometry (no measured figure), from its constants:
    # her head and shoulders region ends BODY_PAD_SHOULDERS of her 128 px shoulder width (77 px)
    # under her shoulders, y 0.427; down to her hips it would end as far under them, y 0.657.
    pad = pp.BODY_PAD_SHOULDERS * 0.1 * SIZE[0] / SIZE[1]
    assert pp.body_region(upper, SIZE, with_hips=False, hips_if_visible=False)[3] == pytest.approx(0.32 + pad)
    assert pp.body_region(upper, SIZE, with_hips=False)[3] == pytest.approx(0.55 + pad)
    width = pp.body_scale_px(upper, SIZE)   # 130 px: JUMP_SHOULDERS (one) body width
    # The face of the person below her at y 0.5 (under her region's end, above the hips'),
    # their shoulders at y 0.58, 187 px under hers: someone else, not her headless body.
    below = _detection((0.5, 0.5), (0.5, 0.58))
    assert 0.32 + pad < 0.5 < 0.55 + pad
    assert pp.distance_px(below.keypoints[2], anchor, SIZE) > pp.JUMP_SHOULDERS * width
    assert not tracker.headless_tracked(below, SIZE)
    # Her own headless body, found with her head blanked: its face at her neck (in her
    # region), or its shoulders 7 px from hers (within one body width) and its face guessed
    # on her body's axis, under her; either alone makes it hers.
    assert tracker.headless_tracked(_detection(anchor - (0, 0.02), (0.9, 0.9)), SIZE)
    assert tracker.headless_tracked(_detection((0.5, 0.9), anchor + (0, 0.01)), SIZE)


def test_a_face_beyond_a_tracked_persons_shoulders_is_someone_beside_them():
    """Development layout seed 21: a woman standing in front of and beside a sitting one,
    found by the heads-blanked search, her face in the sitting woman's head and shoulders
    region and her shoulders within one body width of the sitting woman's, was dropped as
    the sitting woman's headless body, and never found. Her face lay 0.82-1.00 body widths
    across the sitting woman's body axis; a headless body's face lies on it (on the neck or
    chest). Geometry of the rule's constants, no measured figure."""
    upper = _waist_up_over_someone()   # shoulders 0.45-0.55 at y 0.32, nose (0.5, 0.2)
    tracker = _tracker_with(upper)
    anchor = pp.motion_anchor(upper)
    width = pp.body_scale_px(upper, SIZE)   # 130 px
    beside = _detection((0.59, 0.27), (0.59, 0.33))
    face = pp.box_center(beside.box)
    # By the old tests alone she would be the tracked woman's headless body:
    assert pp.in_box(face, pp.body_region(upper, SIZE, with_hips=False, hips_if_visible=False))
    assert pp.distance_px(beside.keypoints[2], anchor, SIZE) < pp.JUMP_SHOULDERS * width
    # but her face is 115 px (0.89 widths) across the tracked body's axis, beyond the shoulders:
    assert pp.across_body_px(face, upper, SIZE) > pp.HEADLESS_ACROSS_MAX * width
    assert not tracker.headless_tracked(beside, SIZE)
    # The same detection with its face moved onto the tracked woman's axis is her headless body.
    assert tracker.headless_tracked(_detection((0.5, 0.27), (0.59, 0.33)), SIZE)


def test_heads_are_blanked_for_the_search_but_not_while_someone_coasts_or_is_held():
    a, b = body(0.3, 0.5, 0.4), body(0.7, 0.5, 0.4)
    tracker = _tracker_with(a, b)
    heads = tracker.heads_for_search()
    assert len(heads) == 2 and all(np.allclose(h, pp.head_box(p)) for h, p in zip(heads, (a, b)))
    tracker.tracks[0].held_frames = 1   # its landmarks may be on someone else
    assert tracker.heads_for_search() == [] and tracker.blanks_for_search(SIZE) == []


class _Detector:
    """detect_in as PoseDetector's: what it returns depends on whether anything is blanked;
    it records how many regions it looked at, what it blanked, and how many boxes."""

    def __init__(self, plain, with_heads):
        self.plain, self.with_heads, self.calls, self.blanked = plain, with_heads, [], []

    def detect_in(self, image, min_score, most, rects, blanks=None):
        self.calls.append((len(rects), None if blanks is None else len(blanks)))
        self.blanked.append(blanks)
        return list(self.with_heads if blanks else self.plain)


def test_every_other_pass_over_the_regions_blanks_the_tracked_heads_at_no_extra_run():
    tracked = body(0.3, 0.5, 0.4)
    tracker = _tracker_with(tracked)
    someone = _detection((0.8, 0.4), (0.8, 0.5))
    headless = _detection((0.9, 0.1), pp.motion_anchor(tracked))
    image = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    every = detection_regions(SIZE)

    def search():
        """One frame of the region schedule, as Holistic runs it; (found, detector calls)."""
        turn = tracker.region_to_search(len(every))
        detector = _Detector(plain=[], with_heads=[someone, headless])
        found = tracker.find(detector, image, 0.5, [every[turn]], blanked=False)
        return [d.box.tolist() for d in found], detector.calls

    # The first pass: each region once, with the one tracked head blanked, one run a frame;
    # the tracked person's headless body is dropped, the person beside is found.
    for _ in every:
        assert search() == ([someone.box.tolist()], [(1, 1)])
    # The next pass: the plain search, which does not see the person beside.
    for _ in every:
        assert search() == ([], [(1, None)])
    assert search() == ([someone.box.tolist()], [(1, 1)])
    # A full detector run (every region, regions=None) stays the plain search, then the
    # whole image with the tracked bodies (not heads) blanked.
    detector = _Detector(plain=[], with_heads=[])
    tracker.find(detector, image, 0.5)
    assert detector.calls == [(len(every), None), (1, 1)]
    assert np.allclose(detector.blanked[1][0], pp.body_region(tracked, SIZE))
