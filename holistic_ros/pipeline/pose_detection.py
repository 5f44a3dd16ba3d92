"""Pose detector (BlazePose SSD) and the ROI it gives the landmark model.

Ports ``modules/pose_detection/pose_detection_cpu.pbtxt`` and
``modules/pose_landmark/pose_detection_to_roi.pbtxt`` (paths relative to
``mediapipe/``).
"""

from __future__ import annotations

import math
from typing import List, Optional

import numpy as np

from .detection import (DecodeOptions, Detection, SsdAnchorOptions, decode_detections,
                        generate_anchor_centers, remove_detection_letterbox, weighted_nms)
from .models import ModelSession
from .roi import NormRect, crop_image, rect_from_alignment_points, transform_rect

# modules/pose_detection/pose_detection_cpu.pbtxt
POSE_DETECTION_INPUT_SIZE = 224
POSE_DETECTION_ANCHORS = SsdAnchorOptions(
    input_size=POSE_DETECTION_INPUT_SIZE, num_layers=5, strides=(8, 16, 32, 32, 32),
    min_scale=0.1484375, max_scale=0.75)
POSE_DETECTION_NUM_KEYPOINTS = 4
POSE_DETECTION_NMS_IOU = 0.3
# Keypoints: 0 mid-hip (ROI centre), 1 full-body size and rotation point.
# modules/pose_landmark/pose_detection_to_roi.pbtxt
POSE_ROI_TARGET_ANGLE = math.radians(90.0)
POSE_ROI_SCALE = 1.25


class PoseDetector:
    """Finds people: the first detection after NMS is the most prominent person
    (MediaPipe keeps only it); :meth:`detect_all` keeps up to N, for several people."""

    def __init__(self, session: ModelSession):
        self.session = session
        self.anchors = generate_anchor_centers(POSE_DETECTION_ANCHORS)

    def detect(self, image: np.ndarray, min_score: float) -> Optional[Detection]:
        detections = self.detect_all(image, min_score, max_detections=1)
        return detections[0] if detections else None

    def detect_all(self, image: np.ndarray, min_score: float, max_detections: int) -> List[Detection]:
        """Up to ``max_detections`` people, best score first, in image-normalised coordinates."""
        whole_image = NormRect(0.5, 0.5, 1.0, 1.0, 0.0)
        crop = crop_image(image, whole_image, POSE_DETECTION_INPUT_SIZE, POSE_DETECTION_INPUT_SIZE,
                        keep_aspect_ratio=True, value_range=(-1.0, 1.0), border_zero=True)
        out = self.session.run(crop.tensor)
        options = DecodeOptions(num_keypoints=POSE_DETECTION_NUM_KEYPOINTS,
                                scale=float(POSE_DETECTION_INPUT_SIZE), min_score=min_score,
                                nms_iou_threshold=POSE_DETECTION_NMS_IOU)
        candidates = decode_detections(out["regressors"], out["classificators"], self.anchors, options)
        detections = weighted_nms(candidates, options.nms_iou_threshold, max_detections=max_detections)
        return [remove_detection_letterbox(d, crop.padding) for d in detections]


def roi_from_pose_detection(detection: Detection, image_size) -> NormRect:
    """``modules/pose_landmark/pose_detection_to_roi.pbtxt``."""
    rect = rect_from_alignment_points(detection.keypoints[0], detection.keypoints[1], image_size,
                                      POSE_ROI_TARGET_ANGLE)
    return transform_rect(rect, image_size, POSE_ROI_SCALE, POSE_ROI_SCALE, square_long=True)
