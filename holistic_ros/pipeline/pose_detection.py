"""Pose detector (BlazePose SSD) and the ROI it gives the landmark model.

Ports ``modules/pose_detection/pose_detection_cpu.pbtxt`` and
``modules/pose_landmark/pose_detection_to_roi.pbtxt`` (paths relative to
``mediapipe/``).
"""

from __future__ import annotations

import math
from typing import List, Optional, Sequence

import numpy as np

from .detection import (DecodeOptions, Detection, SsdAnchorOptions, decode_detections,
                        generate_anchor_centers, remove_detection_letterbox, weighted_nms)
from .models import ModelSession
from .roi import NormRect, blank_boxes_in_crop, crop_image, rect_from_alignment_points, transform_rect

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
    (MediaPipe keeps only it: ``max_detections=1``); several people need more."""

    def __init__(self, session: ModelSession):
        self.session = session
        self.anchors = generate_anchor_centers(POSE_DETECTION_ANCHORS)

    def detect_all(self, image: np.ndarray, min_score: float, max_detections: int,
                   tiles: bool = False) -> List[Detection]:
        """Up to ``max_detections`` people, best score first, in image-normalised coordinates.

        The detector sees the image letterboxed to 224x224, where the people of a
        wide frame shrink below what it finds (it keys on the face). ``tiles``
        also runs it on square tiles (:func:`detection_tiles`) and merges all
        detections with the same weighted NMS: more runs, more (smaller) people."""
        whole_image = NormRect(0.5, 0.5, 1.0, 1.0, 0.0)
        if not tiles:
            candidates, padding = self._candidates(image, whole_image, min_score)
            detections = weighted_nms(candidates, POSE_DETECTION_NMS_IOU, max_detections=max_detections)
            return [remove_detection_letterbox(d, padding) for d in detections]
        h, w = image.shape[:2]
        return self.detect_in(image, min_score, max_detections, detection_regions((w, h)))

    def detect_in(self, image: np.ndarray, min_score: float, max_detections: int,
                  rects: List[NormRect], blanks: Optional[Sequence] = None) -> List[Detection]:
        """Up to ``max_detections`` people in the (unrotated) ``rects`` of the image, one
        detector run each, merged with the weighted NMS; image-normalised coordinates.

        ``blanks`` (several people): boxes (xmin, ymin, xmax, ymax, normalised to the image)
        made black in every region's tensor, as if the image were black there: the people
        already tracked, so that someone else is seen as if alone in the image."""
        candidates = []
        for rect in rects:
            found, padding = self._candidates(image, rect, min_score, blanks)
            candidates += [_detection_from_rect(remove_detection_letterbox(d, padding), rect) for d in found]
        return weighted_nms(candidates, POSE_DETECTION_NMS_IOU, max_detections=max_detections)

    def _candidates(self, image, rect: NormRect, min_score: float, blanks: Optional[Sequence] = None):
        """Decoded detections in ``rect``'s letterboxed tensor (before NMS), and its padding;
        ``blanks``: boxes made black in the tensor (:meth:`detect_in`)."""
        if blanks:
            image = getattr(image, "host", image)   # a DeviceFrame: blanked on its host copy
        crop = crop_image(image, rect, POSE_DETECTION_INPUT_SIZE, POSE_DETECTION_INPUT_SIZE,
                          keep_aspect_ratio=True, value_range=(-1.0, 1.0), border_zero=True)
        if blanks:
            h, w = image.shape[:2]
            # Black in the detector's value range; the letterbox border is black too.
            blank_boxes_in_crop(crop.tensor, rect, (w, h), blanks, value=-1.0)
        out = self.session.run(crop.tensor)
        options = DecodeOptions(num_keypoints=POSE_DETECTION_NUM_KEYPOINTS,
                                scale=float(POSE_DETECTION_INPUT_SIZE), min_score=min_score,
                                nms_iou_threshold=POSE_DETECTION_NMS_IOU)
        return decode_detections(out["regressors"], out["classificators"], self.anchors, options), crop.padding


#: Most tiles :func:`detection_tiles` gives (one detector run each). An image more than this
#: many times as long as it is wide (a 4096 x 5 strip: 820 tiles, minutes a frame) gets none:
#: people there would be under 1/8 of its long side tall, and the whole image is searched.
MAX_DETECTION_TILES = 8


def detection_regions(image_size) -> List[NormRect]:
    """Where the several-people detector looks: the whole image, then its tiles."""
    return [NormRect(0.5, 0.5, 1.0, 1.0, 0.0)] + detection_tiles(image_size)


def detection_tiles(image_size) -> List[NormRect]:
    """Square tiles covering the image, each about the short side: along the long
    side, overlapping; a near-square image gets four tiles of 0.6 of its side; an
    image needing more than :data:`MAX_DETECTION_TILES`, none."""
    w, h = image_size
    long_side, short_side = max(w, h), min(w, h)
    if long_side < 1.15 * short_side:
        side = 0.6 * long_side
        starts = [(x, y) for y in (0.0, h - side) for x in (0.0, w - side)]
    else:
        side = short_side
        n = int(math.ceil(long_side / short_side))
        if n > MAX_DETECTION_TILES:
            return []
        offsets = np.linspace(0.0, long_side - side, n)
        starts = [(float(o), 0.0) if w >= h else (0.0, float(o)) for o in offsets]
    return [NormRect((x + side / 2.0) / w, (y + side / 2.0) / h, side / w, side / h, 0.0) for x, y in starts]


def _detection_from_rect(detection: Detection, rect: NormRect) -> Detection:
    """A detection normalised to an unrotated ``rect`` -> normalised to the image."""
    x0, y0 = rect.x_center - rect.width / 2.0, rect.y_center - rect.height / 2.0
    scale = np.array([rect.width, rect.height])
    box = detection.box * np.tile(scale, 2) + np.array([x0, y0, x0, y0])
    return Detection(detection.score, box, detection.keypoints * scale + np.array([x0, y0]))


def roi_from_pose_detection(detection: Detection, image_size) -> NormRect:
    """``modules/pose_landmark/pose_detection_to_roi.pbtxt``."""
    rect = rect_from_alignment_points(detection.keypoints[0], detection.keypoints[1], image_size,
                                      POSE_ROI_TARGET_ANGLE)
    return transform_rect(rect, image_size, POSE_ROI_SCALE, POSE_ROI_SCALE, square_long=True)
