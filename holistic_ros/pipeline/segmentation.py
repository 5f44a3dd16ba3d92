"""Person segmentation: the pose model's mask warped back to the image.

``modules/pose_landmark/pose_landmarks_and_segmentation_inverse_projection.pbtxt``
(WarpAffineCalculator with the inverse crop matrix, bilinear, zero border,
no half-pixel shift as in ``calculators/image/affine_transformation_runner_opencv.cc``);
the temporal smoothing is :func:`holistic_ros.pipeline.filters.smooth_segmentation`.
"""

from __future__ import annotations

import cv2
import numpy as np

from .roi import Crop, crop_to_image_matrix


def mask_to_image(mask_roi: np.ndarray, crop: Crop, image_size) -> np.ndarray:
    """(h, w) crop mask -> (H, W) float32 image mask, zero outside the crop."""
    w, h = image_size
    mh, mw = mask_roi.shape
    matrix = crop_to_image_matrix(crop.rect, (w, h), mw, mh)
    return cv2.warpAffine(mask_roi.astype(np.float32, copy=False), matrix, (w, h),
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
