"""Reading a depth image registered to the colour image: units, validity, windows.

A depth image here is what ``16UC1`` / ``32FC1`` ``sensor_msgs/Image`` carry after
registration to the colour camera (REP-118): z along the optical axis, one value per
pixel of the colour image's grid, possibly at another resolution. The dtype says the
units, never a fixed divisor (yolo_ros #105 was 1000x off that way).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

#: uint16 depth is millimetres (``16UC1``, REP-118).
MILLIMETRES_PER_METRE = 1000.0

#: Two sizes are "a scale of each other" when their aspect ratios differ by at most this
#: fraction (a 1280x720 colour image and a 640x360, 848x480 or 1279x720 depth image).
ASPECT_TOLERANCE = 0.01

#: A window samples at most this many pixels across, striding over larger windows: the
#: median of ~50 pixels is as robust as that of 1000, at a twentieth of the cost.
MAX_WINDOW_SAMPLES_ACROSS = 7


@dataclass(frozen=True)
class DepthRange:
    """Readings outside [min_m, max_m] are no reading (sensor noise floor, far clutter)."""

    min_m: float = 0.1
    max_m: float = 20.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.min_m < self.max_m):
            raise ValueError(f"depth range needs 0 <= min_m < max_m, got [{self.min_m}, {self.max_m}]")


def check_depth_image(depth: np.ndarray) -> np.ndarray:
    """The depth image as (H, W) uint16 (millimetres) or float32/float64 (metres).

    Raises a ValueError that says what was wrong and what is accepted.
    """
    arr = np.asarray(depth)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"depth must be an (H, W) image, got shape {arr.shape}")
    if arr.dtype not in (np.uint16, np.float32, np.float64):
        raise ValueError(f"depth dtype {arr.dtype} is not supported: use uint16 millimetres (16UC1) "
                         "or float32 metres (32FC1)")
    return arr


def depth_scale(depth_shape: Tuple[int, int], image_size: Tuple[int, int]) -> Tuple[float, float]:
    """Depth pixels per colour pixel along x and y, for a depth image of ``depth_shape`` (H, W).

    The depth image must show the colour image's field of view at some scale (any
    integer or fractional factor); otherwise its pixels cannot be matched to landmarks.
    """
    depth_h, depth_w = int(depth_shape[0]), int(depth_shape[1])
    image_w, image_h = int(image_size[0]), int(image_size[1])
    sx = depth_w / image_w
    sy = depth_h / image_h
    if abs(sx / sy - 1.0) > ASPECT_TOLERANCE:
        raise ValueError(f"depth image {depth_w}x{depth_h} is not a scale of the colour image "
                         f"{image_w}x{image_h} (aspect ratios differ by more than "
                         f"{ASPECT_TOLERANCE:.0%}); register the depth to the colour camera")
    return sx, sy


def to_metres(raw: np.ndarray, depth_range: DepthRange) -> np.ndarray:
    """Raw depth values -> float32 metres, NaN where there is no reading.

    No reading: 0 (both encodings), NaN, +-inf, and values outside ``depth_range``.
    """
    if raw.dtype == np.uint16:
        metres = raw.astype(np.float32) * np.float32(1.0 / MILLIMETRES_PER_METRE)
    else:
        metres = raw.astype(np.float32, copy=True)
    with np.errstate(invalid="ignore"):
        bad = ~((metres >= depth_range.min_m) & (metres <= depth_range.max_m))
    bad |= metres == 0.0
    metres[bad] = np.nan
    return metres


def window_offsets(radius_px: float) -> Tuple[np.ndarray, np.ndarray]:
    """Offsets (dy, dx) of the pixels read in a square window of half-size ``radius_px``.

    A grid of MAX_WINDOW_SAMPLES_ACROSS (odd) pixels per row and column spread over
    [-r, r] (r >= 1), centred on the landmark's pixel; small windows read some pixels twice.
    """
    r = max(1.0, float(radius_px))
    return np.rint(_UNIT_DY * r).astype(np.int64), np.rint(_UNIT_DX * r).astype(np.int64)


_UNIT_DY, _UNIT_DX = (g.reshape(-1) for g in np.meshgrid(np.linspace(-1.0, 1.0, MAX_WINDOW_SAMPLES_ACROSS),
                                                        np.linspace(-1.0, 1.0, MAX_WINDOW_SAMPLES_ACROSS),
                                                        indexing="ij"))


def sample_windows(depth: np.ndarray, uv_px: np.ndarray, radius_px, image_size: Tuple[int, int],
                   depth_range: DepthRange, mask: Optional[np.ndarray] = None,
                   mask_threshold: float = 0.5) -> np.ndarray:
    """Robust depth (metres) at each colour-image pixel of ``uv_px`` (N, 2); NaN: none.

    Each point takes the median of the valid depth pixels in a window of half-size
    ``radius_px`` colour pixels (one value, or one per point) around it (scaled to the
    depth grid; see :func:`window_offsets`), keeping only pixels
    on the person when ``mask`` (any size, values in [0, 1]) is given. The median
    ignores holes and stray pixels; what it cannot know -- a window that mostly sees
    something in front of or behind the landmark -- the body model rejects afterwards.
    """
    depth = check_depth_image(depth)
    depth_h, depth_w = depth.shape
    sx, sy = depth_scale(depth.shape, image_size)
    uv = np.asarray(uv_px, dtype=np.float64).reshape(-1, 2)
    out = np.full(uv.shape[0], np.nan, dtype=np.float32)
    finite = np.all(np.isfinite(uv), axis=1)
    if not np.any(finite):
        return out
    # Pixel centres: colour pixel u covers depth pixels around (u + 0.5) * s - 0.5.
    cu = np.rint((uv[finite, 0] + 0.5) * sx - 0.5).astype(np.int64)
    cv = np.rint((uv[finite, 1] + 0.5) * sy - 0.5).astype(np.int64)
    radius = np.broadcast_to(np.asarray(radius_px, dtype=np.float64), finite.shape)[finite]
    radius = np.maximum(radius * (0.5 * (sx + sy)), 1.0)[:, None]
    rows = cv[:, None] + np.rint(_UNIT_DY[None, :] * radius).astype(np.int64)
    cols = cu[:, None] + np.rint(_UNIT_DX[None, :] * radius).astype(np.int64)
    inside = (rows >= 0) & (rows < depth_h) & (cols >= 0) & (cols < depth_w)
    rows_c = np.minimum(np.maximum(rows, 0), depth_h - 1)
    cols_c = np.minimum(np.maximum(cols, 0), depth_w - 1)
    values = to_metres(depth[rows_c, cols_c], depth_range)
    values[~inside] = np.nan
    if mask is not None:
        mask_arr = np.asarray(mask)
        mask_h, mask_w = mask_arr.shape[:2]
        mask_rows = np.minimum(((rows_c + 0.5) * (mask_h / depth_h)).astype(np.int64), mask_h - 1)
        mask_cols = np.minimum(((cols_c + 0.5) * (mask_w / depth_w)).astype(np.int64), mask_w - 1)
        values[mask_arr[mask_rows, mask_cols] < mask_threshold] = np.nan
    out[finite] = row_nanmedian(values)
    return out


def row_nanmedian(values: np.ndarray) -> np.ndarray:
    """Median of the finite values of each row of (N, K) ``values``; NaN for a row without any.

    np.nanmedian goes through masked arrays for small rows, ten times slower than this
    sort (NaN sorts last).
    """
    ordered = np.sort(values, axis=1)
    count = np.sum(np.isfinite(ordered), axis=1)
    low = np.maximum((count - 1) // 2, 0)
    high = np.maximum(count // 2, 0)
    rows = np.arange(ordered.shape[0])
    median = 0.5 * (ordered[rows, low] + ordered[rows, high])
    median[count == 0] = np.nan
    return median.astype(np.float32)

