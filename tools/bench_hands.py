#!/usr/bin/env python3
"""What hands wherever they are cost: ``Holistic(hand_source=...)`` beside MediaPipe (issue 17).

On the same decoded frames of one clip (default: the thumbs-up clip, 1280x720), in video mode,
frame by frame (``process()``), with hand gestures on:

* holistic_ros ``Holistic(hand_source="pose" | "palm" | "both", recognize_gestures=True)``, and
  "both" with ``num_hands=1``; for "palm" and "both", on how many frames the palm detector ran
  (it runs only while fewer hands are tracked than ``num_hands``, two per person by default,
  as MediaPipe's HandLandmarker);
* MediaPipe 0.10.21 (in .venv-oracle): legacy ``mp.solutions.holistic.Holistic`` and the Tasks
  ``GestureRecognizer`` (VIDEO mode, two hands, the bundle of tools/gesture_oracle.py) run
  together on each frame: what a user runs today to get a body and hands wherever they are;
  and each of the two alone.

The sides alternate ``--rounds`` times so that the machine's background load falls on all of
them; each is timed around its own per-frame calls only (sending frames to MediaPipe's
process is not counted). Prints FPS (frames / summed time), mean and p95 ms per frame, and the
load average before and after (ratios within one run are what compare).

Usage:  .venv/bin/python tools/bench_hands.py [--video PATH] [--size 1280x720] [--frames N]
                                              [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import numpy as np

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
sys.path.insert(0, str(TOOLS.parent))

#: Our runs: (label, Holistic keywords). "both" with num_hands=1 shows the palm detector's
#: share: with the default two hands per person it runs on every frame where one is not in view.
SOURCES = {"pose": dict(hand_source="pose"), "palm": dict(hand_source="palm"), "both": dict(hand_source="both"),
           "both, num_hands=1": dict(hand_source="both", num_hands=1)}
#: MediaPipe's legacy Holistic with the options of tools/benchmark.py (and ours).
MP_HOLISTIC_OPTIONS = dict(static_image_mode=False, model_complexity=1, smooth_landmarks=True,
                           enable_segmentation=False, refine_face_landmarks=False)
MP_RUNS = ("holistic+gestures", "holistic", "gestures")
FPS = 25.0   # both shared clips (SOURCES.md)


def mediapipe_worker(out: str) -> int:
    """In .venv-oracle: frames on stdin (tools/mediapipe_oracle.py's protocol); per-frame
    seconds of each of :data:`MP_RUNS` written to ``out`` (.npz)."""
    import mediapipe as mp
    from mediapipe.tasks.python import vision
    from mediapipe.tasks.python.core.base_options import BaseOptions

    from gesture_oracle import gesture_task, read_models, wheel_path
    from mediapipe_oracle import read_frames

    frames = [np.ascontiguousarray(f) for f in read_frames(sys.stdin.buffer)]
    task = gesture_task(read_models(wheel_path(None)))
    times: Dict[str, List[float]] = {}
    for run in MP_RUNS:
        options = vision.GestureRecognizerOptions(base_options=BaseOptions(model_asset_buffer=task),
                                                  running_mode=vision.RunningMode.VIDEO, num_hands=2)
        with mp.solutions.holistic.Holistic(**MP_HOLISTIC_OPTIONS) as holistic, \
                vision.GestureRecognizer.create_from_options(options) as recognizer:
            spent = []
            for i, frame in enumerate(frames):
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=frame)
                t0 = time.perf_counter()
                if run != "gestures":
                    holistic.process(frame)
                if run != "holistic":
                    recognizer.recognize_for_video(image, int(round(i * 1000.0 / FPS)))
                spent.append(time.perf_counter() - t0)
            times[run] = spent
    np.savez(out, **{k: np.asarray(v) for k, v in times.items()})
    return 0


def run_mediapipe(frames) -> Dict[str, np.ndarray]:
    import parity

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "t.npz"
        parity.pipe_frames([str(parity.ORACLE_PYTHON), str(Path(__file__).resolve()), "--mediapipe-worker", str(out)],
                           frames, "MediaPipe hands benchmark subprocess", stderr=subprocess.DEVNULL)
        with np.load(out) as data:
            return {k: data[k] for k in data.files}


def run_ours(frames, **kwargs):
    """(per-frame seconds, frames on which the palm detector ran or None for "pose")."""
    from holistic_ros import Holistic

    spent, palm_runs = [], 0
    with Holistic(recognize_gestures=True, providers=["CPUExecutionProvider"], **kwargs,
                  **MP_HOLISTIC_OPTIONS) as holistic:
        for i, frame in enumerate(frames):
            t0 = time.perf_counter()
            holistic.process(frame, timestamp=(i + 1) / FPS)
            spent.append(time.perf_counter() - t0)
            if holistic._hand_source is not None:
                palm_runs += holistic._hand_source.tracker.palm_detector_ran
    return np.asarray(spent), (palm_runs if kwargs["hand_source"] != "pose" else None)


def row(name: str, spent: np.ndarray, extra: str = "") -> str:
    return (f"| {name} | {len(spent) / spent.sum():.1f} | {1e3 * spent.mean():.1f} | "
            f"{1e3 * np.percentile(spent, 95):.1f} | {extra} |")


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--mediapipe-worker":
        return mediapipe_worker(sys.argv[2])
    import cv2
    import parity

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=parity.media_dir() / "videos" / "mps_woman_thumbs_up_1280x720.mp4")
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--frames", type=int, default=0, help="first N frames (0: all)")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    frames = [f if f.shape[:2] == (h, w) else cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA)
              for f in parity.iter_video_rgb(args.video)]
    frames = frames[:args.frames] if args.frames else frames
    load_before = os.getloadavg()
    print(f"{args.video.name} at {w}x{h}, {len(frames)} frames, {args.rounds} round(s); "
          f"load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}; {os.cpu_count()} CPUs",
          flush=True)
    ours: Dict[str, List[np.ndarray]] = {s: [] for s in SOURCES}
    palm: Dict[str, List[int]] = {s: [] for s in SOURCES}
    theirs: Dict[str, List[np.ndarray]] = {r: [] for r in MP_RUNS}
    for r in range(args.rounds):
        for source, kwargs in SOURCES.items():
            spent, ran = run_ours(frames, **kwargs)
            ours[source].append(spent)
            palm[source].append(ran)
            print(f"round {r + 1} holistic_ros {source}: {len(spent) / spent.sum():.1f} FPS"
                  + (f", palm detector on {ran}/{len(frames)} frames" if ran is not None else ""), flush=True)
        for run, spent in run_mediapipe(frames).items():
            theirs[run].append(spent)
            print(f"round {r + 1} MediaPipe {run}: {len(spent) / spent.sum():.1f} FPS", flush=True)
    load_after = os.getloadavg()
    # Each side's best round: the one least disturbed by the machine's other work.
    best = lambda runs: min(runs, key=np.sum)  # noqa: E731
    print(f"\n{w}x{h}, {len(frames)} frames, best of {args.rounds} round(s); load average before "
          f"{load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)\n")
    print("| run | FPS | ms/frame | p95 ms | palm detector ran |\n|---|---|---|---|---|")
    for source in SOURCES:
        ran = palm[source][0]
        name, _, more = source.partition(", ")
        print(row(f'holistic_ros `hand_source="{name}"`' + (f" `{more}`" if more else ""), best(ours[source]),
                  "-" if ran is None else f"{ran}/{len(frames)} frames"))
    names = {"holistic+gestures": "MediaPipe Holistic + GestureRecognizer", "holistic": "MediaPipe Holistic alone",
             "gestures": "MediaPipe GestureRecognizer alone"}
    for run in MP_RUNS:
        print(row(names[run], best(theirs[run])))
    pose = best(ours["pose"]).sum()
    print("\ncost against holistic_ros \"pose\" (summed time): "
          + ", ".join(f"{s} {best(ours[s]).sum() / pose:.2f}x" for s in SOURCES)
          + f", MediaPipe Holistic + GestureRecognizer {best(theirs['holistic+gestures']).sum() / pose:.2f}x")
    print(json.dumps({"load_before": load_before, "load_after": load_after}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
