"""Face branch: ROI from pose, BlazeFace re-crop, tracking, face landmark model.

Ports, under ``mediapipe/modules/``:
``holistic_landmark/face_landmarks_from_pose_cpu.pbtxt`` (the branch),
``holistic_landmark/face_landmarks_from_pose_to_recrop_roi.pbtxt``,
``face_detection/face_detection_short_range_by_roi_cpu.pbtxt``,
``holistic_landmark/face_detection_front_detections_to_roi.pbtxt``,
``holistic_landmark/face_tracking.pbtxt`` with ``face_landmarks_to_roi.pbtxt``,
``face_landmark/face_landmark_cpu.pbtxt`` and
``face_landmark/tensors_to_face_landmarks_with_attention.pbtxt``.
"""

from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

from . import face_refinement_indices as refine
from .detection import DecodeOptions, SsdAnchorOptions, decode_detections, generate_anchor_centers, weighted_nms
from .activations import sigmoid
from .models import ModelSession
from .roi import (NormRect, crop_image, crop_images, landmarks_from_roi, project_from_roi, rect_from_bounding_box,
                  square_around, transform_rect)
from .tracking import RoiTracker, TrackingRequirements

# face_landmarks_from_pose_to_recrop_roi.pbtxt: pose landmarks 0-10 (the face),
# rotation from 5 (right eye) to 2 (left eye).
POSE_FACE_SLICE = slice(0, 11)
POSE_RIGHT_EYE, POSE_LEFT_EYE = 5, 2
FACE_FROM_POSE_SCALE = 3.0

# face_detection_short_range.pbtxt / face_detection.pbtxt
FACE_DETECTION_INPUT_SIZE = 128
FACE_DETECTION_ANCHORS = SsdAnchorOptions(
    input_size=FACE_DETECTION_INPUT_SIZE, num_layers=4, strides=(8, 16, 16, 16),
    min_scale=0.1484375, max_scale=0.75)
FACE_DETECTION_DECODE = DecodeOptions(num_keypoints=6, scale=float(FACE_DETECTION_INPUT_SIZE),
                                      min_score=0.5, nms_iou_threshold=0.3)

# face_detection_front_detections_to_roi.pbtxt: keypoints 0 (right eye) -> 1 (left eye).
FACE_RECROP_SCALE = 2.0
FACE_RECROP_SHIFT_Y = -0.1

# BlazeFace's keypoint 2 (face_detection.pbtxt: right eye, left eye, nose tip, mouth,
# right and left ear tragion): where a face found by FaceBranch.faces_around lies.
FACE_NOSE_TIP = 2

# face_landmarks_to_roi.pbtxt: mesh points 33 -> 263, scale 1.5.
MESH_RIGHT_EYE_OUTER, MESH_LEFT_EYE_OUTER = 33, 263
FACE_TRACKING_SCALE = 1.5
# face_tracking.pbtxt
FACE_TRACKING_REQUIREMENTS = TrackingRequirements(
    rotation_degrees=15.0, translation=0.1, scale=0.3, recrop_rect_margin=-0.2)

# face_landmark_cpu.pbtxt
FACE_LANDMARK_INPUT_SIZE = 192
FACE_PRESENCE_THRESHOLD = 0.5
NUM_MESH_LANDMARKS = 468


def face_roi_from_pose(pose_landmarks: np.ndarray, image_size) -> NormRect:
    rect = rect_from_bounding_box(pose_landmarks[POSE_FACE_SLICE, :2], image_size,
                                  POSE_RIGHT_EYE, POSE_LEFT_EYE, 0.0)
    return transform_rect(rect, image_size, FACE_FROM_POSE_SCALE, FACE_FROM_POSE_SCALE, square_long=True)


def face_roi_from_detection_keypoints(keypoints_norm: np.ndarray, image_size) -> NormRect:
    rect = rect_from_bounding_box(keypoints_norm, image_size, 0, 1, 0.0)
    return transform_rect(rect, image_size, FACE_RECROP_SCALE, FACE_RECROP_SCALE,
                          shift_y=FACE_RECROP_SHIFT_Y, square_long=True)


def face_roi_from_landmarks(face_landmarks: np.ndarray, image_size) -> NormRect:
    rect = rect_from_bounding_box(face_landmarks[:, :2], image_size, MESH_RIGHT_EYE_OUTER,
                                  MESH_LEFT_EYE_OUTER, 0.0)
    return transform_rect(rect, image_size, FACE_TRACKING_SCALE, FACE_TRACKING_SCALE, square_long=True)


def merge_attention_outputs(out) -> np.ndarray:
    """Attention model outputs (crop pixels) -> (478, 3) crop-normalised mesh."""
    size = float(FACE_LANDMARK_INPUT_SIZE)
    mesh = np.zeros((NUM_MESH_LANDMARKS + 10, 3), dtype=np.float64)
    mesh[:NUM_MESH_LANDMARKS] = out["mesh"].reshape(-1, 3) / size
    for key, indices in (("lips", refine.LIPS_MESH_INDICES),
                         ("left_eye", refine.LEFT_EYE_MESH_INDICES),
                         ("right_eye", refine.RIGHT_EYE_MESH_INDICES)):
        mesh[list(indices), :2] = out[key].reshape(-1, 2) / size
    for key, first, z_from in (("left_iris", refine.LEFT_IRIS_FIRST_INDEX, refine.LEFT_IRIS_Z_FROM_MESH_INDICES),
                               ("right_iris", refine.RIGHT_IRIS_FIRST_INDEX, refine.RIGHT_IRIS_Z_FROM_MESH_INDICES)):
        mesh[first:first + 5, :2] = out[key].reshape(-1, 2) / size
        mesh[first:first + 5, 2] = mesh[list(z_from), 2].mean()
    return mesh


class FaceBranch:
    """Face landmarks for the person found by the pose stage."""

    def __init__(self, detector: ModelSession, landmarker: ModelSession, with_attention: bool,
                 skip_recrops: bool = False):
        self.detector = detector
        self.landmarker = landmarker
        self.with_attention = with_attention
        self.anchors = generate_anchor_centers(FACE_DETECTION_ANCHORS)
        self.tracker = RoiTracker(FACE_TRACKING_REQUIREMENTS, skip_recrops)

    def reset(self) -> None:
        self.tracker.reset()

    def recrop_roi(self, image: np.ndarray, roi: NormRect) -> Optional[NormRect]:
        """BlazeFace on the ROI around the pose's face; None when it finds no face."""
        h, w = image.shape[:2]
        faces = self._faces_in(image, roi, max_detections=1)
        return face_roi_from_detection_keypoints(faces[0], (w, h)) if faces else None

    def _faces_in(self, image, roi: NormRect, max_detections: int) -> List[np.ndarray]:
        """BlazeFace's faces in an ROI, best first: each one's keypoints (6, 2), image-normalised."""
        crop = crop_image(image, roi, FACE_DETECTION_INPUT_SIZE, FACE_DETECTION_INPUT_SIZE,
                        keep_aspect_ratio=True, value_range=(-1.0, 1.0), border_zero=True)
        out = self.detector.run(crop.tensor)
        candidates = decode_detections(out["regressors"], out["classificators"], self.anchors,
                                       FACE_DETECTION_DECODE)
        detections = weighted_nms(candidates, FACE_DETECTION_DECODE.nms_iou_threshold, max_detections=max_detections)
        # DetectionProjectionCalculator: the crop's matrix covers the padded ROI.
        return [project_from_roi(d.keypoints, crop.rect) for d in detections]

    def faces_around(self, image, box) -> List[np.ndarray]:
        """The nose tips (FACE_NOSE_TIP, image-normalised (x, y)) of the faces BlazeFace finds
        around a box (xmin, ymin, xmax, ymax, normalised): in a square FACE_FROM_POSE_SCALE
        times its longer side around it, as the face ROI from a pose (a face the size of the
        box fills a third of the crop, the size the short-range model finds best). No
        tracking state is touched: the several-people checks of a newcomer
        (holistic_ros.pipeline.people.PeopleTracker.has_own_face)."""
        h, w = image.shape[:2]
        roi = square_around(box, FACE_FROM_POSE_SCALE, (w, h))
        return [keypoints[FACE_NOSE_TIP, :2] for keypoints in self._faces_in(image, roi, max_detections=-1)]

    def landmarks(self, image: np.ndarray, roi: NormRect):
        """(landmarks (N, 3) image-normalised, score) or (None, score)."""
        crop = crop_image(image, roi, FACE_LANDMARK_INPUT_SIZE, FACE_LANDMARK_INPUT_SIZE,
                        keep_aspect_ratio=False, value_range=(0.0, 1.0), border_zero=False)
        return self._decode(self.landmarker.run(crop.tensor), crop)

    def landmarks_batch(self, image, rois: Sequence[NormRect]) -> List[tuple]:
        """:meth:`landmarks` of several faces (several people), the crops in one run
        when the model takes a batch (tools/convert_models.py DYNAMIC_BATCH)."""
        if self.landmarker.input_shape[0] == 1 or len(rois) <= 1:
            return [self.landmarks(image, roi) for roi in rois]
        batch, crops = crop_images(image, list(rois), FACE_LANDMARK_INPUT_SIZE, FACE_LANDMARK_INPUT_SIZE,
                                   keep_aspect_ratio=False, value_range=(0.0, 1.0), border_zero=False)
        out = self.landmarker.run(batch)
        return [self._decode({k: v[i:i + 1] for k, v in out.items()}, crop) for i, crop in enumerate(crops)]

    def _decode(self, out, crop):
        """One crop's outputs (batch of one): (landmarks, score) or (None, score)."""
        score = float(sigmoid(np.asarray(out["face_flag"], dtype=np.float64).reshape(-1)[0]))
        if score <= FACE_PRESENCE_THRESHOLD:
            return None, score
        if self.with_attention:
            mesh = merge_attention_outputs(out)
        else:
            mesh = out["landmarks"].reshape(-1, 3).astype(np.float64) / FACE_LANDMARK_INPUT_SIZE
        return landmarks_from_roi(mesh, crop), score

    def tracking_roi(self, image, pose_landmarks: np.ndarray) -> Optional[NormRect]:
        """This frame's face ROI (re-crop model and tracking), or None when no face is found.
        Tracking runs in static mode too, as in MediaPipe's graph, where only the pose
        stage depends on ``use_prev_landmarks``."""
        h, w = image.shape[:2]
        return self.tracker.roi_for_frame(face_roi_from_pose(pose_landmarks, (w, h)), (w, h),
                                          lambda pose_roi: self.recrop_roi(image, pose_roi))

    def finish(self, found, image_size):
        """Tracking state from this frame's (landmarks, score); returns them."""
        landmarks, score = found
        if landmarks is None:
            self.tracker.reset()
            return None, score
        self.tracker.update(landmarks, face_roi_from_landmarks(landmarks, image_size), image_size)
        return landmarks, score
