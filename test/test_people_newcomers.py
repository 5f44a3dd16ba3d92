"""Newcomers found promptly, whatever the layout (issue 18): layouts where a person was
never found before.

Real models and media (slow): layout seed 0 of tools/layouts.py (two rendered women,
the smaller one partly in front of the larger): before, the detector found the one in
front on every frame, but her pose crop kept the other woman's head unblanked (the
region kept was the detector's box grown 3x: 432 px in a 720 px tile), her pose landed
on that woman and was dropped as a second track on one body: she was never found in 40
frames (docs/people-layouts.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from holistic_ros.pipeline.people import NEWCOMER_CONFIRM_FRAMES
from holistic_ros.pipeline.pose_detection import detection_regions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import layouts  # noqa: E402

SIZE = (1280, 720)


# The schedule (docs/people-layouts.md, "Detector schedule and tiles") looks at the whole
# frame and its tiles on the first frame and then one region a frame in turn, so anyone
# the detector sees is looked for within len(detection_regions) frames: 3 at 16:9,
# issue 18's "within a few frames". A newcomer is reported once found on
# NEWCOMER_CONFIRM_FRAMES frames, the first of them the one it is found on.
NEWCOMER_FRAMES = len(detection_regions(SIZE))
# (layout seed, the person, frames they must be reported within, why)
CASES = {
    # Layout seed 0 (40 frames): its third person (the rendered woman in front, index 2)
    # was never found (docs/people-layouts.md, the "before" table: first detection
    # "-,0,-,-"). Found on the first frame's full run.
    "in-front": (0, 2, NEWCOMER_CONFIRM_FRAMES, "found on the first frame"),
    # Fresh layout seed 221 (3 people): a small woman (person 1, 216 px tall) below a large
    # waist-up one. Alone the detector finds her at 0.84-0.86; in the layout at 0.06-0.24
    # (every region), with the tracked bodies blanked at 0.08-0.70 (the whole frame at
    # 0.08-0.31: the large woman's guessed hips cover her), with the tracked heads blanked
    # at 0.50-0.72. Before the heads-blanked search (test_people_never_found.py) she was
    # never found in 40 frames. Found on the first pass over the regions after the first
    # frame (heads blanked on it).
    "below-a-face": (221, 1, 1 + NEWCOMER_FRAMES + NEWCOMER_CONFIRM_FRAMES - 1,
                     "found on the first pass over the regions"),
    # Never-seen layout seed 378 (3 people): a small woman (the mirrored clip, 232 px, person
    # 0) below another. On frame 1 the whole frame with the tracked people blanked finds her
    # turned upside down (2.84 rad, score 0.60); before people.upright she was first found at
    # frame 21 (tools/layouts.py). Looked at again in a square around her face she is upright
    # (0.12 rad, 0.64), and reported from frame 3.
    "below-upside-down": (378, 0, 1 + NEWCOMER_FRAMES + NEWCOMER_CONFIRM_FRAMES - 1,
                          "found on the first pass over the regions"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_a_person_beside_another_is_reported_within_the_schedule(media_dir, case):
    seed, her, frames, when = CASES[case]
    try:
        layout = layouts.random_layout(seed)
    except FileNotFoundError as missing:
        pytest.skip(str(missing))
    # Her reference: the one-person run on her alone (tools/layouts.py); the layout run
    # with everyone, on the first frames only.
    _, alone, on_her = layouts.distances_to_reported(layout, her, frames)
    assert all(p is not None for p in alone), "the one-person run on her alone finds her from the start"
    print(layout.describe(), "her distance to the nearest reported person, in her shoulder widths:", on_her)
    assert min(on_her) < layouts.ON_BODY_SHOULDERS, \
        f"not reported in the first {frames} frames ({when}; issue 18: within a few frames)"
