"""Frames per second of holistic_ros beside MediaPipe 0.10.21, on the same frames.

Runs MediaPipe's legacy Holistic (in .venv-oracle, via tools/mediapipe_oracle.py)
and holistic_ros on identical decoded frames, in video mode, alternating the two
``--rounds`` times so that the machine's background noise falls on both. Each
side is timed around its own ``process()`` call only (frame transfer to the
MediaPipe subprocess is not counted).

Prints, per resolution and per round: FPS (frames / wall time of the run;
for MediaPipe the summed process() time), p50 and p95 latency, and
holistic_ros's milliseconds per stage. holistic_ros runs three times a round:
frame by frame with process(), pipelined with submit() (a frame's face and hands
overlap the next frame's pose: more FPS, more latency), both with the defaults
(every re-crop model run, as MediaPipe does), and frame by frame with the speed
option ``skip_recrops=True`` (the "skipping" row). MediaPipe's legacy API does not expose per-stage times; ``--mp-models`` adds the time of
each MediaPipe model alone in LiteRT (XNNPACK), for comparison with ours.

Last, per resolution, holistic_ros's latency when frames arrive at a camera's
rate (``--camera-fps``, 30 by default), from each frame's arrival to its result.

Several people (``--people 1,2,4``, ``Holistic(max_num_people=k)``): k copies
of the clip's person (the middle of the frame, scaled to 200x257, every other one
mirrored and all shifted in time) in a row on a 1280x720 black frame, 96 px
apart; FPS with process() and submit(), the CPU time per frame (all threads: the
work, whatever else runs on the machine), the people found per frame, and the cost
against one person in the same layout. Then each count with each detail budget below
it (``--people-detail 1,2``: ``Holistic(max_detailed_people=K)``, only the K most prominent
get face and hands), beside full detail (``--people-hand-source both``: with the palm detector's
hands, the node's default); each round starts with the load average (the
machine's other work: compare the rows of one run). ``--people-only`` skips everything else.

Usage:  .venv/bin/python tools/benchmark.py [--video PATH] [--sizes 640x480,1280x720]
                                            [--frames 150] [--rounds 2] [--mp-models]
                                            [--camera-fps 30] [--people 1,2,4] [--people-only]
                                            [--people-detail 1,2] [--people-hand-source both]
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
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import parity  # noqa: E402

from holistic_ros import Holistic  # noqa: E402

OPTIONS = dict(static_image_mode=False, model_complexity=1, smooth_landmarks=True,
               enable_segmentation=False, refine_face_landmarks=False)


def run_mediapipe(frames: List[np.ndarray]) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "t.npz"
        parity.pipe_frames([str(parity.ORACLE_PYTHON), str(parity.ORACLE_SCRIPT), "--timing-only",
                            "--options", json.dumps(OPTIONS), "--out", str(out)], frames,
                           "MediaPipe benchmark subprocess", stderr=subprocess.DEVNULL)
        return np.load(out)["latency_s"]


def run_ours(frames: List[np.ndarray], providers, pipelined: bool, skip_recrops: bool = False,
             camera_fps: float = 0.0, max_num_people: int = 1, found: Optional[List[int]] = None,
             max_detailed_people: int = 0, hand_source: str = "pose"):
    """(per-frame latency s, total wall s, mean ms per stage, providers).

    Synchronous: process() per frame. Pipelined: submit() per frame, so that a
    frame's face and hands overlap the next frame's pose; one frame stays in
    flight behind the current one. Latency runs from a frame's arrival to its
    result: at once (closed loop), or with ``camera_fps`` every 1/fps s like a
    camera's (open loop; time spent waiting behind the previous frame counts).
    ``found`` collects the number of people of each result.
    """
    latencies, stages, results = [], {}, []
    with Holistic(providers=providers, skip_recrops=skip_recrops, max_num_people=max_num_people,
                  max_detailed_people=max_detailed_people, hand_source=hand_source, **OPTIONS) as holistic:
        wall = time.perf_counter()
        pending = None
        for i, f in enumerate(frames):
            arrival = time.perf_counter()
            if camera_fps > 0:
                arrival = wall + 0.1 + i / camera_fps
                time.sleep(max(0.0, arrival - time.perf_counter()))
            if pipelined:
                future = holistic.submit(f, timestamp=(i + 1) * 0.033333)
                future.add_done_callback(lambda _, a=arrival: latencies.append(time.perf_counter() - a))
                if pending is not None:
                    results.append(pending.result())
                pending = future
            else:
                results.append(holistic.process(f, timestamp=(i + 1) * 0.033333))
                latencies.append(time.perf_counter() - arrival)
        if pending is not None:
            results.append(pending.result())
        wall = time.perf_counter() - wall
        used = holistic.providers
    if found is not None:
        found.extend(len(res.people) for res in results)
    for res in results:
        for k, v in res.stage_ms.items():
            stages.setdefault(k, []).append(v)
    n = len(frames)
    return np.asarray(latencies), wall, {k: sum(v) / n for k, v in stages.items()}, used


PEOPLE_SIZE = (1280, 720)
PEOPLE_CELL = (200, 257)      # the person: the middle 560x720 of the clip's frame, scaled
PEOPLE_GAP = 96


def people_frames(source: List[np.ndarray], count: int) -> List[np.ndarray]:
    """``count`` people in a row on a 1280x720 frame (see the module docstring)."""
    w, h = PEOPLE_SIZE
    cw, ch = PEOPLE_CELL
    middle = slice(source[0].shape[1] // 2 - 320, source[0].shape[1] // 2 + 240)
    strips = [cv2.resize(f[:, middle], (cw, ch), interpolation=cv2.INTER_AREA)
              for f in source]
    x0, y = (w - (count * cw + (count - 1) * PEOPLE_GAP)) // 2, (h - ch) // 2
    frames = []
    for i in range(len(source)):
        canvas = np.zeros((h, w, 3), np.uint8)
        for j in range(count):
            person = strips[(i + 37 * j) % len(strips)]
            x = x0 + j * (cw + PEOPLE_GAP)
            canvas[y:y + ch, x:x + cw] = person[:, ::-1] if j % 2 else person
        frames.append(canvas)
    return frames


def run_people(source: List[np.ndarray], counts: List[int], rounds: int, providers,
               skip_recrops: bool = False, detail: Sequence[int] = (), hand_source: str = "pose") -> None:
    """Rows for several people at 1280x720 (``Holistic(max_num_people=k)``), then for each count
    with each detail budget of ``detail`` (``max_detailed_people``) below it."""
    print(f"\n== several people, {PEOPLE_SIZE[0]}x{PEOPLE_SIZE[1]} (max_num_people = people; skip_recrops="
          f"{skip_recrops}; hand_source={hand_source}; x: time per frame against 1 person in the same layout)")
    layouts = {k: people_frames(source, k) for k in counts}
    rows = [(k, 0) for k in counts] + [(k, d) for k in counts for d in detail if 0 < d < k]
    for r in range(rounds):
        print("round {}  load average {:.2f} {:.2f} {:.2f}".format(r + 1, *os.getloadavg()))
        base = {}
        for k, budget in rows:
            for label, pipelined in (("process()", False), ("submit() ", True)):
                found: List[int] = []
                cpu = time.process_time()
                lat, wall, stages, used = run_ours(layouts[k], providers, pipelined, skip_recrops,
                                                   max_num_people=k, found=found, max_detailed_people=budget,
                                                   hand_source=hand_source)
                cpu_ms = (time.process_time() - cpu) / len(found) * 1e3   # all threads: load-independent work
                base.setdefault((1, pipelined), wall)
                ratio = wall / base[1, pipelined] if 1 in counts else float("nan")
                name = f"{k} people" + (f", max_detailed_people={budget}" if budget else "")
                print(f"round {r + 1}  {name}, {label}: {summary(lat, wall)}   x{ratio:.2f}   "
                      f"CPU {cpu_ms:5.1f} ms/frame   found {np.mean(found):.2f}/frame (min {min(found)})   [{used[0]}]")
                if not pipelined:
                    print("         ms/frame by stage (branches run side by side): "
                          + ", ".join(f"{s} {v:.1f}" for s, v in sorted(stages.items(), key=lambda kv: -kv[1])))


def summary(latencies: np.ndarray, wall: float) -> str:
    ms = latencies * 1e3
    return (f"{len(ms) / wall:6.1f} FPS   p50 {np.percentile(ms, 50):6.1f} ms   "
            f"p95 {np.percentile(ms, 95):6.1f} ms")


MP_MODEL_TIMING = r"""
import sys, time, json, numpy as np
from ai_edge_litert.interpreter import Interpreter
import mediapipe, os
root = os.path.join(os.path.dirname(mediapipe.__file__), 'modules')
models = {'pose_detection': 'pose_detection/pose_detection.tflite',
          'pose_landmark_full': 'pose_landmark/pose_landmark_full.tflite',
          'face_detection_short_range': 'face_detection/face_detection_short_range.tflite',
          'face_landmark': 'face_landmark/face_landmark.tflite',
          'hand_recrop': 'holistic_landmark/hand_recrop.tflite',
          'hand_landmark_full': 'hand_landmark/hand_landmark_full.tflite'}
out = {}
for name, rel in models.items():
    it = Interpreter(model_path=os.path.join(root, rel), num_threads=int(sys.argv[1]))
    it.allocate_tensors()
    d = it.get_input_details()[0]
    it.set_tensor(d['index'], np.random.rand(*d['shape']).astype(np.float32))
    for _ in range(5): it.invoke()
    ts = []
    for _ in range(30):
        t = time.perf_counter(); it.invoke(); ts.append(time.perf_counter() - t)
    out[name] = 1e3 * float(np.median(ts))
print(json.dumps(out))
"""


def mediapipe_model_ms(threads: int) -> Dict[str, float]:
    proc = subprocess.run([str(parity.ORACLE_PYTHON), "-c", MP_MODEL_TIMING, str(threads)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=parity.media_dir() / "videos" / "mps_woman_thumbs_up_1280x720.mp4")
    parser.add_argument("--sizes", default="640x480,1280x720")
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--providers", default=None, help="comma-separated ONNX Runtime providers (default: auto)")
    parser.add_argument("--mp-models", action="store_true", help="also time MediaPipe's models alone in LiteRT")
    parser.add_argument("--camera-fps", type=float, default=30.0,
                        help="also measure holistic_ros's latency with frames arriving at this rate (0: skip)")
    parser.add_argument("--people", default="",
                        help="comma-separated people counts for the several-people rows, e.g. 1,2,4 (1280x720)")
    parser.add_argument("--people-only", action="store_true", help="only the several-people rows")
    parser.add_argument("--people-skip-recrops", action="store_true",
                        help="several-people rows with the speed option skip_recrops=True")
    parser.add_argument("--people-detail", default="1,2",
                        help="comma-separated max_detailed_people budgets for rows of the most people beside full "
                             "detail (empty: none)")
    parser.add_argument("--people-hand-source", default="pose", choices=("pose", "palm", "both"),
                        help="hand_source of the several-people rows (the node's default is both)")
    args = parser.parse_args()
    providers = args.providers.split(",") if args.providers else None
    detail = [int(d) for d in args.people_detail.split(",") if d]
    if args.people_only:
        if not args.video.is_file():
            print(f"video {args.video} not found", file=sys.stderr)
            return 2
        counts = [int(c) for c in (args.people or "1,2,4").split(",")]
        run_people(list(parity.iter_video_rgb(args.video, args.frames)), counts, args.rounds, providers,
                   args.people_skip_recrops, detail, args.people_hand_source)
        return 0
    if not parity.oracle_available():
        print(f"MediaPipe venv missing ({parity.ORACLE_PYTHON}); run `make oracle-venv`", file=sys.stderr)
        return 2
    if not args.video.is_file():
        print(f"video {args.video} not found", file=sys.stderr)
        return 2
    providers = args.providers.split(",") if args.providers else None
    source = list(parity.iter_video_rgb(args.video, args.frames))
    print(f"holistic_ros benchmark: {args.video.name}, {len(source)} frames, video mode, model_complexity 1, "
          f"{os.cpu_count()} CPUs, {args.rounds} alternating rounds")
    for size in args.sizes.split(","):
        w, h = (int(v) for v in size.split("x"))
        frames = [np.ascontiguousarray(cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA))
                  if f.shape[:2] != (h, w) else f for f in source]
        print(f"\n== {w}x{h}")
        for r in range(args.rounds):
            mp_lat = run_mediapipe(frames)
            mp_wall = mp_lat.sum()   # MediaPipe's process() is synchronous
            print(f"round {r + 1}  MediaPipe 0.10.21       : {summary(mp_lat, mp_wall)}")
            # The defaults first (every re-crop model run, as MediaPipe does), then the
            # speed option that skips re-crops where tracking is expected to hold.
            for label, pipelined, skip in (("holistic_ros          ", False, False),
                                           ("holistic_ros pipelined", True, False),
                                           ("holistic_ros, skipping", False, True)):
                lat, wall, stages, used = run_ours(frames, providers, pipelined, skip)
                print(f"round {r + 1}  {label}  : {summary(lat, wall)}   x{mp_wall / wall:.2f}   [{used[0]}]")
                if not pipelined and not skip:
                    print("         holistic_ros ms/frame by stage (branches run side by side): "
                          + ", ".join(f"{k} {v:.1f}" for k, v in sorted(stages.items(), key=lambda kv: -kv[1])))
        if args.camera_fps > 0:
            for label, pipelined in (("process()", False), ("submit() ", True)):
                ms = run_ours(frames, providers, pipelined, camera_fps=args.camera_fps)[0] * 1e3
                print(f"frames arriving at {args.camera_fps:g} FPS, holistic_ros {label}: latency "
                      f"p50 {np.percentile(ms, 50):6.1f} ms   p95 {np.percentile(ms, 95):6.1f} ms")
    if args.people:
        run_people(source, [int(c) for c in args.people.split(",")], args.rounds, providers,
                   args.people_skip_recrops, detail, args.people_hand_source)
    if args.mp_models:
        print("\nMediaPipe models alone in LiteRT/XNNPACK, ms (median of 30):",
              json.dumps({k: round(v, 2) for k, v in mediapipe_model_ms(os.cpu_count() or 1).items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
