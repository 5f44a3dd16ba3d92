"""Gestures on the shared clips against hand-made labels (test/data/gesture_labels.json).

Reports precision and recall per body gesture, false triggers per minute where nobody
gestures, and how often the labelled hand gesture is recognised (tools/eval_gestures.py).
The clips are short (about 16 s in all) and hold one body gesture (a raised right hand), so
the assertions are what this footage can show: that raised hand is found, nothing fires
where nobody gestures, and Thumb_Up, when given, is mostly given on the thumbs-up frames.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

import eval_gestures  # noqa: E402


@pytest.mark.slow
def test_gestures_on_labelled_footage(videos_dir):
    labels = json.loads(eval_gestures.LABELS.read_text())
    runs = []
    for name, clip in labels["clips"].items():
        path = videos_dir / name
        if not path.is_file():
            pytest.skip(f"{path} is missing (shared test media)")
        runs.append(eval_gestures.run_clip(path, clip["fps"]))
    summary = eval_gestures.evaluate(runs, labels, slack_s=1.0)
    print("\n" + eval_gestures.report(runs, summary))
    raised = summary["body"]["right_hand_raised"]
    assert raised["recall"] == 1.0 and raised["precision"] == 1.0
    assert summary["false_triggers"] == 0
    # MediaPipe's canned classifier on Holistic's hands: the blurred thumbs-up held towards the
    # camera is Thumb_Up on 37 of its 139 frames here and Pointing_Up on most others (MediaPipe's
    # own Holistic hands through the same stage: Thumb_Up on 73, Pointing_Up on 44); the label sits
    # on a class boundary, so this is a floor, not a parity claim (test_hand_gestures has those).
    # Per side, precision is lower: Holistic (MediaPipe's too) hangs a second, "left" hand on the
    # right hand held out towards the camera, and that duplicate is given Thumb_Up on some of the
    # labelled frames (25 of 105 frames given it, in the last run): the classifier is right about
    # the hand it sees, the hand is on the wrong side. Any-side precision holds the classifier.
    thumb = summary["hand"]["Thumb_Up"]
    assert thumb["share"] >= 0.2 and thumb["precision_any_side"] >= 0.75 and thumb["precision"] >= 0.6
