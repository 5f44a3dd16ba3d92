#!/usr/bin/env python3
"""Gestures on real footage against hand-made labels (test/data/gesture_labels.json).

Runs ``Holistic(recognize_gestures=True)`` in video mode (timestamps at the clip's frame
rate) and one :class:`holistic_ros.gestures.BodyGestureRecognizer` per clip, then reports:

* per body gesture and side: precision (onsets inside a labelled span of that gesture and
  side, the span extended by ``--slack-s`` for the recogniser's latency, over all its onsets)
  and recall (labelled spans that got such an onset);
* false triggers: every onset no label of its gesture and side covers (a wrong gesture, or
  the right one on the wrong side, fired inside another span counts), and those of them
  where nobody gestures, per minute of such footage;
* per labelled hand gesture and side: recall (its labelled frames where Holistic's hand on
  that side got the label) and precision (that side's frames with the label that lie in
  its span).

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


def _covers(span: Tuple[int, int], frame: int, slack: int) -> bool:
    """``frame`` lies in the labelled ``span``, extended by ``slack`` frames for the latency."""
    return span[0] <= frame <= span[1] + slack


def evaluate(runs: List[ClipRun], labels: Dict, slack_s: float) -> Dict:
    """Scores per gesture and side.

    * ``body[(gesture, side)]``: onsets, true onsets (covered by a labelled span of that
      gesture and side, extended by the slack), precision; labelled spans, spans found (an
      onset of that gesture and side inside), recall.
    * ``false_triggers``: every onset that no label of its gesture and side covers, a wrong
      gesture fired inside another gesture's span included: (clip, gesture, side, onset frame).
    * ``quiet_triggers``: those of them whose onset lies where nobody gestures (no labelled
      body-gesture span of any kind), with ``quiet_minutes`` of such footage.
    * ``hand[(label, side)]``: per labelled hand gesture, its labelled frames and those where
      Holistic's hand on that side got the label (recall); the frames where that side's hand
      got the label and those inside its labelled span (precision); and ``other_side``: the
      frames of its span where the other side's hand got it instead (Holistic, MediaPipe's
      too, can hang a second "hand" on the one held out).
    """
    body: Dict[Tuple[str, str], Dict[str, int]] = {}
    false_triggers: List[Tuple[str, str, str, int]] = []
    quiet_triggers: List[Tuple[str, str, str, int]] = []
    quiet_frames, quiet_minutes = 0, 0.0
    hand: Dict[Tuple[str, str], Dict[str, int]] = {}
    new_stats = lambda: dict(onsets=0, true_onsets=0, spans=0, found=0)   # noqa: E731
    for run in runs:
        clip = labels["clips"][run.name]
        slack = int(round(slack_s * run.fps))
        spans = [((s["gesture"], s["side"]), tuple(s["frames"])) for s in clip["body_gestures"]]
        for key, span in spans:
            stats = body.setdefault(key, new_stats())
            stats["spans"] += 1
            stats["found"] += any((g, sd) == key and _covers(span, on, slack) for g, sd, on, _ in run.detections)
        for g, sd, on, _ in run.detections:
            stats = body.setdefault((g, sd), new_stats())
            stats["onsets"] += 1
            if any(key == (g, sd) and _covers(span, on, slack) for key, span in spans):
                stats["true_onsets"] += 1
                continue
            false_triggers.append((run.name, g, sd, on))
            if not any(_covers(span, on, slack) for _, span in spans):
                quiet_triggers.append((run.name, g, sd, on))
        quiet = [i for i in range(run.frames) if not any(_covers(span, i, slack) for _, span in spans)]
        quiet_frames += len(quiet)
        quiet_minutes += len(quiet) / run.fps / 60.0
        labelled = [((h["label"], h["side"]), (h["frames"][0], min(h["frames"][1], run.frames - 1)))
                    for h in clip["hand_gestures"]]
        for key, (a, b) in labelled:
            entry = hand.setdefault(key, dict(frames=0, agree=0, given=0, in_span=0, other_side=0))
            entry["frames"] += b - a + 1
            entry["agree"] += sum(run.hand_labels[i][key[1]] == key[0] for i in range(a, b + 1))
            other = "left" if key[1] == "right" else "right"
            entry["other_side"] += sum(run.hand_labels[i][other] == key[0] for i in range(a, b + 1))
        for i, sides in enumerate(run.hand_labels):
            for key in {key for key, _ in labelled}:
                if sides[key[1]] == key[0]:
                    hand[key]["given"] += 1
                    hand[key]["in_span"] += any(k == key and a <= i <= b for k, (a, b) in labelled)
    ratio = lambda a, b: a / b if b else None   # noqa: E731
    return dict(body={k: dict(s, precision=ratio(s["true_onsets"], s["onsets"]), recall=ratio(s["found"], s["spans"]))
                      for k, s in body.items()},
                false_triggers=false_triggers, quiet_triggers=quiet_triggers, quiet_minutes=quiet_minutes,
                quiet_triggers_per_minute=ratio(len(quiet_triggers), quiet_minutes),
                hand={k: dict(v, recall=ratio(v["agree"], v["frames"]), precision=ratio(v["in_span"], v["given"]))
                      for k, v in hand.items()})


def report(runs: List[ClipRun], summary: Dict) -> str:
    lines = []
    for run in runs:
        lines.append(f"{run.name}: {run.frames} frames, detections (gesture, side, onset, end): {run.detections}")
    fmt = lambda v: "n/a" if v is None else f"{v:.2f}"   # noqa: E731
    for (g, side), s in sorted(summary["body"].items()):
        lines.append(f"  {g:20s} {side:5s} precision {fmt(s['precision'])} ({s['true_onsets']}/{s['onsets']} onsets)"
                     f"  recall {fmt(s['recall'])} ({s['found']}/{s['spans']} spans)")
    lines.append(f"  false triggers (onsets no label of that gesture and side covers): {summary['false_triggers']}")
    per_minute = summary["quiet_triggers_per_minute"]
    lines.append(f"  of them where nobody gestures: {len(summary['quiet_triggers'])} in "
                 f"{summary['quiet_minutes']:.2f} min" + ("" if per_minute is None else f" = {per_minute:.1f} per minute"))
    for (label, side), s in sorted(summary["hand"].items()):
        lines.append(f"  hand gesture {label:12s} {side:5s}: on {s['agree']}/{s['frames']} of its labelled frames "
                     f"(recall {fmt(s['recall'])}); {s['in_span']}/{s['given']} frames that side's hand got it are "
                     f"labelled so (precision {fmt(s['precision'])}); {s['other_side']} of its frames gave it to "
                     f"the other side's hand")
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
