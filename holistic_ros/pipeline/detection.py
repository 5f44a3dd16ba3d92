"""SSD detector decoding shared by the pose and face detectors.

Ports three MediaPipe calculators (paths relative to ``mediapipe/``):
``calculators/tflite/ssd_anchors_calculator.cc`` (anchor grid),
``calculators/tensor/tensors_to_detections_calculator.cc`` (box and keypoint
decoding) and ``calculators/util/non_max_suppression_calculator.cc``
(weighted non-maximum suppression).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np

from .activations import sigmoid


@dataclass(frozen=True)
class SsdAnchorOptions:
    """``SsdAnchorsCalculatorOptions`` for a model with fixed-size anchors."""

    input_size: int
    num_layers: int
    strides: Tuple[int, ...]
    min_scale: float
    max_scale: float
    anchor_offset: float = 0.5
    interpolated_scale_aspect_ratio: float = 1.0


@dataclass(frozen=True)
class DecodeOptions:
    """``TensorsToDetectionsCalculatorOptions`` for an x-first (reverse_output_order) box."""

    num_keypoints: int
    scale: float            # x_scale = y_scale = w_scale = h_scale
    min_score: float
    score_clip: float = 100.0
    nms_iou_threshold: float = 0.3


@dataclass(frozen=True)
class Detection:
    """One detection in normalised coordinates of the detector's input tensor
    (or of the image, after :func:`remove_detection_letterbox`)."""

    score: float
    #: (4,) xmin, ymin, xmax, ymax.
    box: np.ndarray
    #: (K, 2) keypoints x, y.
    keypoints: np.ndarray


def _layer_scale(options: SsdAnchorOptions, layer: int) -> float:
    if options.num_layers == 1:
        return (options.min_scale + options.max_scale) / 2.0
    return options.min_scale + (options.max_scale - options.min_scale) * layer / (options.num_layers - 1)


def generate_anchor_centers(options: SsdAnchorOptions) -> np.ndarray:
    """Anchor centres (N, 2); with fixed_anchor_size every anchor is 1x1.

    Layers that share a stride share one grid; each layer adds one anchor per
    aspect ratio (here only 1.0) plus one interpolated-scale anchor per cell.
    """
    centers: List[np.ndarray] = []
    layer = 0
    while layer < options.num_layers:
        anchors_per_cell = 0
        last = layer
        while last < options.num_layers and options.strides[last] == options.strides[layer]:
            anchors_per_cell += 1 + (1 if options.interpolated_scale_aspect_ratio > 0 else 0)
            last += 1
        stride = options.strides[layer]
        size = int(math.ceil(options.input_size / stride))
        ys, xs = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
        grid = np.stack([(xs + options.anchor_offset) / size, (ys + options.anchor_offset) / size], axis=-1)
        centers.append(np.repeat(grid.reshape(-1, 2), anchors_per_cell, axis=0))
        layer = last
    return np.concatenate(centers).astype(np.float32)


def decode_detections(regressors: np.ndarray, classificators: np.ndarray,
                      anchors: np.ndarray, options: DecodeOptions) -> List[Detection]:
    """Raw SSD outputs -> scored detections above ``min_score`` (before NMS)."""
    raw = regressors.reshape(anchors.shape[0], -1)
    logits = np.clip(classificators.reshape(-1), -options.score_clip, options.score_clip)
    scores = sigmoid(logits)
    keep = np.nonzero(scores >= options.min_score)[0]
    if keep.size == 0:
        return []
    raw, scores, anc = raw[keep].astype(np.float64), scores[keep], anchors[keep].astype(np.float64)
    cx = raw[:, 0] / options.scale + anc[:, 0]
    cy = raw[:, 1] / options.scale + anc[:, 1]
    w = raw[:, 2] / options.scale
    h = raw[:, 3] / options.scale
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    kp = raw[:, 4:4 + 2 * options.num_keypoints].reshape(len(keep), options.num_keypoints, 2)
    kp = kp / options.scale + anc[:, None, :]
    return [Detection(float(s), b, k) for s, b, k in zip(scores, boxes, kp)]


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    ix = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def weighted_nms(detections: Sequence[Detection], iou_threshold: float,
                 max_detections: int = -1) -> List[Detection]:
    """Score-weighted average of each cluster of overlapping detections.

    Clusters are formed greedily from the best remaining detection; the result
    keeps that detection's score and averages boxes and keypoints by score.
    """
    if not detections:
        return []
    order = sorted(range(len(detections)), key=lambda i: -detections[i].score)
    remaining = [detections[i] for i in order]
    out: List[Detection] = []
    while remaining:
        top = remaining[0]
        boxes = np.stack([d.box for d in remaining])
        overlap = _iou(top.box, boxes) > iou_threshold
        members = [d for d, o in zip(remaining, overlap) if o]
        remaining = [d for d, o in zip(remaining, overlap) if not o]
        weights = np.array([d.score for d in members])
        total = weights.sum()
        box = (np.stack([d.box for d in members]) * weights[:, None]).sum(0) / total
        kps = (np.stack([d.keypoints for d in members]) * weights[:, None, None]).sum(0) / total
        out.append(Detection(top.score, box, kps))
        if 0 < max_detections <= len(out):
            break
    return out


def remove_detection_letterbox(detection: Detection, padding: Sequence[float]) -> Detection:
    """``calculators/util/detection_letterbox_removal_calculator.cc``."""
    left, top, right, bottom = padding
    sx, sy = 1.0 - left - right, 1.0 - top - bottom
    box = (detection.box - (left, top, left, top)) / (sx, sy, sx, sy)
    kps = (detection.keypoints - (left, top)) / (sx, sy)
    return Detection(detection.score, box, kps)
