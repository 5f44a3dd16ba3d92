#!/usr/bin/env python3
"""Frames per second of the bag tool against Holistic.process alone on the same frames.

The first ``--frames`` frames of a clip are written into a camera bag (raw rgb8 Image and
camera_info, as a camera driver records them); then, ``--rounds`` times each, alternately:
Holistic.process over the frames (already decoded, in memory) and the bag tool over the bag
(reading, image conversion, the same pipeline, metric 3D, gestures, markers, TF, message
building and writing an MCAP), both with the node's default parameters and the pipeline
built beforehand. The best round of each is reported; the difference is the bag's own
cost per frame.

Needs the built messages: `make build`, then with install/setup.bash sourced:

    .venv/bin/python tools/bench_bag.py [--video PATH] [--frames 100] [--rounds 2]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    from holistic_ros import Holistic
    from holistic_ros.ros import bag as bagtool
    from holistic_ros.ros.clip_bag import clip_frames, write_camera_bag
    from holistic_ros.ros.node import pipeline_kwargs

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=(REPO / ".." / "shared" / "testdata" / "media" / "videos" /
                                                   "mps_woman_thumbs_up_1280x720.mp4").resolve())
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()

    rate, frames = clip_frames(args.video, args.frames)
    frames = list(frames)
    values = bagtool.parameter_values()
    scratch = Path(tempfile.mkdtemp(prefix="bench_bag_"))
    try:
        write_camera_bag(scratch / "camera", frames, rate)
        stamps = [1.0 + i / rate for i in range(len(frames))]
        alone, offline = [], []     # (wall s, CPU s of every thread of this process) per round
        providers = []
        for round_ in range(args.rounds):
            with Holistic(**pipeline_kwargs(values)) as holistic:
                providers = list(holistic.providers)
                start = (time.perf_counter(), time.process_time())
                for rgb, stamp in zip(frames, stamps):
                    holistic.process(rgb, timestamp=stamp)
                alone.append((time.perf_counter() - start[0], time.process_time() - start[1]))
            built = Holistic(**pipeline_kwargs(values))     # models loaded outside the timing, as above
            start = (time.perf_counter(), time.process_time())
            report = bagtool.run(scratch / "camera", scratch / f"out{round_}", values,
                                 options=bagtool.BagOptions(progress=False), pipeline_factory=lambda **_: built)
            offline.append((time.perf_counter() - start[0], time.process_time() - start[1]))
            if report.processed != len(frames):
                print(f"bench_bag: the bag tool processed {report.processed} of {len(frames)} frames", file=sys.stderr)
                return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    n = len(frames)
    height, width = frames[0].shape[:2]
    print(f"{args.video.name}: {n} frames {width}x{height}, best of {args.rounds} rounds, {','.join(providers)}")
    print("| | frames/s | wall ms/frame | CPU ms/frame |")
    print("| --- | ---: | ---: | ---: |")
    rows = (("Holistic.process alone", alone), ("bag tool (bag in, MCAP out)", offline))
    for name, times in rows:
        wall, cpu = min(t[0] for t in times), min(t[1] for t in times)
        print(f"| {name} | {n / wall:.1f} | {wall / n * 1e3:.1f} | {cpu / n * 1e3:.1f} |")
    wall = (min(t[0] for t in offline) - min(t[0] for t in alone)) / n * 1e3
    cpu = (min(t[1] for t in offline) - min(t[1] for t in alone)) / n * 1e3
    print(f"| the bag's own cost | | {wall:+.1f} | {cpu:+.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
