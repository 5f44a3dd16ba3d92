"""Gestures on the shared clips against hand-made labels (test/data/gesture_labels.json).

Scored per gesture and side (tools/eval_gestures.py): precision and recall of every
labelled body gesture and hand gesture, and false triggers, where a false trigger is any
body-gesture onset that no label of that gesture and side covers (a wrong gesture fired
inside another gesture's span counts). The clips are short (about 16 s in all) and hold one
body gesture (a raised right hand) and one hand gesture (a thumbs-up, raised, then held out),
so this is thin evidence; the synthetic tracks of test_body_gestures.py test each gesture
more widely.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import skip_or_fail

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

import eval_gestures  # noqa: E402

# Latency allowed after a labelled body-gesture span ends: 1 s, above the slowest onset the
# README states for the one labelled gesture (hand raised: at most 23 frames, 0.77 s at 30 fps,
# on the synthetic tracks of test_body_gestures.py).
SLACK_S = 1.0
# Thumb_Up frame by frame on the right hand (the labelled side). Recall: MediaPipe's own
# Holistic hands on this clip, through the same stage, give Thumb_Up on 73 of the 139 frames of
# the thumbs-up held out (frames 56-194; Pointing_Up on 44; measured with test_hand_gestures.py's
# comparison when the labels were made, commit 231d386): the blurred thumb sits on the
# Thumb_Up / Pointing_Up boundary, so Holistic's hands, ours or MediaPipe's, get about half.
THUMB_UP_RECALL_MIN = 73 / 139
# Precision: of the right-hand frames given Thumb_Up, those inside a labelled span; issue 5's
# 95% label agreement.
THUMB_UP_PRECISION_MIN = 0.95
# No gesture may fire where nobody gestures (issue 17's goal: zero). The reach clip, chest to
# knees with no head in view, is the hard case: the pose model places the unseen head and the
# track wanders (MediaPipe's own pose moves by 16% of the diagonal under +-1 noise there), and
# before the plausibility checks (holistic_ros/gestures/plausibility.py: a raised hand, a wave
# or pointing needs the face in view) it fired left_hand_raised, pointing left and
# right_hand_raised there.


@pytest.fixture(scope="module")
def scored(videos_dir):
    labels = json.loads(eval_gestures.LABELS.read_text())
    runs = []
    for name, clip in labels["clips"].items():
        path = videos_dir / name
        if not path.is_file():
            skip_or_fail(f"{path} is missing (shared test media)")
        runs.append(eval_gestures.run_clip(path, clip["fps"]))
    summary = eval_gestures.evaluate(runs, labels, slack_s=SLACK_S)
    print("\n" + eval_gestures.report(runs, summary))
    return labels, summary


def _labelled_body_gestures(labels):
    keys = {(s["gesture"], s["side"]) for clip in labels["clips"].values() for s in clip["body_gestures"]}
    assert keys, "the labels hold no body gesture: nothing would be scored"
    return sorted(keys)


@pytest.mark.slow
def test_every_labelled_body_gesture_is_found(scored):
    labels, summary = scored
    for key in _labelled_body_gestures(labels):
        s = summary["body"].get(key)
        assert s is not None and s["recall"] == 1.0, f"{key}: {s}"   # every labelled span (README: 1/1)


@pytest.mark.slow
def test_every_onset_is_labelled(scored):
    """Precision 1 for every labelled gesture, and no onset that no label of its gesture and
    side covers, where nobody gestures or inside another gesture's span."""
    labels, summary = scored
    assert summary["quiet_minutes"] > 0, "no footage without a gesture: false triggers not measured"
    assert summary["false_triggers"] == [], f"onsets no label covers: {summary['false_triggers']}"
    for key in _labelled_body_gestures(labels):
        assert summary["body"][key]["precision"] == 1.0, f"{key}: {summary['body'][key]}"


@pytest.mark.slow
def test_labelled_hand_gesture_precision_and_recall(scored):
    labels, summary = scored
    labelled = {(h["label"], h["side"]) for clip in labels["clips"].values() for h in clip["hand_gestures"]}
    assert labelled == {("Thumb_Up", "right")}, "new hand-gesture labels need their own criteria here"
    thumb = summary["hand"][("Thumb_Up", "right")]
    assert thumb["frames"] > 0
    assert thumb["recall"] >= THUMB_UP_RECALL_MIN, f"Thumb_Up on {thumb['agree']}/{thumb['frames']} labelled frames"
    assert thumb["precision"] >= THUMB_UP_PRECISION_MIN, \
        f"{thumb['in_span']}/{thumb['given']} right-hand Thumb_Up frames in the labelled spans"
