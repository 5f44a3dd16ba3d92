#!/usr/bin/env python3
"""Micro-benchmark of holistic_ros.spatial.locate(): milliseconds per person per frame.

Runs Holistic (video mode) over frames of the woman clip once, then times locate() on
those real results without depth and with a registered depth image (uint16 millimetres,
a wall with 20 % holes, the size of the colour image) and prints one row per case. No
assertion on time: the numbers are for the README and the issue's "under 1 ms" goal.

    .venv/bin/python tools/bench_spatial.py [--video PATH] [--frames 60] [--repeat 20]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from holistic_ros import Holistic  # noqa: E402
from holistic_ros.spatial import PinholeCamera, locate  # noqa: E402

DEFAULT_VIDEO = REPO / ".." / "shared" / "testdata" / "media" / "videos" / "mps_woman_thumbs_up_1280x720.mp4"


def _results(video: Path, frames: int):
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise SystemExit(f"cannot open {video}")
    out = []
    with Holistic(static_image_mode=False, enable_segmentation=True) as holistic:
        for index in range(frames):
            ok, bgr = cap.read()
            if not ok:
                break
            result = holistic.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), timestamp=index / 25.0)
            if result.pose_landmarks is not None:
                out.append(result)
    cap.release()
    return out


def _time_ms(results, cam, depth, repeat: int, use_mask: bool) -> list[float]:
    per_frame = []
    for result in results:
        if not use_mask:  # locate() reads the result's segmentation mask when it has one
            result = dataclasses.replace(result, segmentation_mask=None)
        locate(result, cam, depth=depth)  # warm
        start = time.perf_counter()
        for _ in range(repeat):
            locate(result, cam, depth=depth)
        per_frame.append((time.perf_counter() - start) * 1e3 / repeat)
    return per_frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    results = _results(args.video.resolve(), args.frames)
    if not results:
        raise SystemExit("no person found in the clip")
    width, height = results[0].image_size
    cam = PinholeCamera.from_field_of_view(math.radians(60.0), width, height)
    rng = np.random.default_rng(0)
    depth_mm = np.full((height, width), 1500, np.uint16)
    depth_mm[rng.random(depth_mm.shape) < 0.2] = 0
    hands = sum((r.left_hand_landmarks is not None) + (r.right_hand_landmarks is not None) for r in results)
    faces = sum(r.face_landmarks is not None for r in results)
    print(f"{len(results)} frames with a person ({faces} faces, {hands} hands), {width}x{height}, "
          f"{args.repeat} calls each")
    print(f"{'case':<44} {'median ms':>10} {'p90 ms':>8}")
    for label, depth, use_mask in (("locate() without depth", None, False),
                                   ("locate() with uint16 depth", depth_mm, False),
                                   ("locate() with uint16 depth + person mask", depth_mm, True),
                                   ("locate() with half-resolution depth", depth_mm[::2, ::2].copy(), False)):
        times = _time_ms(results, cam, depth, args.repeat, use_mask)
        p90 = sorted(times)[int(0.9 * (len(times) - 1))]
        print(f"{label:<44} {statistics.median(times):>10.3f} {p90:>8.3f}")


if __name__ == "__main__":
    main()
