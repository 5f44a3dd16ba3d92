"""Video fidelity on footage nothing was tuned on: holistic_ros against MediaPipe,
beside MediaPipe against itself, on the shared clips and their variants.

For each clip and variant (``tools/video_variants.py``) it runs MediaPipe
0.10.21 (``tools/mediapipe_oracle.py``, cached in ``.cache/oracle``), MediaPipe
again on the frames with every value moved by -1, 0 or +1 for each noise seed,
and holistic_ros with re-crop skipping on and off, and prints per part the
presence agreement and mean error (% of the diagonal) of each, the ratio to
MediaPipe's own drift, and how many re-crop models ran per frame::

    .venv/bin/python tools/video_fidelity.py                        # everything
    .venv/bin/python tools/video_fidelity.py --variants rotate+15 flip --skip off

This is the measurement behind the ``skip_recrops`` default and the video
parity test's thresholds; it takes minutes per clip and variant on two cores.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import parity  # noqa: E402
import video_variants  # noqa: E402

# The video parity test's options (test/test_parity_mediapipe.py).
VIDEO_OPTIONS = dict(static_image_mode=False, model_complexity=1, smooth_landmarks=True,
                     enable_segmentation=True, smooth_segmentation=True, refine_face_landmarks=False)
# MediaPipe's clock (mediapipe/python/solution_base.py): frame i at (i + 1) * 33333 us.
FRAME_INTERVAL_S = 0.033333
CLIPS = ("mps_woman_thumbs_up_1280x720.mp4", "mps_hand_reach_640x360.mp4")


def recrop_counts(holistic) -> Dict[str, int]:
    """Re-crop models run and skipped so far (face detector, hand re-crop), summed over the parts."""
    trackers = [holistic._face.tracker] + list(holistic._hands.trackers)
    return {"run": sum(t.recrops_run for t in trackers), "skipped": sum(t.recrops_skipped for t in trackers)}


def run_ours(frames: Sequence[np.ndarray], skip_recrops: bool, options: Dict = VIDEO_OPTIONS):
    """holistic_ros on ``frames`` with MediaPipe's clock: (results, re-crop counts)."""
    from holistic_ros import Holistic

    with Holistic(skip_recrops=skip_recrops, **options) as holistic:
        results = [holistic.process(f, timestamp=(i + 1) * FRAME_INTERVAL_S) for i, f in enumerate(frames)]
        counts = recrop_counts(holistic)
    return results, counts


def measure(frames: Sequence[np.ndarray], skips: Sequence[bool], seeds: Sequence[int],
            options: Dict = VIDEO_OPTIONS):
    """{"skip on"/"skip off": (stats, ious, counts)}, drift stats, drift IoUs for one sequence."""
    oracle = parity.run_oracle(frames, options, "video-")
    drift, drift_ious = parity.mediapipe_drift(frames, options, oracle, seeds)
    ours = {}
    for skip in skips:
        results, counts = run_ours(frames, skip, options)
        stats, ious = parity.compare_run(results, oracle, frames)
        ours["skip on" if skip else "skip off"] = (stats, ious, counts)
    return ours, drift, drift_ious


def report(title: str, n_frames: int, ours, drift, drift_ious) -> List[str]:
    lines = [f"## {title} ({n_frames} frames)",
             "| part | " + " | ".join(f"holistic_ros {k}: presence, error (x drift)" for k in ours)
             + " | MediaPipe +-1 noise: presence, error |",
             "| --- | " + " | ".join("---" for _ in ours) + " | --- |"]
    for c in parity.COMPONENTS:
        cells = []
        for stats, _, _ in ours.values():
            s = stats[c]
            d = drift[c].mean_error
            ratio = f"x{s.mean_error / d:.2f}" if d else "no drift"
            error = f"{100 * s.mean_error:.3f}%" if s.both_present else "-"
            cells.append(f"{100 * s.presence_agreement:.1f}%, {error} ({ratio})")
        d = drift[c].mean_error
        lines.append(f"| {c} | " + " | ".join(cells) + f" | {100 * drift[c].presence_agreement:.1f}%, "
                     + ("-" if d is None else f"{100 * d:.3f}%") + " |")
    cells = [f"IoU {np.mean(ious):.3f}" if ious else "-" for _, ious, _ in ours.values()]
    lines.append("| mask | " + " | ".join(cells) + f" | IoU {np.mean(drift_ious):.3f} |" if drift_ious else "")
    counts = ", ".join(f"{k}: {c['run'] / n_frames:.2f} re-crops run per frame ({c['skipped']} skipped)"
                       for k, (_, _, c) in ours.items())
    lines.append(counts)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", nargs="+", default=list(CLIPS))
    parser.add_argument("--variants", nargs="+", default=list(video_variants.VARIANTS))
    parser.add_argument("--skip", choices=("both", "on", "off"), default="both",
                        help="holistic_ros with re-crop skipping on, off, or both")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1], help="noise seeds for MediaPipe's drift")
    parser.add_argument("--max-frames", type=int, default=None)
    args = parser.parse_args()
    skips = {"both": (True, False), "on": (True,), "off": (False,)}[args.skip]
    totals: Dict[str, List[float]] = {}
    for clip in args.clips:
        frames = list(parity.iter_video_rgb(parity.media_dir() / "videos" / clip, args.max_frames))
        for variant in args.variants:
            seq = video_variants.variant_frames(frames, variant)
            ours, drift, drift_ious = measure(seq, skips, args.seeds)
            print("\n".join(report(f"{clip}, {variant}", len(seq), ours, drift, drift_ious)), flush=True)
            for label, (stats, _, _) in ours.items():
                for c in parity.COMPONENTS:
                    if stats[c].both_present:
                        totals.setdefault(f"{label} {c} error", []).append(stats[c].mean_error)
                    totals.setdefault(f"{label} {c} presence", []).append(stats[c].presence_agreement)
            for c in parity.COMPONENTS:
                if drift[c].mean_error is not None:
                    totals.setdefault(f"drift {c} error", []).append(drift[c].mean_error)
                totals.setdefault(f"drift {c} presence", []).append(drift[c].presence_agreement)
    print("## mean over every clip and variant")
    for key, values in totals.items():
        print(f"  {key}: {100 * np.mean(values):.3f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
