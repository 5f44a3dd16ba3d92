"""Two people walking through each other keep one id each (issue 18), with real models and media.

Crossing layouts of tools/layouts.py (seeded; two people walk across the frame in
opposite directions, the others stand): each person keeps one id through the crossing,
and no frame has two tracks on one person. Most are two copies of the woman clip,
where the looks cannot tell them apart (docs/people-layouts.md) and only their motion
can: the one behind coasts along her own motion while covered and is found again
where it puts her. Unit level (no models): the motion rules on synthetic landmarks.

Crossing layouts drawn from seeds 40-199: some were traced while the crossing code was
changed, the others (held out) were not looked at while changing it. Issue 18's table
(tools/layouts.py --seeds 0-33) and test_people_layouts.py hold the other seeds, seed 14
among them. Where a criterion is still missed, the case is a strict xfail with what was
measured.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import synthetic_body as body

from holistic_ros.pipeline import people as pp
from holistic_ros.pipeline.pose_detection import detection_regions
from holistic_ros.pipeline.roi import NormRect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import layouts  # noqa: E402

SIZE = (1280, 720)


def make_tracker(n=2):
    return pp.PeopleTracker(n, lambda: (None, None))


def walking(tracker, x, speed, frames):
    """A track started at x (image widths) and seen walking ``speed`` widths a frame."""
    track, _ = tracker.start(body(x, 0.5), SIZE)
    track.roi = NormRect(x, 0.5, 0.3, 0.5)
    for k in range(frames):
        track.seen(body(x + speed * k, 0.5))
        tracker.sighted(track)   # a newcomer is reported (and gets its id) from its third frame
    return track


# --- people.py, without models ---------------------------------------------------------

def test_the_steps_while_coasting_and_the_first_after_are_no_motion():
    """From the anchor where coasting began, the first step after it was 535 px on layout
    seed 14: a velocity of 175 px a frame, which then read as a jump."""
    tracker = make_tracker()
    track = walking(tracker, 0.3, 0.015, 8)
    track.coast, track.coast_frames = (track.roi, track.box), 0
    velocity = track.velocity.copy()
    for k in range(5):   # coasting: the pose may be the other person's
        track.seen(body(0.5, 0.5))
        track.coast_frames += 1
    assert np.array_equal(track.velocity, velocity)
    track.coast = None
    track.seen(body(0.6, 0.5))   # apart again, 0.1 from the last pose: a correction, not a step
    assert np.array_equal(track.velocity, velocity)
    track.seen(body(0.615, 0.5))  # walking on
    assert not np.array_equal(track.velocity, velocity)


def test_the_one_behind_moves_on_along_its_motion():
    tracker = make_tracker()
    track = walking(tracker, 0.3, 0.015, 8)
    before = np.array(track.landmarks, copy=True)
    for _ in range(4):
        track.behind()
    # Where the others' crops blank this person, and where it is looked for. The velocity
    # must be the walker's way for the claims below to say anything (a zero velocity would
    # pass them): structural, not measured. 0.005 is a third of the synthetic walker's
    # 0.015 widths a frame; the moving average (VELOCITY_ALPHA 0.3, from zero, the first
    # steps not counted) is at 0.0132 after these frames (measured: 0.01324).
    assert track.velocity[0] > 0.005
    assert np.allclose(track.landmarks[:, :2], before[:, :2] + 4 * track.velocity)
    assert np.allclose(track.predicted_anchor(), pp.motion_anchor(before) + 5 * track.velocity)


def test_in_a_crossing_the_one_behind_stays_behind_while_on_one_body():
    tracker = make_tracker()
    a = walking(tracker, 0.30, 0.015, 8)
    b = walking(tracker, 0.60, -0.015, 8)
    for t in (a, b):
        t.coast, t.coast_frames = (t.roi, t.box), 0
    here = np.array(b.landmarks, copy=True)
    here[:, :2] += b.velocity   # both poses on the person in front, b, where b's motion puts b
    a.behind()                  # decided earlier: a is behind
    assert pp.hidden_behind([(a, here), (b, here + 0.001)], SIZE) == [0]
    # Where the body is nearer a's prediction (the crossing's middle, where the poses lie
    # between the two), a still stays behind; b's pose, nearer where a's motion puts a
    # than where b's puts b, is not reported either (it would be an id on two people).
    there = np.array(a.landmarks, copy=True)
    there[:, :2] += a.velocity
    assert pp.hidden_behind([(a, there), (b, there + 0.001)], SIZE) == [0, 1]


def test_one_behind_comes_back_when_its_pose_is_where_its_motion_puts_it():
    tracker = make_tracker()
    a = walking(tracker, 0.30, 0.015, 8)
    walking(tracker, 0.90, -0.015, 8)
    for _ in range(3):
        a.behind()
    x = float(a.predicted_anchor()[0]) + 0.003
    mine = body(x, 0.5)
    # The other 0.33 image widths away: this body's box grown by BODY_PAD_SHOULDERS reaches
    # the other's head and shoulders region (which is grown by it too), the box itself not.
    front = body(x + 0.33, 0.5)
    assert pp.fits_own_motion(a, mine, [front], SIZE)
    assert not tracker.still_entangled(a, mine, [front], SIZE)
    # The offsets below are not measured bounds: each places the other body on one side of
    # the rule's own bound (the other's head and shoulders box, grown or not), and the
    # reaches_into lines check that it lies there.
    # Where its own head, arms or hands lie on the other's head and shoulders, it waits:
    # its hands would be found on the wrong body.
    on_it = body(x + 0.12, 0.5)
    assert pp.reaches_into(mine, [on_it], SIZE, grown=False)
    assert tracker.still_entangled(a, mine, [on_it], SIZE)
    # 0.24 widths away (between the two above), its head, arms and hands reach the other's
    # head and shoulders region grown by BODY_PAD_SHOULDERS, not the region itself: its own
    # pose is back (never-seen layout seed 440: a big waist-up woman's grown region, 586 px
    # wide, held the one who had walked out from behind her unreported for 9 frames, her
    # pose hers).
    near_it = body(x + 0.24, 0.5)
    assert pp.reaches_into(mine, [near_it], SIZE) and not pp.reaches_into(mine, [near_it], SIZE, grown=False)
    assert not tracker.still_entangled(a, mine, [near_it], SIZE)
    # A pose on the other person is not this track's.
    assert not pp.fits_own_motion(a, front, [mine], SIZE)


# --- crossing layouts, real models and media --------------------------------------------

# tools/layouts.py seeds (40 frames at 1280x720) of kind "crossing": who crosses whom, and what
# they gave before the crossing was told by motion (commit 0701b02; tools/layouts.py). 79 was held out
# (not looked at while changing the code); 117 and 120 were traced while changing it.
CASES = {
    79: "woman/m crossing woman, big waist-up (held out): 1 id switch, found 23% before",
    117: "woman crossing woman/m, big waist-up: 2 id switches, found 29% before",
    120: "woman crossing woman_box/m: 1 id switch, found 88% before",
}
# Criteria still missed: seed -> what was measured.
KNOWN_MISSES: dict = {}


def _case(seed):
    miss = KNOWN_MISSES.get(seed)
    marks = [pytest.mark.xfail(strict=True, reason=f"issue 18, still missed: {miss}")] if miss else []
    return pytest.param(seed, marks=marks, id=f"seed{seed}")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [_case(s) for s in CASES])
def test_crossing_people_keep_one_id_each(media_dir, seed):
    try:
        layout = layouts.random_layout(seed)
    except FileNotFoundError as missing:
        pytest.skip(str(missing))
    assert layout.kind == "crossing", CASES[seed]
    report = layouts.evaluate(layout)
    print(layouts.TABLE_HEADER, report.row(), layout.describe(), sep="\n")
    for k, person in enumerate(report.people):
        print(f"person {k}: found {person.found:.2f}, ids {person.ids}")
    # Issue 18: zero id switches, zero frames with two tracks on one body.
    assert report.switches == 0, report.row()
    assert report.double == 0, report.row()


@pytest.mark.slow
def test_a_person_back_in_view_after_a_crossing_is_found_within_the_schedule(media_dir):
    """Development layout seed 9: a woman (an opaque box, walking right at 22 px a frame)
    passes behind the Grace Hopper photo while a mirrored woman walks the other way. Her
    track went behind someone and coasted along a velocity learnt on its first frames (12.8
    px a frame): 233 px behind her when she came out, while, with N people tracked, nobody
    looked for her (found 15%, back at frame 38 of 40). A track unreported for STALE_FRAMES
    frames no longer keeps its place (people.PeopleTracker.active, make_room): once she is
    in view again (a quarter covered or less, layouts.in_view) she is found within the
    detector's schedule (one region a frame: 3 frames at 16:9) and a newcomer's confirmation
    (NEWCOMER_CONFIRM_FRAMES), and on every frame in view after that (seen: back in view at
    frame 27, found from 31; before, from 38)."""
    try:
        layout = layouts.random_layout(9)
    except FileNotFoundError as missing:
        pytest.skip(str(missing))
    person = 0
    rendered, alone, distances = layouts.distances_to_reported(layout, person)
    in_view = [layouts.in_view(rendered, alone[i], person, i, layout.size) for i in range(layout.frames)]
    on = [d < layouts.ON_BODY_SHOULDERS for d in distances]
    # The frame she is in view again after the crossing: the first in view after one that is not.
    hidden = in_view.index(False)
    back = next(i for i in range(hidden, layout.frames) if in_view[i])
    schedule = len(detection_regions(layout.size)) + pp.NEWCOMER_CONFIRM_FRAMES
    print(layout.describe(), f"hidden from {hidden}, back in view at {back}, "
          f"on her: {[i for i, o in enumerate(on) if o]}")
    after = [on[i] for i in range(back + schedule, layout.frames) if in_view[i]]
    assert after and all(after), f"not found on frames {[i for i in range(back + schedule, layout.frames) if in_view[i] and not on[i]]}"


@pytest.mark.slow
def test_one_who_walked_out_from_behind_a_big_person_is_back_once_off_their_head_and_shoulders(media_dir):
    """Never-seen layout seed 440: a woman (314 px, walking right) passes behind a big
    waist-up woman (451 px, walking left). Once her track's pose was hers again (where her
    own motion put her), it stayed unreported while her head, arms and hands reached the
    big woman's head and shoulders region grown by BODY_PAD_SHOULDERS (586 px wide): 6
    frames after they had left the region itself (people.PeopleTracker.still_entangled).
    She is reported on every frame in view from the frame after the last on which, in the
    runs alone, her head, arms and hands lie on the other's head and shoulders box itself
    (one frame of slack: the tracked poses are not the runs alone). Seen: back at frame 28,
    the first off that box; before, at 34 (found 59% -> 86%)."""
    try:
        layout = layouts.random_layout(440)
    except FileNotFoundError as missing:
        pytest.skip(str(missing))
    assert layout.kind == "crossing"
    person, other = 0, 1
    rendered, alone, distances = layouts.distances_to_reported(layout, person)
    others = layouts.one_person_poses(rendered.alone[other])
    touching = [a is not None and b is not None and pp.reaches_into(a, [b], layout.size, grown=False)
                for a, b in zip(alone, others)]
    last = max(i for i, t in enumerate(touching) if t)
    after = [i for i in range(last + 2, layout.frames)
             if layouts.in_view(rendered, alone[i], person, i, layout.size)]
    missed = [i for i in after if not distances[i] < layouts.ON_BODY_SHOULDERS]
    print(layout.describe(), f"on the other's head and shoulders until frame {last}; "
          f"reported on: {[i for i, d in enumerate(distances) if d < layouts.ON_BODY_SHOULDERS]}")
    # The criterion: reported on every such frame (the rule's claim, stricter than issue 18's
    # found >= 95%). The one frame of slack above is the tolerance between the tracked poses,
    # which the rule reads, and the runs alone, which this test reads. len(after) >= 5 is a
    # guard against too few frames to say anything (11 here), not a criterion.
    assert len(after) >= 5 and not missed, f"not reported on frames {missed} of {after}"
