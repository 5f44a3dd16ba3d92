"""Variants of a clip that nothing was tuned on: rotated, mirrored, half size.

Used by the video parity test (``test/test_parity_mediapipe.py``) and by
``tools/video_fidelity.py``: MediaPipe and holistic_ros get the very same
variant frames, made here once with this venv's OpenCV, so the shared clips
serve as several unseen ones.

* ``rotate+15`` .. ``rotate-30``: the camera rolled by that many degrees
  (counter-clockwise for +), about the frame's centre, same size; corners
  that come from outside the frame are black.
* ``flip``: mirrored left to right (the subject's left hand becomes the
  hand MediaPipe calls right, so both hand branches are exercised the other
  way round).
* ``half``: half the width and height (area averaging), so the person is
  half as many pixels.
* ``flip-half``: both.
* ``rotate+90``: the camera turned a quarter counter-clockwise, the whole frame kept (width
  and height swap; no black corners).
"""

from __future__ import annotations

from typing import Callable, Dict, List, Sequence

import cv2
import numpy as np

ORIGINAL = "original"


def _rotate(degrees: float) -> Callable[[np.ndarray], np.ndarray]:
    def rotate(frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), degrees, 1.0)
        return cv2.warpAffine(frame, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=(0, 0, 0))
    return rotate


def _flip(frame: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(frame[:, ::-1])


def _half(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    return cv2.resize(frame, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)


VARIANTS: Dict[str, Callable[[np.ndarray], np.ndarray]] = {
    ORIGINAL: lambda frame: frame,
    "rotate+15": _rotate(15.0),
    "rotate-15": _rotate(-15.0),
    "rotate+30": _rotate(30.0),
    "rotate-30": _rotate(-30.0),
    "flip": _flip,
    "half": _half,
    "flip-half": lambda frame: _half(_flip(frame)),
    "rotate+90": lambda frame: cv2.rotate(frame, cv2.ROTATE_90_COUNTERCLOCKWISE),
}


def variant_frames(frames: Sequence[np.ndarray], variant: str) -> List[np.ndarray]:
    """``frames`` (RGB uint8) turned into ``variant`` (a key of :data:`VARIANTS`)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
    if variant == ORIGINAL:
        return list(frames)
    make = VARIANTS[variant]
    return [np.ascontiguousarray(make(f)) for f in frames]
