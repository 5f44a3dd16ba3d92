"""The Holistic pipeline: pose, then face and both hands from the pose.

Wiring follows ``mediapipe/modules/holistic_landmark/holistic_landmark_cpu.pbtxt``
and ``mediapipe/modules/pose_landmark/pose_landmark_cpu.pbtxt``; options and
defaults follow ``mediapipe/python/solutions/holistic.py``. Per-stream state
(the tracking ROIs, the filters, the previous mask) lives in one
:class:`~holistic_ros.pipeline.people.PersonTrack` per person, behind
:meth:`Holistic.reset`. The people are found, kept and given ids by a
:class:`~holistic_ros.pipeline.people.PeopleTracker` (with one person, as
MediaPipe), and each model runs once per frame on all of them (one batch per model).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .device_crop import DeviceCropper, DeviceFrame
from .face import FaceBranch
from .filters import smooth_segmentation
from .hand_gesture import HandGestureRecognizer
from .hand_sources import create_hand_source, validate_hand_source
from .hands import HandResult, HandsBranch, landmarks_of_hands
from .models import (GPU_PROVIDERS, NO_SEGMENTATION_SUFFIX, POSE_LANDMARK_MODELS, ModelStore, create_sessions,
                     provider_name, resolve_providers)
from .people import (HOLD_MAX_FRAMES, PeopleTracker, PersonTrack, body_region, face_box, fits_detection,
                     hidden_behind, on_someone_else, prominence, resolve_shared_bodies)
from .pose_detection import PoseDetector, detection_regions, roi_from_pose_detection
from .pose_landmarks import PoseLandmarker, PoseLandmarkOutput, roi_from_auxiliary_landmarks
from .prominence import DetailBudget, detailed_people
from .result import HolisticResult
from .roi import rect_is_valid
from .segmentation import mask_to_image

LOG = logging.getLogger("holistic_ros")

# mediapipe/python/solution_base.py advances its simulated clock by 33333 us a
# call, so without explicit timestamps frame i is stamped (i + 1) * 33333 us.
DEFAULT_FRAME_INTERVAL_S = 0.033333
# The branches that hang from the pose; on the CPU each runs on its own thread.
BRANCHES = ("face", "left_hand", "right_hand")


#: What a closed instance says when asked for work.
CLOSED = "This Holistic instance is closed: make a new one (close() let go of its models)."


@dataclass(frozen=True)
class HolisticOptions:
    """MediaPipe Holistic's options (``mediapipe/python/solutions/holistic.py``)."""

    static_image_mode: bool = False
    model_complexity: int = 1
    smooth_landmarks: bool = True
    enable_segmentation: bool = False
    smooth_segmentation: bool = True
    refine_face_landmarks: bool = False
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5

    def validate(self) -> None:
        if self.model_complexity not in POSE_LANDMARK_MODELS:
            raise ValueError(f"model_complexity must be 0, 1 or 2, got {self.model_complexity!r}")
        for name in ("min_detection_confidence", "min_tracking_confidence"):
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be in [0.0, 1.0], got {value!r}")

    @property
    def smoothing_enabled(self) -> bool:
        return self.smooth_landmarks and not self.static_image_mode

    @property
    def segmentation_smoothing_enabled(self) -> bool:
        return self.enable_segmentation and self.smooth_segmentation and not self.static_image_mode


def validate_image(image) -> np.ndarray:
    """Check for an HxWx3 uint8 RGB array; return it C-contiguous."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f"Expected an RGB image as a numpy array of shape (H, W, 3) and dtype uint8, "
                         f"got {type(image).__name__}.")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"Expected an RGB image of shape (H, W, 3), got shape {image.shape}. "
                         "Convert grey or RGBA images to RGB first.")
    if image.dtype != np.uint8:
        raise ValueError(f"Expected an RGB image of dtype uint8, got {image.dtype}.")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"Expected a non-empty image, got shape {image.shape}.")
    return np.ascontiguousarray(image)


@dataclass
class _PersonPose:
    """One person's pose this frame, handed to the face and hand stages."""

    track: PersonTrack
    person_id: int                 # the track's id this frame (a later frame may change it)
    landmarks: np.ndarray          # (33, 4) smoothed
    world: np.ndarray
    presence: np.ndarray
    score: float
    mask: Optional[np.ndarray] = None
    #: Several people: the person's head and shoulders region and the others' body
    #: regions (people.body_region), where its hands must not lie (people.on_someone_else).
    own_region: Optional[np.ndarray] = None
    others_regions: List[np.ndarray] = field(default_factory=list)
    #: Face and hands looked for this frame (False: left out by the detail budget, prominence.py).
    detailed: bool = True


@dataclass
class _PoseStageOutput:
    """What a frame's pose stage hands to its face and hand stages."""

    size: Tuple[int, int]
    stage_ms: Dict[str, float]
    #: The frame's mask when nobody is found: a pose then rejected still has one (as MediaPipe).
    mask: Optional[np.ndarray] = None
    #: The people found, most prominent first.
    people: List[_PersonPose] = field(default_factory=list)
    #: Tracks whose face and hand tracking starts over this frame (lost).
    resets: List[PersonTrack] = field(default_factory=list)


class Holistic:
    """MediaPipe Holistic on ONNX Runtime: pose, face and hands of one person.

    Use like ``mediapipe.solutions.holistic.Holistic``::

        with Holistic() as holistic:
            result = holistic.process(rgb)

    ``providers`` lists ONNX Runtime execution providers (``None``: CUDA when
    available, else CPU). ``models_dir`` points at converted models (default:
    the installed ones). ``parallel_branches`` runs the face and the two hands
    concurrently on the CPU (results are the same either way).
    ``skip_recrops`` (video mode only) skips the face and hand re-crop models
    on frames where tracking is sure to hold (:class:`~holistic_ros.pipeline.tracking.RecropSkipper`);
    False runs them every frame, as MediaPipe does.
    ``device_crops`` uploads each frame once and cuts every model input out
    of it on the execution provider's device (:mod:`holistic_ros.pipeline.device_crop`),
    feeding the models through IO binding; ``None`` means: when the models run
    on a GPU. On the CPU, OpenCV's crops are the ones whose pixels match MediaPipe's.
    ``recognize_gestures`` also loads MediaPipe's hand gesture models and gives each found
    hand its canned gesture (``result.left_hand_gesture`` / ``right_hand_gesture``).
    ``max_num_people``: up to this many people, each in ``result.people`` with its
    own ``person_id`` (:mod:`holistic_ros.pipeline.people`); ``result``'s own fields
    are the most prominent person's. 1 is MediaPipe Holistic, unchanged.
    ``hand_source``: "pose" (MediaPipe Holistic's hands, from each body's wrist), "palm" (hands
    found and tracked by MediaPipe's palm detector, as its HandLandmarker does, each given to
    the body whose wrist it belongs to) or "both" (every hand either finds, once); hands that
    belong to no body go in ``result.hands`` (:mod:`holistic_ros.pipeline.hand_sources`).
    ``num_hands``: how many hands the palm path tracks (default two per person).
    ``max_detailed_people``: several people, a CPU budget: only this many (the most prominent,
    :mod:`holistic_ros.pipeline.prominence`) get face and hands every frame, the others the pose
    (``result.detailed`` False); 0, the default: everyone gets everything.
    """

    def __init__(self, static_image_mode: bool = False, model_complexity: int = 1,
                 smooth_landmarks: bool = True, enable_segmentation: bool = False,
                 smooth_segmentation: bool = True, refine_face_landmarks: bool = False,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 providers: Optional[Sequence] = None, models_dir=None, device_id: int = 0,
                 parallel_branches: bool = True, skip_recrops: bool = False,
                 device_crops: Optional[bool] = None, recognize_gestures: bool = False,
                 max_num_people: int = 1, hand_source: str = "pose", num_hands: Optional[int] = None,
                 max_detailed_people: int = 0):
        validate_hand_source(hand_source)
        budget = DetailBudget(max_detailed_people)   # checks the value
        if isinstance(max_num_people, bool) or not isinstance(max_num_people, (int, np.integer)) \
                or max_num_people < 1:
            raise ValueError(f"max_num_people must be an integer >= 1 (1: MediaPipe's one person), "
                             f"got {max_num_people!r}")
        self.max_num_people = int(max_num_people)
        # No budget when it cannot bind: everyone detailed, nothing else changes.
        self._detail = budget if 0 < budget.max_detailed < self.max_num_people else None
        self.options = HolisticOptions(
            static_image_mode=bool(static_image_mode), model_complexity=int(model_complexity),
            smooth_landmarks=bool(smooth_landmarks), enable_segmentation=bool(enable_segmentation),
            smooth_segmentation=bool(smooth_segmentation), refine_face_landmarks=bool(refine_face_landmarks),
            min_detection_confidence=float(min_detection_confidence),
            min_tracking_confidence=float(min_tracking_confidence))
        self.options.validate()
        store = ModelStore(models_dir)
        requested = resolve_providers(providers, device_id)
        # Check every file first, so a bad model fails before any session is built.
        pose_model = POSE_LANDMARK_MODELS[self.options.model_complexity]
        if not self.options.enable_segmentation and store.has(pose_model + NO_SEGMENTATION_SUFFIX):
            # The same network without its segmentation head: identical
            # landmarks, about 40% less work (ONNX Runtime runs every node).
            pose_model += NO_SEGMENTATION_SUFFIX
        names = ["pose_detection", pose_model,
                 "face_detection_short_range",
                 "face_landmark_with_attention" if self.options.refine_face_landmarks else "face_landmark",
                 "hand_recrop", "hand_landmark_full"]
        if recognize_gestures:   # MediaPipe's hand gesture models (pipeline/hand_gesture.py)
            names += ["gesture_embedder", "canned_gesture_classifier"]
        entries = {name: store.entry(name) for name in names}
        pose_names = set(names[:2])
        # One person: the dynamic-batch pose and face models run with their batch
        # fixed to 1, which gives the static graph's outputs bit for bit (ModelSession).
        fixed = {names[1]: 1, names[3]: 1} if self.max_num_people == 1 else {}
        sessions = create_sessions({n: e for n, e in entries.items() if n in pose_names}, requested,
                                   fixed_batch=fixed)
        # On the CPU the face and the two hands run side by side, one thread per
        # session: ONNX Runtime scales poorly from one thread to two on these small
        # models, so concurrent single-threaded branches use the cores better.
        # The pose keeps ONNX Runtime's default threads: every frame waits for it
        # (measured: one thread for it gave no more frames per second, pipelined or not).
        if sessions[names[1]].providers[0] == "CPUExecutionProvider":
            requested = ["CPUExecutionProvider"]   # said once already if an accelerator failed
        # One single-thread executor per branch keeps each branch's frames in
        # order while letting the branches (and the next frame's pose) run
        # independently, like the calculators of MediaPipe's graph: no branch
        # waits for another's previous frame.
        self._chains: Optional[Dict[str, ThreadPoolExecutor]] = None
        branch_threads = 0
        if parallel_branches and requested == ["CPUExecutionProvider"]:
            self._chains = {name: ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"holistic-{name}")
                            for name in BRANCHES}
            branch_threads = 1
        sessions.update(create_sessions({n: e for n, e in entries.items() if n not in pose_names}, requested,
                                        intra_op_threads=branch_threads, fixed_batch=fixed))
        self.models_dir = store.models_dir
        self._pose_detector = PoseDetector(sessions[names[0]])
        self._pose_landmarker = PoseLandmarker(sessions[names[1]])
        skip = skip_recrops and not self.options.static_image_mode
        gestures = (HandGestureRecognizer(sessions["gesture_embedder"], sessions["canned_gesture_classifier"])
                    if recognize_gestures else None)

        def make_branches():
            """A person's face and hand branches: the shared sessions, the person's own tracking state."""
            return (FaceBranch(sessions[names[2]], sessions[names[3]],
                               with_attention=self.options.refine_face_landmarks, skip_recrops=skip),
                    HandsBranch(sessions["hand_recrop"], sessions["hand_landmark_full"], skip_recrops=skip,
                                gestures=gestures))

        self._people = PeopleTracker(self.max_num_people, make_branches)
        # Several people: BlazeFace where a newcomer's face lies on someone tracked
        # (people.PeopleTracker.has_own_face, on_tracked_body); no tracking state of its own.
        self._face_check = (FaceBranch(sessions[names[2]], sessions[names[3]], with_attention=False)
                            if self.max_num_people > 1 else None)
        self.providers = list(sessions[names[1]].providers)
        LOG.info("running on %s", ", ".join(self.providers))
        on_gpu = self.providers[0] in GPU_PROVIDERS
        self._cropper = None
        if device_crops or (device_crops is None and on_gpu):
            # The providers the models really run on, so that frames go to their device.
            self._cropper = DeviceCropper([p for p in requested if provider_name(p) in self.providers], device_id)
        # Without branch threads (GPU), one thread runs each frame's face and hands.
        self._branch_driver = (ThreadPoolExecutor(max_workers=1, thread_name_prefix="holistic-branches")
                               if self._chains is None else None)
        # Hands from the palm detector (issue 17: pipeline/hand_sources.py), put into each
        # frame's result after its pose hands, on a thread of their own (frames in order).
        self._hand_source = create_hand_source(
            hand_source, store, requested, sessions["hand_landmark_full"], gestures, self.options.static_image_mode,
            self.options.min_detection_confidence, self.options.min_tracking_confidence,
            2 * self.max_num_people if num_hands is None else num_hands)
        self._palm_chain = (ThreadPoolExecutor(max_workers=1, thread_name_prefix="holistic-palm")
                            if self._hand_source is not None else None)
        # "palm" takes none of the pose's hands: their crops and models are not run at all.
        self._pose_hands = hand_source != "palm"
        self.reset()

    # -- state ---------------------------------------------------------------
    def reset(self) -> None:
        """Forget tracking, filters and the previous mask (a new stream starts): new
        tracks, with new face and hand branches (a frame in flight keeps its own)."""
        if self._people is None:
            raise RuntimeError(CLOSED)
        self._people.reset()
        if self._detail is not None:
            self._detail.reset()
        self._last_timestamp: Optional[float] = None
        if self._hand_source is not None:
            self._palm_chain.submit(self._hand_source.reset).result()
        self._last_palm: Optional[Future] = None   # the last frame's HandSource.apply

    # The face and hand branches of the stream's one person (max_num_people=1).
    _face = property(lambda self: self._people.policy.track.face)
    _hands = property(lambda self: self._people.policy.track.hands)

    def set_thresholds(self, min_detection_confidence: Optional[float] = None,
                       min_tracking_confidence: Optional[float] = None) -> None:
        """Change the detection / tracking thresholds without rebuilding anything."""
        changes = {}
        if min_detection_confidence is not None:
            changes["min_detection_confidence"] = float(min_detection_confidence)
        if min_tracking_confidence is not None:
            changes["min_tracking_confidence"] = float(min_tracking_confidence)
        options = replace(self.options, **changes)
        options.validate()
        self.options = options

    def close(self) -> None:
        """Finish the frames in flight, stop the branch threads and let go of every model
        session: they are freed when this returns (no cycle collection needed). The instance
        refuses work afterwards."""
        if self._branch_driver is not None:
            self._branch_driver.shutdown(wait=True)
            self._branch_driver = None
        for chain in (self._chains or {}).values():
            chain.shutdown(wait=True)
        self._chains = None
        if self._palm_chain is not None:
            self._palm_chain.shutdown(wait=True)
            self._palm_chain = self._hand_source = None
        self._pose_detector = self._pose_landmarker = self._face_check = None
        # The people's face and hand branches hold the other sessions, through reference
        # cycles (a track and its pose state; the branch factory's closure refers to this
        # object): drop them here, so that the sessions are freed now, without waiting for
        # Python's cycle collector (docs/ros.md, "Memory").
        if self._people is not None:
            self._people.close()
        self._people = self._last_palm = None

    def __enter__(self) -> "Holistic":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- processing ----------------------------------------------------------
    def process(self, image: np.ndarray, timestamp: Optional[float] = None) -> HolisticResult:
        """Landmarks of the most prominent person in an RGB image (and of
        everyone found, up to ``max_num_people``, in ``result.people``).

        ``timestamp`` (seconds) drives the smoothing filters; without it frames
        are taken to be 1/30 s apart. A timestamp that does not increase starts
        a new stream: tracking and filters are reset.
        """
        return self.submit(image, timestamp).result()

    def submit(self, image: np.ndarray, timestamp: Optional[float] = None) -> "Future[HolisticResult]":
        """Like :meth:`process`, but returns once the pose is done.

        The face and hands of this frame then run in the background while the
        caller brings the next frame, whose pose needs only this frame's pose.
        Results come in submission order and are the same as :meth:`process`
        gives. Do not modify ``image`` until its result is ready.
        """
        host = validate_image(image)
        if self._hand_source is None:
            return self._submit(self._frame(host), timestamp)
        restart = (self._last_timestamp is not None and timestamp is not None
                   and float(timestamp) <= self._last_timestamp)
        held = _palm_held_after(None if restart else self._last_palm, self._hand_source)
        future = self._submit(self._frame(host), timestamp, held)
        self._last_palm = self._palm_chain.submit(self._hand_source.apply, host, future, restart)
        return self._last_palm

    def _submit(self, image, timestamp: Optional[float], held=None) -> "Future[HolisticResult]":
        pose = self._start_frame(image, timestamp)
        if self._chains is None:
            return self._branch_driver.submit(self._branches_one_by_one, image, pose, held)
        futures = [self._chains["face"].submit(self._face_stage, image, pose),
                   self._chains["left_hand"].submit(self._hand_stage, image, pose, 0, held),
                   self._chains["right_hand"].submit(self._hand_stage, image, pose, 1, held)]
        return _when_all(futures, lambda face, left, right: _result(pose, face, left, right))

    def _frame(self, image: np.ndarray):
        """What the stages crop: the image itself, or its one upload to the device."""
        return image if self._cropper is None else DeviceFrame(image, self._cropper)

    def _start_frame(self, image, timestamp: Optional[float]) -> "_PoseStageOutput":
        """Timestamp bookkeeping, then the pose stage."""
        if self._pose_detector is None:
            raise RuntimeError(CLOSED)
        if timestamp is None:
            timestamp = (self._last_timestamp or 0.0) + DEFAULT_FRAME_INTERVAL_S
        timestamp = float(timestamp)
        restart = self._last_timestamp is not None and timestamp <= self._last_timestamp
        if restart:
            LOG.info("timestamp went from %.6f to %.6f s; resetting tracking and filters.",
                     self._last_timestamp, timestamp)
            self._people.reset()
        self._last_timestamp = timestamp
        return self._pose_stage(image, timestamp)

    def _pose_stage(self, image, timestamp: float) -> "_PoseStageOutput":
        """Each tracked person's pose from its own ROI, newcomers from the detector
        when the tracker's policy runs it, all pose crops in one run of the model;
        smoothing, masks; next frame's ROIs.

        Several people (issue 18): each pose crop has the other tracked people blanked
        (people.PeopleTracker.blanks), so that an ROI larger than its person (a waist-up
        view) keeps to that person. A tracked pose that left its track's motion
        (people.PeopleTracker.jumped) is not taken: the track holds, then is lost. A
        newcomer's crop has the tracked people blanked but its own head and shoulders
        (people.PeopleTracker.blanks_for_newcomer); it is taken when its pose is the detected person's
        (people.fits_detection) and on nobody tracked; one that landed on a person started this frame is tried
        again at once with that person blanked too, one still not placed makes the
        detector look again next frame. Between full detector runs, while someone may
        be missing, the detector looks at one region a frame in turn
        (people.PeopleTracker.region_to_search)."""
        h, w = image.shape[:2]
        size = (w, h)
        opts = self.options
        people = self._people
        crowd = self.max_num_people > 1
        stage_ms: Dict[str, float] = {}
        clock = time.perf_counter
        out = _PoseStageOutput(size=size, stage_ms=stage_ms)
        people.begin_frame(opts.static_image_mode)
        new_rois, new_found = [], []
        regions, blanked = None, True
        detecting = people.should_detect()
        if crowd and not detecting and not opts.static_image_mode:
            every = detection_regions(size)
            turn = people.region_to_search(len(every))
            if turn is not None:   # one region; with the whole image, the blanked whole image too
                regions, blanked = [every[turn]], turn == 0
                detecting = True
        # Several people: the faces BlazeFace finds around a box (people.PeopleTracker.has_own_face).
        faces = None if self._face_check is None else (lambda box: self._face_check.faces_around(image, box))
        if detecting:
            t0 = clock()
            detections = people.find(self._pose_detector, image, opts.min_detection_confidence, regions, blanked,
                                     faces=faces)
            stage_ms["pose_detection"] = (clock() - t0) * 1e3
            rois = [(roi_from_pose_detection(d, size), d) for d in detections]
            rois = [(roi, d) for roi, d in rois if rect_is_valid(roi)]
            if crowd:   # every newcomer is tried: the first ones may land on someone tracked
                new_rois, new_found = [roi for roi, _ in rois], [d for _, d in rois]
            else:
                new_rois = people.claim([roi for roi, _ in rois])
        tracked = list(people.tracks)
        blanks = None
        if crowd:
            blanks = ([people.blanks_for_track(t, size) for t in tracked]
                      + [people.blanks_for_newcomer(d.box, d.keypoints, size) for d in new_found])
        t0 = clock()
        poses = self._pose_landmarker.run_batch(image, [t.roi for t in tracked] + new_rois, opts.enable_segmentation,
                                                blanks)
        stage_ms["pose_landmarks"] = (clock() - t0) * 1e3

        found: List[Tuple[PersonTrack, PoseLandmarkOutput, Optional[np.ndarray]]] = []
        if crowd:   # who looks like whom, for the jump, one-body and id decisions (people.PeopleTracker.observe)
            people.observe(image, [(track, pose.landmarks) for track, pose in zip(tracked, poses)
                                   if pose.score > opts.min_tracking_confidence])
        for track, pose in zip(tracked, poses):
            mask = self._person_mask(track, pose, size, stage_ms)
            out.mask = mask if out.mask is None else out.mask
            if pose.score <= opts.min_tracking_confidence:
                people.lose(track)   # the detector runs on the next frame
            elif crowd and people.jumped(track, pose.landmarks, size):
                if track.held_frames >= HOLD_MAX_FRAMES or track.unconfirmed:   # a newcomer is not held
                    people.lose(track)
                else:
                    track.hold()
            else:
                found.append((track, pose, mask))
        # Crossing, occlusion: two ROIs may slide onto one body; one of them lost its person.
        kept, lost = resolve_shared_bodies([(track, pose.landmarks) for track, pose, _ in found], size)
        for k in lost:
            people.lose(found[k][0])
        found = [found[k] for k in kept]
        # Crossing: two coasting tracks on one body; the one behind is not reported.
        behind = set(hidden_behind([(track, pose.landmarks) for track, pose, _ in found], size))
        # One that was not reported comes back once its body is clear of the others' heads
        # and shoulders (after a crossing its arms may still lie over the one in front).
        front = [pose.landmarks for k, (track, pose, _) in enumerate(found) if k not in behind and not track.held_frames]
        for k, (track, pose, _) in enumerate(found):
            if k not in behind and track.held_frames and people.still_entangled(track, pose.landmarks, front, size):
                behind.add(k)
        for k, (track, pose, mask) in enumerate(found):
            if k in behind:
                track.behind()
                continue
            if track.held_frames:
                # Back after frames unreported, as after a lost pose: its landmark filters
                # (whose last values are that old) and its face and hands start over.
                track.smoothing.pose_lost()
                out.resets.append(track)
            self._report(out, self._person_pose(track, pose, mask, size, timestamp))

        pending = list(zip(new_rois, new_found or [None] * len(new_rois), poses[len(tracked):]))
        retry: list = []
        for attempt in range(2):
            retry, started = [], False
            for roi, found_by, pose in pending:
                if pose.score <= opts.min_tracking_confidence or people.full():
                    continue
                if people.same_body_as_tracked(pose.landmarks, size) or (
                        found_by is not None and not fits_detection(pose.landmarks, found_by.box)):
                    retry.append((roi, found_by))
                    continue
                if faces is not None and people.on_tracked_body(pose.landmarks, size) and not people.has_own_face(
                        face_box(pose.landmarks), faces, size, anywhere=True):
                    continue   # a part of someone tracked (a fist, a hand), not a person in front of them
                look = people.look_of(image, pose.landmarks)
                if not people.make_room(pose.landmarks, size, look):
                    continue
                track, _ = people.start(pose.landmarks, size, look)
                started = True
                mask = self._person_mask(track, pose, size, stage_ms)
                self._report(out, self._person_pose(track, pose, mask, size, timestamp))
            pending = []
            if crowd and retry and attempt == 0 and started and not people.full():
                # Someone was started this frame: try the others again with that person blanked.
                t0 = clock()
                again = self._pose_landmarker.run_batch(
                    image, [roi for roi, _ in retry], opts.enable_segmentation,
                    [people.blanks_for_newcomer(d.box, d.keypoints, size) for _, d in retry])
                stage_ms["pose_landmarks"] += (clock() - t0) * 1e3
                pending = [(roi, d, pose) for (roi, d), pose in zip(retry, again)]
            if not pending:
                break
        if crowd and detecting:
            people.newcomers_missed(bool(retry) and not people.full())
        people.plan_rois()
        if crowd:
            people.learn_looks(size)
        people.next_frame()
        out.resets += list(people.lost_now)
        out.people.sort(key=lambda person: -prominence(person.landmarks, size))
        if crowd and len(out.people) > 1:
            regions = [body_region(person.landmarks, size) for person in out.people]
            for k, person in enumerate(out.people):
                person.own_region = body_region(person.landmarks, size, with_hips=False)
                person.others_regions = regions[:k] + regions[k + 1:]
        if self._detail is not None:
            # The detail budget: who gets face and hands this frame. The others' face and
            # hand tracking starts over (their last landmarks get stale meanwhile).
            chosen = detailed_people(self._detail, [p.person_id for p in out.people],
                                     [p.landmarks for p in out.people], size)
            for person, detailed in zip(out.people, chosen):
                person.detailed = detailed
                if not detailed:
                    out.resets.append(person.track)
            # The detailed first (stable): the result's own fields are the engaged person's.
            out.people.sort(key=lambda person: not person.detailed)
        return out

    def _person_mask(self, track: PersonTrack, pose: PoseLandmarkOutput, size, stage_ms) -> Optional[np.ndarray]:
        """The person's mask in the image, smoothed with the person's previous one."""
        mask = None
        if pose.segmentation_roi is not None:
            t0 = time.perf_counter()
            mask = mask_to_image(pose.segmentation_roi, pose.crop, size)
            if self.options.segmentation_smoothing_enabled:
                mask = smooth_segmentation(mask, track.prev_mask)
            stage_ms["segmentation"] = stage_ms.get("segmentation", 0.0) + (time.perf_counter() - t0) * 1e3
        track.prev_mask = mask
        return mask

    @staticmethod
    def _report(out: "_PoseStageOutput", person: Optional[_PersonPose]) -> None:
        if person is not None:
            out.people.append(person)

    def _person_pose(self, track: PersonTrack, pose: PoseLandmarkOutput, mask, size,
                     timestamp: float) -> Optional[_PersonPose]:
        """A found person's landmarks, filtered with the person's filters; its next ROI.
        None while the person is a tentative newcomer (people.NEWCOMER_CONFIRM_FRAMES):
        tracked, not reported, no id yet."""
        landmarks = pose.landmarks[:, :4].copy()                    # x, y, z, visibility
        world = np.column_stack([pose.world, pose.landmarks[:, 3]])  # metres, visibility
        aux = pose.auxiliary[:, :4].copy()
        if self.options.static_image_mode:
            track.roi = None
        else:
            landmarks, world, aux = track.smoothing.apply(landmarks, world, aux, size, timestamp,
                                                          self.options.smoothing_enabled)
            track.roi = roi_from_auxiliary_landmarks(aux, size)
        track.seen(landmarks)
        if not self._people.sighted(track, size):
            return None
        return _PersonPose(track, track.person_id, landmarks, world, pose.landmarks[:, 4], pose.score, mask)

    def _face_stage(self, image, pose: "_PoseStageOutput") -> list:
        """One frame's faces, on the face thread: (landmarks, score) per person,
        every face crop in one run of the face landmark model."""
        for track in pose.resets:
            track.face.reset()
        if not pose.people:
            return []
        t0 = time.perf_counter()
        found = [(None, None)] * len(pose.people)
        rois = [(k, person.track.face.tracking_roi(image, person.landmarks)) for k, person in enumerate(pose.people)
                if person.detailed]
        rois = [(k, roi) for k, roi in rois if roi is not None]
        if rois:
            faces = pose.people[rois[0][0]].track.face.landmarks_batch(image, [roi for _, roi in rois])
            for (k, _), face in zip(rois, faces):
                found[k] = pose.people[k].track.face.finish(face, pose.size)
        pose.stage_ms["face"] = (time.perf_counter() - t0) * 1e3
        return found

    def _hand_stage(self, image, pose: "_PoseStageOutput", side: int, held=None) -> List[HandResult]:
        """One frame's left (0) or right (1) hands, on that side's thread: one per
        person, each from its own body's wrist, the crops in one run. ``held``: see
        :func:`_palm_held_after` (None: every side is computed)."""
        for track in pose.resets:
            track.hands.reset_side(side)
        if not pose.people or not self._pose_hands:
            return [HandResult() for _ in pose.people]
        held = held() if held is not None else frozenset()
        t0 = time.perf_counter()
        detailed = [person for person in pose.people if person.detailed]
        hands = _hands_unless_held(image, [(person, side) for person in detailed], held)
        pose.stage_ms[BRANCHES[1 + side]] = (time.perf_counter() - t0) * 1e3
        return _with_undetailed(pose.people, [_own_hand(p, hand, side) for p, hand in zip(detailed, hands)])

    def _branches_one_by_one(self, image, pose: "_PoseStageOutput", held=None) -> HolisticResult:
        """Faces, then every hand in one batch (no branch threads, as on a GPU)."""
        faces = self._face_stage(image, pose)
        for track in pose.resets:
            track.hands.reset()
        if not pose.people or not self._pose_hands:
            none = [HandResult() for _ in pose.people]
            return _result(pose, faces, none, none)
        held = held() if held is not None else frozenset()
        t0 = time.perf_counter()
        detailed = [person for person in pose.people if person.detailed]
        hands = _hands_unless_held(image, [(person, side) for person in detailed for side in (0, 1)], held)
        pose.stage_ms["hands"] = (time.perf_counter() - t0) * 1e3
        lefts = _with_undetailed(pose.people, [_own_hand(p, hand, 0) for p, hand in zip(detailed, hands[0::2])])
        rights = _with_undetailed(pose.people, [_own_hand(p, hand, 1) for p, hand in zip(detailed, hands[1::2])])
        return _result(pose, faces, lefts, rights)


def _palm_held_after(last_apply: Optional[Future], source):
    """For "both": a callable giving the (person id, side) slots whose hand the palm tracker
    held at the previous frame (:meth:`HandSource.palm_held`), for the hand stage (on its
    thread) to skip. It waits for that frame's ``apply`` (``last_apply``), so the answer is
    the same however the frames overlap (:meth:`Holistic.submit`): the pose and face stages of
    this frame still overlap it. None where there is nothing to skip (no palm tracker, first
    frame, a new stream)."""
    if source is None or source.hand_source != "both" or last_apply is None:
        return None

    def held() -> frozenset:
        try:
            last_apply.result()
        except Exception:   # that frame's caller gets its error; this frame computes every hand
            return frozenset()
        return source.palm_held()
    return held


def _hands_unless_held(image, asks, held) -> List[HandResult]:
    """:func:`landmarks_of_hands` of each (person, side) in ``asks``, but none for a side in
    ``held`` ((person id, "left"/"right"): the palm tracker has that hand, "both"); there
    the person's pose-hand tracking starts over, as on a lost hand."""
    name = ("left", "right")
    skipped = [(person.person_id, name[side]) in held for person, side in asks]
    for (person, side), skip in zip(asks, skipped):
        if skip:
            person.track.hands.reset_side(side)
    found = iter(landmarks_of_hands(image, [(person.track.hands, person.landmarks, side)
                                            for (person, side), skip in zip(asks, skipped) if not skip]))
    return [HandResult() if skip else next(found) for skip in skipped]


def _with_undetailed(people: List[_PersonPose], hands: List[HandResult]) -> List[HandResult]:
    """The detailed people's hands, in order, with no hand for each person left out (detail budget)."""
    found = iter(hands)
    return [next(found) if person.detailed else HandResult() for person in people]


def _own_hand(person: _PersonPose, hand: HandResult, side: int) -> HandResult:
    """The hand, unless it lies on someone else (people.on_someone_else): then none, and
    the person's hand tracking on that side starts over (on the thread that owns it)."""
    if hand.landmarks is None or person.own_region is None or not on_someone_else(
            hand.landmarks, person.own_region, person.others_regions):
        return hand
    person.track.hands.reset_side(side)
    return HandResult()


def _when_all(futures, combine) -> Future:
    """A future of ``combine(*results)`` once every one of ``futures`` is done
    (or of the first exception among them).

    It completes, and runs its callbacks, on the branch thread that finishes
    last, before that thread starts its next frame; so frame t+1's future can
    only complete after frame t's callbacks have returned: results are handed
    out one at a time, in frame order."""
    out: Future = Future()
    remaining = [len(futures)]
    lock = threading.Lock()
    # Each future keeps its callbacks once done, and the callback referred to the futures and
    # to ``combine`` (which holds the frame's pose, its people and their tracks): a reference
    # cycle per frame, freed only by the cycle collector. The last callback lets go of both.
    waiting = [list(futures), combine]

    def one_done(_):
        with lock:
            remaining[0] -= 1
            if remaining[0]:
                return
            done, make = waiting
            waiting.clear()
        try:
            out.set_result(make(*(f.result() for f in done)))
        except BaseException as exc:  # noqa: BLE001  the caller sees it from result()
            out.set_exception(exc)

    for future in futures:
        future.add_done_callback(one_done)
    return out


def _result(pose: "_PoseStageOutput", faces, lefts, rights) -> HolisticResult:
    """The frame's result: the most prominent person's fields, and everyone in ``people``."""
    people = tuple(_person_result(pose, person, face, left, right)
                   for person, face, left, right in zip(pose.people, faces, lefts, rights))
    if not people:
        return HolisticResult(segmentation_mask=pose.mask, image_size=pose.size, stage_ms=pose.stage_ms)
    return replace(people[0], people=people)


def _person_result(pose: "_PoseStageOutput", person: _PersonPose, face, left: HandResult,
                   right: HandResult) -> HolisticResult:
    face_landmarks, face_score = face
    f32 = lambda a: None if a is None else np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
    return HolisticResult(
        pose_landmarks=f32(person.landmarks), pose_presence=f32(person.presence),
        pose_world_landmarks=f32(person.world), face_landmarks=f32(face_landmarks),
        left_hand_landmarks=f32(left.landmarks), right_hand_landmarks=f32(right.landmarks),
        left_hand_world_landmarks=f32(left.world_landmarks), right_hand_world_landmarks=f32(right.world_landmarks),
        left_hand_gesture=left.gesture, right_hand_gesture=right.gesture,
        segmentation_mask=person.mask, pose_score=person.score,
        face_score=face_score if face_landmarks is not None else None,
        left_hand_score=left.score if left.landmarks is not None else None,
        right_hand_score=right.score if right.landmarks is not None else None,
        image_size=pose.size, stage_ms=pose.stage_ms, person_id=person.person_id, detailed=person.detailed)
