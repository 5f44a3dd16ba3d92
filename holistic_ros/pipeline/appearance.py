"""A person's look, to tell two people apart when their motion cannot (issue 18).

Several people only (``Holistic(max_num_people=N)``, N > 1): one person's pipeline never
calls this. A person's *appearance* is a colour histogram of their torso, the patch
below the shoulders (the clothes: a face's colours are much alike from one person to
the next), in HSV with hue and saturation binned finely and value coarsely, over the
pixels not too dark to have a hue. Two appearances compare by the Bhattacharyya
distance of their histograms (:func:`appearance_distance`): 0 for one histogram, 1
for two that share no bin. It is cheap: at most PATCH_SIDE pixels a side of the patch
are counted (every n-th pixel of a larger one).

Boxes are (xmin, ymin, xmax, ymax) normalised to the image, like people.py's.
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

# The torso patch: between the shoulders (less SIDE_INSET of their width on each side,
# which is often the arms or the background), from the shoulders down by DEPTH
# shoulder widths (the chest; a waist-up view's hips are below the frame).
SIDE_INSET = 0.15
DEPTH_SHOULDERS = 0.8
# A patch smaller than this (pixels, in the image) says nothing.
MIN_PATCH_PX = 8
# At most this many pixels a side of the patch are counted (every n-th of a larger one: cost).
PATCH_SIDE = 32
# HSV bins (OpenCV's 8-bit HSV: hue 0-179, saturation and value 0-255); pixels darker
# than MIN_VALUE have no meaningful hue and are counted in one "dark" bin of their own.
HUE_BINS, SATURATION_BINS, VALUE_BINS = 12, 4, 3
MIN_VALUE = 40
SHOULDERS = (11, 12)


def torso_box(landmarks: np.ndarray, image_size) -> Optional[np.ndarray]:
    """The chest patch of a pose (normalised box), or None when the shoulders are not
    in the image."""
    landmarks = np.asarray(landmarks, np.float64)
    w, h = image_size
    shoulders = landmarks[list(SHOULDERS), :2] * (w, h)
    width = float(np.hypot(*(shoulders[0] - shoulders[1])))
    if width < MIN_PATCH_PX:
        return None
    x0, x1 = shoulders[:, 0].min(), shoulders[:, 0].max()
    inset = SIDE_INSET * (x1 - x0)
    y0 = shoulders[:, 1].mean()
    box = np.array([(x0 + inset) / w, y0 / h, (x1 - inset) / w, (y0 + DEPTH_SHOULDERS * width) / h])
    return box


def appearance(image: np.ndarray, landmarks: np.ndarray) -> Optional[np.ndarray]:
    """The torso colour histogram (normalised to sum 1) of a pose in an RGB uint8 image,
    or None when too little of the torso is in the image."""
    h, w = image.shape[:2]
    box = torso_box(landmarks, (w, h))
    if box is None:
        return None
    x0, y0 = max(int(round(box[0] * w)), 0), max(int(round(box[1] * h)), 0)
    x1, y1 = min(int(round(box[2] * w)), w), min(int(round(box[3] * h)), h)
    if x1 - x0 < MIN_PATCH_PX or y1 - y0 < MIN_PATCH_PX:
        return None
    step = -(-max(x1 - x0, y1 - y0) // PATCH_SIDE)   # every step-th pixel: no resampling cost
    patch = image[y0:y1:step, x0:x1:step]
    hsv = cv2.cvtColor(np.ascontiguousarray(patch), cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.int32)
    dark = hsv[:, 2] < MIN_VALUE
    hue = hsv[:, 0] * HUE_BINS // 180
    saturation = hsv[:, 1] * SATURATION_BINS // 256
    value = (hsv[:, 2] - MIN_VALUE).clip(0) * VALUE_BINS // (256 - MIN_VALUE)
    bins = np.where(dark, HUE_BINS * SATURATION_BINS * VALUE_BINS,
                    (hue * SATURATION_BINS + saturation) * VALUE_BINS + value)
    histogram = np.bincount(bins, minlength=HUE_BINS * SATURATION_BINS * VALUE_BINS + 1).astype(np.float64)
    return histogram / histogram.sum()


def appearance_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Bhattacharyya distance of two appearances: 0 alike, 1 nothing in common."""
    return float(np.sqrt(max(0.0, 1.0 - float(np.sum(np.sqrt(a * b))))))
