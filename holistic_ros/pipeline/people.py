"""The people of a stream: per-person pose state, matching detections to tracks, ids.

Each person followed gets a :class:`PersonTrack`: its own pose ROI, filters and
mask history (:class:`PoseSmoothing`), its own face and hand branches (tracking
state included), and an id. A :class:`PeopleTracker` owns the tracks of one
stream, for any ``Holistic(max_num_people=N)``; how people are found and kept is
its policy's:

- :class:`OnePersonPolicy` (N = 1) is MediaPipe Holistic's: the detector runs
  only while nobody is tracked; its best detection is the stream's one track
  again, under a new id; a lost pose resets what MediaPipe's graph resets.
- :class:`CrowdPolicy` (N > 1) follows several people; without any model (so it
  is testable alone), it decides:

- when the pose detector runs (:meth:`PeopleTracker.should_detect`): on a
  schedule and when a track was lost, while fewer than N people are tracked;
- which detections are new people (:meth:`PeopleTracker.is_tracked`): a
  detection whose box overlaps a tracked person's body is that person;
- which id a new person gets (:meth:`PeopleTracker.start`): a person lost a
  moment ago (box overlap with where its motion puts it now, then pose
  similarity) gets its id back; anyone else a new one. Ids are never reused;
- two people crossing (:meth:`PeopleTracker.plan_rois`): while their bodies
  overlap, or are about to while they close in, each track's ROI coasts along
  its own motion from where it was before they met, instead of following
  landmarks that may belong to the other person by then; when they are apart
  again each ROI is on its own person, so ids do not swap and hands stay on
  their body;
- two tracks that ended up on one body anyway (one ROI slid onto the person in
  front) are resolved by :func:`resolve_shared_bodies`: the track whose
  landmarks jumped is the one that lost its person.

Boxes are (xmin, ymin, xmax, ymax) normalised to the image.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from .filters import (POSE_AUXILIARY_LANDMARKS_FILTER, POSE_LANDMARKS_FILTER, POSE_WORLD_LANDMARKS_FILTER,
                      LandmarksSmoother, VisibilitySmoother)
from .pose_landmarks import alignment_rect_from_auxiliary_landmarks
from .roi import NormRect, rect_is_valid

# The detector looks for newcomers at least this often while fewer than N people
# are tracked (frames); also right after a track is lost.
DETECTION_INTERVAL_FRAMES = 15
# A detection whose box overlaps a tracked body's box by more than this (IoU), or
# whose centre lies inside the body's box shrunk by BODY_CORE, is that body.
TRACKED_BOX_IOU = 0.3
BODY_CORE = 0.5
# Two poses whose landmarks lie this close (median distance over the 33 body
# landmarks, as a fraction of the body box's diagonal) are one body.
SAME_BODY_DISTANCE = 0.1
# A lost person's id can come back for this many frames, when a new person
# appears where the lost one's motion puts it (IoU of the boxes).
LOST_TTL_FRAMES = 45
REIDENTIFY_BOX_IOU = 0.2
# Smoothing of a track's box centre velocity (per frame), to predict where a lost person went.
VELOCITY_ALPHA = 0.3
# Crossing: bodies whose boxes overlap (IoU), or will in COAST_LOOKAHEAD_FRAMES
# while closing in at COAST_MIN_CLOSING_SPEED or more (image widths or heights
# per frame), coast along their motion, for at most COAST_MAX_FRAMES frames.
COAST_BOX_IOU = 0.02
COAST_MIN_CLOSING_SPEED = 0.002
COAST_LOOKAHEAD_FRAMES = 5
COAST_MAX_FRAMES = 60
# The pose's face landmarks (nose to mouth) and how much their box is enlarged to
# stand for the head, which the detector's box is about.
HEAD_LANDMARKS = slice(0, 11)
HEAD_BOX_SCALE = 2.0
# Landmarks that make a body's box, and its motion anchor (pose landmark visibility).
MIN_VISIBILITY = 0.5


class PoseSmoothing:
    """One person's filters of ``pose_landmark_filtering.pbtxt``."""

    def __init__(self):
        self.visibility = VisibilitySmoother()
        self.landmarks = LandmarksSmoother(POSE_LANDMARKS_FILTER)
        self.world_visibility = VisibilitySmoother()
        self.world = LandmarksSmoother(POSE_WORLD_LANDMARKS_FILTER)
        self.aux_visibility = VisibilitySmoother()
        self.aux = LandmarksSmoother(POSE_AUXILIARY_LANDMARKS_FILTER)

    def pose_lost(self) -> None:
        """A frame without a pose (no ROI, or the score too low). Upstream, only the
        landmark and auxiliary landmark smoothers, which also take the image size,
        run on such a frame and reset on its empty landmarks; the visibility filters
        and the world landmark filter take the landmarks alone, so they are not run
        and keep their state (VisibilitySmoothingCalculator / LandmarksSmoothingCalculator
        in pose_landmark_filtering.pbtxt; measured on the torso clip: visibility
        0.84 off MediaPipe after a loss when reset, 1e-7 when kept)."""
        self.landmarks.reset()
        self.aux.reset()

    def apply(self, landmarks, world, aux, image_size, timestamp, smooth_landmarks: bool):
        """Filtered (landmarks, world, aux). The auxiliary landmarks, which
        place the next frame's ROI, are filtered even when landmark smoothing
        is off: their filter sits outside the switch in the upstream graph."""
        # The object scale comes from the raw auxiliary landmarks' unscaled alignment rect.
        w, h = image_size
        scale_rect = alignment_rect_from_auxiliary_landmarks(aux, image_size)
        object_scale = (scale_rect.width * w + scale_rect.height * h) / 2.0
        if smooth_landmarks:
            landmarks = landmarks.copy()
            landmarks[:, 3] = self.visibility.apply(landmarks[:, 3])
            landmarks = self.landmarks.apply(landmarks, image_size, timestamp, object_scale)
            world = world.copy()
            world[:, 3] = self.world_visibility.apply(world[:, 3])
            world = self.world.apply_world(world, timestamp)
        aux = aux.copy()
        aux[:, 3] = self.aux_visibility.apply(aux[:, 3])
        aux = self.aux.apply(aux, image_size, timestamp, object_scale)
        return landmarks, world, aux


@dataclass(eq=False)
class PersonTrack:
    """One person's state across frames.

    The pose fields (``roi``, ``smoothing``, ``prev_mask``, ``box``...) belong to
    the pose stage; ``face`` and ``hands`` (the person's branches, with their
    tracking state) are only touched by the face and hand stages, frame by frame.
    """

    person_id: int
    smoothing: PoseSmoothing = field(default_factory=PoseSmoothing)
    #: This frame's pose ROI, from last frame's auxiliary landmarks; None: not tracked.
    roi: Optional[NormRect] = None
    #: Last frame's mask (None after a frame without the person's pose: PeopleTracker.next_frame).
    prev_mask: Optional[np.ndarray] = None
    #: Last landmarks (33, >=2) and body box where the person was last seen.
    landmarks: Optional[np.ndarray] = None
    box: Optional[np.ndarray] = None
    #: Where the body is (:func:`motion_anchor`) and how fast it moves (per frame, smoothed).
    anchor: Optional[np.ndarray] = None
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))
    lost_frames: int = 0
    #: Crossing someone: (ROI, box) when it began, and frames since (see PeopleTracker.plan_rois).
    coast: Optional[Tuple[NormRect, np.ndarray]] = None
    coast_frames: int = 0
    face: Any = None
    hands: Any = None

    def lose(self) -> None:
        """Not tracked any more: MediaPipe's resets of a frame without a pose
        (:meth:`PoseSmoothing.pose_lost`); the motion starts over when found again."""
        self.roi = None
        self.coast = None
        self.anchor = None
        self.smoothing.pose_lost()

    def seen(self, landmarks: np.ndarray) -> None:
        """This frame's landmarks: box, velocity of the body. While coasting,
        the box is where the person's motion puts it and the velocity is kept:
        the landmarks may be the other person's."""
        self.landmarks, self.lost_frames = landmarks, 0
        if self.coast is not None:
            self.box = _shifted_box(self.coast[1], self.velocity * self.coast_frames)
            return
        anchor = motion_anchor(landmarks)
        if self.anchor is not None:
            step = anchor - self.anchor
            self.velocity = VELOCITY_ALPHA * step + (1.0 - VELOCITY_ALPHA) * self.velocity
        self.box, self.anchor = body_box(landmarks), anchor

    def predicted_box(self) -> Optional[np.ndarray]:
        """Where the person's box is now, if it kept moving as it did."""
        if self.box is None:
            return None
        return _shifted_box(self.box, self.velocity * self.lost_frames)


def _shifted_box(box: np.ndarray, shift: np.ndarray) -> np.ndarray:
    return box + np.array([shift[0], shift[1], shift[0], shift[1]])


def body_box(landmarks: np.ndarray) -> np.ndarray:
    """(xmin, ymin, xmax, ymax) of the body landmarks (x, y normalised): of the
    visible ones (visibility > MIN_VISIBILITY, when there are 4 or more), since the
    model also places the parts out of the frame (the legs of a waist-up view)."""
    landmarks = np.asarray(landmarks)
    xy = landmarks[:, :2]
    if landmarks.shape[1] > 3:
        visible = landmarks[:, 3] > MIN_VISIBILITY
        if visible.sum() >= 4:
            xy = xy[visible]
    return np.concatenate([xy.min(axis=0), xy.max(axis=0)]).astype(np.float64)


def head_box(landmarks: np.ndarray) -> np.ndarray:
    """The box of the pose's face landmarks (0-10), twice as big around their centre."""
    box = body_box(np.asarray(landmarks)[HEAD_LANDMARKS, :2])
    center, half = box_center(box), (box[2:] - box[:2]) * HEAD_BOX_SCALE / 2.0
    return np.concatenate([center - half, center + half])


def motion_anchor(landmarks: np.ndarray) -> np.ndarray:
    """The point whose motion is the body's: the shoulders' midpoint (steadier
    than the box, which a raised arm stretches), else the nose, else the box centre."""
    landmarks = np.asarray(landmarks)
    for indices in ((11, 12), (0,)):
        if landmarks.shape[1] <= 3 or np.all(landmarks[list(indices), 3] > MIN_VISIBILITY):
            return landmarks[list(indices), :2].mean(axis=0).astype(np.float64)
    return box_center(body_box(landmarks))


def box_center(box: np.ndarray) -> np.ndarray:
    return np.array([(box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0])


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def center_inside(box: np.ndarray, body: np.ndarray, core: float = BODY_CORE) -> bool:
    """Whether ``box``'s centre lies in the middle ``core`` part of ``body``."""
    cx, cy = box_center(box)
    bx, by = box_center(body)
    half_w, half_h = (body[2] - body[0]) * core / 2.0, (body[3] - body[1]) * core / 2.0
    return abs(cx - bx) <= half_w and abs(cy - by) <= half_h


def pose_distance(a: np.ndarray, b: np.ndarray, image_size) -> float:
    """Median distance between two poses' 33 landmarks over the diagonal of ``a``'s body box
    (pixels, so that the aspect ratio does not count): 0 for one body, ~1 for two bodies side by side."""
    w, h = image_size
    scale = np.array([w, h], dtype=np.float64)
    pa, pb = np.asarray(a)[:, :2] * scale, np.asarray(b)[:, :2] * scale
    box = body_box(np.asarray(a)[:, :2])
    diagonal = float(np.hypot((box[2] - box[0]) * w, (box[3] - box[1]) * h))
    return float(np.median(np.linalg.norm(pa - pb, axis=1)) / max(diagonal, 1e-6))


class PeopleTracker:
    """The tracks of one stream, the detection schedule and the id counter; ``policy``
    (default :class:`OnePersonPolicy` for one person, else :class:`CrowdPolicy`) finds and keeps people."""

    def __init__(self, max_num_people: int, make_branches: Callable[[], Tuple[Any, Any]], policy=None):
        if max_num_people < 1:
            raise ValueError(f"max_num_people must be at least 1, got {max_num_people!r}")
        self.max_num_people = max_num_people
        self.policy = policy or (OnePersonPolicy() if max_num_people == 1 else CrowdPolicy())
        self._make_branches = make_branches
        self._ids = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        """A new stream: every track is gone (ids keep counting up); new tracks get new branches."""
        self.tracks: List[PersonTrack] = []      # tracked now (roi set)
        self.lost: List[PersonTrack] = []        # lost recently; their ids may come back
        self.lost_now: List[PersonTrack] = []    # lost this frame: their face and hands start over
        self._frames_since_detection = 0
        self._lost_since_detection = False
        self.policy.reset(self)

    def new_id(self) -> int:
        return next(self._ids)

    def new_track(self, person_id: int) -> PersonTrack:
        face, hands = self._make_branches()
        return PersonTrack(person_id, face=face, hands=hands)

    def begin_frame(self, static_image_mode: bool) -> None:
        """Before a frame's pose: static mode's new image; tracks without a usable ROI are lost."""
        self.lost_now = []
        if static_image_mode:
            self.policy.new_image(self)
        for track in list(self.tracks):
            if track.roi is None or not rect_is_valid(track.roi):
                self.lose(track)

    def find(self, detector, image, min_score: float) -> list:
        """The policy's detections that may be new people, best first."""
        self.detected()
        return self.policy.find(self, detector, image, min_score)

    def claim(self, rois: Sequence[NormRect]) -> List[NormRect]:
        """ROIs of :meth:`find`'s detections, one per free place, that the policy does
        not track at once: their people :meth:`start` once their pose is known."""
        return self.policy.claim(self, list(rois)[:self.max_num_people - len(self.tracks)])

    # -- detection schedule --------------------------------------------------
    def should_detect(self) -> bool:
        """Run the pose detector this frame? Not when N people are tracked; else
        when nobody is, when a track was lost since the last run, or on schedule."""
        if len(self.tracks) >= self.max_num_people:
            return False
        return (not self.tracks or self._lost_since_detection
                or self._frames_since_detection >= DETECTION_INTERVAL_FRAMES)

    def detected(self) -> None:
        self._frames_since_detection = 0
        self._lost_since_detection = False

    def next_frame(self) -> None:
        """Called once per frame after the pose stage: lost tracks age, old ones go.
        A whole frame without the person's pose ends its mask history (MediaPipe's
        one person: a frame without a pose ROI has no mask to smooth the next with)."""
        self._frames_since_detection += 1
        for track in self.lost:
            if track.lost_frames:
                track.prev_mask = None
            track.lost_frames += 1
        self.lost = [t for t in self.lost if t.lost_frames <= LOST_TTL_FRAMES]

    # -- matching ------------------------------------------------------------
    def is_tracked(self, box: np.ndarray) -> bool:
        """A detection (box) of someone already tracked: it overlaps a tracked
        body, or is centred on a tracked person's head (the detector's box is
        about the face, which a waist-up body's box has at its top, not its middle)."""
        for track in self.tracks:
            if track.box is None:
                continue
            if box_iou(box, track.box) > TRACKED_BOX_IOU or center_inside(box, track.box):
                return True
            if track.landmarks is not None and center_inside(box, head_box(track.landmarks), core=1.0):
                return True
        return False

    def new_people(self, boxes: Sequence[np.ndarray]) -> List[int]:
        """Indices of the detections (boxes, best first) that may be new people:
        not over a tracked body, and not centred in a better detection kept
        before (the detector finds one person at two scales when it also runs on tiles)."""
        kept: List[int] = []
        for k, box in enumerate(boxes):
            if self.is_tracked(box) or any(center_inside(box, boxes[j]) for j in kept):
                continue
            kept.append(k)
        return kept

    def plan_rois(self) -> None:
        """After a frame: the ROIs of people crossing each other coast.

        A track starts coasting when its body overlaps another's, or will in
        COAST_LOOKAHEAD_FRAMES, while the two close in: its next ROIs are the
        ROI of that moment moved along its velocity, which is held. It stops
        when its box overlaps nobody's any more (or after COAST_MAX_FRAMES);
        then its ROI follows its landmarks again."""
        for track in self.tracks:
            if track.coast is not None:
                track.coast_frames += 1
        crossing = set()
        for a, b in itertools.combinations(self.tracks, 2):
            if a.box is None or b.box is None:
                continue
            gap = box_center(b.box) - box_center(a.box)
            closing = -float(np.dot(b.velocity - a.velocity, gap)) / max(float(np.linalg.norm(gap)), 1e-9)
            overlap_now = box_iou(a.box, b.box) > COAST_BOX_IOU
            overlap_ahead = box_iou(_shifted_box(a.box, a.velocity * COAST_LOOKAHEAD_FRAMES),
                                    _shifted_box(b.box, b.velocity * COAST_LOOKAHEAD_FRAMES)) > COAST_BOX_IOU
            # Coast while they overlap, or are about to while closing in.
            if (overlap_now or overlap_ahead) and (closing >= COAST_MIN_CLOSING_SPEED
                                                   or (overlap_now and (a.coast or b.coast))):
                crossing.update((id(a), id(b)))
        for track in self.tracks:
            if id(track) not in crossing or track.coast_frames > COAST_MAX_FRAMES:
                track.coast = None
                continue
            if track.coast is None:
                if track.roi is None:
                    continue
                track.coast, track.coast_frames = (track.roi, track.box), 0
            roi, _ = track.coast
            shift = track.velocity * track.coast_frames
            track.roi = replace(roi, x_center=roi.x_center + float(shift[0]),
                                y_center=roi.y_center + float(shift[1]))

    def same_body_as_tracked(self, landmarks: np.ndarray, image_size) -> bool:
        """New landmarks that lie on a body already tracked this frame."""
        return any(t.landmarks is not None and pose_distance(t.landmarks, landmarks, image_size)
                   < SAME_BODY_DISTANCE for t in self.tracks)

    def lose(self, track: PersonTrack) -> None:
        """The person's pose was not found (or went to another body): its face
        and hands start over (:attr:`lost_now`), the detector runs next frame;
        the id may come back (:meth:`start`)."""
        track.lose()
        self.policy.lost(track)
        if track in self.tracks:
            self.tracks.remove(track)
        if track not in self.lost:
            self.lost.append(track)
        self.lost_now.append(track)
        self._lost_since_detection = True

    def start(self, landmarks: np.ndarray, image_size) -> Tuple[PersonTrack, bool]:
        """A person found by the detector: a recently lost track if this is where
        it would be now, else a new one. Returns (track, came_back)."""
        box = body_box(landmarks)
        best, best_key = None, None
        for track in self.lost:
            predicted = track.predicted_box()
            if predicted is None:
                continue
            iou = box_iou(box, predicted)
            if iou <= REIDENTIFY_BOX_IOU:
                continue
            key = (iou, -pose_distance(track.landmarks, landmarks, image_size))
            if best_key is None or key > best_key:
                best, best_key = track, key
        came_back = best is not None
        if came_back:
            self.lost.remove(best)
            track = best
        else:
            track = self.new_track(self.new_id())
        self.tracks.append(track)
        return track, came_back


class OnePersonPolicy:
    """MediaPipe Holistic's one person (``pose_landmark_cpu.pbtxt``): one track for
    the whole stream; the detector runs only while it is not tracked and keeps its
    best detection, which the track follows from then on under a new id."""

    def reset(self, tracker: PeopleTracker) -> None:
        self.track = tracker.new_track(0)

    def new_image(self, tracker: PeopleTracker) -> None:
        """Static mode: the detector finds the person in every image; the face and
        hand branches keep tracking, as they do in MediaPipe's graph."""
        tracker.tracks.clear()

    def find(self, tracker: PeopleTracker, detector, image, min_score: float) -> list:
        return detector.detect_all(image, min_score, max_detections=1)

    def lost(self, track: PersonTrack) -> None:
        """MediaPipe's resets (:meth:`PersonTrack.lose`), no more."""

    def claim(self, tracker: PeopleTracker, rois: List[NormRect]) -> List[NormRect]:
        track = self.track
        if not rois:   # no ROI, so no pose, no mask
            tracker.lose(track)
            return []
        if track in tracker.lost:
            tracker.lost.remove(track)
        track.roi, track.person_id, track.lost_frames = rois[0], 0, 0   # its id once its pose is found
        tracker.tracks.append(track)
        return []


class CrowdPolicy:
    """Several people: the detector also runs on a schedule and on tiles
    (:meth:`PeopleTracker.should_detect`), newcomers are started once their pose
    is known (:meth:`PeopleTracker.start`), and a person lost a moment ago gets its
    id back; every image starts over in static mode."""

    def reset(self, tracker: PeopleTracker) -> None:
        """Nobody to keep."""

    def new_image(self, tracker: PeopleTracker) -> None:
        tracker.reset()

    def find(self, tracker: PeopleTracker, detector, image, min_score: float) -> list:
        # Room for the tracked people and one person seen at two scales each.
        found = detector.detect_all(image, min_score, 2 * tracker.max_num_people + len(tracker.tracks), tiles=True)
        return [found[k] for k in tracker.new_people([d.box for d in found])]

    def claim(self, tracker: PeopleTracker, rois: List[NormRect]) -> List[NormRect]:
        return rois

    def lost(self, track: PersonTrack) -> None:
        """Whoever is found here again may come back elsewhere: filters and mask start over."""
        track.smoothing, track.prev_mask = PoseSmoothing(), None


def resolve_shared_bodies(candidates: Sequence[Tuple[PersonTrack, np.ndarray]], image_size
                          ) -> Tuple[List[int], List[int]]:
    """Tracks whose landmarks landed on one body: keep one, the others lost.

    ``candidates``: (track, this frame's raw landmarks) of the tracks found this
    frame. The track kept is the one whose landmarks moved least from where it
    last saw its person (the other one's ROI slid onto this body: it jumped).
    Returns (kept indices, lost indices).
    """
    lost = set()
    for i, j in itertools.combinations(range(len(candidates)), 2):
        if i in lost or j in lost:
            continue
        (ti, li), (tj, lj) = candidates[i], candidates[j]
        if ti.coast is not None and tj.coast is not None:
            continue   # crossing: both are there, one behind the other
        if pose_distance(li, lj, image_size) >= SAME_BODY_DISTANCE:
            continue
        moved_i = pose_distance(ti.landmarks, li, image_size) if ti.landmarks is not None else np.inf
        moved_j = pose_distance(tj.landmarks, lj, image_size) if tj.landmarks is not None else np.inf
        lost.add(i if moved_i > moved_j else j)
    kept = [k for k in range(len(candidates)) if k not in lost]
    return kept, sorted(lost)


def prominence(landmarks: np.ndarray, image_size) -> float:
    """Order of the people in a result: the biggest body (pixels^2) first."""
    box = body_box(landmarks)
    w, h = image_size
    return float((box[2] - box[0]) * w * (box[3] - box[1]) * h)
