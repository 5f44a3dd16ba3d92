"""The one pinhole camera model of holistic_ros (intrinsics, distortion, rays, projection).

Conventions are those of ``sensor_msgs/CameraInfo`` and OpenCV: pixel (u, v) with the
origin at the centre of the top-left pixel, ``K = [fx 0 cx; 0 fy cy; 0 0 1]``, distortion
``plumb_bob`` (k1, k2, p1, p2, k3) or ``rational_polynomial`` (k1, k2, p1, p2, k3, k4, k5,
k6). Points in the camera optical frame: x right, y down, z ahead (REP-103), metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

#: Number of coefficients of each supported ``CameraInfo.distortion_model``.
DISTORTION_MODELS = {"plumb_bob": 5, "rational_polynomial": 8}

#: Iterations of the undistortion fixed point: OpenCV's default of 5 leaves pixels of
#: error near the image border with strong barrel distortion; 20 brings it under 1e-3 px.
_UNDISTORT_CRITERIA = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 20, 1e-9)


@dataclass(frozen=True)
class PinholeCamera:
    """Intrinsics of one image stream, at one resolution.

    ``distortion`` is ``None`` (a rectified image) or 5 (plumb_bob) or 8
    (rational_polynomial) coefficients; all-zero coefficients count as none. It is kept
    as a tuple so that cameras compare and hash by value.
    """

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    distortion: Optional[Tuple[float, ...]] = None

    def __post_init__(self) -> None:
        for name in ("fx", "fy", "cx", "cy"):
            value = float(getattr(self, name))
            if not math.isfinite(value):
                raise ValueError(f"PinholeCamera.{name} must be finite, got {value}")
            object.__setattr__(self, name, value)
        if self.fx <= 0.0 or self.fy <= 0.0:
            raise ValueError(f"PinholeCamera focal lengths must be > 0, got fx={self.fx}, fy={self.fy}")
        if int(self.width) <= 0 or int(self.height) <= 0:
            raise ValueError(f"PinholeCamera size must be positive, got {self.width}x{self.height}")
        object.__setattr__(self, "width", int(self.width))
        object.__setattr__(self, "height", int(self.height))
        d = self.distortion
        if d is not None:
            d = np.asarray(d, dtype=np.float64).reshape(-1)
            if d.size not in (5, 8):
                raise ValueError(f"distortion needs 5 (plumb_bob) or 8 (rational_polynomial) coefficients, "
                                 f"got {d.size}")
            if not np.all(np.isfinite(d)):
                raise ValueError("distortion coefficients must be finite")
            d = tuple(float(v) for v in d) if np.any(d) else None
        object.__setattr__(self, "distortion", d)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_k(cls, k: Sequence[float], d: Optional[Sequence[float]], width: int, height: int,
               distortion_model: str = "plumb_bob") -> "PinholeCamera":
        """From ``CameraInfo`` fields: ``k`` (9, row-major), ``d``, ``width``, ``height``.

        An all-zero K is how an uncalibrated driver says it has no intrinsics.
        """
        k_arr = np.asarray(k, dtype=np.float64).reshape(-1)
        if k_arr.size != 9:
            raise ValueError(f"K must have 9 values (row-major 3x3), got {k_arr.size}")
        if not np.any(k_arr):
            raise ValueError("uncalibrated camera_info: K is all zero; calibrate or set field_of_view")
        d_arr = None if d is None else np.asarray(d, dtype=np.float64).reshape(-1)
        if d_arr is not None and d_arr.size == 0:
            d_arr = None
        if d_arr is not None and np.any(d_arr):
            expected = DISTORTION_MODELS.get(distortion_model)
            if expected is None:
                raise ValueError(f"distortion_model {distortion_model!r} is not supported; "
                                 f"use one of {sorted(DISTORTION_MODELS)} or rectify the image")
            if d_arr.size < expected:
                raise ValueError(f"{distortion_model} needs {expected} coefficients, got {d_arr.size}")
            d_arr = d_arr[:expected]
        return cls(k_arr[0], k_arr[4], k_arr[2], k_arr[5], width, height, d_arr)

    @classmethod
    def from_field_of_view(cls, hfov_rad: float, width: int, height: int) -> "PinholeCamera":
        """An ideal camera of horizontal field of view ``hfov_rad``, square pixels, centred.

        A stand-in when no camera_info is published: distances are then only as good as
        the guess of the field of view.
        """
        if not 0.0 < hfov_rad < math.pi:
            raise ValueError(f"horizontal field of view must be in (0, pi) rad, got {hfov_rad}")
        f = 0.5 * width / math.tan(0.5 * hfov_rad)
        return cls(f, f, (width - 1) * 0.5, (height - 1) * 0.5, width, height)

    def scaled_to(self, width: int, height: int) -> "PinholeCamera":
        """The same camera delivering images of ``width`` x ``height`` (binning, resizing).

        Pixel centres map as ``u' = (u + 0.5) * s - 0.5``; distortion is a property of
        normalised coordinates and does not change.
        """
        if width == self.width and height == self.height:
            return self
        sx = width / self.width
        sy = height / self.height
        return PinholeCamera(self.fx * sx, self.fy * sy, (self.cx + 0.5) * sx - 0.5, (self.cy + 0.5) * sy - 0.5,
                             width, height, self.distortion)

    # ------------------------------------------------------------------ geometry
    @property
    def distortion_array(self) -> Optional[np.ndarray]:
        """Distortion coefficients as OpenCV takes them, or None."""
        return None if self.distortion is None else np.asarray(self.distortion, dtype=np.float64)

    @property
    def k(self) -> np.ndarray:
        """(3, 3) float64 intrinsic matrix."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    def normalized_from_pixels(self, uv_px: np.ndarray) -> np.ndarray:
        """(N, 2) pixels -> (N, 2) undistorted normalised coordinates (x/z, y/z).

        The ray of pixel i is ``(x_i, y_i, 1)``; NaN pixels give NaN.
        """
        uv = np.asarray(uv_px, dtype=np.float64).reshape(-1, 2)
        if self.distortion is None:
            return np.stack([(uv[:, 0] - self.cx) / self.fx, (uv[:, 1] - self.cy) / self.fy], axis=1)
        out = np.full(uv.shape, np.nan)
        ok = np.all(np.isfinite(uv), axis=1)
        if np.any(ok):
            pts = uv[ok].reshape(-1, 1, 2)
            out[ok] = cv2.undistortPointsIter(pts, self.k, self.distortion_array, None, None,
                                              _UNDISTORT_CRITERIA).reshape(-1, 2)
        return out

    def pixels_from_normalized(self, xy_norm: np.ndarray) -> np.ndarray:
        """MediaPipe's normalised image coordinates (0..1 across the image) -> pixels.

        MediaPipe measures from the image's left/top edge; K measures from the centre of
        the top-left pixel, hence the half pixel.
        """
        xy = np.asarray(xy_norm, dtype=np.float64).reshape(-1, 2)
        return xy * np.array([self.width, self.height]) - 0.5

    def rays(self, uv_px: np.ndarray) -> np.ndarray:
        """(N, 2) pixels -> (N, 3) rays ``(x, y, 1)``: the point at depth z is ``z * ray``."""
        xy = self.normalized_from_pixels(uv_px)
        return np.concatenate([xy, np.ones((xy.shape[0], 1))], axis=1)

    def project(self, points_cam: np.ndarray) -> np.ndarray:
        """(N, 3) points in the optical frame -> (N, 2) pixels (with distortion)."""
        p = np.asarray(points_cam, dtype=np.float64).reshape(-1, 3)
        with np.errstate(invalid="ignore", divide="ignore"):
            xy = p[:, :2] / p[:, 2:3]
        if self.distortion is None:
            return np.stack([xy[:, 0] * self.fx + self.cx, xy[:, 1] * self.fy + self.cy], axis=1)
        out = np.full(xy.shape, np.nan)
        ok = np.all(np.isfinite(xy), axis=1)
        if np.any(ok):
            obj = np.concatenate([xy[ok], np.ones((int(ok.sum()), 1))], axis=1)
            img, _ = cv2.projectPoints(obj, np.zeros(3), np.zeros(3), self.k, self.distortion_array)
            out[ok] = img.reshape(-1, 2)
        return out

    def pixels_per_metre(self, z_m: float) -> float:
        """Image pixels spanned by one metre seen face-on at depth ``z_m``."""
        return 0.5 * (self.fx + self.fy) / z_m
