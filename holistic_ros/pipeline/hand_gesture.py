"""Hand gesture stage: MediaPipe's canned hand gesture classifier on one hand's landmarks.

Ports, under ``mediapipe/tasks/cc/vision/gesture_recognizer/`` (google-ai-edge/mediapipe v0.10.21):
``hand_gesture_recognizer_graph.cc`` (SingleHandGestureRecognizerGraph: the wiring below),
``calculators/landmarks_to_matrix_calculator.cc`` (:func:`landmarks_to_matrix`),
``calculators/handedness_to_matrix_calculator.cc`` with ``handedness_util.cc``
(:func:`handedness_to_matrix`) and ``calculators/combined_prediction_calculator.cc``
(:func:`combined_prediction`).

Per hand, MediaPipe feeds the gesture embedder three tensors (ConcatenateTensorVectorCalculator,
in this order): the 21 image landmarks and the 21 world landmarks, each through
LandmarksToMatrixCalculator with ``object_normalization: true, origin_offset: 0``, and the
probability that the hand is a right hand. The 128-d embedding goes through the canned
classifier (a softmax over :data:`CANNED_GESTURE_LABELS`), and CombinedPredictionCalculator
keeps the arg-max label, or "None" when the arg-max is under its class threshold.
Each frame is classified on its own: there is no temporal state here.

Two facts that decide how Holistic's hands are fed (checked in the upstream graphs):

* The ``NORM_RECT`` given to the landmark calculators is the *image's* region of interest
  (``gesture_recognizer_graph.cc`` passes its own ``norm_rect_in``, the rotation a user sets
  with ImageProcessingOptions), not the hand's ROI. For a plain image its rotation is 0, so
  ``rotation_rad`` defaults to 0; the hand ROI's rotation matters only for the world
  landmarks, which the hand model outputs in the ROI's frame and
  ``world_landmark_projection_calculator.cc`` rotates back (done in ``hands.py``).
* The handedness is the hand landmark model's own output (``handedness_to_matrix`` turns
  MediaPipe's top class back into P(right)), so Holistic feeds the model's output for its
  own crop, whatever convention it follows. MediaPipe's documents say its hand graphs assume
  a mirrored (selfie) image; measured here, mediapipe 0.10.21's GestureRecognizer
  handedness agreed with Holistic's side (the subject's own, from the pose) on 6 of the 7
  hands both found in the shared photos and on every hand of the woman clip, i.e. on an
  ordinary camera image P(right) is high for the subject's right hand.
  :func:`right_hand_score_for_side` encodes that for callers without the model's score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence, Tuple

import numpy as np

#: Output order of ``canned_gesture_classifier.tflite`` (it carries no label metadata;
#: the order is MediaPipe's, as documented for the GestureRecognizer task).
CANNED_GESTURE_LABELS: Tuple[str, ...] = ("None", "Closed_Fist", "Open_Palm", "Pointing_Up", "Thumb_Down",
                                          "Thumb_Up", "Victory", "ILoveYou")
#: hand_gesture_recognizer_graph.cc: kBackgroundLabel.
BACKGROUND_LABEL = "None"
#: hand_gesture_recognizer_graph.cc: object_normalization_origin_offset 0 (the wrist).
WRIST_INDEX = 0
#: landmarks_to_matrix_calculator.cc NormalizeObject: kEpsilon added to the box size.
OBJECT_NORMALIZATION_EPSILON = 1e-5
NUM_HAND_LANDMARKS = 21


@dataclass(frozen=True)
class HandGesture:
    """One hand's gesture: a canned label (:data:`CANNED_GESTURE_LABELS`) and its softmax score."""

    label: str
    score: float


@dataclass(frozen=True)
class HandGestureOptions:
    """CombinedPredictionCalculatorOptions as the GestureRecognizer task sets them.

    MediaPipe's task sets only the background label, so every class threshold is the
    default 0 and the arg-max always wins; raise a class's threshold here to make that
    class fall back to "None" below it (combined_prediction_calculator.proto).
    """

    #: label -> minimum score for that label to win; labels not listed use ``default_threshold``.
    class_thresholds: Mapping[str, float] = field(default_factory=dict)
    default_threshold: float = 0.0

    def __post_init__(self):
        for label, value in dict(self.class_thresholds).items():
            if label not in CANNED_GESTURE_LABELS:
                raise ValueError(f"class_thresholds: unknown label {label!r}; "
                                 f"choose from {', '.join(CANNED_GESTURE_LABELS)}")
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"class_thresholds[{label!r}] = {value} is outside [0, 1]")
        if not 0.0 <= float(self.default_threshold) <= 1.0:
            raise ValueError(f"default_threshold = {self.default_threshold} is outside [0, 1]")


def normalize_landmark_aspect_ratio(landmarks_norm: np.ndarray, image_size: Tuple[int, int]) -> np.ndarray:
    """NormalizeLandmarkAspectRatio: image-normalised x, y onto a square of the longer side.

    ``image_size`` is (width, height) in pixels; z is unchanged.
    """
    width, height = float(image_size[0]), float(image_size[1])
    max_dim = max(width, height)
    if max_dim <= 0:
        raise ValueError(f"invalid image size {image_size}: width and height must be positive")
    out = np.array(landmarks_norm, dtype=np.float32, copy=True)
    out[:, 0] = (out[:, 0] - 0.5) * np.float32(width / max_dim) + 0.5
    out[:, 1] = (out[:, 1] - 0.5) * np.float32(height / max_dim) + 0.5
    return out


def rotate_landmarks(landmarks: np.ndarray, rotation_rad: float) -> np.ndarray:
    """RotateLandmarks: x, y about (0.5, 0.5) by ``rotation_rad`` (y points down, hence -sin)."""
    out = np.array(landmarks, dtype=np.float32, copy=True)
    if rotation_rad == 0.0:
        return out
    c, s = np.float32(np.cos(rotation_rad)), np.float32(np.sin(-rotation_rad))
    x, y = out[:, 0] - 0.5, out[:, 1] - 0.5
    out[:, 0] = x * c - y * s + 0.5
    out[:, 1] = y * c + x * s + 0.5
    return out


def normalize_object(landmarks: np.ndarray, origin_index: int = WRIST_INDEX) -> np.ndarray:
    """NormalizeObject: move ``origin_index`` to 0 and divide by the larger side of the x-y box.

    The box is measured on x and y only; z is divided by the same scale, so the hand keeps
    its proportions whatever its size in the image.
    """
    out = np.asarray(landmarks, dtype=np.float32) - np.asarray(landmarks, dtype=np.float32)[origin_index]
    extent = out[:, :2].max(axis=0) - out[:, :2].min(axis=0)
    scale = np.float32(max(float(extent[0]), float(extent[1])) + OBJECT_NORMALIZATION_EPSILON)
    return out / scale


def landmarks_to_matrix(landmarks: np.ndarray, image_size: Optional[Tuple[int, int]] = None,
                        rotation_rad: float = 0.0) -> np.ndarray:
    """LandmarksToMatrixCalculator with object normalisation: (21, 3) float32, wrist at 0.

    ``image_size`` (width, height) is given for image-normalised landmarks (MediaPipe corrects
    their aspect ratio first) and None for world landmarks (metres need no correction).
    The (3, 21) column-major Matrix MediaPipe builds is this array's memory layout, which
    TensorConverterCalculator hands to the model as [1, 21, 3].
    """
    lm = np.asarray(landmarks, dtype=np.float32)[:, :3]
    if lm.shape != (NUM_HAND_LANDMARKS, 3):
        raise ValueError(f"hand landmarks must be ({NUM_HAND_LANDMARKS}, 3), got {lm.shape}")
    if image_size is not None:
        lm = normalize_landmark_aspect_ratio(lm, image_size)
    lm = rotate_landmarks(lm, rotation_rad)
    return normalize_object(lm, WRIST_INDEX)


def handedness_to_matrix(right_hand_score: float) -> np.ndarray:
    """HandednessToMatrixCalculator: (1, 1) float32, the probability of a right hand.

    MediaPipe's GetRightHandScore returns ``score`` for a top class "Right" and
    ``1 - score`` for "Left"; both equal the hand model's raw handedness output.
    """
    score = float(right_hand_score)
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"right-hand score {score} is outside [0, 1]")
    return np.full((1, 1), score, dtype=np.float32)


def right_hand_score_for_side(subject_side: str) -> float:
    """P(right) the hand model typically gives a hand of the subject's ``"left"``/``"right"`` side
    on an ordinary (not mirrored) camera image: 1.0 for the right hand (measured, module docstring).
    """
    if subject_side not in ("left", "right"):
        raise ValueError(f"subject_side must be 'left' or 'right', got {subject_side!r}")
    return 1.0 if subject_side == "right" else 0.0


def combined_prediction(scores: np.ndarray, labels: Sequence[str] = CANNED_GESTURE_LABELS,
                        options: Optional[HandGestureOptions] = None,
                        background_label: str = BACKGROUND_LABEL) -> HandGesture:
    """CombinedPredictionCalculator for one classifier: arg-max label if it clears its threshold.

    Ties go to the first class, as GetMaxScoringClassification keeps the first maximum. Below
    the threshold the background class is returned with its own score. The background
    class's threshold is always 0 (the calculator's Open sets it).
    """
    options = options or HandGestureOptions()
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    if scores.size != len(labels):
        raise ValueError(f"{scores.size} scores for {len(labels)} labels")
    best = int(np.argmax(scores))
    label = labels[best]
    threshold = 0.0 if label == background_label else float(
        options.class_thresholds.get(label, options.default_threshold))
    if scores[best] >= threshold:
        return HandGesture(label, float(scores[best]))
    background = list(labels).index(background_label)
    return HandGesture(background_label, float(scores[background]))


class HandGestureRecognizer:
    """SingleHandGestureRecognizerGraph: landmarks -> embedder -> canned classifier -> label.

    ``embedder`` and ``classifier`` are :class:`holistic_ros.pipeline.models.ModelSession`
    objects of ``gesture_embedder`` and ``canned_gesture_classifier`` (tools/convert_models.py;
    inputs ``hand_landmarks`` [1,21,3], ``handedness`` [1,1], ``hand_world_landmarks``
    [1,21,3] -> ``embedding`` [1,128] -> ``scores`` [1,8]).
    """

    def __init__(self, embedder, classifier, options: Optional[HandGestureOptions] = None):
        self.embedder = embedder
        self.classifier = classifier
        self.options = options or HandGestureOptions()

    def embedder_inputs(self, landmarks_norm: np.ndarray, world_landmarks: np.ndarray, right_hand_score: float,
                        image_size: Tuple[int, int], rotation_rad: float = 0.0) -> dict:
        """The embedder's three input tensors for one hand (also used by the parity tests)."""
        return {
            "hand_landmarks": landmarks_to_matrix(landmarks_norm, image_size, rotation_rad)[None],
            "handedness": handedness_to_matrix(right_hand_score),
            "hand_world_landmarks": landmarks_to_matrix(world_landmarks, None, rotation_rad)[None],
        }

    def scores(self, feeds: Mapping[str, np.ndarray]) -> np.ndarray:
        """Softmax over :data:`CANNED_GESTURE_LABELS`, (8,) float32."""
        (embedding,) = self.embedder.session.run(["embedding"], dict(feeds))
        (scores,) = self.classifier.session.run(["scores"], {"embedding": embedding})
        return scores.reshape(-1)

    def recognize(self, landmarks_norm: Optional[np.ndarray], world_landmarks: Optional[np.ndarray],
                  right_hand_score: float, image_size: Tuple[int, int],
                  rotation_rad: float = 0.0) -> Optional[HandGesture]:
        """One hand's gesture, or None when the hand (or its world landmarks) is absent or not finite.

        ``landmarks_norm``: (21, 3) image-normalised x, y and MediaPipe's relative z;
        ``world_landmarks``: (21, 3) metres, already rotated out of the hand ROI;
        ``right_hand_score``: the hand model's handedness output (P(right), mirrored-image
        convention); ``image_size``: (width, height) px; ``rotation_rad``: the image's
        rotation (ImageProcessingOptions), 0 for an upright camera image.
        """
        if landmarks_norm is None or world_landmarks is None:
            return None
        lm = np.asarray(landmarks_norm, dtype=np.float32)[:, :3]
        world = np.asarray(world_landmarks, dtype=np.float32)[:, :3]
        if not (np.all(np.isfinite(lm)) and np.all(np.isfinite(world)) and np.isfinite(right_hand_score)):
            return None
        feeds = self.embedder_inputs(lm, world, min(max(float(right_hand_score), 0.0), 1.0), image_size,
                                     rotation_rad)
        return combined_prediction(self.scores(feeds), CANNED_GESTURE_LABELS, self.options)
