"""Palm detector (BlazePalm SSD) and the hand ROI it gives the hand landmark model.

The detector that finds a hand without a body, as MediaPipe's hand graphs use it. Ports,
under ``mediapipe/`` (google-ai-edge/mediapipe v0.10.21):

* ``modules/palm_detection/palm_detection_cpu.pbtxt`` and
  ``tasks/cc/vision/hand_detector/hand_detector_graph.cc`` (the same numbers in both):
  192x192 input, aspect kept, values in [0, 1], zero border; SSD anchors
  (``calculators/tflite/ssd_anchors_calculator.cc``: 4 layers, strides 8, 16, 16, 16, scales
  0.1484375 to 0.75, fixed size, one interpolated anchor per cell -> 2016 anchors); box and 7
  keypoints decoded x-first, scaled by 192, sigmoid score clipped at 100, min score =
  ``min_detection_confidence``; weighted NMS at IoU 0.3; letterbox removed. The SSD maths are
  :mod:`holistic_ros.pipeline.detection`'s, shared with the pose and face detectors.
* palm -> hand ROI: ``hand_detector_graph.cc`` (ConfigureDetectionsToRectsCalculator,
  ConfigureRectTransformationCalculator), the Tasks form of
  ``modules/hand_landmark/palm_detection_detection_to_roi.pbtxt``: the detection's box,
  rotated by the wrist centre (keypoint 0) -> middle-finger MCP (keypoint 2) vector
  (``calculators/util/detections_to_rects_calculator.cc``; the target angle is the Tasks
  graph's, see :data:`PALM_ROI_TARGET_ANGLE`), then scaled 2.6, shifted -0.5 of
  its height towards the fingers and squared on its long side
  (``calculators/util/rect_transformation_calculator.cc``); at most ``num_hands`` of them
  (ClipNormalizedRectVectorSizeCalculator).
"""

from __future__ import annotations

from typing import List

from .detection import (DecodeOptions, Detection, SsdAnchorOptions, decode_detections,
                        generate_anchor_centers, remove_detection_letterbox, weighted_nms)
from .models import ModelSession
from .roi import NormRect, crop_image, rotation_from_points, transform_rect

# modules/palm_detection/palm_detection_cpu.pbtxt, tasks/cc/vision/hand_detector/hand_detector_graph.cc
PALM_DETECTION_INPUT_SIZE = 192
PALM_DETECTION_ANCHORS = SsdAnchorOptions(
    input_size=PALM_DETECTION_INPUT_SIZE, num_layers=4, strides=(8, 16, 16, 16),
    min_scale=0.1484375, max_scale=0.75)
#: num_boxes of TensorsToDetectionsCalculatorOptions (the model's 2016 rows).
PALM_DETECTION_NUM_ANCHORS = 2016
PALM_DETECTION_NUM_KEYPOINTS = 7
PALM_DETECTION_NMS_IOU = 0.3
# Keypoints (hand_detector_graph.cc): 0 centre of the wrist, 2 MCP of the middle finger.
PALM_WRIST_KEYPOINT = 0
PALM_MIDDLE_MCP_KEYPOINT = 2
#: hand_detector_graph.cc sets ``rotation_vector_target_angle(90)``, a field that
#: DetectionsToRectsCalculator reads in *radians* (detections_to_rects_calculator.cc Open), so
#: the Tasks graphs (HandLandmarker, GestureRecognizer) turn the wrist -> middle-MCP vector to
#: 90 rad (116.6 degrees, normalised), not to the 90 degrees of the legacy
#: modules/hand_landmark/palm_detection_detection_to_roi.pbtxt. Measured against
#: GestureRecognizer on the hand photos: with 90 degrees the first frame's landmarks differ by
#: 0.5-7% of the diagonal (another hand on mps_two_hands_thumbs_up.jpg), with 90 rad by at
#: most 0.006%. Tracking corrects the ROI from the next frame on either way.
PALM_ROI_TARGET_ANGLE = 90.0
# hand_detector_graph.cc ConfigureRectTransformationCalculator (palm box -> whole hand).
PALM_TO_HAND_SCALE = 2.6
PALM_TO_HAND_SHIFT_Y = -0.5


class PalmDetector:
    """Finds palms in a whole image: best score first, at most ``max_detections``."""

    def __init__(self, session: ModelSession):
        self.session = session
        self.anchors = generate_anchor_centers(PALM_DETECTION_ANCHORS)
        if len(self.anchors) != PALM_DETECTION_NUM_ANCHORS:
            raise AssertionError(f"{len(self.anchors)} palm anchors, MediaPipe has {PALM_DETECTION_NUM_ANCHORS}")

    def detect(self, image, min_score: float, max_detections: int = -1) -> List[Detection]:
        """Palm detections in image-normalised coordinates (box, 7 keypoints), after NMS."""
        whole_image = NormRect(0.5, 0.5, 1.0, 1.0, 0.0)
        crop = crop_image(image, whole_image, PALM_DETECTION_INPUT_SIZE, PALM_DETECTION_INPUT_SIZE,
                          keep_aspect_ratio=True, value_range=(0.0, 1.0), border_zero=True)
        out = self.session.run(crop.tensor)
        options = DecodeOptions(num_keypoints=PALM_DETECTION_NUM_KEYPOINTS,
                                scale=float(PALM_DETECTION_INPUT_SIZE), min_score=min_score,
                                nms_iou_threshold=PALM_DETECTION_NMS_IOU)
        candidates = decode_detections(out["regressors"], out["classificators"], self.anchors, options)
        detections = weighted_nms(candidates, PALM_DETECTION_NMS_IOU, max_detections=max_detections)
        return [remove_detection_letterbox(d, crop.padding) for d in detections]


def palm_rect_from_detection(detection: Detection, image_size) -> NormRect:
    """``detections_to_rects_calculator.cc`` (NORM_RECT of a relative box): the box, rotated by
    the wrist -> middle-MCP vector (in pixels) to 90 degrees."""
    w, h = image_size
    xmin, ymin, xmax, ymax = (float(v) for v in detection.box)
    start = detection.keypoints[PALM_WRIST_KEYPOINT] * (w, h)
    end = detection.keypoints[PALM_MIDDLE_MCP_KEYPOINT] * (w, h)
    return NormRect((xmin + xmax) / 2.0, (ymin + ymax) / 2.0, xmax - xmin, ymax - ymin,
                    rotation_from_points(start, end, PALM_ROI_TARGET_ANGLE))


def hand_roi_from_palm(detection: Detection, image_size) -> NormRect:
    """The whole hand's ROI from a palm detection (``hand_detector_graph.cc``)."""
    return transform_rect(palm_rect_from_detection(detection, image_size), image_size,
                          PALM_TO_HAND_SCALE, PALM_TO_HAND_SCALE, shift_y=PALM_TO_HAND_SHIFT_Y,
                          square_long=True)
