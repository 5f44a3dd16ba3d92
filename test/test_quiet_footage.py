"""No gesture fires where nobody gestures (issue 17: "the goal is zero" false onsets).

Footage made from the shared media by tools/quiet_footage.py: the clips' labelled quiet spans,
and photos of people (nobody gesturing) and of no people seen by a drifting camera. The full
set (every such photo, as filmed, cropped and rotated) is reported by the tool; this runs a
part of it within the test budget."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import quiet_footage  # noqa: E402

PHOTOS = ("mps_woman_sitting_fullbody.jpg", "tfe_noperson_cat.jpg")


@pytest.mark.slow
def test_no_gesture_onset_on_quiet_footage(media_dir):
    sequences = quiet_footage.quiet_sequences(seconds=1.6, photos=PHOTOS)
    sequences = [(n, f) for n, f in sequences if "as filmed" in n or "frames" in n]
    assert len(sequences) >= len(PHOTOS) + 2
    runs = [quiet_footage.count_onsets(name, frames, "both") for name, frames in sequences]
    for r in runs:
        print(f"{r.name}: {r.frames} frames, body {r.body_onsets}, hand {r.hand_onsets}")
    assert [(r.name, r.body_onsets, r.hand_onsets) for r in runs if r.body_onsets or r.hand_onsets] == []
