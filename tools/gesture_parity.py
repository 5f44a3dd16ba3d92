"""Gesture parity helpers: MediaPipe's GestureRecognizer and the TFLite gesture models as oracles.

Used by ``test/test_gesture_models.py`` and ``test/test_hand_gestures.py``. Frames are decoded
here (this venv's OpenCV) and piped to ``tools/gesture_oracle.py`` in ``.venv-oracle`` with
the protocol of ``tools/mediapipe_oracle.py``, so both sides see the very same pixels; results
are cached on disk under ``.cache/oracle`` keyed by the script, the arguments and the frames.
"""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
GESTURE_ORACLE = REPO_ROOT / "tools" / "gesture_oracle.py"
from parity import CACHE_DIR, ORACLE_PYTHON, pipe_frames, private_temp  # noqa: E402  one oracle cache, one frame pipe


def oracle_available() -> bool:
    return ORACLE_PYTHON.is_file()


@dataclass(frozen=True)
class OracleHand:
    """One hand as MediaPipe's GestureRecognizer found and classified it."""

    label: str
    score: float
    handedness: str           # "Left" / "Right", MediaPipe's (mirrored-image) convention
    handedness_score: float
    landmarks: np.ndarray     # (21, 3) image-normalised
    world_landmarks: np.ndarray  # (21, 3) metres

    @property
    def right_hand_score(self) -> float:
        """P(right) as handedness_to_matrix_calculator.cc computes it."""
        return self.handedness_score if self.handedness == "Right" else 1.0 - self.handedness_score


def _frames_digest(frames: Sequence[np.ndarray], *extra: bytes) -> str:
    digest = hashlib.sha256(GESTURE_ORACLE.read_bytes())
    for e in extra:
        digest.update(e)
    for f in frames:
        digest.update(struct.pack("<ii", *f.shape[:2]))
        digest.update(hashlib.sha1(np.ascontiguousarray(f).tobytes()).digest())
    return digest.hexdigest()[:24]


def recognize(frames: Sequence[np.ndarray], num_hands: int = 2, video_fps: float = 0.0) -> List[List[OracleHand]]:
    """Per frame, the hands GestureRecognizer finds, with their gestures: IMAGE mode, or with
    ``video_fps`` VIDEO mode (tracking, frame i at i / video_fps s)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    extra = str(num_hands).encode() + (f"video{video_fps}".encode() if video_fps else b"")
    out = CACHE_DIR / f"gestures-{_frames_digest(frames, extra)}.npz"
    if not out.is_file():
        tmp = private_temp(out)
        pipe_frames([str(ORACLE_PYTHON), str(GESTURE_ORACLE), "recognize", "--out", str(tmp),
                     "--num-hands", str(num_hands)] + (["--video-fps", str(video_fps)] if video_fps else []),
                    frames, "gesture oracle")
        os.replace(tmp, out)
    with np.load(out) as data:
        hands = []
        for i in range(int(data["num_frames"])):
            hands.append([OracleHand(str(data[f"label_{i}_{k}"]), float(data[f"score_{i}_{k}"]),
                                     str(data[f"handed_{i}_{k}"]), float(data[f"handedscore_{i}_{k}"]),
                                     data[f"lm_{i}_{k}"].copy(), data[f"world_{i}_{k}"].copy())
                          for k in range(int(data[f"n_{i}"]))])
    return hands


def litert_gesture_models(inputs: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """``gesture_embedder`` and ``canned_gesture_classifier`` in LiteRT on stacked inputs.

    ``inputs``: ``hand_landmarks`` [N,21,3], ``handedness`` [N,1], ``hand_world_landmarks``
    [N,21,3], optionally ``embedding`` [N,128]; returns ``embedding``, ``scores`` and, when an
    embedding was given, ``scores_of_input``.
    """
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.npz", Path(tmp) / "out.npz"
        np.savez(src, **inputs)
        proc = subprocess.run([str(ORACLE_PYTHON), str(GESTURE_ORACLE), "litert", str(src), str(dst)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"gesture_oracle.py litert failed:\n{proc.stdout}\n{proc.stderr[-4000:]}")
        with np.load(dst) as data:
            return {k: data[k] for k in data.files}
