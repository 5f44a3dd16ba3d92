"""tools/layouts.py's evaluator rules, without models or media: which person a track lies on.

A person the one-person reference finds is matched by pose (nose and shoulders within one
of their shoulder widths); a person it does not find by their sprite, where it draws near
the track's shoulders; the sprite drawn in front wins (layouts.lies_on)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import layouts  # noqa: E402

SIZE = (1280, 720)


def _pose(nose_px, shoulder_width_px=100.0):
    """A pose (33 x 4, normalised) with its nose at ``nose_px`` and its shoulders 60 px below."""
    pose = np.zeros((33, 4))
    pose[:, 3] = 1.0
    x, y = nose_px
    pose[0, :2] = (x, y)
    pose[11, :2] = (x + shoulder_width_px / 2, y + 60)
    pose[12, :2] = (x - shoulder_width_px / 2, y + 60)
    pose[:, :2] /= SIZE
    return pose


def _drawn(boxes_px):
    """Rendered.drawn of one sprite: cells set inside the pixel boxes (x0, y0, x1, y1)."""
    mask = np.zeros(SIZE[::-1], bool)
    for x0, y0, x1, y1 in boxes_px:
        mask[y0:y1, x0:x1] = True
    return layouts._cells(mask)


def test_a_keyed_sprite_holds_a_track_only_where_it_draws():
    # Every expectation is the rule's own geometry (no measured figure): each case lies far on
    # one side of the rule's bounds (one shoulder width of the reference, DRAWN_REACH_PX).
    # Person 0 (behind) has a reference at x 800; person 1 (in front, keyed, no reference)
    # has a rectangle over person 0's chest but draws only its far right part.
    reference = _pose((800, 300))
    rects = np.array([[600, 200, 1000, 720], [700, 250, 1280, 720]], float)
    drawn = np.stack([_drawn([(600, 200, 1000, 720)]), _drawn([(1200, 250, 1280, 720)])])
    track = _pose((805, 302))
    # The rectangle alone (before): the keyed sprite in front wins.
    assert layouts.lies_on(track, [reference, None], rects, SIZE) == 1
    # Where it draws: nothing near the track's shoulders (the midpoint at x 805, its pixels
    # from 1200), so the track is on the person it lies on.
    assert layouts.lies_on(track, [reference, None], rects, SIZE, drawn) == 0
    # Its pixels DRAWN_REACH_PX - 4 px from the midpoint: in front, it wins again.
    near = np.stack([drawn[0], _drawn([(805 + layouts.DRAWN_REACH_PX - 4, 250, 1280, 720)])])
    assert layouts.lies_on(track, [reference, None], rects, SIZE, near) == 1


def test_a_track_on_nobody_drawn_lies_on_nobody():
    # Geometry: the shoulders' midpoint 300 px from the sprite's pixels, then on them.
    rects = np.array([[0, 0, 640, 720]], float)
    drawn = _drawn([(0, 0, 100, 720)])[None]
    assert layouts.lies_on(_pose((400, 300)), [None], rects, SIZE, drawn) is None
    assert layouts.lies_on(_pose((50, 300)), [None], rects, SIZE, drawn) == 0


def test_a_face_over_a_sprite_in_front_is_the_face_of_the_person_behind():
    # Geometry only: person 0 (behind) has a reference with its nose at y 300 and its
    # shoulders 60 px below; person 1 (an opaque photo in front, no reference) draws its
    # whole rectangle, from y 330: over person 0's shoulders, under their face.
    reference = _pose((800, 300))
    rects = np.array([[600, 200, 1000, 720], [600, 330, 1000, 720]], float)
    drawn = np.stack([_drawn([(600, 200, 1000, 720)]), _drawn([(600, 330, 1000, 720)])])
    # The track's nose is 28 px above the photo, farther than DRAWN_REACH_PX from its pixels
    # (the precondition below): the face shows, the track is person 0's although its
    # shoulders lie on the photo.
    track = _pose((805, 302))
    assert 330 - 302 > layouts.DRAWN_REACH_PX
    assert layouts.lies_on(track, [reference, None], rects, SIZE, drawn) == 0
    # A photo drawn from y 290 covers the nose: the track is the photo's, as before.
    rects_low = np.array([[600, 200, 1000, 720], [600, 290, 1000, 720]], float)
    drawn_low = np.stack([drawn[0], _drawn([(600, 290, 1000, 720)])])
    assert layouts.lies_on(track, [reference, None], rects_low, SIZE, drawn_low) == 1
    # Without a pose match (a track on the photo alone, its nose above it): the photo's.
    assert layouts.lies_on(track, [None, None], rects, SIZE, drawn) == 1


def test_a_person_whose_landmarks_are_covered_is_not_in_view():
    # Geometry only (no measured figure). Person 0 (behind) has a reference pose: nose at
    # (800, 300), shoulders 60 px below and 50 px to each side. Person 1 (in front) draws a
    # narrow column over the nose only. The bound is the evaluator's COVERED_MAX (a quarter,
    # the share it already allowed of the pixels: how tools/layouts.py reads issue 18's "where
    # the layout lets MediaPipe see them"); the two cases, 1 of 5 and 3 of 5 landmarks
    # covered, lie on either side of it, and the assertion below states that.
    assert 0.2 < layouts.COVERED_MAX < 0.6
    reference = _pose((800, 300))
    reference[[1, 2], :2] = np.array([[700, 500], [900, 500]]) / SIZE   # two more points, uncovered
    reference[3:11, 3] = 0.0                                             # not seen: not counted
    reference[13:, 3] = 0.0
    drawn = np.stack([_drawn([(600, 200, 1000, 720)]), _drawn([(780, 280, 820, 320)])])[:, None]
    covered = np.array([[0.05], [0.0]])                                  # pixels: 5% covered
    rendered = layouts.Rendered([], [[], []], covered, np.zeros((2, 1, 4)), drawn)
    # Seen: nose, points 1 and 2, both shoulders; covered: the nose, 1 of 5.
    assert layouts.landmarks_covered(reference, rendered, 0, 0, SIZE) == 0.2
    assert layouts.in_view(rendered, reference, 0, 0, SIZE)
    # A column over the nose and both shoulders: 3 of 5 covered, not in view, though the
    # sprite's pixels are as little covered as before.
    wide = np.stack([drawn[0, 0], _drawn([(730, 280, 870, 380)])])[:, None]
    rendered_wide = layouts.Rendered([], [[], []], covered, np.zeros((2, 1, 4)), wide)
    assert layouts.landmarks_covered(reference, rendered_wide, 0, 0, SIZE) == 0.6
    assert not layouts.in_view(rendered_wide, reference, 0, 0, SIZE)
    # The person in front is covered by nobody; a person without a reference is not in view.
    assert layouts.landmarks_covered(reference, rendered_wide, 1, 0, SIZE) == 0.0
    assert not layouts.in_view(rendered_wide, None, 0, 0, SIZE)


def test_the_pose_error_and_its_landmarks_count_only_what_both_see():
    # Geometry only: the track is the reference moved 30 px right, its left wrist 200 px down;
    # the reference does not see its right ankle (visibility under layouts.VISIBLE). The
    # distances are those of the construction; the tolerances (1e-6 px, 1e-12 of the diagonal)
    # are floating point.
    reference = _pose((640, 300))
    reference[28, 3] = 0.1
    track = reference.copy()
    track[:, 0] += 30 / SIZE[0]
    track[15, 1] += 200 / SIZE[1]
    d = layouts.landmark_distances_px(track, reference, SIZE)
    assert np.isnan(d[28]) and np.isnan(d).sum() == 1   # by construction: only the ankle is unseen
    assert abs(d[0] - 30) < 1e-6 and abs(d[15] - np.hypot(30, 200)) < 1e-6
    assert abs(layouts.pose_error(track, reference, SIZE) - np.nanmean(d) / np.hypot(*SIZE)) < 1e-12
    report = layouts.PersonReport(landmark_px=d)
    worst = report.worst_landmarks(2)
    assert worst[0][0] == "left_wrist" and abs(worst[0][1] - np.hypot(30, 200)) < 1e-6
    assert abs(worst[1][1] - 30) < 1e-6   # every other seen landmark is 30 px off
    hidden = reference.copy()
    hidden[:, 3] = 0.0
    assert layouts.pose_error(track, hidden, SIZE) is None
    assert layouts.PersonReport(landmark_px=layouts.landmark_distances_px(track, hidden, SIZE)).worst_landmarks() == []


def test_found_counts_only_frames_where_mediapipe_finds_the_person_again_under_noise():
    # Geometry only: on frame 0 the noisy runs land 10 px from the clean pose, on frame 1 two of
    # three land 300 px away, on frame 2 one of three does; frame 3 has no clean pose. The
    # bound is the evaluator's own ON_BODY_SHOULDERS (a track lies on a person within one of
    # their shoulder widths, here 100 px): 10 px and 300 px lie on either side of it, and the
    # assertion below states that. 'Most of the draws' decides; with one draw, the first alone.
    # The bounds are the construction's offsets over _pose's shoulder width, not figures
    # measured: 10 px / 100 px and 300 px / 100 px.
    assert 10 / 100 < layouts.ON_BODY_SHOULDERS < 300 / 100
    clean = [_pose((640, 300)), _pose((640, 300)), _pose((640, 300)), None]
    near, far = _pose((650, 300)), _pose((940, 300))
    runs = [[near, far, far, None], [near, far, near, None], [near, near, near, None]]
    refs = layouts.References(poses=[clean], noisy=[runs], size=SIZE)
    assert [refs.reproducible(0, i) for i in range(4)] == [True, False, True, False]
    assert [refs.reproducible(0, i, draws=1) for i in range(4)] == [True, False, False, False]
    assert [refs.reproducible(0, i, draws=0) for i in range(4)] == [True, True, True, False]   # ids only
    missing = layouts.References(poses=[clean], noisy=[[[None] * 4] * 3], size=SIZE)
    assert not any(missing.reproducible(0, i) for i in range(4))   # a noisy run that finds nobody
    # The drift per draw is the noisy run's mean pose error against the clean one over frames
    # 0-2: a moved pose has its nose and shoulders moved, 3 of its 33 landmarks (tolerances:
    # floating point).
    drifts = refs.drifts(0)
    per_px = 3 / 33 / np.hypot(*SIZE)
    assert abs(drifts[2] - 10 * per_px) < 1e-12
    assert abs(drifts[0] - (10 + 300 + 300) / 3 * per_px) < 1e-12


def test_the_context_check_cuts_around_the_sprite_black_beyond_the_canvas():
    # A 100 x 50 px sprite at (10, 20) on a 200 x 100 canvas: the cut is 200 x 100 px (half the
    # sprite's size on each side), from (10 - 50, 20 - 25) = (-40, -5); its part beyond the
    # canvas is black. Geometry of the construction: exact integers, no tolerance.
    canvas = np.arange(100 * 200 * 3, dtype=np.uint32).reshape(100, 200, 3) % 251 + 1
    canvas = canvas.astype(np.uint8)
    rects = np.array([[10, 20, 110, 70], [60, 20, 160, 70]], float)   # the second frame: moved 50 px
    crops, corners = layouts._crop_around([canvas, canvas], rects, margin=0.5)
    assert corners == [(-40, -5), (10, -5)]
    assert crops[0].shape == crops[1].shape == (100, 200, 3)
    assert not crops[0][:5].any() and not crops[0][:, :40].any()   # beyond the top and left edges
    assert np.array_equal(crops[0][5:, 40:], canvas[:95, :160])
    assert not crops[1][:, 190:].any()   # beyond the right edge
    assert np.array_equal(crops[1][5:, :190], canvas[:95, 10:])


def test_a_bad_canvas_size_is_refused_with_what_to_give(capsys):
    # --size is parsed before any media is read: nothing runs.
    for bad in ("640x48", "640", "wide"):
        try:
            layouts.main(["--size", bad, "--seeds", "0"])
        except SystemExit as stop:
            assert stop.code == 2   # argparse's exit status for a usage error
        else:
            raise AssertionError(f"--size {bad} was taken")
        assert "WxH" in capsys.readouterr().err
    # A canvas given is the layout's.
    assert layouts.random_layout(0, size=(640, 480)).size == (640, 480)
