"""Several people on layouts nobody tuned on (issue 18), with real models and media.

The layouts come from tools/layouts.py (seeded: two to four people from the
shared clips and photos, at random positions and scales, above, below, beside,
over each other and crossing). Each case is held to issue 18's criteria:

- every person visible is found on >= 95% of the frames after the first 10;
- no id switch (no person changes id, no id moves to another person);
- no frame with two tracks on one person;
- each person's pose within 1.5x of the noise floor of a one-person run on that
  person alone (the same frames with only that person drawn): the one-person run
  is MediaPipe Holistic within the parity tests, and its drift under +-1 pixel
  noise stands for MediaPipe's own (tools/layouts.py says why).

The cases are issue 18's reproduction and the seeds that failed before the fix
(the table in docs/people-layouts.md); the tool runs the full set.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import layouts  # noqa: E402

pytestmark = pytest.mark.slow

# Seeds of tools/layouts.py that failed before issue 18's fix (40 frames, 1280x720),
# and what failed: the criteria of issue 18 they missed.
REGRESSION_SEEDS = {
}


def _cases():
    yield "issue18", lambda: layouts.issue_layout(frames=40)
    for seed in REGRESSION_SEEDS:
        yield f"seed{seed}", lambda seed=seed: layouts.random_layout(seed)


@pytest.mark.parametrize("make", [make for _, make in _cases()], ids=[name for name, _ in _cases()])
def test_people_on_a_layout_are_each_found_once_with_one_id(media_dir, make):
    try:
        layout = make()
    except FileNotFoundError as missing:
        pytest.skip(str(missing))
    report = layouts.evaluate(layout)
    print(layouts.TABLE_HEADER, report.row(), layout.describe(), sep="\n")
    for k, person in enumerate(report.people):
        print(f"person {k}: found {person.found:.2f}, first frame {person.first} (visible from "
              f"{person.first_visible}), ids {person.ids}, error {person.error}, drift {person.drift}")
    # Issue 18's criteria.
    assert not report.found < layouts.FOUND_MIN, report.row()
    assert report.switches == 0, report.row()
    assert report.double == 0, report.row()
    assert report.ratio is None or report.ratio <= layouts.DRIFT_FACTOR, report.row()
