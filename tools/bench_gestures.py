#!/usr/bin/env python3
"""Milliseconds per frame that gestures add on the CPU: MediaPipe's hand gesture stage for two
hands, and the body gesture layer.

Landmarks come from Holistic run once over a clip (video mode, gestures off); then, per frame,
the hand stage (embedder + canned classifier, ONNX Runtime CPU with the session options of
holistic_ros.pipeline.models, one intra-op thread as on Holistic's hand branch threads) runs on
both hands (a hand found on one side only is used for both, so every frame costs two hands)
and BodyGestureRecognizer.update on the result. Median and 90th percentile over
``--rounds`` passes.

    .venv/bin/python tools/bench_gestures.py [--video PATH] [--rounds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tools"))


def main() -> int:
    from parity import iter_video_rgb

    from holistic_ros import Holistic
    from holistic_ros.gestures import BodyGestureRecognizer
    from holistic_ros.pipeline.hand_gesture import HandGestureRecognizer
    from holistic_ros.pipeline.models import ModelStore, create_sessions

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=(REPO / ".." / "shared" / "testdata" / "media" / "videos" /
                                                   "mps_woman_thumbs_up_1280x720.mp4").resolve())
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    results = []
    with Holistic(providers=["CPUExecutionProvider"]) as holistic:
        for i, rgb in enumerate(iter_video_rgb(args.video)):
            results.append((i / 25.0, holistic.process(rgb, timestamp=i / 25.0)))
    store = ModelStore()
    sessions = create_sessions({n: store.entry(n) for n in ("gesture_embedder", "canned_gesture_classifier")},
                               ["CPUExecutionProvider"], intra_op_threads=1)
    stage = HandGestureRecognizer(sessions["gesture_embedder"], sessions["canned_gesture_classifier"])
    hands = []
    for _, r in results:
        found = [(lm, world) for lm, world in ((r.left_hand_landmarks, r.left_hand_world_landmarks),
                                               (r.right_hand_landmarks, r.right_hand_world_landmarks))
                 if lm is not None]
        hands.append((found * 2)[:2] if found else [])
    size = results[0][1].image_size
    with_hands = sum(bool(h) for h in hands)

    hand_ms, body_ms = [], []
    for _ in range(args.rounds):
        body = BodyGestureRecognizer()
        for (t, r), pair in zip(results, hands):
            t0 = time.perf_counter()
            for lm, world in pair:
                stage.recognize(lm, world, 1.0, size)
            t1 = time.perf_counter()
            body.update(r, t)
            t2 = time.perf_counter()
            if pair:
                hand_ms.append((t1 - t0) * 1e3)
            body_ms.append((t2 - t1) * 1e3)
    hand_ms, body_ms = np.array(hand_ms), np.array(body_ms)
    print(f"{args.video.name}: {len(results)} frames ({with_hands} with a hand), {args.rounds} passes, CPU")
    print(f"  hand gesture stage, 2 hands: median {np.median(hand_ms):.3f} ms, p90 {np.percentile(hand_ms, 90):.3f} ms")
    print(f"  body gesture layer:          median {np.median(body_ms):.3f} ms, p90 {np.percentile(body_ms, 90):.3f} ms")
    total = np.median(hand_ms) + np.median(body_ms)
    print(f"  added per frame (medians):   {total:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
