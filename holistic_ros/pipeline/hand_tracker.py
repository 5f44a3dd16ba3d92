"""Hands wherever they are: palm detection, hand landmarks and tracking, as HandLandmarker does.

Ports MediaPipe's Tasks ``HandLandmarkerGraph`` (google-ai-edge/mediapipe v0.10.21, under
``mediapipe/tasks/cc/vision/hand_landmarker/``), the graph GestureRecognizer runs:

* ``hand_landmarker_graph.cc``: in video mode the palm detector
  (:mod:`holistic_ros.pipeline.palm_detection`) runs only while fewer hands are tracked than
  ``num_hands`` (NormalizedRectVectorHasMinSizeCalculator + DisallowIf); in image mode it runs
  on every image and nothing is tracked;
* ``calculators/hand_association_calculator.cc`` with ``mediapipe/util/rectangle_util.cc``: the
  tracked hands' ROIs come first; a palm's hand ROI is added only if its axis-aligned IoU
  (rotation ignored, as there) with every ROI already kept is at most
  :data:`HAND_ASSOCIATION_MIN_SIMILARITY`; then at most ``num_hands`` ROIs;
* ``hand_landmarks_detector_graph.cc``: the hand landmark model on each ROI (the code of
  :mod:`holistic_ros.pipeline.hands`, shared with Holistic's hands); a hand whose presence
  score is not above ``min_tracking_confidence`` is dropped (legacy ``mp.solutions.hands``:
  ``min_tracking_confidence`` is that threshold; Tasks calls it ``min_hand_presence_confidence``,
  both 0.5 by default); the next frame's ROI comes from the landmarks
  (:func:`~holistic_ros.pipeline.hands.hand_roi_from_landmarks`);
* ``calculators/hand_landmarks_deduplication_calculator.cc``: two hands that share at least 10
  of 21 landmarks (closer than 0.2 of the larger hand's baseline) and whose landmark boxes
  overlap by IoU > 0.2 are one hand; the earlier (tracked) one is kept.

Ours, not MediaPipe's: each hand keeps a track id while it is tracked (MediaPipe's rect ids
are not carried by the next frame's ROI); ``side`` is the subject's side from the hand
model's handedness (:func:`~holistic_ros.pipeline.hand_gesture.right_hand_score_for_side`
says which way round, measured).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from .hand_gesture import HandGesture, HandGestureRecognizer
from .hands import (HAND_LANDMARK_INPUT_SIZE, HandResult, hand_from_model_output,
                    hand_roi_from_landmarks)
from .models import ModelSession, ModelStore, create_sessions, resolve_providers
from .palm_detection import PalmDetector, hand_roi_from_palm
from .people import box_iou as people_box_iou
from .roi import NormRect, crop_images, rect_is_valid

#: hand_landmarker_graph.cc: HandAssociationCalculator's min_similarity_threshold is the task's
#: min_tracking_confidence, 0.5 by default (hand_landmarker.py / hands.py).
HAND_ASSOCIATION_MIN_SIMILARITY = 0.5
# hand_landmarks_deduplication_calculator.cc
DEDUP_BASELINE_LANDMARKS = (0, 5, 17)        # wrist, index MCP, pinky MCP
DEDUP_BASELINE_RATIO = 0.2                   # kAllowedBaselineDistanceRatio
DEDUP_MIN_MATCHED_LANDMARKS = 10             # kNumMatchedLandmarksToSuppressHand
DEDUP_MIN_IOU = 0.2                          # kMinIouThresholdToSuppressHand
#: handedness output above this: a right hand (HandednessToMatrix / the task's top class).
HANDEDNESS_RIGHT_THRESHOLD = 0.5


@dataclass(frozen=True)
class HandTrackerOptions:
    """HandLandmarker's options (``hand_landmarker.py``), with its defaults."""

    num_hands: int = 2
    #: palm detector score (min_hand_detection_confidence).
    min_detection_confidence: float = 0.5
    #: hand presence score below which a hand is dropped (legacy min_tracking_confidence).
    min_tracking_confidence: float = 0.5
    #: every image on its own (IMAGE running mode): the palm detector always runs.
    static_image_mode: bool = False

    def validate(self) -> None:
        if isinstance(self.num_hands, bool) or not isinstance(self.num_hands, int) or self.num_hands < 1:
            raise ValueError(f"num_hands must be an integer >= 1, got {self.num_hands!r}")
        for name in ("min_detection_confidence", "min_tracking_confidence"):
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")


@dataclass(frozen=True)
class TrackedHand:
    """One hand found by the palm path.

    ``landmarks`` (21, 3) image-normalised (x, y, MediaPipe's relative z);
    ``world_landmarks`` (21, 3) metres around the hand's centre, in the image's axes;
    ``score`` the hand model's presence; ``handedness`` its P(right hand);
    ``side`` "left"/"right", the subject's side; ``roi`` the crop the landmarks came from;
    ``from_palm`` whether that crop came from this frame's palm detection (else from tracking).
    """

    track_id: int
    side: str
    landmarks: np.ndarray
    world_landmarks: np.ndarray
    score: float
    handedness: float
    roi: NormRect
    from_palm: bool
    gesture: Optional[HandGesture] = None

    def as_hand_result(self) -> HandResult:
        return HandResult(self.landmarks, self.score, self.world_landmarks, self.handedness, self.gesture)


def side_from_handedness(right_hand_score: float) -> str:
    """The subject's side of a hand from the model's P(right hand) (see the module docstring)."""
    return "right" if right_hand_score > HANDEDNESS_RIGHT_THRESHOLD else "left"


def rect_iou(a: NormRect, b: NormRect) -> float:
    """``rectangle_util.cc`` CalculateIou of two NormalizedRects (axis-aligned, rotation ignored)."""
    ax0, ay0, ax1, ay1 = (a.x_center - a.width / 2, a.y_center - a.height / 2,
                          a.x_center + a.width / 2, a.y_center + a.height / 2)
    bx0, by0, bx1, by1 = (b.x_center - b.width / 2, b.y_center - b.height / 2,
                          b.x_center + b.width / 2, b.y_center + b.height / 2)
    iw, ih = min(ax1, bx1) - max(ax0, bx0), min(ay1, by1) - max(ay0, by0)
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = a.width * a.height + b.width * b.height - inter
    return inter / union if union > 0 else 0.0


def associate_rects(base: Sequence[Tuple[int, NormRect]], new: Sequence[NormRect],
                    min_similarity: float = HAND_ASSOCIATION_MIN_SIMILARITY) -> List[Tuple[Optional[int], NormRect]]:
    """``hand_association_calculator.cc``: every base rect (with its id), then each new rect
    that overlaps none of those kept so far by IoU > ``min_similarity`` (id None: a new hand)."""
    kept: List[Tuple[Optional[int], NormRect]] = list(base)
    for rect in new:
        if all(rect_iou(rect, other) <= min_similarity for _, other in kept):
            kept.append((None, rect))
    return kept


def _baseline_px(lm: np.ndarray, size) -> float:
    p = lm[list(DEDUP_BASELINE_LANDMARKS), :2] * size
    return max(float(np.hypot(*(p[0] - p[1]))), float(np.hypot(*(p[1] - p[2]))), float(np.hypot(*(p[2] - p[0]))))


def landmark_box(landmarks: np.ndarray) -> np.ndarray:
    """(xmin, ymin, xmax, ymax) of a hand's landmarks (CalculateBound of the deduplication)."""
    xy = np.asarray(landmarks)[:, :2]
    return np.concatenate([xy.min(axis=0), xy.max(axis=0)])


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two hands' landmark boxes (CalculateIOU of the deduplication)."""
    return people_box_iou(landmark_box(a), landmark_box(b))


def duplicate_hands(landmarks: Sequence[np.ndarray], image_size) -> List[int]:
    """``hand_landmarks_deduplication_calculator.cc`` (start from the front): indices to drop."""
    size = np.asarray(image_size, dtype=np.float64)
    baselines = [_baseline_px(lm, size) for lm in landmarks]
    retained: List[int] = []
    dropped: List[int] = []
    for i, lm in enumerate(landmarks):
        suppressed = False
        for j in retained:
            threshold = max(baselines[i], baselines[j]) * DEDUP_BASELINE_RATIO
            distances = np.hypot(*((lm[:, :2] - landmarks[j][:, :2]) * size).T)
            if (int(np.sum(distances < threshold)) >= DEDUP_MIN_MATCHED_LANDMARKS
                    and box_iou(lm, landmarks[j]) > DEDUP_MIN_IOU):
                suppressed = True
                break
        (dropped if suppressed else retained).append(i)
    return dropped


class HandTracker:
    """Palm detector + hand landmark model + tracking: HandLandmarker in video (or image) mode.

    ``palm_detector``: a :class:`~holistic_ros.pipeline.palm_detection.PalmDetector`;
    ``landmarker``: the ``hand_landmark_full`` session (a batch of crops when it takes one);
    ``gestures``: a :class:`~holistic_ros.pipeline.hand_gesture.HandGestureRecognizer` to give
    each hand its canned gesture, as GestureRecognizer does.
    """

    def __init__(self, palm_detector: PalmDetector, landmarker: ModelSession,
                 options: Optional[HandTrackerOptions] = None,
                 gestures: Optional[HandGestureRecognizer] = None):
        self.options = options or HandTrackerOptions()
        self.options.validate()
        self.palm_detector = palm_detector
        self.landmarker = landmarker
        self.gestures = gestures
        self._ids = itertools.count(1)
        #: (track id, next frame's ROI) of the hands tracked from the last frame.
        self._tracked: List[Tuple[int, NormRect]] = []
        #: whether the palm detector ran on the last frame (for tests and the benchmark).
        self.palm_detector_ran = False
        #: the palm detector runs while fewer hands than this are tracked (None: ``num_hands``,
        #: MediaPipe's rule); Holistic's detail budget lowers it (hand_sources.py).
        self.detect_below: Optional[int] = None
        #: a test on each new palm's hand ROI: True leaves it out (no landmark model on it).
        self.skip_palm: Optional[Callable[[NormRect], bool]] = None

    def reset(self) -> None:
        """Forget the tracked hands (a new stream); ids keep counting up."""
        self._tracked = []

    @property
    def tracked_count(self) -> int:
        return len(self._tracked)

    def wants_detection(self) -> bool:
        """Whether this frame needs the palm detector (hand_landmarker_graph.cc)."""
        wanted = self.options.num_hands if self.detect_below is None else self.detect_below
        return self.options.static_image_mode or len(self._tracked) < wanted

    @property
    def tracked_ids(self) -> List[int]:
        return [track_id for track_id, _ in self._tracked]

    def untrack(self, track_ids) -> None:
        """Stop tracking these hands (their landmark model does not run next frame)."""
        drop = set(track_ids)
        self._tracked = [(i, r) for i, r in self._tracked if i not in drop]

    def candidate_rois(self, image) -> List[Tuple[Optional[int], NormRect, bool]]:
        """This frame's hand ROIs: (track id or None for a new hand, ROI, from the palm detector)."""
        size = (image.shape[1], image.shape[0])
        base = [] if self.options.static_image_mode else list(self._tracked)
        self.palm_detector_ran = self.wants_detection()
        palms: List[NormRect] = []
        if self.palm_detector_ran:
            detections = self.palm_detector.detect(image, self.options.min_detection_confidence,
                                                   max_detections=self.options.num_hands)
            palms = [hand_roi_from_palm(d, size) for d in detections]
            palms = [r for r in palms if rect_is_valid(r) and not (self.skip_palm and self.skip_palm(r))]
        kept = associate_rects(base, palms)[:self.options.num_hands]
        return [(track_id, rect, track_id is None) for track_id, rect in kept]

    def process(self, image) -> List[TrackedHand]:
        """The hands in this RGB frame (H, W, 3) uint8, tracked ones first."""
        candidates = self.candidate_rois(image)
        hands = self.landmarks(image, candidates)
        self.commit(hands, (image.shape[1], image.shape[0]))
        return hands

    def landmarks(self, image, candidates: Sequence[Tuple[Optional[int], NormRect, bool]]) -> List[TrackedHand]:
        """The hand landmark model on each candidate ROI; absent and duplicate hands dropped,
        new hands given ids. Does not change the tracking state (:meth:`commit` does)."""
        if not candidates:
            return []
        size = (image.shape[1], image.shape[0])
        rois = [rect for _, rect, _ in candidates]
        groups = [list(range(len(rois)))] if self.landmarker.input_shape[0] != 1 else [[k] for k in range(len(rois))]
        found: List[TrackedHand] = []
        for group in groups:
            batch, crops = crop_images(image, [rois[k] for k in group], HAND_LANDMARK_INPUT_SIZE,
                                       HAND_LANDMARK_INPUT_SIZE, keep_aspect_ratio=True, value_range=(0.0, 1.0),
                                       border_zero=False)
            out = self.landmarker.run(batch)
            for i, (k, crop) in enumerate(zip(group, crops)):
                hand = hand_from_model_output({key: v[i:i + 1] for key, v in out.items()}, crop,
                                              self.options.min_tracking_confidence)
                if hand.landmarks is None:
                    continue
                track_id, rect, from_palm = candidates[k]
                found.append(TrackedHand(track_id if track_id is not None else -1,
                                         side_from_handedness(hand.handedness), hand.landmarks,
                                         hand.world_landmarks, hand.score, hand.handedness, rect, from_palm))
        dropped = set(duplicate_hands([h.landmarks for h in found], size))
        found = [h for k, h in enumerate(found) if k not in dropped]
        found = [h if h.track_id >= 0 else replace(h, track_id=next(self._ids)) for h in found]
        if self.gestures is not None:
            found = [replace(h, gesture=self.gestures.recognize(h.landmarks, h.world_landmarks, h.handedness, size))
                     for h in found]
        return found

    def adopt(self, landmarks: Sequence[np.ndarray], image_size) -> List[int]:
        """Track hands found by another source (Holistic's pose hands, ``hand_source="both"``)
        from the next frame on: each gets a new id unless its landmark ROI overlaps one already
        tracked (the association's IoU test); at most ``num_hands`` in all. Returns the new ids."""
        if self.options.static_image_mode:
            return []
        new = []
        for lm in landmarks:
            if len(self._tracked) >= self.options.num_hands:
                break
            rect = hand_roi_from_landmarks(np.asarray(lm, dtype=np.float64), image_size)
            if not rect_is_valid(rect) or len(associate_rects(self._tracked, [rect])) == len(self._tracked):
                continue
            track_id = next(self._ids)
            self._tracked.append((track_id, rect))
            new.append(track_id)
        return new

    def commit(self, hands: Sequence[TrackedHand], image_size) -> None:
        """Track ``hands`` into the next frame (their landmark ROIs), unless in image mode."""
        if self.options.static_image_mode:
            self._tracked = []
            return
        self._tracked = [(h.track_id, hand_roi_from_landmarks(h.landmarks, image_size)) for h in hands]
        self._tracked = [(i, r) for i, r in self._tracked if rect_is_valid(r)]



def create_hand_tracker(options: Optional[HandTrackerOptions] = None, models_dir=None, providers=None,
                        recognize_gestures: bool = False, device_id: int = 0,
                        intra_op_threads: int = 0) -> HandTracker:
    """A :class:`HandTracker` on the converted models: MediaPipe's HandLandmarker, or its
    GestureRecognizer with ``recognize_gestures``. Every model file is checked against the
    manifest first (a missing or corrupt one raises :class:`~holistic_ros.pipeline.models.ModelError`)."""
    store = ModelStore(models_dir)
    names = ["palm_detection_full", "hand_landmark_full"]
    if recognize_gestures:
        names += ["gesture_embedder", "canned_gesture_classifier"]
    entries = {name: store.entry(name) for name in names}
    sessions = create_sessions(entries, resolve_providers(providers, device_id), intra_op_threads=intra_op_threads)
    gestures = (HandGestureRecognizer(sessions["gesture_embedder"], sessions["canned_gesture_classifier"])
                if recognize_gestures else None)
    return HandTracker(PalmDetector(sessions["palm_detection_full"]), sessions["hand_landmark_full"], options,
                       gestures)
