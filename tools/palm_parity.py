#!/usr/bin/env python3
"""Hands from the palm detector against MediaPipe's GestureRecognizer (issue 17's evidence).

Library for ``test/test_palm_hands.py`` and a report when run::

    .venv/bin/python tools/palm_parity.py [--clips ...] [--variants original flip] [--seeds 0 1]
    .venv/bin/python tools/palm_parity.py --sources [--variants ...] [--only-ours-dir DIR]

``--sources``: ``Holistic(hand_source="pose"|"palm"|"both")`` against GestureRecognizer on the
shared photos (IMAGE mode) and every clip (VIDEO mode), each as shot and under the variants of
``tools/video_variants.py`` (:data:`SOURCE_VARIANTS`), then close-range crops without a pose:
recall, label agreement and the confusion per class for the three side by side, and (with
``--only-ours-dir``) crops of the hands only "both" finds, to check by eye.

Hands are matched between two runs per frame, greedily by the mean distance of their 21
landmarks, within :data:`MATCH_MAX_DIAG` of the image diagonal (the issue's "matched within
3% of the diagonal"). Per run: recall (the reference's hands matched), precision (ours
matched), the mean landmark error of matched hands (fraction of the diagonal), and the
labels of matched hands (agreement, confusion per class).

Landmarks in video: :class:`holistic_ros.pipeline.hand_tracker.HandTracker` in video mode
against GestureRecognizer in VIDEO mode (tracking on both sides), beside MediaPipe against
itself on the frames with every value moved by -1, 0 or +1 (its own drift, as
``tools/parity.py`` measures Holistic's).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import gesture_parity  # noqa: E402
import parity  # noqa: E402
import video_variants  # noqa: E402

#: Issue 17: a hand is found when matched within 3% of the image diagonal.
MATCH_MAX_DIAG = 0.03
#: GestureRecognizer's default num_hands is 1; the gesture parity tests ask for 2 (gesture_parity.recognize).
NUM_HANDS = 2
CLIP_FPS = 25.0   # both shared clips (SOURCES.md)


@dataclass(frozen=True)
class Hand:
    """One hand of one run: (21, 3) image-normalised landmarks and its canned label (or None)."""

    landmarks: np.ndarray
    label: Optional[str] = None


def hand_distance(a: np.ndarray, b: np.ndarray, image_size) -> float:
    """Mean distance of the 21 landmarks, as a fraction of the image diagonal."""
    w, h = image_size
    d = (a[:, :2] - b[:, :2]) * (w, h)
    return float(np.hypot(d[:, 0], d[:, 1]).mean() / np.hypot(w, h))


def match_hands(ours: Sequence[Hand], theirs: Sequence[Hand], image_size,
                max_diag: float = MATCH_MAX_DIAG) -> List[Tuple[int, int, float]]:
    """Greedy one-to-one pairs (our index, their index, distance) within ``max_diag``."""
    pairs = sorted((hand_distance(a.landmarks, b.landmarks, image_size), i, j)
                   for i, a in enumerate(ours) for j, b in enumerate(theirs))
    used_i, used_j, out = set(), set(), []
    for d, i, j in pairs:
        if d > max_diag or i in used_i or j in used_j:
            continue
        used_i.add(i)
        used_j.add(j)
        out.append((i, j, d))
    return out


@dataclass
class HandStats:
    """Two runs compared frame by frame (``ours`` against the reference ``theirs``)."""

    ours: int = 0
    theirs: int = 0
    matched: int = 0
    errors: List[float] = field(default_factory=list)
    #: (their label, our label) of matched hands whose labels both exist.
    labels: List[Tuple[str, str]] = field(default_factory=list)
    #: (frame index, our hand) of the hands only we find (matched to none of theirs).
    only_ours: List[Tuple[int, Hand]] = field(default_factory=list)
    frames: int = 0

    def add(self, ours: Sequence[Hand], theirs: Sequence[Hand], image_size) -> None:
        pairs = match_hands(ours, theirs, image_size)
        self.ours += len(ours)
        self.theirs += len(theirs)
        self.matched += len(pairs)
        for i, j, d in pairs:
            self.errors.append(d)
            if ours[i].label is not None and theirs[j].label is not None:
                self.labels.append((theirs[j].label, ours[i].label))
        matched = {i for i, _, _ in pairs}
        self.only_ours += [(self.frames, h) for i, h in enumerate(ours) if i not in matched]
        self.frames += 1

    def extend(self, other: "HandStats") -> None:
        self.ours += other.ours
        self.theirs += other.theirs
        self.matched += other.matched
        self.errors += other.errors
        self.labels += other.labels
        self.only_ours += [(self.frames + k, h) for k, h in other.only_ours]
        self.frames += other.frames

    @property
    def recall(self) -> float:
        return self.matched / self.theirs if self.theirs else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.ours if self.ours else 1.0

    @property
    def mean_error(self) -> float:
        return float(np.mean(self.errors)) if self.errors else 0.0

    @property
    def agreement(self) -> float:
        return sum(a == b for a, b in self.labels) / len(self.labels) if self.labels else 1.0

    def confusion(self) -> Dict[str, Counter]:
        """Reference label -> Counter of our labels."""
        out: Dict[str, Counter] = {}
        for a, b in self.labels:
            out.setdefault(a, Counter())[b] += 1
        return out

    def summary(self) -> str:
        return (f"recall {self.matched}/{self.theirs} ({100 * self.recall:.1f}%), precision "
                f"{self.matched}/{self.ours} ({100 * self.precision:.1f}%), mean err "
                f"{100 * self.mean_error:.3f}% diag, labels agree {sum(a == b for a, b in self.labels)}/"
                f"{len(self.labels)} ({100 * self.agreement:.1f}%)")


def oracle_hands(hands) -> List[Hand]:
    return [Hand(h.landmarks, h.label) for h in hands]


def tracker_hands(hands) -> List[Hand]:
    return [Hand(h.landmarks, h.gesture.label if h.gesture is not None else None) for h in hands]


def compare(ours: Sequence[Sequence[Hand]], theirs: Sequence[Sequence[Hand]], frames) -> HandStats:
    stats = HandStats()
    for a, b, f in zip(ours, theirs, frames):
        stats.add(a, b, (f.shape[1], f.shape[0]))
    return stats


def run_tracker(frames, static_image_mode: bool, tracker=None) -> List[List[Hand]]:
    """The palm path (HandTracker with gestures) on ``frames``."""
    from holistic_ros.pipeline.hand_tracker import HandTrackerOptions, create_hand_tracker

    if tracker is None:
        tracker = create_hand_tracker(HandTrackerOptions(num_hands=NUM_HANDS, static_image_mode=static_image_mode),
                                      providers=["CPUExecutionProvider"], recognize_gestures=True)
    tracker.reset()
    return [tracker_hands(tracker.process(f)) for f in frames]


def video_landmarks(frames, seeds: Sequence[int] = (0, 1)) -> Tuple[HandStats, List[HandStats]]:
    """(ours vs GestureRecognizer VIDEO, [GestureRecognizer on noisy frames vs itself per seed])."""
    clean = [oracle_hands(h) for h in gesture_parity.recognize(frames, NUM_HANDS, video_fps=CLIP_FPS)]
    ours = compare(run_tracker(frames, static_image_mode=False), clean, frames)
    drift = []
    for seed in seeds:
        noisy = gesture_parity.recognize(parity.perturb_frames(frames, seed), NUM_HANDS, video_fps=CLIP_FPS)
        drift.append(compare([oracle_hands(h) for h in noisy], clean, frames))
    return ours, drift


def drift_summary(drift: Sequence[HandStats]) -> str:
    return (f"recall {100 * np.mean([d.recall for d in drift]):.1f}%, precision "
            f"{100 * np.mean([d.precision for d in drift]):.1f}%, mean err "
            f"{100 * np.mean([d.mean_error for d in drift]):.3f}% diag, labels agree "
            f"{100 * np.mean([d.agreement for d in drift]):.1f}% (seeds: "
            + ", ".join(f"{100 * d.recall:.1f}%/{100 * d.mean_error:.3f}%" for d in drift) + ")")


HAND_SOURCES = ("pose", "palm", "both", "both/pose-wins")


def holistic_hands(result) -> List[Hand]:
    """Every hand of a Holistic result: each person's two slots, then the hands of no body."""
    people = result.people or (result,)
    out = []
    for person in people:
        for side in ("left", "right"):
            lm = getattr(person, f"{side}_hand_landmarks")
            if lm is not None:
                g = getattr(person, f"{side}_hand_gesture")
                out.append(Hand(np.asarray(lm, dtype=np.float64), g.label if g is not None else None))
    out += tracker_hands(result.hands)
    return out


def run_holistic(frames, hand_source: str, video: bool, fps: float = CLIP_FPS, pose_hands: Optional[list] = None,
                 **kwargs) -> List[List[Hand]]:
    """Every hand Holistic finds with ``hand_source``; "both/pose-wins" is "both" keeping the
    pose's hand where both find the same one (to measure hand_sources.BOTH_WINNER).

    ``pose_hands`` (a list, with "both"): gets each frame's hands as Holistic's pose gave them,
    before the palm path: ``hand_source="pose"``'s, bit for bit (the palm path runs after the
    pose's stages and changes none of their state), without a run of its own."""
    from holistic_ros import Holistic

    source, _, winner = hand_source.partition("/")
    with Holistic(hand_source=source, recognize_gestures=True, static_image_mode=not video,
                  providers=["CPUExecutionProvider"], **kwargs) as holistic:
        if winner:
            holistic._hand_source.winner = winner.split("-")[0]
        if pose_hands is not None:
            if source != "both":
                raise ValueError("pose_hands comes from a 'both' run")
            apply = holistic._hand_source.apply

            def keep_pose_hands(image, result, restart=False):
                result = result if not hasattr(result, "result") else result.result()
                pose_hands.append(holistic_hands(result))
                return apply(image, result, restart)
            holistic._hand_source.apply = keep_pose_hands
        return [holistic_hands(holistic.process(f, timestamp=(i + 1) / fps)) for i, f in enumerate(frames)]


def oracle_video_hands(frames, video: bool) -> List[List[Hand]]:
    """GestureRecognizer's hands per frame: VIDEO mode at the clip rate, or IMAGE mode (cached)."""
    return [oracle_hands(h) for h in gesture_parity.recognize(frames, NUM_HANDS,
                                                               video_fps=CLIP_FPS if video else 0.0)]


def eval_sources(frames, video: bool, sources=HAND_SOURCES, **kwargs) -> Dict[str, HandStats]:
    """Each hand source against GestureRecognizer (VIDEO mode at the clip rate, or IMAGE mode).
    "pose" beside "both" is read from the "both" run (:func:`run_holistic`'s ``pose_hands``)."""
    theirs = oracle_video_hands(frames, video)
    out: Dict[str, HandStats] = {}
    pose_hands: Optional[list] = [] if "pose" in sources and "both" in sources else None
    for src in sources:
        if src == "pose" and pose_hands is not None:
            continue
        ours = run_holistic(frames, src, video, pose_hands=pose_hands if src == "both" else None, **kwargs)
        out[src] = compare(ours, theirs, frames)
        if src == "both" and pose_hands is not None:
            out["pose"] = compare(pose_hands, theirs, frames)
    return {src: out[src] for src in sources}


#: Close-range crops: side of the square crop in hand sizes (the hand's landmark box), and
#: the crop's size in pixels (a hand filling much of a VGA-like frame, as held to a robot).
CROP_SCALES = (1.5, 2.5, 4.0)
CROP_SIZE = 384


def close_range_crops(frames, every: int = 5, scales=CROP_SCALES, size: int = CROP_SIZE) -> List[np.ndarray]:
    """Square crops around each hand GestureRecognizer (VIDEO) finds on every ``every``-th
    frame, at several scales, resized to ``size``; then only those where MediaPipe Holistic
    (static image mode) finds no pose: a hand close to the camera, no body in view."""
    import cv2

    hands = gesture_parity.recognize(frames, NUM_HANDS, video_fps=CLIP_FPS)
    crops = []
    for i in range(0, len(frames), every):
        h, w = frames[i].shape[:2]
        for hand in hands[i]:
            xy = hand.landmarks[:, :2] * (w, h)
            centre = (xy.min(0) + xy.max(0)) / 2
            extent = float((xy.max(0) - xy.min(0)).max())
            for scale in scales:
                side = scale * extent
                k = size / side
                m = np.array([[k, 0, size / 2 - k * centre[0]], [0, k, size / 2 - k * centre[1]]])
                crops.append(cv2.warpAffine(frames[i], m, (size, size), flags=cv2.INTER_AREA if k < 1
                                            else cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT))
    if not crops:
        return []
    holistic = parity.run_oracle(crops, dict(static_image_mode=True, model_complexity=1), "close-range-")
    return [c for k, c in enumerate(crops) if parity.oracle_frame(holistic, "pose", k) is None]


def confusion_table(stats: HandStats) -> str:
    conf = stats.confusion()
    labels = sorted(set(conf) | {b for c in conf.values() for b in c})
    head = "oracle \\ ours".ljust(14) + "".join(f"{l[:11]:>12s}" for l in labels)
    rows = [head] + [f"{a[:13]:14s}" + "".join(f"{conf[a][b]:12d}" for b in labels) for a in sorted(conf)]
    return "\n".join(rows)


#: The footage of issue 17's evidence: the photos (IMAGE mode) and each clip (VIDEO mode), as
#: shot and as the variants of tools/video_variants.py (rolled, quarter-turned, mirrored, half size).
SOURCE_VARIANTS = ("original", "rotate+15", "rotate-15", "rotate+30", "rotate-30", "rotate+90", "flip", "half")


def footage_sets(clips: Sequence[str], variants: Sequence[str], crops: bool = True):
    """(name, variant, frames, video) of the photos and clips under each variant, then (with
    ``crops``) the close-range crops of each clip without a pose."""
    photos = [parity.load_image_rgb(p) for p in parity.image_paths()]
    raws = {clip: list(parity.iter_video_rgb(parity.media_dir() / "videos" / clip)) for clip in clips}
    for variant in variants:
        yield "photos", variant, video_variants.variant_frames(photos, variant), False
        for clip, raw in raws.items():
            yield clip, variant, video_variants.variant_frames(raw, variant), True
    if crops:
        for clip, raw in raws.items():
            yield f"{clip} close-range crops without a pose", "original", close_range_crops(raw), False


def sources_table(rows, sources) -> str:
    """Markdown: per footage and variant, each source's recall and label agreement."""
    head = "| footage | variant | oracle hands | " + " | ".join(f"`{s}` recall / agree" for s in sources) + " |"
    out = [head, "|" + "---|" * (3 + len(sources))]
    for name, variant, stats in rows:
        cells = []
        for src in sources:
            st = stats[src]
            agree = sum(a == b for a, b in st.labels)
            cells.append(f"{st.matched} ({100 * st.recall:.1f}%) / {agree}/{len(st.labels)} "
                         f"({100 * st.agreement:.1f}%)")
        out.append(f"| {name} | {variant} | {stats[sources[0]].theirs} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def save_only_ours(frames, stats: HandStats, folder: Path, prefix: str, sample: int) -> List[Path]:
    """PNG crops (the hand's landmark box, twice its size, its landmarks dotted) of up to
    ``sample`` of the hands only we find, evenly spread, to check them by eye."""
    import cv2

    if not stats.only_ours or sample <= 0:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    picks = np.unique(np.linspace(0, len(stats.only_ours) - 1, min(sample, len(stats.only_ours))).round().astype(int))
    out = []
    for k in picks:
        i, hand = stats.only_ours[k]
        frame = frames[i]
        h, w = frame.shape[:2]
        xy = hand.landmarks[:, :2] * (w, h)
        centre, extent = (xy.min(0) + xy.max(0)) / 2, max(float((xy.max(0) - xy.min(0)).max()), 16.0)
        x0, y0 = np.maximum(0, (centre - extent)).astype(int)
        x1, y1 = np.minimum((w, h), (centre + extent)).astype(int)
        crop = cv2.cvtColor(np.ascontiguousarray(frame[y0:y1, x0:x1]), cv2.COLOR_RGB2BGR)
        for x, y in xy:
            cv2.circle(crop, (int(x - x0), int(y - y0)), 2, (0, 255, 0), -1)
        path = folder / f"{prefix}_frame{i:03d}_{k}_{hand.label}.png"
        cv2.imwrite(str(path), crop)
        out.append(path)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", nargs="*", default=[p.name for p in parity.video_paths()])
    ap.add_argument("--variants", nargs="*", default=None,
                    help=f"default: original (landmarks), {' '.join(SOURCE_VARIANTS)} (--sources)")
    ap.add_argument("--seeds", nargs="*", type=int, default=[0, 1])
    ap.add_argument("--sources", action="store_true",
                    help="hand_source pose/palm/both against GestureRecognizer on the photos and clips")
    ap.add_argument("--winner-check", action="store_true",
                    help="with --sources, also 'both/pose-wins' (the pose's hand kept where both find one)")
    ap.add_argument("--no-crops", action="store_true", help="with --sources, leave out the close-range crops")
    ap.add_argument("--only-ours-dir", type=Path, help="with --sources, save crops of the hands only 'both' finds")
    ap.add_argument("--only-ours-sample", type=int, default=4, help="crops saved per footage and variant")
    args = ap.parse_args()
    if args.sources:
        sources = ("pose", "palm", "both") + (("both/pose-wins",) if args.winner_check else ())
        variants = args.variants if args.variants is not None else SOURCE_VARIANTS
        totals = {src: HandStats() for src in sources}
        per_variant: Dict[str, Dict[str, HandStats]] = {}
        rows = []
        for name, variant, frames, video in footage_sets(args.clips, variants, crops=not args.no_crops):
            stats = eval_sources(frames, video, sources)
            rows.append((name, variant, stats))
            for src, st in stats.items():
                totals[src].extend(st)
                per_variant.setdefault(variant, {s: HandStats() for s in sources})[src].extend(st)
                print(f"{name} {variant} ({len(frames)} frames) hand_source={src}: {st.summary()}", flush=True)
            if args.only_ours_dir is not None:
                for path in save_only_ours(frames, stats["both"], args.only_ours_dir,
                                           f"{name.split('.')[0].replace(' ', '_')}_{variant}", args.only_ours_sample):
                    print(f"  only ours: {path}")
        print("\n" + sources_table(rows, sources))
        print("\n" + sources_table([("all footage", v, st) for v, st in per_variant.items()], sources))
        print("\n" + sources_table([("all footage", "all", totals)], sources))
        for src, st in totals.items():
            print(f"\nALL hand_source={src}: {st.summary()}\n{confusion_table(st)}")
        return 0
    variants = args.variants if args.variants is not None else ["original"]
    for clip in args.clips:
        raw = list(parity.iter_video_rgb(parity.media_dir() / "videos" / clip))
        for variant in variants:
            frames = video_variants.variant_frames(raw, variant)
            ours, drift = video_landmarks(frames, args.seeds)
            print(f"{clip} {variant} ({len(frames)} frames), HandTracker vs GestureRecognizer VIDEO:\n"
                  f"  ours      {ours.summary()}\n  MediaPipe {drift_summary(drift)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
