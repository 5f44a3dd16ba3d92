"""Several people on layouts nobody tuned on (issue 18), with real models and media.

The layouts come from tools/layouts.py (seeded: two to four people from the
shared clips and photos, at random positions and scales, above, below, beside,
over each other and crossing). Each case is held to issue 18's criteria:

- every person visible is found on >= 95% of the frames after the first 10 (visible: the
  one-person run below finds them, under a quarter covered, and finds them again under
  +-1 noise: layouts.References.reproducible);
- no id switch (no person changes id, no id moves to another person);
- no frame with two tracks on one person;
- each person's pose within 1.5x of the noise floor of a one-person run on that
  person alone (the same frames with only that person drawn): the one-person run
  is MediaPipe Holistic within the parity tests, and its drift under +-1 pixel
  noise (the mean over three draws) stands for MediaPipe's own (tools/layouts.py
  says why).

The cases are issue 18's reproduction, seeds that failed before the fix, seeds
that its first version made worse, and a never-seen seed that the evaluator miscounted
(the tables in docs/people-layouts.md);
tools/layouts.py runs the full set. Where a
criterion is still missed, the case is a strict xfail against it, with what was
measured.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import layouts  # noqa: E402

pytestmark = pytest.mark.slow

# Seeds of tools/layouts.py (40 frames at 1280x720) that failed before issue 18's fix,
# and what failed then (docs/people-layouts.md, the "before" table).
REGRESSION_SEEDS = {
    4: "a crossing: one person never found (0%); err/drift 2.89",
    5: "a crossing: 2 id switches, 2 frames with two tracks on one body; err/drift 2.48",
    # Regressions of the first fix (blanking, hold instead of migrate; docs/people-layouts.md):
    14: "a crossing: found 77% before, 27% after the first fix (the one behind stayed unreported)",
    22: "a stack: passed before, an id switch after the first fix (a small person turning read as a jump)",
    27: "an overlap: err/drift 1.09 before, 12.77 after the first fix (a waist-up person's guessed "
        "legs, blanked, covered the standing person below)",
    # A never-seen seed of the ninth round, kept for the evaluator's rule (tools/layouts.py
    # lies_on): four people stacked, a woman standing behind the opaque sitting photo with her
    # face above it. Her track was counted as a second track on the photo on 38 of 40 frames
    # (its shoulders lie behind the photo) until a track's face decided.
    402: "a stack: 38 frames with two tracks on one body, all of them the evaluator's",
}
# Seeds drawn on a portrait canvas, 720x1280 (tools/layouts.py --size), and what failed there.
PORTRAIT_SEEDS = {
    # The woman clip 763 px tall, cut by the frame's edge: her thumbs-up fist in front of her
    # chest, detected as a face (the heads-blanked search, frame 22), started a second track
    # on her body from frame 24 (its nose 150-190 px from hers), 16 frames with two tracks on
    # one body and an id switch, until a newcomer whose nose lies on someone tracked needed a
    # face of its own there (people.PeopleTracker.on_tracked_body, has_own_face).
    16: "a scatter: 16 frames with two tracks on one body (a fist taken for a face), 1 id switch",
}
# Issue 18's reproduction at 40 frames (the tool's table runs it at 60); before the fix
# the upper person was never found in them.
CASES = {"issue18": lambda: layouts.issue_layout(frames=40),
         **{f"seed{s}": (lambda s=s: layouts.random_layout(s)) for s in REGRESSION_SEEDS},
         **{f"portrait{s}": (lambda s=s: layouts.random_layout(s, size=(720, 1280))) for s in PORTRAIT_SEEDS}}
# Criteria still missed after the fix: (case, criterion) -> what was measured.
KNOWN_MISSES = {
    # err/drift against the mean floor of three noise draws (tools/layouts.py NOISE_DRAWS);
    # against the first draw alone, as before: issue18 1.48x (it passed), seed4 2.89x,
    # seed5 3.68x, seed14 4.71x. One draw was a noisy floor (docs/people-layouts.md).
    # issue18: 1.54x before newcomers were tentative (their first two frames, not reported, are
    # no longer in the mean).
    ("issue18", "drift"): "1.56x (the upper person)",
    ("seed4", "drift"): "2.44x",
    ("seed5", "drift"): "3.86x",
    # Two big waist-up people walking through each other, the one behind an opaque frame
    # (its pixels under a quarter covered; its landmarks more than a quarter on some frames,
    # which layouts.in_view no longer counts as in view): the
    # one behind is not reported while their poses coincide, and in the crossing's middle
    # (the two 13-24 px apart, 270 px shoulders) the front one's pose lies nearer the one
    # behind on a frame or two. 27% found, 4.71x before the crossing was told by motion.
    ("seed14", "found"): "50% (40% before the evaluator counted covered landmarks: layouts.in_view)",
    ("seed14", "ids"): "2 id switches",
    ("seed14", "drift"): "3.69x",   # 4.71x at the first draw alone before the crossing was told by motion
    # The woman cut by the frame's edges, her shoulders off it: her pose and the reference's
    # both guess them (measured with the fix of its two tracks on one body; not worked on).
    ("portrait16", "drift"): "2.42x",
}
# Kept for identity only: seed 402's err/drift is 1.53x on this project's Intel machine, at
# the criterion's edge, where the last bits of a CPU's arithmetic move it across
# (docs/people-layouts.md, the first ROI); a strict xfail there would fail on the next CPU.
IDENTITY_ONLY = {"seed402"}

_reports = {}


def _report(name):
    if name not in _reports:
        try:
            layout = CASES[name]()
        except FileNotFoundError as missing:
            pytest.skip(str(missing))
        report = layouts.evaluate(layout)
        print(layouts.TABLE_HEADER, report.row(), layout.describe(), sep="\n")
        for k, person in enumerate(report.people):
            print(f"person {k}: found {person.found:.2f}, first frame {person.first} (visible from "
                  f"{person.first_visible}), ids {person.ids}, error {person.error}, drift {person.drift}")
        _reports[name] = report
    return _reports[name]


def _case(name, criterion):
    miss = KNOWN_MISSES.get((name, criterion))
    marks = [pytest.mark.xfail(strict=True, reason=f"issue 18, still missed: {miss}")] if miss else []
    return pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", [_case(n, "found") for n in CASES])
def test_everyone_visible_is_found(media_dir, name):
    report = _report(name)
    # Issue 18: all people found on at least 95% of the frames after the first 10.
    assert not report.found < layouts.FOUND_MIN, report.row()


@pytest.mark.parametrize("name", [_case(n, "ids") for n in CASES])
def test_one_track_and_one_id_per_person(media_dir, name):
    report = _report(name)
    # Issue 18: zero id switches, zero frames with two tracks on one body.
    assert report.switches == 0, report.row()
    assert report.double == 0, report.row()


@pytest.mark.parametrize("name", [_case(n, "drift") for n in CASES if n not in IDENTITY_ONLY])
def test_each_person_is_as_close_to_its_run_alone_as_noise_allows(media_dir, name):
    report = _report(name)
    # Issue 18: within 1.5x MediaPipe's own +-1 noise drift of a run on the person alone.
    assert report.ratio is None or report.ratio <= layouts.DRIFT_FACTOR, report.row()
