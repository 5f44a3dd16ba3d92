"""Pose landmark model: 33 body landmarks, 2 auxiliary ones, world landmarks, mask.

Ports ``modules/pose_landmark/pose_landmark_by_roi_cpu.pbtxt``,
``tensors_to_pose_landmarks_and_segmentation.pbtxt``,
``pose_landmarks_and_segmentation_inverse_projection.pbtxt`` and
``pose_landmarks_to_roi.pbtxt`` (under ``mediapipe/modules/pose_landmark/``),
with ``calculators/util/refine_landmarks_from_heatmap_calculator.cc`` and
``calculators/util/world_landmark_projection_calculator.cc``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np

from .activations import sigmoid
from .models import ModelSession
from .roi import (Crop, NormRect, blank_boxes_in_crop, crop_image, crop_images, landmarks_from_roi,
                  rect_from_alignment_points, transform_rect)

# tensors_to_pose_landmarks_and_segmentation.pbtxt
POSE_LANDMARK_INPUT_SIZE = 256
NUM_MODEL_LANDMARKS = 39          # 33 body + 2 auxiliary + 4 unused
NUM_BODY_LANDMARKS = 33
AUXILIARY_SLICE = slice(33, 35)   # 33: ROI centre, 34: ROI size/rotation point
# The refinement window MediaPipe 0.10.21 really uses: 9, the default of
# calculators/util/refine_landmarks_from_heatmap_calculator.proto. The graph
# (tensors_to_pose_landmarks_and_segmentation.pbtxt) asks for 7, and the
# wheel's graph carries that option, but its calculator refines as with 9:
# fed MediaPipe's own unrefined landmarks and the model's heatmap, a 9-cell
# window reproduces MediaPipe's refined pose landmarks to 0.004 px of the
# 256-px crop on every landmark of 60 frames, a 7-cell window on 80% of them
# (others off by up to 4 px); tools/mediapipe_oracle.py --pose-internals.
HEATMAP_KERNEL_SIZE = 9
# RefineLandmarksFromHeatmapCalculatorOptions.min_confidence_to_refine default.
HEATMAP_MIN_CONFIDENCE_TO_REFINE = 0.5
# pose_landmarks_to_roi.pbtxt
POSE_TRACKING_TARGET_ANGLE = math.radians(90.0)
POSE_TRACKING_ROI_SCALE = 1.25


@dataclass(frozen=True)
class PoseLandmarkOutput:
    """One run of the pose landmark model, mapped back to the image."""

    #: Model's pose presence score (already a probability in the model).
    score: float
    #: (33, 5) float64: x, y (image-normalised), z, visibility, presence.
    landmarks: np.ndarray
    #: (2, 5) auxiliary landmarks in the same layout.
    auxiliary: np.ndarray
    #: (33, 3) metres, rotated by the ROI rotation.
    world: np.ndarray
    #: (256, 256) float32 probabilities in the crop, or None.
    segmentation_roi: Optional[np.ndarray]
    #: The crop the model saw (maps the mask back to the image).
    crop: Crop


def refine_landmarks_from_heatmap(landmarks_roi: np.ndarray, heatmap: np.ndarray,
                                  kernel_size: int = HEATMAP_KERNEL_SIZE,
                                  min_confidence: float = HEATMAP_MIN_CONFIDENCE_TO_REFINE) -> np.ndarray:
    """Move each landmark to the confidence-weighted mean of its heatmap window.

    ``calculators/util/refine_landmarks_from_heatmap_calculator.cc``: a
    ``kernel_size`` window (clipped at the edges) around the landmark's heatmap
    cell, sigmoid confidences, refined only where the window's peak reaches
    ``min_confidence``. ``heatmap`` is (H, W, N).
    """
    hm_h, hm_w, n = heatmap.shape
    out = np.array(landmarks_roi, copy=True)
    offset = (kernel_size - 1) // 2
    # C++ float -> int conversion truncates toward zero.
    cols = np.trunc(out[:n, 0] * hm_w).astype(np.int64)
    rows = np.trunc(out[:n, 1] * hm_h).astype(np.int64)
    inside = (cols >= 0) & (cols < hm_w) & (rows >= 0) & (rows < hm_h)
    # Every landmark's window at once, cells past the heatmap's edge masked out.
    steps = np.arange(-offset, offset + 1)
    win_r = rows[:, None] + steps                                    # (n, k)
    win_c = cols[:, None] + steps
    valid = (((win_r >= 0) & (win_r < hm_h))[:, :, None] & ((win_c >= 0) & (win_c < hm_w))[:, None, :])
    values = heatmap[np.clip(win_r, 0, hm_h - 1)[:, :, None], np.clip(win_c, 0, hm_w - 1)[:, None, :],
                     np.arange(n)[:, None, None]].astype(np.float64)
    conf = np.where(valid, sigmoid(values), 0.0)                      # (n, k, k)
    total = conf.sum(axis=(1, 2))
    refine = inside & (conf.max(axis=(1, 2)) >= min_confidence) & (total > 0)
    safe_total = np.where(refine, total, 1.0)
    x = (conf * win_c[:, None, :]).sum(axis=(1, 2)) / hm_w / safe_total
    y = (conf * win_r[:, :, None]).sum(axis=(1, 2)) / hm_h / safe_total
    out[:n, 0] = np.where(refine, x, out[:n, 0])
    out[:n, 1] = np.where(refine, y, out[:n, 1])
    return out


class PoseLandmarker:
    def __init__(self, session: ModelSession):
        self.session = session

    def run(self, image: np.ndarray, roi: NormRect, with_segmentation: bool) -> PoseLandmarkOutput:
        crop = crop_image(image, roi, POSE_LANDMARK_INPUT_SIZE, POSE_LANDMARK_INPUT_SIZE,
                        keep_aspect_ratio=True, value_range=(0.0, 1.0), border_zero=False)
        return self._decode(self.session.run(crop.tensor), crop, with_segmentation)

    def run_batch(self, image, rois: Sequence[NormRect], with_segmentation: bool,
                  blanks: Optional[Sequence] = None) -> List[PoseLandmarkOutput]:
        """One output per ROI (one person each): every crop in one run when the model
        takes a batch (tools/convert_models.py DYNAMIC_BATCH), else one run per crop.

        ``blanks`` (several people): per ROI, None or (boxes, keep box[, to_border])
        normalised to the image: the crop's pixels in the boxes but not in the keep box
        are made black (:func:`~holistic_ros.pipeline.roi.blank_boxes_in_crop`), the other
        people's bodies. Blanked crops are cut on the host."""
        rois = list(rois)
        blanks = list(blanks) if blanks is not None else [None] * len(rois)
        if any(b is not None and len(b[0]) for b in blanks):
            image = getattr(image, "host", image)   # a DeviceFrame: crop its host copy
        else:
            blanks = [None] * len(rois)
        if self.session.input_shape[0] == 1 or len(rois) <= 1:
            if not any(b is not None for b in blanks):
                return [self.run(image, roi, with_segmentation) for roi in rois]
            outputs = []
            for roi, blank in zip(rois, blanks):
                crop = crop_image(image, roi, POSE_LANDMARK_INPUT_SIZE, POSE_LANDMARK_INPUT_SIZE,
                                  keep_aspect_ratio=True, value_range=(0.0, 1.0), border_zero=False)
                self._blank(crop.tensor, roi, image, blank)
                outputs.append(self._decode(self.session.run(crop.tensor), crop, with_segmentation))
            return outputs
        batch, crops = crop_images(image, rois, POSE_LANDMARK_INPUT_SIZE, POSE_LANDMARK_INPUT_SIZE,
                                   keep_aspect_ratio=True, value_range=(0.0, 1.0), border_zero=False)
        for i, (roi, blank) in enumerate(zip(rois, blanks)):
            if blank is not None:   # then the batch is on the host
                self._blank(batch[i:i + 1], roi, image, blank)
        out = self.session.run(batch)
        return [self._decode({k: v[i:i + 1] for k, v in out.items()}, crop, with_segmentation)
                for i, crop in enumerate(crops)]

    @staticmethod
    def _blank(tensor, roi: NormRect, image, blank) -> None:
        if blank is not None and len(blank[0]):
            h, w = image.shape[:2]
            blank_boxes_in_crop(tensor, roi, (w, h), blank[0], blank[1],
                                to_border=blank[2] if len(blank) > 2 else None)

    @staticmethod
    def _decode(out, crop: Crop, with_segmentation: bool) -> PoseLandmarkOutput:
        """One crop's model outputs (batch of one), mapped back to the image."""
        score = float(np.asarray(out["pose_flag"]).reshape(-1)[0])
        raw = out["landmarks"].reshape(NUM_MODEL_LANDMARKS, 5).astype(np.float64)
        lm = np.empty_like(raw)
        lm[:, :3] = raw[:, :3] / POSE_LANDMARK_INPUT_SIZE
        lm[:, 3] = sigmoid(raw[:, 3])
        lm[:, 4] = sigmoid(raw[:, 4])
        lm = refine_landmarks_from_heatmap(lm, out["heatmap"][0])
        lm[:, :3] = landmarks_from_roi(lm[:, :3], crop)
        world_raw = out["world_landmarks"].reshape(NUM_MODEL_LANDMARKS, 3)[:NUM_BODY_LANDMARKS].astype(np.float64)
        c, s = math.cos(crop.rect.rotation), math.sin(crop.rect.rotation)
        world = world_raw.copy()
        world[:, 0] = c * world_raw[:, 0] - s * world_raw[:, 1]
        world[:, 1] = s * world_raw[:, 0] + c * world_raw[:, 1]
        seg = None
        if with_segmentation:
            seg = sigmoid(out["segmentation"][0, :, :, 0].astype(np.float32))
        return PoseLandmarkOutput(score=score, landmarks=lm[:NUM_BODY_LANDMARKS],
                                  auxiliary=lm[AUXILIARY_SLICE], world=world,
                                  segmentation_roi=seg, crop=crop)


def alignment_rect_from_auxiliary_landmarks(auxiliary: np.ndarray, image_size) -> NormRect:
    """Centre on aux 0, size and rotation from aux 1 (AlignmentPointsRectsCalculator, 90 degrees).

    Unscaled, it is also the object-scale ROI of ``pose_landmark_filtering.pbtxt``.
    """
    return rect_from_alignment_points(auxiliary[0, :2], auxiliary[1, :2], image_size,
                                      POSE_TRACKING_TARGET_ANGLE)


def roi_from_auxiliary_landmarks(auxiliary: np.ndarray, image_size) -> NormRect:
    """``pose_landmarks_to_roi.pbtxt``: the alignment rect, scaled 1.25 and squared."""
    rect = alignment_rect_from_auxiliary_landmarks(auxiliary, image_size)
    return transform_rect(rect, image_size, POSE_TRACKING_ROI_SCALE, POSE_TRACKING_ROI_SCALE, square_long=True)
