"""People in view are found (issue 18): every visible person on >= 95% of the frames after
the first 10, and a newcomer within a few frames, whatever the others around them.

Real models and media (slow): layouts of tools/layouts.py where a person the one-person
run on them alone finds (MediaPipe's Holistic, within the parity tests) was never found
with the others in view: the pose detector's score for them stayed under its threshold
(MediaPipe's 0.5, kept) in every search region while the others were in the same region
(the torso clip, its face out of view: 0.52-0.89 on the whole frame alone, under 0.5 in
the layouts; docs/people.md, "How people are found and kept"). The detector now also
looks at the whole frame with the tracked people blanked
(people.PeopleTracker.blanks_for_search), as MediaPipe's one-person detector sees a
person alone. And a person the detector found upside down in the whole frame, whose pose
kept that turn (seed 418): such a detection is looked at again in a square around it
(people.upright).

Each case runs the crowd and the one-person run on the person alone only (not the whole
evaluator of tools/layouts.py, which runs everyone's reference and its noise run), and
counts the frames where a track lies on the person as the evaluator does
(layouts.on_body: nose and shoulders within one shoulder width of the reference's).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from holistic_ros.pipeline.pose_detection import detection_regions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import layouts  # noqa: E402

pytestmark = pytest.mark.slow

SIZE = (1280, 720)
# Between full detector runs the detector looks at one region a frame in turn: the whole
# frame (and the whole frame with the tracked people blanked), then its tiles
# (people.PeopleTracker.region_to_search): anyone the detector can see alone is looked
# for within this many frames of being in view, issue 18's "within a few frames"
# (3 at 16:9).
NEWCOMER_FRAMES = len(detection_regions(SIZE))


# (layout, the person looked at: index of the sprite). Before the blanked search each
# person here was never found in 40 frames, or later than the schedule allows
# (tools/layouts.py --seeds 19,32,172,184 -v at commit bc8a06a: first detection "-", "-",
# "-" and 21, found 0%, 0%, 0% and 43%). Seeds 172 and 184 were held out: drawn from
# seeds 120-199 by their sprites (the torso clip) and not looked at while developing.
CASES = {
    # Row: the torso clip (mirrored, 235 px) beside three photos: found at frame 1.
    "seed32-torso": (lambda: layouts.random_layout(32), 3),
    # Scatter: the torso clip (327 px) over a business woman, beside a rendered woman.
    "seed19-torso": (lambda: layouts.random_layout(19), 2),
    # Row: the torso clip (382 px) between a business woman and a yoga photo.
    "seed172-torso": (lambda: layouts.random_layout(172), 1),
    # Row: the torso clip (321 px) between a sitting woman and the woman clip.
    "seed184-torso": (lambda: layouts.random_layout(184), 1),
    # Stack, never seen while developing: Grace Hopper's photo (mirrored, 261 px) below a
    # rendered woman, beside a yoga photo. In the whole frame the detector turned her upside
    # down (-2.36 rad; -0.14 with her alone), and her pose, on a crop turned upside down,
    # lay 140 px off her shoulders for the whole clip: found 87% (people.upright, which
    # looks at such a detection again in a square around it, fixed it).
    "seed418-hopper": (lambda: layouts.random_layout(418), 0),
    # Overlap: a rendered woman (mirrored, 423 px) standing in front of and beside a sitting
    # woman's photo, her face at the sitting woman's shoulder. The heads-blanked search found
    # her (0.88) and she was dropped as the sitting woman's headless body, on every pass:
    # never found. Her face lies 0.8-1.0 body widths across the sitting woman's body axis,
    # beyond her shoulders (people.PeopleTracker.headless_tracked, HEADLESS_ACROSS_MAX).
    "seed21-beside": (lambda: layouts.random_layout(21), 1),
}
# Criteria still missed: (case, criterion) -> what was measured (strict xfail). Where a
# torso is found but not kept, its tracked pose is small and unsteady (body widths of
# 12-40 px for a 321 px tall torso on seed 184): the track is held as a jump
# (people.PeopleTracker.jumped) and lost, its id coming back each time.
# The figures differ by CPU (the tracking amplifies the models' last bits): the first is from
# the AMD EPYC machine of earlier rounds, the second from the Intel Xeon of the tenth round.
KNOWN_MISSES = {
    ("seed19-torso", "first"): "frame 8 (visible from 1); frame 12 on Intel",
    ("seed19-torso", "found"): "70%; 52% on Intel",
    ("seed172-torso", "found"): "62%; 71% on Intel",
    # A track lies in its rectangle from frame 1 (tools/layouts.py's first detection), but
    # never within one shoulder width of the one-person run's pose on them (on AMD).
    ("seed184-torso", "first"): "never on their pose (in view from frame 2); frame 33 on Intel",
    ("seed184-torso", "found"): "0% (43% before the blanked search, found at frame 21 then); 13% on Intel",
}

_runs = {}


def _run(name):
    """(frames on the person, first frame with a track on them, first frame the reference finds them)."""
    if name not in _runs:
        make, k = CASES[name]
        try:
            layout = make()
        except FileNotFoundError as missing:
            pytest.skip(str(missing))
        rendered, alone, distances = layouts.distances_to_reported(layout, k)
        on = [None if a is None else bool(d < layouts.ON_BODY_SHOULDERS) for a, d in zip(alone, distances)]
        visible_from = next((i for i, a in enumerate(alone) if a is not None), None)
        first = next((i for i, o in enumerate(on) if o), None)
        # Counted as the evaluator does: from frame SETTLE_FRAMES on, where the person is in
        # view (layouts.in_view: the reference finds them, less than COVERED_MAX covered).
        counted = [o for i, o in enumerate(on) if i >= layouts.SETTLE_FRAMES
                   and layouts.in_view(rendered, alone[i], k, i, layout.size)]
        found = float(np.mean(counted)) if counted else float("nan")
        print(layout.describe(), f"person {k}: visible from {visible_from}, first {first}, found {found:.2f}")
        _runs[name] = (found, first, visible_from)
    return _runs[name]


def _case(name, criterion):
    miss = KNOWN_MISSES.get((name, criterion))
    marks = [pytest.mark.xfail(strict=True, reason=f"measured {miss}")] if miss else []
    return pytest.param(name, id=f"{name}-{criterion}", marks=marks)


@pytest.mark.parametrize("name", [_case(n, "first") for n in CASES])
def test_a_person_in_view_is_found_within_the_schedule(name, media_dir):
    found, first, visible_from = _run(name)
    assert visible_from is not None, "the one-person run on them alone finds them"
    assert first is not None and first - visible_from <= NEWCOMER_FRAMES, \
        f"first found at frame {first}, in view from {visible_from} (issue 18: within a few frames)"


@pytest.mark.parametrize("name", [_case(n, "found") for n in CASES])
def test_a_person_in_view_is_found_on_95_percent_of_frames(name, media_dir):
    found, _, _ = _run(name)
    assert found >= layouts.FOUND_MIN, f"found on {found:.0%} of the frames after the first {layouts.SETTLE_FRAMES}"
