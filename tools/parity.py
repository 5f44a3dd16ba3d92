"""Parity with MediaPipe: test media, the oracle subprocess, and the metrics.

Used by the parity tests (``test/test_parity_mediapipe.py``) and by the
benchmark. Frames are decoded once here, with this venv's OpenCV, and piped
to ``tools/mediapipe_oracle.py`` running in ``.venv-oracle``, so that
MediaPipe and holistic_ros see identical pixels.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import cv2
import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
ORACLE_SCRIPT = REPO_ROOT / "tools" / "mediapipe_oracle.py"
# MediaPipe's venv (make oracle-venv); HOLISTIC_ROS_ORACLE_PYTHON names another interpreter.
ORACLE_PYTHON = Path(os.environ.get("HOLISTIC_ROS_ORACLE_PYTHON") or REPO_ROOT / ".venv-oracle" / "bin" / "python")
# MediaPipe's results, cached by input; HOLISTIC_ROS_ORACLE_CACHE moves it (a cold run in a fresh folder).
CACHE_DIR = Path(os.environ.get("HOLISTIC_ROS_ORACLE_CACHE", REPO_ROOT / ".cache" / "oracle"))
COMPONENTS = ("pose", "face", "left", "right")


def media_dir() -> Path:
    """``../shared/testdata/media`` beside the repo (HOLISTIC_ROS_MEDIA overrides)."""
    env = os.environ.get("HOLISTIC_ROS_MEDIA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "testdata" / "media"


def image_paths() -> List[Path]:
    return sorted(p for p in (media_dir() / "images").glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))


def video_paths() -> List[Path]:
    return sorted((media_dir() / "videos").glob("*.mp4"))


def load_image_rgb(path: Path) -> np.ndarray:
    """RGB uint8; an alpha channel is dropped (its RGB is used as stored)."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"could not read image {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def iter_video_rgb(path: Path, max_frames: Optional[int] = None) -> Iterator[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    try:
        n = 0
        while max_frames is None or n < max_frames:
            ok, bgr = cap.read()
            if not ok:
                break
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            n += 1
    finally:
        cap.release()


def oracle_available() -> bool:
    return ORACLE_PYTHON.is_file()


def run_oracle(frames: Sequence[np.ndarray], options: Dict, cache_key: str = "",
               pose_internals: bool = False) -> Dict[str, np.ndarray]:
    """MediaPipe's results for ``frames`` in one Holistic instance (cached on disk).

    ``pose_internals`` adds the pose graph's intermediate values (see
    ``tools/mediapipe_oracle.py``). The cache key covers the oracle script, the
    options and the frames' bytes, so a change to any of them re-runs MediaPipe.
    """
    digest = hashlib.sha256()
    digest.update(ORACLE_SCRIPT.read_bytes())
    digest.update(json.dumps(options, sort_keys=True).encode())
    extra_args = ["--pose-internals"] if pose_internals else []
    digest.update(" ".join(extra_args).encode())
    for f in frames:
        digest.update(struct.pack("<ii", *f.shape[:2]))
        digest.update(hashlib.sha1(f.tobytes()).digest())
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    out = CACHE_DIR / f"{cache_key}{digest.hexdigest()[:24]}.npz"
    if not out.is_file():
        tmp = private_temp(out)
        pipe_frames([str(ORACLE_PYTHON), str(ORACLE_SCRIPT), "--options", json.dumps(options),
                     "--out", str(tmp)] + extra_args, frames, "MediaPipe oracle")
        os.replace(tmp, out)
    with np.load(out) as data:
        return {k: data[k] for k in data.files}


def private_temp(out: Path) -> Path:
    """A temporary name beside cache file ``out``, this process's own: test workers running
    at once (pytest-xdist) may fill one cache entry together; the last os.replace wins,
    and a reader never sees a half-written file."""
    return out.with_name(f"{out.stem}.{os.getpid()}.tmp{out.suffix}")


def pipe_frames(command: List[str], frames: Sequence[np.ndarray], what: str, **popen_kwargs) -> None:
    """Run an oracle script (in .venv-oracle) and send it ``frames`` on its standard input:
    per frame an (H, W, 0) int32 header and H*W*3 RGB bytes, then a (0, 0, 0) header.
    Raises RuntimeError naming ``what`` when the script fails."""
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, **popen_kwargs)
    try:
        for f in frames:
            f = np.ascontiguousarray(f, dtype=np.uint8)
            proc.stdin.write(struct.pack("<iii", f.shape[0], f.shape[1], 0))
            proc.stdin.write(f.tobytes())
        proc.stdin.write(struct.pack("<iii", 0, 0, 0))
        proc.stdin.close()
    except BrokenPipeError:
        pass
    if proc.wait() != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode}); see its output above")


def oracle_frame(results: Dict[str, np.ndarray], component: str, i: int) -> Optional[np.ndarray]:
    return results.get(f"{component}_{i}")


def oracle_mask(results: Dict[str, np.ndarray], i: int) -> Optional[np.ndarray]:
    if f"mask_{i}" not in results:
        return None
    shape = tuple(results[f"maskshape_{i}"])
    return np.unpackbits(results[f"mask_{i}"])[: shape[0] * shape[1]].reshape(shape).astype(bool)


def oracle_as_results(oracle: Dict[str, np.ndarray], frames: Sequence[np.ndarray]) -> List:
    """MediaPipe's results in holistic_ros's result type, to compare two oracle runs."""
    from holistic_ros.pipeline.result import HolisticResult

    out = []
    for i, f in enumerate(frames):
        mask = oracle_mask(oracle, i)
        out.append(HolisticResult(
            pose_landmarks=oracle_frame(oracle, "pose", i), face_landmarks=oracle_frame(oracle, "face", i),
            left_hand_landmarks=oracle_frame(oracle, "left", i), right_hand_landmarks=oracle_frame(oracle, "right", i),
            segmentation_mask=None if mask is None else mask.astype(np.float32),
            image_size=(f.shape[1], f.shape[0])))
    return out


def perturb_frames(frames: Sequence[np.ndarray], seed: int = 0) -> List[np.ndarray]:
    """Every pixel value moved by -1, 0 or +1: invisible, yet enough to show how
    far MediaPipe's own tracking drifts from itself."""
    rng = np.random.default_rng(seed)
    return [np.clip(f.astype(np.int16) + rng.integers(-1, 2, f.shape, dtype=np.int16), 0, 255).astype(np.uint8)
            for f in frames]


def ours_component(result, component: str) -> Optional[np.ndarray]:
    return {"pose": result.pose_landmarks, "face": result.face_landmarks,
            "left": result.left_hand_landmarks, "right": result.right_hand_landmarks}[component]


@dataclass
class ComponentStats:
    """Agreement of one component (pose, face, left or right hand) over frames."""

    frames: int = 0
    presence_agree: int = 0
    both_present: int = 0
    theirs_present: int = 0   # frames where the reference (MediaPipe) found the part
    errors: List[float] = field(default_factory=list)   # mean error per frame, fraction of diagonal

    def add(self, ours: Optional[np.ndarray], theirs: Optional[np.ndarray], image_size) -> None:
        self.frames += 1
        if (ours is None) == (theirs is None):
            self.presence_agree += 1
        self.theirs_present += theirs is not None
        if ours is not None and theirs is not None and ours.shape[0] == theirs.shape[0]:
            self.both_present += 1
            w, h = image_size
            d = (ours[:, :2] - theirs[:, :2]) * (w, h)
            self.errors.append(float(np.hypot(d[:, 0], d[:, 1]).mean() / np.hypot(w, h)))

    @property
    def presence_agreement(self) -> float:
        return self.presence_agree / self.frames if self.frames else 1.0

    @property
    def mean_error(self) -> float:
        """Mean over the frames where both found the part; NaN when there is none (nothing
        was compared, which is no agreement: every comparison with NaN is False)."""
        return float(np.mean(self.errors)) if self.errors else float("nan")

    @property
    def max_error(self) -> float:
        return float(np.max(self.errors)) if self.errors else float("nan")

    def summary(self) -> str:
        return (f"presence {self.presence_agree}/{self.frames} ({100 * self.presence_agreement:.1f}%), "
                f"both {self.both_present}, mean err {100 * self.mean_error:.3f}% diag, "
                f"worst frame {100 * self.max_error:.3f}%")


@dataclass
class DriftStats:
    """MediaPipe against itself, fed the same frames with every value moved by
    -1, 0 or +1, one :class:`ComponentStats` per noise seed; the figures are
    the means over the seeds (one seed's drift is itself a draw)."""

    runs: List[ComponentStats]

    @property
    def presence_agreement(self) -> float:
        return float(np.mean([r.presence_agreement for r in self.runs]))

    @property
    def mean_error(self) -> Optional[float]:
        """Mean over the seeds whose run found the part where MediaPipe did on
        some frame; None if none did (no error to compare with)."""
        errors = [r.mean_error for r in self.runs if r.both_present]
        return float(np.mean(errors)) if errors else None

    def summary(self) -> str:
        per_seed = ", ".join(f"{100 * r.presence_agreement:.1f}%/{100 * r.mean_error:.3f}%" for r in self.runs)
        error = "-" if self.mean_error is None else f"{100 * self.mean_error:.3f}%"
        return (f"presence {100 * self.presence_agreement:.1f}%, mean err {error} diag "
                f"(seeds: {per_seed})")


def mask_iou(ours: np.ndarray, theirs_binary: np.ndarray) -> float:
    a = ours > 0.5
    union = np.logical_or(a, theirs_binary).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, theirs_binary).sum() / union)


def compare_run(results_ours: Sequence, oracle: Dict[str, np.ndarray], frames: Sequence[np.ndarray]):
    """Per-component stats and mask IoUs for one run over ``frames``."""
    stats = {c: ComponentStats() for c in COMPONENTS}
    ious: List[float] = []
    for i, (res, frame) in enumerate(zip(results_ours, frames)):
        size = (frame.shape[1], frame.shape[0])
        for c in COMPONENTS:
            stats[c].add(ours_component(res, c), oracle_frame(oracle, c, i), size)
        theirs_mask = oracle_mask(oracle, i)
        if theirs_mask is not None and res.segmentation_mask is not None:
            ious.append(mask_iou(res.segmentation_mask, theirs_mask))
    return stats, ious


def mediapipe_noise_runs(frames: Sequence[np.ndarray], options: Dict, oracle: Dict[str, np.ndarray],
                         seeds: Sequence[int], cache_key: str = "video-noisy-"):
    """MediaPipe on ``frames`` with +-1 noise of each seed, against ``oracle`` (its run on the
    clean frames): per seed, ({component: :class:`ComponentStats`}, mask IoUs)."""
    return [compare_run(oracle_as_results(run_oracle(perturb_frames(frames, seed), options, cache_key), frames),
                        oracle, frames) for seed in seeds]


def mediapipe_drift(frames: Sequence[np.ndarray], options: Dict, oracle: Dict[str, np.ndarray],
                    seeds: Sequence[int] = (0, 1), cache_key: str = "video-noisy-"):
    """MediaPipe's drift from ``oracle`` (its run on ``frames``) under +-1 noise:
    ({component: :class:`DriftStats`}, mask IoUs of every seed)."""
    runs = mediapipe_noise_runs(frames, options, oracle, seeds, cache_key)
    return ({c: DriftStats([stats[c] for stats, _ in runs]) for c in COMPONENTS},
            [iou for _, seed_ious in runs for iou in seed_ious])


if __name__ == "__main__":  # a quick report: python tools/parity.py
    sys.path.insert(0, str(REPO_ROOT))
    from holistic_ros import Holistic

    imgs = [load_image_rgb(p) for p in image_paths()]
    for refine in (False, True):
        opts = dict(static_image_mode=True, model_complexity=1, enable_segmentation=True,
                    refine_face_landmarks=refine)
        oracle = run_oracle(imgs, opts, "images-")
        with Holistic(**opts) as h:
            ours = [h.process(im) for im in imgs]
        stats, ious = compare_run(ours, oracle, imgs)
        print(f"images refine={refine}")
        for c, s in stats.items():
            print(f"  {c:5s} {s.summary()}")
        print(f"  mask IoU min {min(ious) if ious else float('nan'):.4f} mean {np.mean(ious) if ious else float('nan'):.4f}")
