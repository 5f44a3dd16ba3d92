#!/usr/bin/env python3
"""Gestures on real footage against hand-made labels (test/data/gesture_labels.json).

Runs ``Holistic(recognize_gestures=True)`` in video mode (timestamps at the clip's frame
rate) and one :class:`holistic_ros.gestures.BodyGestureRecognizer` per clip, then reports:

* per body gesture: precision (onsets that overlap a labelled span of that gesture and side,
  over all its onsets) and recall (labelled spans that got an onset overlapping them, the span
  extended by ``--slack-s`` for the recogniser's latency);
* false triggers per minute where nobody gestures: onsets whose span (onset to end) touches
  no labelled body-gesture span, over the minutes of unlabelled footage;
* per labelled hand gesture: the share of its frames where Holistic's hand on that side got
  that label.

    .venv/bin/python tools/eval_gestures.py [--videos DIR] [--slack-s 1.0]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tools"))

LABELS = REPO / "test" / "data" / "gesture_labels.json"


@dataclass
class ClipRun:
    name: str
    fps: float
    frames: int
    #: (gesture name, side, onset frame, end frame or last frame)
    detections: List[Tuple[str, str, int, int]] = field(default_factory=list)
    #: per frame, per side: the hand gesture label or None
    hand_labels: List[Dict[str, str]] = field(default_factory=list)


def run_clip(path: Path, fps: float, settings=None) -> ClipRun:
    from parity import iter_video_rgb

    from holistic_ros import Holistic
    from holistic_ros.gestures import BodyGestureRecognizer, EventKind

    run = ClipRun(path.name, fps, 0)
    recognizer = BodyGestureRecognizer(settings)
    open_spans: Dict[Tuple[str, str], int] = {}
    with Holistic(recognize_gestures=True, providers=["CPUExecutionProvider"]) as holistic:
        for i, rgb in enumerate(iter_video_rgb(path)):
            result = holistic.process(rgb, timestamp=i / fps)
            run.hand_labels.append({side: (g.label if g is not None else None) for side in ("left", "right")
                                    for g in [getattr(result, f"{side}_hand_gesture")]})
            for event in recognizer.update(result, i / fps).events:
                key = (event.gesture.value, event.side)
                if event.kind is EventKind.ONSET:
                    open_spans[key] = i
                elif key in open_spans:
                    run.detections.append((*key, open_spans.pop(key), i))
            run.frames = i + 1
    run.detections += [(*key, start, run.frames - 1) for key, start in open_spans.items()]
    return run


def overlaps(a: Tuple[int, int], b: Tuple[int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def evaluate(runs: List[ClipRun], labels: Dict, slack_s: float) -> Dict:
    """Precision/recall per gesture, false triggers per minute, hand-gesture frame agreement."""
    per: Dict[str, Dict[str, int]] = {}
    false_triggers, quiet_frames, quiet_minutes = 0, 0, 0.0
    hand: Dict[str, List[int]] = {}
    for run in runs:
        clip = labels["clips"][run.name]
        slack = int(round(slack_s * run.fps))
        spans = [(s["gesture"], s["side"], tuple(s["frames"])) for s in clip["body_gestures"]]
        for g, side, span in spans:
            stats = per.setdefault(g, dict(onsets=0, true_onsets=0, spans=0, found=0))
            stats["spans"] += 1
            stats["found"] += any(dg == g and ds == side and span[0] <= on <= span[1] + slack
                                  for dg, ds, on, _ in run.detections)
        for dg, ds, on, end in run.detections:
            stats = per.setdefault(dg, dict(onsets=0, true_onsets=0, spans=0, found=0))
            stats["onsets"] += 1
            match = [span for g, side, span in spans if g == dg and side == ds
                     and span[0] <= on <= span[1] + slack]
            stats["true_onsets"] += bool(match)
            if not any(overlaps((on, end), (span[0], span[1] + slack)) for _, _, span in spans):
                false_triggers += 1
        quiet = [i for i in range(run.frames)
                 if not any(span[0] <= i <= span[1] + slack for _, _, span in spans)]
        quiet_frames += len(quiet)
        quiet_minutes += len(quiet) / run.fps / 60.0
        for h in clip["hand_gestures"]:
            a, b = h["frames"]
            got = [run.hand_labels[i][h["side"]] == h["label"] for i in range(a, min(b, run.frames - 1) + 1)]
            entry = hand.setdefault(h["label"], [0, 0, 0, 0, 0])
            entry[0] += sum(got)
            entry[1] += len(got)
        # frames given a (non-"None") hand label: inside a labelled span of it, or not
        for i, sides in enumerate(run.hand_labels):
            for side, label in sides.items():
                if label in (None, "None"):
                    continue
                entry = hand.setdefault(label, [0, 0, 0, 0, 0])
                entry[3] += 1
                right_side = any(h["label"] == label and h["side"] == side and h["frames"][0] <= i <= h["frames"][1]
                                 for h in clip["hand_gestures"])
                entry[2] += right_side
                # the labelled gesture, on a frame of its span, but given to the other side's hand:
                # Holistic (MediaPipe's too) can hang a second "hand" on the one held out
                entry[4] += not right_side and any(
                    h["label"] == label and h["frames"][0] <= i <= h["frames"][1] for h in clip["hand_gestures"])
    table = {g: dict(s, precision=(s["true_onsets"] / s["onsets"]) if s["onsets"] else None,
                     recall=(s["found"] / s["spans"]) if s["spans"] else None) for g, s in per.items()}
    return dict(body=table, false_triggers=false_triggers, quiet_minutes=quiet_minutes,
                false_triggers_per_minute=false_triggers / quiet_minutes if quiet_minutes else None,
                hand={k: dict(agree=v[0], frames=v[1], share=v[0] / v[1] if v[1] else None, in_span=v[2],
                              given=v[3], precision=v[2] / v[3] if v[3] else None, other_side=v[4],
                              precision_any_side=(v[2] + v[4]) / v[3] if v[3] else None)
                      for k, v in hand.items()})


def report(runs: List[ClipRun], summary: Dict) -> str:
    lines = []
    for run in runs:
        lines.append(f"{run.name}: {run.frames} frames, detections (gesture, side, onset, end): {run.detections}")
    for g, s in sorted(summary["body"].items()):
        p = "n/a" if s["precision"] is None else f"{s['precision']:.2f}"
        r = "n/a" if s["recall"] is None else f"{s['recall']:.2f}"
        lines.append(f"  {g:20s} precision {p} ({s['true_onsets']}/{s['onsets']} onsets)  "
                     f"recall {r} ({s['found']}/{s['spans']} spans)")
    lines.append(f"  false triggers where nobody gestures: {summary['false_triggers']} in "
                 f"{summary['quiet_minutes']:.2f} min = {summary['false_triggers_per_minute']:.1f} per minute")
    for label, s in sorted(summary["hand"].items()):
        share = "n/a" if s["share"] is None else f"{s['share']:.2f}"
        prec = "n/a" if s["precision"] is None else f"{s['precision']:.2f}"
        lines.append(f"  hand gesture {label:12s}: on {s['agree']}/{s['frames']} of its labelled frames ({share}); "
                     f"{s['in_span']}/{s['given']} frames given it are labelled so (precision {prec}); "
                     f"{s['other_side']} more given to the other side's hand on its frames")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=Path, default=(REPO / ".." / "shared" / "testdata" / "media" / "videos").resolve())
    ap.add_argument("--slack-s", type=float, default=1.0, help="latency allowed after a labelled span ends")
    args = ap.parse_args()
    labels = json.loads(LABELS.read_text())
    runs = [run_clip(args.videos / name, clip["fps"]) for name, clip in labels["clips"].items()]
    print(report(runs, evaluate(runs, labels, args.slack_s)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
