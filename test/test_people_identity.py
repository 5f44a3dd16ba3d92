"""Identity and continuity of several people (issue 18: one body, one track; ids by history).

Unit level (no models), on synthetic landmarks and looks: which of two tracks on one
body keeps it (history over the frames, then the look), and when a lost id comes back
(the look vetoes a motion match with someone else's look, and brings back a person who
reappears off the line of their motion). Real media: the look (a torso colour histogram,
``pipeline/appearance.py``) of one person stays near itself over a clip and is far from
another person's. Slow: layouts of ``tools/layouts.py`` whose ids switched before.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from holistic_ros.pipeline import appearance as ap
from holistic_ros.pipeline import people as pp

from conftest import synthetic_body as body
from test_multi_person import started

SIZE = (1280, 720)


def look(*bins: int) -> np.ndarray:
    """A look (normalised histogram) with its mass spread over ``bins``."""
    h = np.zeros(ap.HUE_BINS * ap.SATURATION_BINS * ap.VALUE_BINS + 1)
    h[list(bins)] = 1.0
    return h / h.sum()


RED, BLUE = look(0, 1, 2), look(40, 41, 42)


def make_tracker(n=3):
    return pp.PeopleTracker(n, lambda: (None, None))


def test_the_looks_of_two_people_are_far_apart_and_one_persons_close():
    assert ap.appearance_distance(RED, RED) == pytest.approx(0.0, abs=1e-7)
    assert ap.appearance_distance(RED, BLUE) == pytest.approx(1.0)
    image = np.zeros((720, 1280, 3), np.uint8)
    image[:, :640] = (200, 30, 30)     # a red shirt on the left, a blue one on the right
    image[:, 640:] = (30, 30, 200)
    left, right = ap.appearance(image, body(0.25, 0.5)), ap.appearance(image, body(0.75, 0.5))
    assert ap.appearance_distance(left, right) > pp.LOOK_DIFFERENT
    assert ap.appearance_distance(left, ap.appearance(image, body(0.26, 0.5))) < pp.LOOK_SAME
    # No torso in the image, no look.
    assert ap.appearance(image, body(1.6, 0.5)) is None


def test_a_person_started_next_to_a_followed_one_does_not_take_their_body():
    tracker = make_tracker()
    walker, _ = started(tracker, body(0.40, 0.5))
    for step in range(1, 11):   # walks right, 0.01 of the width a frame
        walker.seen(body(0.40 + 0.01 * step, 0.5))
    newcomer, _ = started(tracker, body(0.515, 0.5))   # started last frame beside the walker
    here = body(0.51, 0.5)   # this frame both poses are the walker's
    # The newcomer's one position lies nearer than the walker's ten on average (by which the
    # younger track used to win); ten of the walker's, moved along its motion, are on the body.
    kept, lost = pp.resolve_shared_bodies([(newcomer, here), (walker, here + 0.001)], SIZE)
    assert (kept, lost) == ([1], [0])


def test_the_look_decides_which_of_two_tracks_keeps_a_body():
    tracker = make_tracker()
    red, _ = started(tracker, body(0.50, 0.5))
    blue, _ = started(tracker, body(0.62, 0.5))
    red.look, blue.look = RED, BLUE
    here = body(0.505, 0.5)
    # By their history the red track keeps it; the body is blue: the blue track does.
    red.look_now = blue.look_now = BLUE
    assert pp.resolve_shared_bodies([(red, here), (blue, here)], SIZE) == ([1], [0])
    red.look_now = blue.look_now = RED
    assert pp.resolve_shared_bodies([(red, here), (blue, here)], SIZE) == ([0], [1])
    # Crossing (both coasting): the one whose look is not the body's is the one behind.
    red.coast = blue.coast = (red.roi, red.box)
    red.look_now = blue.look_now = BLUE
    assert pp.hidden_behind([(red, here), (blue, here)], SIZE) == [0]
    # Looks alike (the same clip twice, mirrored): history decides, as without looks.
    red.coast = blue.coast = None
    blue.look = RED
    assert pp.resolve_shared_bodies([(red, here), (blue, here)], SIZE) == ([0], [1])


def test_a_lost_id_comes_back_by_its_look_and_not_to_someone_else():
    tracker = make_tracker()
    walker, _ = started(tracker, body(0.20, 0.5), RED)
    walker.look = RED
    for step in range(1, 6):
        walker.seen(body(0.20 + 0.01 * step, 0.5))
    tracker.lose(walker)
    for _ in range(10):
        tracker.next_frame()
    # Where its motion puts it (~0.35), but someone else's look: a new person.
    other, came_back = started(tracker, body(0.34, 0.5), BLUE)
    assert not came_back and other is not walker
    other.look = BLUE
    # Off the line of its motion (behind someone, then found higher and further on), with
    # its look: the walker again.
    back, came_back = started(tracker, body(0.42, 0.40), RED)
    assert came_back and back is walker


def test_a_look_shared_by_two_people_brings_back_nobody():
    tracker = make_tracker()
    walker, _ = started(tracker, body(0.20, 0.5))
    twin, _ = started(tracker, body(0.80, 0.5))
    walker.look = twin.look = RED    # the same clip twice
    tracker.lose(walker)
    tracker.next_frame()
    # Far off its motion, with a look the twin shares: not the walker.
    newcomer, came_back = started(tracker, body(0.45, 0.3), RED)
    assert not came_back and newcomer is not walker


def test_a_lost_id_comes_back_by_a_look_nearer_than_anyone_elses_by_a_margin():
    """Someone else whose look is only somewhat like the newcomer's (between LOOK_SAME and
    LOOK_DIFFERENT; two people measured 0.79 apart on layout seed 438) does not keep a
    lost id from coming back by its look, when the lost track's look is nearer by
    LOOK_MARGIN; someone nearly as near does."""
    pose_look = look(0, 1, 2, 3)
    somewhat_alike = look(2, 3, 60, 61, 62, 63, 64)     # two bins of seven shared
    nearly_as_near = look(1, 2, 3, 70)
    own = ap.appearance_distance(RED, pose_look)
    # Synthetic histograms; their distances are what the test is about.
    assert own < pp.LOOK_SAME
    assert own + pp.LOOK_MARGIN <= ap.appearance_distance(somewhat_alike, pose_look) < pp.LOOK_DIFFERENT
    assert ap.appearance_distance(nearly_as_near, pose_look) < own + pp.LOOK_MARGIN
    for other_look, comes_back in ((somewhat_alike, True), (nearly_as_near, False)):
        tracker = make_tracker()
        walker, _ = started(tracker, body(0.20, 0.5), RED)
        walker.look = RED
        for step in range(1, 6):
            walker.seen(body(0.20 + 0.01 * step, 0.5))
        other, _ = started(tracker, body(0.80, 0.5), other_look)
        other.look = other_look
        tracker.lose(walker)
        for _ in range(10):
            tracker.next_frame()
        # Far off the line of its motion (its box clear of where the motion puts it, within
        # its reach: synthetic geometry): only the look can bring it back.
        assert not tracker.lost_track_for(body(0.55, 0.40), SIZE)
        track, came_back = started(tracker, body(0.55, 0.40), pose_look)
        assert came_back is comes_back and (track is walker) is comes_back


def test_looks_are_learnt_only_while_clear_of_the_others():
    tracker = make_tracker()
    a, _ = started(tracker, body(0.20, 0.5))
    b, _ = started(tracker, body(0.80, 0.5))
    a.look_now, b.look_now = RED, BLUE
    tracker.learn_looks(SIZE)
    assert a.look is RED and b.look is BLUE and a.look_now is None
    b.seen(body(0.24, 0.5))   # b now stands over a
    a.look_now, b.look_now = BLUE, RED
    tracker.learn_looks(SIZE)
    assert a.look is RED and b.look is BLUE


# --- real media ---------------------------------------------------------------------

def _looks_of(images):
    """The look of the one person in each image (MediaPipe's one-person pose, static)."""
    from holistic_ros import Holistic

    looks = []
    with Holistic(static_image_mode=True, providers=["CPUExecutionProvider"]) as holistic:
        for image in images:
            result = holistic.process(image)
            assert result.pose_landmarks is not None
            looks.append(ap.appearance(image, result.pose_landmarks))
    return looks


@pytest.mark.slow
def test_one_persons_look_stays_near_itself_and_other_peoples_do_not(images_dir, videos_dir):
    import cv2
    from conftest import load_rgb, skip_or_fail

    path = videos_dir / "mps_woman_thumbs_up_1280x720.mp4"
    if not path.is_file():
        skip_or_fail(f"test video {path} not found")
    cap, frames = cv2.VideoCapture(str(path)), []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        if len(frames) * 15 <= int(cap.get(cv2.CAP_PROP_POS_FRAMES)) - 1:
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    woman = _looks_of(frames)      # every 15th frame of 195: she turns, raises her thumbs over her chest
    business_woman, businessman, hopper = _looks_of(
        [load_rgb(images_dir / n) for n in ("mps_business_person.png", "tfe_businessman_standing.jpg",
                                            "tfe_grace_hopper_bust.jpg")])
    # LOOK_SAME's claim: one person's look stays within it of their first frame's.
    assert len(woman) == 13
    assert max(ap.appearance_distance(woman[0], w) for w in woman) < pp.LOOK_SAME
    # Two people in clothes of other colours are two people's looks (LOOK_DIFFERENT)...
    assert ap.appearance_distance(woman[0], business_woman) > pp.LOOK_DIFFERENT
    # ...but dark clothes are alike (two dark suits; a dark suit and her dark top): there the
    # look decides nothing, and history does.
    assert ap.appearance_distance(businessman, hopper) < pp.LOOK_DIFFERENT
    assert ap.appearance_distance(businessman, woman[0]) < pp.LOOK_DIFFERENT


def test_a_pose_with_someone_elses_look_is_not_taken():
    tracker = make_tracker()
    red, _ = started(tracker, body(0.40, 0.5))
    blue, _ = started(tracker, body(0.60, 0.5))
    red.look, blue.look = RED, BLUE
    red.look_now = RED
    assert not tracker.jumped(red, body(0.40, 0.5), SIZE)
    # Its ROI slid onto the blue person (coasting through a crossing, where the motion is not checked).
    red.coast = (red.roi, red.box)
    red.look_now = BLUE
    assert tracker.jumped(red, body(0.40, 0.5), SIZE)
    # A look that is nobody's known one is not evidence of anyone (lighting, a turn): taken.
    red.look_now = look(80, 81)
    assert not tracker.jumped(red, body(0.40, 0.5), SIZE)


# --- layouts (tools/layouts.py), slow ---------------------------------------------

# (layout seed, the walker's sprite, its source)
LOST_IN_CROSSINGS = [
    pytest.param(13, 1, "render", id="seed13-render"),   # ids 3, 4 and 5 before the looks
    pytest.param(462, 0, "torso", id="seed462-torso"),   # ids 3, 4 and 5 before the look margin
]


@pytest.mark.slow
@pytest.mark.parametrize("seed,walker_index,source", LOST_IN_CROSSINGS)
def test_a_person_lost_twice_in_a_crossing_gets_her_id_back_by_her_look(media_dir, seed, walker_index, source):
    """A walker lost in a crossing comes back under her id, by her look. Layout seed 13: the
    rendered woman walks left through two others, is lost after two frames (before her
    motion is known) and again behind the waist-up woman; she came back under ids 3, 4 and
    5 before the looks (docs/people-layouts.md), under 3 throughout now. Never-seen seed
    462: the torso clip walks right through the business woman, past the rendered woman;
    lost twice, she came back under ids 4 and 5 while the other two's looks (0.82-0.88
    from the pose's: not hers, but not LOOK_DIFFERENT either) kept her own (0.07-0.16)
    from counting (sixteenth round)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    import layouts

    try:
        layout = layouts.random_layout(seed)
    except FileNotFoundError as missing:
        pytest.skip(str(missing))
    # Ids only: the references place people; no noise floor, so no noisy runs (draws=0).
    report = layouts.evaluate(layout, draws=0)
    print(layouts.TABLE_HEADER, report.row(), layout.describe(), sep="\n")
    walker = report.people[walker_index]
    assert layout.sprites[walker_index].source == source
    # Issue 18: zero id switches (for her; the layout's others are not hers: on seed 13 a
    # track on the business woman behind the waist-up one, where their bodies coincide).
    assert len(walker.ids) == 1, walker.ids
