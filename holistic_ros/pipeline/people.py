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
  schedule and when a track was lost, while fewer than N people are tracked (a
  track unreported for STALE_FRAMES frames not counted, :meth:`PeopleTracker.active`);
- which detections are new people (:meth:`PeopleTracker.is_tracked`): a
  detection whose box overlaps a tracked person's body, or whose shoulders lie at
  theirs, where their motion puts them on this frame, is that person;
- which id a new person gets (:meth:`PeopleTracker.start`): a person lost a
  moment ago (box overlap with where its motion puts it now, or its pose on
  that body moved along its motion; then pose similarity) gets its id back;
  anyone else is a tentative newcomer, tracked but not reported until its pose
  was found on NEWCOMER_CONFIRM_FRAMES frames, and then gets a lost person's id
  if its tracked pose is theirs, else a new one (:meth:`PeopleTracker.sighted`).
  Ids are never reused;
- two people crossing (:meth:`PeopleTracker.plan_rois`): while their bodies
  overlap, or are about to while they close in, each track's ROI coasts along
  its own motion from where it was before they met, instead of following
  landmarks that may belong to the other person by then; when they are apart
  again each ROI is on its own person, so ids do not swap and hands stay on
  their body;
- two tracks that ended up on one body anyway (one ROI slid onto the person in
  front) are resolved by :func:`resolve_shared_bodies`: the track whose recent
  positions lie farther from the body is the one that lost its person; in a
  crossing the one behind is kept unreported (:func:`hidden_behind`);
- issue 18 (docs/people-layouts.md): each pose crop has the other people
  blanked (:meth:`PeopleTracker.blanks`), a pose that leaves its track's motion
  is held, not taken (:meth:`PeopleTracker.jumped`), a newcomer's crop keeps only
  its own head and shoulders unblanked (:func:`newcomer_region`), its pose must be
  the detected person's (:func:`fits_detection`), the detector also searches the whole
  image with the tracked people blanked (:meth:`PeopleTracker.blanks_for_search`), and
  between full detector runs one detection region a frame is searched
  (:meth:`PeopleTracker.region_to_search`), on every other pass over the regions with
  the tracked people's heads blanked (:meth:`PeopleTracker.heads_for_search`).

Boxes are (xmin, ymin, xmax, ymax) normalised to the image.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from .appearance import appearance, appearance_distance, torso_box
from .filters import (POSE_AUXILIARY_LANDMARKS_FILTER, POSE_LANDMARKS_FILTER, POSE_WORLD_LANDMARKS_FILTER,
                      LandmarksSmoother, VisibilitySmoother)
from .pose_detection import detection_regions, roi_from_pose_detection
from .pose_landmarks import alignment_rect_from_auxiliary_landmarks
from .roi import NormRect, rect_is_valid, square_around

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
# ...and only once both were tracked this many frames: the first tracking ROIs after
# the detector's move the body's landmarks (issue 18: a waist-up person's shoulders
# 80 px in a frame), which is no motion.
COAST_SETTLED_FRAMES = 5
# One body, one track (issue 18). Two poses are one body when their nose and
# shoulders lie within this many shoulder widths of each other (median of the
# three): the legs, which a waist-up view leaves to the model's guess, do not count.
SAME_BODY_SHOULDERS = 0.35
NOSE_AND_SHOULDERS = [0, 11, 12]
# Which of two tracks on one body keeps it: the one whose own recent positions
# (its last HISTORY_FRAMES motion anchors) lie nearest the body.
HISTORY_FRAMES = 15
# No migration: a tracked pose whose nose and shoulders land more than JUMP_SHOULDERS
# shoulder widths (median of the three) from where the track's own motion puts them, or whose shoulder
# width changes by more than JUMP_SCALE times in a frame while they land SAME_BODY_SHOULDERS
# or more from there (not on the same body, as same_body counts it), has jumped to someone
# else: the track holds (its ROI moves on along its motion, nothing is reported)
# for at most HOLD_MAX_FRAMES frames, then is lost. One shoulder width a frame is
# 25 shoulder widths a second at 25 fps: no body moves so.
JUMP_SHOULDERS = 1.0
JUMP_SCALE = 1.5
# The width that JUMP_SHOULDERS, JUMP_SCALE and SAME_BODY_SHOULDERS count in is
# body_scale_px: the shoulder width, or this many times the nose's distance from the
# shoulders' midpoint when that is larger (a person turned side-on). Facing the camera
# the nose lies about half a shoulder width above the shoulders, so 1.5x that stays
# under the shoulder width: a frontal person's scale is their shoulder width, and a
# nod does not read as a change of scale.
NOSE_TO_SHOULDERS_SCALE = 1.5
# A face this many body widths (body_scale_px) or more across a tracked person's body axis
# (sideways from their shoulders' midpoint, along the shoulder line) lies beyond their
# shoulders (half a width out, and a quarter more): another person's face beside them, not
# their own headless body, which the detector reads with its face on their neck or chest
# (PeopleTracker.headless_tracked). Measured on the development and never-seen layout seeds,
# 40 frames each: detections dropped as headless whose face lay nearest the tracked person's
# own nose, 0.00-0.54 widths across but for a few (0.68-0.93: faces nobody's one-person run
# finds, tracks with skewed shoulders); those whose face lay on another person's nose,
# 0.10-1.06 (docs/people-layouts.md, "Fifteenth round").
HEADLESS_ACROSS_MAX = 0.75
HOLD_MAX_FRAMES = 5
# A track unreported this many frames in a row (behind someone, coasting) no longer
# keeps the detector from looking for the people missing, and a newcomer found while
# N people are tracked may take its place (PeopleTracker.make_room). Its coasting follows
# a velocity learnt on its first few frames, which lags a walker (development layout seed
# 9: 12.8 px a frame for 22): 28 frames behind, 233 px from her, while nobody looked for her.
STALE_FRAMES = HOLD_MAX_FRAMES
# Each person's pose crop has the other tracked people blanked (black): their
# body region is the box of their visible landmarks but the legs, shoulders and hips, grown by
# BODY_PAD_SHOULDERS shoulder widths (the head above the nose, the arms' width).
BODY_PAD_SHOULDERS = 0.6
UPPER_BODY_LANDMARKS = 23   # 0-22: face, shoulders, arms, hands
HEAD_AND_SHOULDERS_LANDMARKS = 13   # 0-12
TORSO_LANDMARKS = 25   # 0-24: face, shoulders, arms, hands, hips; not the legs
# A person's own region (kept in their crop) reaches down to their hips when these are
# this visible: a full-body person's are (1.0 for the standing woman of layout seed 27),
# a waist-up view's guessed ones are not (0.43-0.5 for the woman clip's, below the frame).
VISIBLE_HIPS = 0.9
# The pose detector's keypoint at the shoulders' midpoint (0: hips' midpoint, 1: full body
# size and rotation, 2: shoulders' midpoint, 3: upper body size and rotation;
# modules/pose_detection/pose_detection_cpu.pbtxt keeps 4, pose_detection_to_roi.pbtxt uses 0, 1).
DETECTION_SHOULDERS = 2
# A detection more than UPSIDE_DOWN_RAD from upright (115 degrees: head below hips) is looked
# at again alone: in a square UPRIGHT_CHECK_BOX times its box around its box, with the same
# regions blanked (:func:`upright`). An upright detection there, centred in its box and
# scored higher, is that person and replaces it. The detector's body keypoints are a guess
# where the hips are out of view, and in a wide image with others in it the guess may put
# them above the face: never-seen layout seed 418, Grace Hopper's photo at -2.36 rad in the
# whole image (score 0.64), -0.14 on the canvas with her alone, -0.03 (0.90) in a square
# twice her box; its pose, on a crop turned upside down, put her shoulders 140 px off for
# the whole clip. Where no upright detection is found there, the detection stays: someone
# may hang upside down, and the torso clip (no face in view) is found only upside down
# (dropping such detections lost it: docs/people-layouts.md, "Fourteenth round"). A person
# lying down (90 degrees) is never looked at again.
UPSIDE_DOWN_RAD = 2.0
UPRIGHT_CHECK_BOX = 2.0
# A newcomer's pose keeps the detection's person when its nose lies in the
# detection's box grown by this factor around its centre.
NEWCOMER_BOX_SCALE = 3.0
# ...and the region kept in its pose crop (the others blanked) reaches this many upper-body
# sizes from its face to each side: its head and shoulders, 0.85-1.35 shoulder widths
# (:func:`newcomer_region`).
NEWCOMER_REGION = 0.5
# A newcomer whose pose landed on someone else: the detector looks again next
# frame, at most this many frames in a row (then back on schedule).
RETRY_DETECTION_FRAMES = 3
# The pose's face landmarks (nose to mouth) and how much their box is enlarged to
# stand for the head, which the detector's box is about.
HEAD_LANDMARKS = slice(0, 11)
HEAD_BOX_SCALE = 2.0
# Landmarks that make a body's box, and its motion anchor (pose landmark visibility).
MIN_VISIBILITY = 0.5
# Appearance (several people; appearance.py): a track's look is its torso's colour
# histogram, learnt (moving average, LOOK_ALPHA a frame) only on frames where it is
# reported and its torso patch overlaps nobody else's. Two looks further apart than
# LOOK_DIFFERENT (Bhattacharyya) are two people's; a lost person's look is the new
# pose's within LOOK_SAME. Measured (docs/people-layouts.md): one person against their
# own first frame 0.05-0.69 (the woman clip raising her thumbs over her chest; over
# all 195 frames of the clip 0.57), one clip at two times 0.82; two people in clothes
# of other colours 0.83-0.98; in dark clothes alike (two dark suits 0.28): where looks are
# nearer than LOOK_DIFFERENT the look decides nothing (history does).
LOOK_ALPHA = 0.2
LOOK_SAME = 0.7
LOOK_DIFFERENT = 0.85
# Of two tracks on one body, the look decides when one track's look is nearer the
# body's by at least this (else their history does).
LOOK_MARGIN = 0.2
# A lost track whose look is the new pose's (within LOOK_SAME) and nobody else's (every
# other tracked or lost person's look LOOK_MARGIN farther from the pose's, or unlike it:
# LOOK_DIFFERENT) gets its id back when the new pose lies within LOOK_REACH_WIDTHS body
# widths of where its motion puts it, plus LOOK_REACH_SPEED body widths for each frame it
# has been lost: its motion may be unknown (a track lost a few frames after the detector
# found it) and a walking person moves about 0.15-0.2 shoulder widths a frame at 25 fps
# (1.4 m/s, about 0.35 m shoulders); the layouts' people up to 22 px a frame with 100-200
# px shoulders.
# "Farther by LOOK_MARGIN" and not only "unlike": two people may be 0.79 apart (never-seen
# layout seed 438: the yoga photo out from behind a walker, 0.39-0.47 from her lost track's
# look, 0.79 from the rendered woman's beside her), and when everyone else had to be
# LOOK_DIFFERENT from her, her id never came back (docs/people-layouts.md, "Sixteenth round").
LOOK_REACH_WIDTHS = 1.5
LOOK_REACH_SPEED = 0.25
# Several people: a newcomer (a new track, not a lost one back) is tentative until its
# pose has been found on this many frames in a row, the frame it was detected included:
# it is tracked (it keeps its place from the detector, its pose crop and the others'
# blanking) but not reported and has no id. A newcomer whose pose leaves its own motion
# (:meth:`PeopleTracker.jumped`) or lands on a tracked body before then is dropped, so a
# poor detection (a torso the blanked search finds, whose pose is small and unsteady,
# issue 18's layout seed 2) costs no id and no frame on someone else's body. The same
# rule as a tracker's "minimum hits" (SORT: 3); reported from the third frame, 80 ms at
# 25 fps.
NEWCOMER_CONFIRM_FRAMES = 3


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
    #: The last HISTORY_FRAMES motion anchors, and frames held since the pose last fit the track's motion.
    history: List[np.ndarray] = field(default_factory=list)
    held_frames: int = 0
    #: Whether ``anchor`` is where the motion put the body rather than where a pose of it
    #: was (coasting, held, behind): the next step from it is no motion.
    predicted: bool = False
    #: Several people: the person's look (appearance.py), learnt while clear of others,
    #: and this frame's pose's look (None: not seen, or too little of the torso in view).
    look: Optional[np.ndarray] = None
    look_now: Optional[np.ndarray] = None
    #: Frames the pose must still be found on before a newcomer is reported (NEWCOMER_CONFIRM_FRAMES).
    unconfirmed: int = 0
    face: Any = None
    hands: Any = None

    def lose(self) -> None:
        """Not tracked any more: MediaPipe's resets of a frame without a pose
        (:meth:`PoseSmoothing.pose_lost`); the motion starts over when found again."""
        self.roi = None
        self.coast = None
        self.anchor = None
        self.history = []
        self.held_frames = 0
        self.look_now = None
        self.smoothing.pose_lost()

    def seen(self, landmarks: np.ndarray) -> None:
        """This frame's landmarks: box, velocity of the body. While coasting, the
        box is where the person's motion puts it and the velocity is kept: the
        landmarks may be the other person's.

        The velocity is a moving average of the anchor's steps (VELOCITY_ALPHA). A step
        while coasting, or from a predicted anchor (after holding or being behind
        someone), is no motion: the person is where the pose is, and the velocity stays
        (from the anchor where coasting began it was one step of 535 px on layout seed
        14, a velocity of 175 px a frame that then made the pose read as a jump).
        Tried and dropped, measured on the layouts with the rest of this change: the
        first steps averaged evenly (the moving average started at zero lags a walker,
        15.6 px a frame for 19 on seed 14), and a least-squares slope over the last 10
        anchors: a standing person's first poses settle by 10-25 px a frame after the
        detector, and on seed 13 she then coasted away from where she stood (3 -> 7 and
        3 -> 6 id switches); and the landmarks of a reported coasting track moved to
        where the (lagging) motion puts it: on seed 5 a detection on the person in
        front was then on nobody tracked, a second id on her (0 -> 3 id switches)."""
        self.landmarks, self.lost_frames, self.held_frames = landmarks, 0, 0
        if self.coast is not None:
            # Reported while coasting: the pose is taken as the person's (hidden_behind
            # leaves out the poses that are not), but its steps are no motion.
            self.anchor, self.predicted = motion_anchor(landmarks), True
            self.history = (self.history + [self.anchor])[-HISTORY_FRAMES:]
            self.box = _shifted_box(self.coast[1], self.velocity * self.coast_frames)
            return
        anchor = motion_anchor(landmarks)
        self.history = (self.history + [anchor])[-HISTORY_FRAMES:]
        if self.anchor is not None and len(self.history) > 2 and not self.predicted:
            # Not the first step after the detector: the first tracking ROI differs
            # from the detector's, and so does where it puts the body.
            self.velocity = VELOCITY_ALPHA * (anchor - self.anchor) + (1.0 - VELOCITY_ALPHA) * self.velocity
        self.predicted = False
        # The box of the head, shoulders and arms: a waist-up view's legs are the model's
        # guess, often over whoever stands below (issue 18), and would overlap them.
        self.box, self.anchor = body_box(np.asarray(landmarks)[:UPPER_BODY_LANDMARKS]), anchor

    def _coast_on(self) -> None:
        """A frame whose pose is not the person's (held, behind someone): the person's
        landmarks, anchor and box move on along its motion, so that where the others'
        crops blank them (PeopleTracker.blanks) and where this track is looked for
        follow the person rather than stay where it was last seen (seed 14: the one
        behind, blanked where she had been, covered the one in front in his own crop,
        whose pose then stayed at the crossing point for 14 frames)."""
        self.held_frames += 1
        self.predicted = True
        shift = self.velocity
        if self.landmarks is not None:
            self.landmarks = np.array(self.landmarks, copy=True)
            self.landmarks[:, :2] += shift
        if self.anchor is not None:
            self.anchor = self.anchor + shift
        if self.coast is not None:
            self.box = _shifted_box(self.coast[1], self.velocity * self.coast_frames)
        elif self.box is not None:
            self.box = _shifted_box(self.box, shift)

    def hold(self) -> None:
        """This frame's pose jumped to someone else (:meth:`PeopleTracker.jumped`): the
        ROI moves on along the person's motion, and so do its landmarks (:meth:`_coast_on`);
        the filters stay."""
        self._coast_on()
        if self.roi is not None:
            self.roi = replace(self.roi, x_center=self.roi.x_center + float(self.velocity[0]),
                               y_center=self.roi.y_center + float(self.velocity[1]))

    @property
    def stale(self) -> bool:
        """Unreported STALE_FRAMES frames or more in a row: it no longer keeps a place
        (:meth:`PeopleTracker.active`, :meth:`PeopleTracker.make_room`)."""
        return self.held_frames >= STALE_FRAMES

    def behind(self) -> None:
        """Crossing, this frame's pose is the person in front's (:func:`hidden_behind`):
        nothing is reported; the ROI coasts on (:meth:`PeopleTracker.plan_rois`), the
        landmarks, anchor and box along the motion (:meth:`_coast_on`)."""
        self._coast_on()

    def predicted_anchor(self) -> Optional[np.ndarray]:
        """Where the body's motion anchor is this frame, if it kept moving as it did."""
        if self.anchor is None:
            return None if self.landmarks is None else motion_anchor(self.landmarks)
        return self.anchor + self.velocity * (1 + self.lost_frames)

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


def face_box(landmarks: np.ndarray) -> np.ndarray:
    """The box of the pose's face landmarks (0-10: ears, eyes, mouth)."""
    return body_box(np.asarray(landmarks)[HEAD_LANDMARKS, :2])


def head_box(landmarks: np.ndarray) -> np.ndarray:
    """The box of the pose's face landmarks (0-10), twice as big around their centre."""
    box = face_box(landmarks)
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


def look_distance(a: Optional[np.ndarray], b: Optional[np.ndarray]) -> Optional[float]:
    """Appearance distance of two looks, None where one is unknown."""
    return None if a is None or b is None else appearance_distance(a, b)


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


def shoulder_width_px(landmarks: np.ndarray, image_size) -> float:
    """Distance between the shoulders (landmarks 11, 12), pixels; at least one pixel."""
    d = (np.asarray(landmarks)[11, :2] - np.asarray(landmarks)[12, :2]) * np.asarray(image_size, np.float64)
    return max(float(np.hypot(*d)), 1.0)


def body_scale_px(landmarks: np.ndarray, image_size) -> float:
    """A person's size that does not shrink when they turn side-on (pixels): the larger of
    the shoulder width and NOSE_TO_SHOULDERS_SCALE times the nose's distance from the
    shoulders' midpoint (a turning person's shoulder width fell from 24 to 6 px in two
    frames on layout seed 22, which read as a jump to someone else)."""
    landmarks = np.asarray(landmarks)
    d = (landmarks[0, :2] - landmarks[[11, 12], :2].mean(axis=0)) * np.asarray(image_size, np.float64)
    return max(shoulder_width_px(landmarks, image_size), NOSE_TO_SHOULDERS_SCALE * float(np.hypot(*d)))


def across_body_px(point_norm, landmarks: np.ndarray, image_size) -> float:
    """How far a point lies sideways from a pose's shoulders' midpoint, along its shoulder
    line (pixels; the body's axis is the line's normal, whatever the person's roll)."""
    landmarks = np.asarray(landmarks)
    size = np.asarray(image_size, np.float64)
    left, right = landmarks[11, :2] * size, landmarks[12, :2] * size
    line = left - right
    length = float(np.hypot(*line))
    if length == 0.0:
        return 0.0
    offset = np.asarray(point_norm, np.float64)[:2] * size - (left + right) / 2
    return abs(float(offset @ line)) / length


def distance_px(a_norm, b_norm, image_size) -> np.ndarray:
    """Distances in pixels between image-normalised points (the last axis x, y; broadcast)."""
    offset = (np.asarray(a_norm) - np.asarray(b_norm)) * np.asarray(image_size, np.float64)
    # One point: the vector norm (as before this helper, to the last bit), else per row.
    return np.linalg.norm(offset) if offset.ndim == 1 else np.linalg.norm(offset, axis=-1)


def same_body(a: np.ndarray, b: np.ndarray, image_size) -> bool:
    """Two poses on one body: nose and shoulders (median of the three), or the noses, within
    SAME_BODY_SHOULDERS body widths (:func:`body_scale_px`, the larger of the two)."""
    d = distance_px(np.asarray(a)[NOSE_AND_SHOULDERS, :2], np.asarray(b)[NOSE_AND_SHOULDERS, :2], image_size)
    width = max(body_scale_px(a, image_size), body_scale_px(b, image_size))
    # Or the noses alone: two heads do not meet so closely, but a poor pose's shoulders
    # may collapse (layout seed 22: 7 px apart, the detector's pose of that person 129 px).
    return float(np.median(d)) < SAME_BODY_SHOULDERS * width or float(d[0]) < SAME_BODY_SHOULDERS * width


def reaches_into(landmarks: np.ndarray, others: Sequence[np.ndarray], image_size, pad=None,
                 grown: bool = True) -> bool:
    """Whether a pose's head, arms and hands (the box of its upper body, grown by ``pad``,
    normalised (x, y), if given) overlap another pose's head and shoulders region
    (:func:`body_region` without the hips; ``grown`` False: not grown by
    BODY_PAD_SHOULDERS), where its hands would be found on the wrong body."""
    box = body_box(np.asarray(landmarks)[:UPPER_BODY_LANDMARKS])
    if pad is not None:
        box = np.concatenate([box[:2] - pad, box[2:] + pad])
    return any(box_iou(box, body_region(other, image_size, with_hips=False, grown=grown)) > 0 for other in others)


def one_body(a: np.ndarray, b: np.ndarray, image_size) -> bool:
    """Two poses on one body: their landmarks coincide (:func:`pose_distance` under
    SAME_BODY_DISTANCE) or their nose and shoulders do (:func:`same_body`)."""
    return pose_distance(a, b, image_size) < SAME_BODY_DISTANCE or same_body(a, b, image_size)


def body_region(landmarks: np.ndarray, image_size, with_hips: bool = True,
                hips_if_visible: bool = True, grown: bool = True) -> np.ndarray:
    """Where a person's body is in the image (xmin, ymin, xmax, ymax, normalised), grown
    by BODY_PAD_SHOULDERS shoulder widths: with ``with_hips`` (the region blanked for the
    others) the box of the visible landmarks but the legs, the shoulders and the hips;
    without (the region kept for the person where it overlaps someone else's) only of the
    head and shoulders, down to the hips when these are clearly visible (VISIBLE_HIPS): a
    waist-up view's hips, legs and often arms are the model's guess, placed below the
    frame or over whoever stands there, often with a high visibility (layout seed 27: a
    waist-up person's guessed legs, blanked, covered the standing person below them).
    ``hips_if_visible`` False: the head and shoulders only, however visible the hips (a
    waist-up view's guessed hips land on whoever stands below, with a visibility of 1.0:
    never-seen layout seed 378; :meth:`PeopleTracker.headless_tracked`). ``grown`` False:
    the box itself, not grown."""
    landmarks = np.asarray(landmarks)
    box = body_box(landmarks[:TORSO_LANDMARKS] if with_hips else landmarks[:HEAD_AND_SHOULDERS_LANDMARKS])
    core = [11, 12, 23, 24]
    hips_visible = landmarks.shape[1] > 3 and np.all(landmarks[[23, 24], 3] > VISIBLE_HIPS)
    if not with_hips and not (hips_if_visible and hips_visible):
        core = [11, 12]
    core = landmarks[core, :2]
    box = np.concatenate([np.minimum(box[:2], core.min(axis=0)), np.maximum(box[2:], core.max(axis=0))])
    if not grown:
        return box
    pad = body_pad(landmarks, image_size)
    return np.concatenate([box[:2] - pad, box[2:] + pad])


def body_pad(landmarks: np.ndarray, image_size) -> np.ndarray:
    """BODY_PAD_SHOULDERS of a pose's shoulder widths, normalised (x, y): how far
    :func:`body_region` grows a body, and :meth:`PeopleTracker.still_entangled` a pose off
    its own motion."""
    w, h = image_size
    return BODY_PAD_SHOULDERS * shoulder_width_px(landmarks, image_size) * np.array([1.0 / w, 1.0 / h])


def grown_box(box: np.ndarray, factor: float) -> np.ndarray:
    center, half = box_center(box), (np.asarray(box[2:]) - np.asarray(box[:2])) * factor / 2.0
    return np.concatenate([center - half, center + half])


def newcomer_region(box: np.ndarray, keypoints: np.ndarray, image_size) -> np.ndarray:
    """A detected person's head and shoulders (xmin, ymin, xmax, ymax, normalised), the
    region kept in their pose crop when the tracked people are blanked: around the
    detection's box centre (their face), NEWCOMER_REGION upper-body sizes to each side (the
    distance of the detector's keypoint 3 from its keypoint 2, the shoulders' midpoint:
    1.7-2.7 shoulder widths, measured on six people of the layouts alone)."""
    size = np.asarray(image_size, np.float64)
    keypoints = np.asarray(keypoints, np.float64)
    upper_body_px = float(distance_px(keypoints[DETECTION_SHOULDERS + 1], keypoints[DETECTION_SHOULDERS], size))
    half = NEWCOMER_REGION * upper_body_px / size
    center = box_center(box)
    return np.concatenate([center - half, center + half])


def fits_detection(landmarks: np.ndarray, box: np.ndarray) -> bool:
    """A newcomer's pose is the detected person's: its nose lies in the detection's box grown
    NEWCOMER_BOX_SCALE times (else the ROI, larger than the person, found someone else)."""
    nose = np.asarray(landmarks)[0, :2]
    grown = grown_box(box, NEWCOMER_BOX_SCALE)
    return bool(grown[0] <= nose[0] <= grown[2] and grown[1] <= nose[1] <= grown[3])


def in_box(point: np.ndarray, box: np.ndarray) -> bool:
    return bool(box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3])


def on_someone_else(hand_landmarks: np.ndarray, own_keep: np.ndarray, others: Sequence[np.ndarray]) -> bool:
    """A hand found from a person's wrist that lies on someone else: its centre in
    another person's body region (:func:`body_region`) and not in the person's own
    head and shoulders region. Such a hand is not reported (issue 18: one body's
    parts are never another's); the person's hand tracking on that side starts over."""
    center = np.asarray(hand_landmarks)[:, :2].mean(axis=0)
    return not in_box(center, own_keep) and any(in_box(center, other) for other in others)


def fits_own_motion(track: PersonTrack, landmarks: np.ndarray, others: Sequence[np.ndarray], image_size) -> bool:
    """A pose of ``track`` lies where the track's own motion puts the body
    (:meth:`PersonTrack.predicted_anchor`), within SAME_BODY_SHOULDERS body widths, and
    nearer there than to any of the ``others`` poses: it is the track's person, not the
    person it crossed (who moves the other way)."""
    predicted = track.predicted_anchor()
    if predicted is None:
        return False
    here = motion_anchor(landmarks)
    off = float(distance_px(here, predicted, image_size))
    if off >= SAME_BODY_SHOULDERS * body_scale_px(landmarks, image_size):
        return False
    return all(float(distance_px(here, motion_anchor(other), image_size)) > off for other in others)


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
        self._retries = 0
        self._search_turn = -1
        self._search_passes = 0
        self._static = False
        self.policy.reset(self)

    def close(self) -> None:
        """Drop every track, the policy's and the branch factory, so that the face and hand
        branches (and the model sessions they hold) go with their last reference, not at the
        cycle collector's next run (a track and its pose state refer to each other)."""
        self.tracks, self.lost, self.lost_now = [], [], []
        self.policy = None
        self._make_branches = None

    def new_id(self) -> int:
        return next(self._ids)

    def sighted(self, track: PersonTrack, image_size=None) -> bool:
        """A frame with the track's pose (after :meth:`PersonTrack.seen`): whether it is
        reported. A newcomer is once its pose has been found on NEWCOMER_CONFIRM_FRAMES
        frames (:meth:`start`), and gets its id then: with ``image_size``, the id of a
        recently lost track whose person its pose now is (:meth:`lost_track_for`, asked
        again with the newcomer's tracked pose and look: the detector's first pose of a
        person who comes back may lie off where their motion puts them), else a new one."""
        if track.unconfirmed:
            track.unconfirmed -= 1
            if track.unconfirmed:
                return False
            if image_size is not None and track.landmarks is not None:
                back = self.lost_track_for(track.landmarks, image_size, track.look_now, newcomer=track)
                if back is not None:
                    self.lost.remove(back)
                    track.person_id = back.person_id
                    track.look = track.look if track.look is not None else back.look
        track.person_id = track.person_id or self.new_id()
        return True

    def new_track(self, person_id: int) -> PersonTrack:
        face, hands = self._make_branches()
        return PersonTrack(person_id, face=face, hands=hands)

    def begin_frame(self, static_image_mode: bool) -> None:
        """Before a frame's pose: static mode's new image; tracks without a usable ROI are lost."""
        self.lost_now = []
        if static_image_mode:
            self.policy.new_image(self)
        self._static = static_image_mode
        for track in list(self.tracks):
            if track.roi is None or not rect_is_valid(track.roi):
                self.lose(track)

    def find(self, detector, image, min_score: float, regions=None, blanked: bool = True, faces=None) -> list:
        """The policy's detections that may be new people, best first; ``regions``
        (several people): where to look, else everywhere, and ``blanked``: also the whole
        image with the tracked people blanked (:meth:`region_to_search`); ``faces``: the
        faces in a box, for the searches of one region (:meth:`has_own_face`; a full run is
        on the first frame, with nobody tracked yet, on schedule and after a loss, and the
        next frames' searches of one region look again)."""
        self.detected()
        if regions is None and blanked:
            return self.policy.find(self, detector, image, min_score)
        return self.policy.find(self, detector, image, min_score, regions, blanked, faces)

    def claim(self, rois: Sequence[NormRect]) -> List[NormRect]:
        """ROIs of :meth:`find`'s detections, one per free place, that the policy does
        not track at once: their people :meth:`start` once their pose is known."""
        return self.policy.claim(self, list(rois)[:self.max_num_people - len(self.tracks)])

    # -- detection schedule --------------------------------------------------
    def active(self) -> List[PersonTrack]:
        """The tracks that keep a place: all but those unreported for STALE_FRAMES frames or more."""
        return [track for track in self.tracks if not track.stale]

    def full(self) -> bool:
        """N people tracked (:meth:`active`): nobody to look for, no newcomer to start."""
        return len(self.active()) >= self.max_num_people

    def should_detect(self) -> bool:
        """Run the pose detector this frame? Not when N people are tracked (:meth:`active`);
        else when nobody is, when a track was lost since the last run, or on schedule."""
        if self.full():
            return False
        return (not self.tracks or self._lost_since_detection or 0 < self._retries <= RETRY_DETECTION_FRAMES
                or self._frames_since_detection >= DETECTION_INTERVAL_FRAMES)

    def region_to_search(self, regions: int) -> Optional[int]:
        """Between full detector runs, while fewer than N people are tracked: the index
        of the one region (of ``regions``: the whole image, then its tiles) the detector
        looks at this frame, in turn, so that a newcomer anywhere is looked for within
        ``regions`` frames at the cost of one detector run a frame (issue 18); on the whole
        image's turn (0) the whole image with the tracked people blanked is searched too
        (:meth:`CrowdPolicy.find`), a second run every ``regions`` frames. On every other
        pass over the regions (:meth:`heads_pass`) the region is searched with the tracked
        people's heads blanked instead, at no extra cost."""
        if self.full() or regions < 1:
            return None
        self._search_turn = (self._search_turn + 1) % regions
        if self._search_turn == 0:
            self._search_passes += 1
        return self._search_turn

    def heads_pass(self) -> bool:
        """Whether this pass of :meth:`region_to_search` over the regions looks at them with
        the tracked people's heads blanked (:meth:`heads_for_search`), in place of the plain
        search: every other pass, the first one included. Every other, not every pass: a
        person whose face lies in a tracked person's head and shoulders region is dropped
        there as that person's headless body (:meth:`headless_tracked`), and the plain
        search still finds such a person where their face scores over the threshold
        (development layout seed 19: found 59% with the plain search every other pass, 44%
        with none; docs/people-layouts.md, "Seventh round")."""
        return self._search_passes % 2 == 1

    def detected(self) -> None:
        self._frames_since_detection = 0
        self._lost_since_detection = False

    def newcomers_missed(self, missed: bool) -> None:
        """After the detector ran: ``missed``, a person it found could not be started (its
        pose landed on someone else), so it runs again next frame (at most
        RETRY_DETECTION_FRAMES frames in a row)."""
        self._retries = self._retries + 1 if missed else 0

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
    def is_tracked(self, box: np.ndarray, shoulders: Optional[np.ndarray] = None, image_size=None,
                   faces=None) -> bool:
        """A detection (box) of someone already tracked: it overlaps a tracked
        body, or is centred on a tracked person's head (the detector's box is
        about the face, which a waist-up body's box has at its top, not its middle),
        or (with ``shoulders``, the detection's keypoint DETECTION_SHOULDERS, and
        ``image_size``) its shoulders lie within SAME_BODY_SHOULDERS body widths of
        the tracked person's (:func:`motion_anchor`).

        The tracked body, head and shoulders are taken where the track's motion puts
        them on this frame: its landmarks are last frame's. A small full-body walker's
        detection (fresh layout seed 218: 18 px a frame; a 144 px box, centred 3 px
        under her 38 x 25 px head box and outside the middle of her body box) was
        taken for a newcomer; its pose, on her, was dropped as a second track on her
        body, and the detector then ran on the whole frame and its tiles again
        (RETRY_DETECTION_FRAMES) instead of searching one region a frame for the one
        person missing. (Tried: her nose in the middle of the detection's box as the
        test; on seed 13 a crossing's detections were then taken for the other
        walker's, 2 -> 10 id switches.)

        With ``faces`` (:meth:`has_own_face`), a detection these rules take for someone
        tracked, not centred on a tracked face, is someone new where a face is found in the
        middle of its box that is no tracked person's: a small person standing in front of a
        tracked one."""
        if not self._tracked_by_geometry(box, shoulders, image_size):
            return False
        return faces is None or not self.has_own_face(box, faces, image_size)

    def has_own_face(self, box: np.ndarray, faces, image_size, anywhere: bool = False) -> bool:
        """Whether a detection (``box``, its face) or a newcomer's pose (``box``, the box of
        its face landmarks; ``anywhere``) is someone with a face of their own: ``faces`` (a
        callable: the nose tips of the faces found around a box, face.FaceBranch.faces_around)
        finds one that is no tracked person's face (in the box of their face landmarks,
        :func:`face_box`, or within SAME_BODY_SHOULDERS body widths of their nose, as two
        heads do not meet in :func:`same_body`, both where the track's motion puts them:
        BlazeFace's nose tip lay 18 px under a small tracked woman's pose nose, outside her
        head box, layout seed 22; not the head box, twice the face box: a big waist-up
        woman's guessed face box was 186 px wide, and the face of a woman beside her lay in
        its double, never-seen layout seed 470),
        in the middle of the box (its middle BODY_CORE: the detector's box is
        about the face; 640x480 layout seed 26: a face 45 px from the centre of a 128 px box
        was another person's, whose tentative newcomer, blanked in a tracked woman's crop,
        cost her 10 of 20 frames), or with ``anywhere`` around it (a small newcomer's first
        pose may lie off their face: 35 px on a 13-34 px face box, 640x480 layout seed 21).
        Not asked where the box is centred on a tracked face (that face is theirs; and no
        detector run for it).

        Portrait layout seed 5: a small rendered woman in front of the business woman's
        photo, her face 110-140 px from the photo's, on its body, was found by the
        heads-blanked search (score 0.87) and dropped as the photo's headless body (and as
        the photo's own detection); she was never found in 40 frames. Portrait layout seed
        16: a fist in front of a woman's chest, taken for a face, started a second track on
        her (:meth:`on_tracked_body`)."""
        tracked = [t for t in self.tracks if t.landmarks is not None]
        faces_now = [_shifted_box(face_box(t.landmarks), t.velocity) for t in tracked]
        if any(in_box(box_center(box), face) for face in faces_now):
            return False

        def theirs(tip) -> bool:   # a tracked person's own face: in their face box, or at their nose
            return any(in_box(tip, face) for face in faces_now) or any(
                float(distance_px(tip, t.landmarks[0, :2] + t.velocity, image_size))
                < SAME_BODY_SHOULDERS * body_scale_px(t.landmarks, image_size) for t in tracked)

        middle = grown_box(box, BODY_CORE)
        return any(not theirs(tip) for tip in faces(box) if anywhere or in_box(tip, middle))

    def _tracked_by_geometry(self, box: np.ndarray, shoulders, image_size) -> bool:
        """:meth:`is_tracked` by the detection's box and shoulders alone."""
        for track in self.tracks:
            if track.box is None:
                continue
            body = _shifted_box(track.box, track.velocity)
            if box_iou(box, body) > TRACKED_BOX_IOU or center_inside(box, body):
                return True
            if track.landmarks is None:
                continue
            if center_inside(box, _shifted_box(head_box(track.landmarks), track.velocity), core=1.0):
                return True
            if shoulders is not None and track.anchor is not None:
                off = float(distance_px(shoulders, track.predicted_anchor(), image_size))
                if off < SAME_BODY_SHOULDERS * body_scale_px(track.landmarks, image_size):
                    return True
        return False

    def new_people(self, boxes: Sequence[np.ndarray], shoulders=None, image_size=None, faces=None) -> List[int]:
        """Indices of the detections (boxes, best first) that may be new people:
        not someone tracked (:meth:`is_tracked`; ``shoulders``: each detection's
        shoulders keypoint, in ``image_size``), and not centred in a better detection
        kept before (the detector finds one person at two scales when it also runs on tiles)."""
        kept: List[int] = []
        for k, box in enumerate(boxes):
            if self.is_tracked(box, None if shoulders is None else shoulders[k], image_size, faces) or any(
                    center_inside(box, boxes[j]) for j in kept):
                continue
            kept.append(k)
        return kept

    def observe(self, image: np.ndarray, candidates: Sequence[Tuple[PersonTrack, np.ndarray]]) -> None:
        """Several people: this frame's look of each (track, raw landmarks) found
        (:attr:`PersonTrack.look_now`, appearance.py), before :func:`resolve_shared_bodies`
        uses it; ``image`` is the RGB frame (a device frame's host copy)."""
        for track, landmarks in candidates:
            track.look_now = self.look_of(image, landmarks)

    @staticmethod
    def look_of(image: np.ndarray, landmarks: np.ndarray) -> Optional[np.ndarray]:
        """A pose's look in the frame (appearance.py; a device frame's host copy)."""
        return appearance(getattr(image, "host", image), landmarks)

    def learn_looks(self, image_size) -> None:
        """After a frame: the looks of the people reported this frame whose torso patch
        (appearance.torso_box) overlaps nobody else's are learnt (LOOK_ALPHA)."""
        torsos = {id(t): torso_box(t.landmarks, image_size) for t in self.tracks if t.landmarks is not None}
        for track in self.tracks:
            now, track.look_now = track.look_now, None
            if now is None or track.held_frames or track.coast is not None or track.landmarks is None:
                continue
            torso = torsos[id(track)]
            if torso is None or any(other is not None and box_iou(torso, other) > 0.0 for key, other in torsos.items()
                                    if key != id(track)):
                continue
            track.look = now if track.look is None else (1.0 - LOOK_ALPHA) * track.look + LOOK_ALPHA * now

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
            if min(len(a.history), len(b.history)) < COAST_SETTLED_FRAMES and not (a.coast or b.coast):
                continue   # a motion just after the detector is no motion yet (issue 18)
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

    def blanks(self, keep: Optional[np.ndarray], image_size, skip: Optional[PersonTrack] = None):
        """What to blank in a pose crop: (the body regions of the tracked people
        but ``skip``, ``keep``: the region not to blank, normalised)."""
        boxes = [body_region(t.landmarks, image_size) for t in self.tracks
                 if t is not skip and t.landmarks is not None]
        return boxes, keep

    def blanks_for_search(self, image_size) -> List[np.ndarray]:
        """What the detector's regions have blanked (:meth:`CrowdPolicy.find`): the body
        regions of the tracked people (:func:`body_region`), so that someone not tracked
        is seen as if alone in the image, as MediaPipe's one-person detector sees them.
        Not while a track is held or coasting (:meth:`_may_blank_for_search`)."""
        if not self._may_blank_for_search():
            return []
        return self.blanks(None, image_size)[0]

    def heads_for_search(self) -> List[np.ndarray]:
        """The tracked people's heads (:func:`head_box`), blanked in the search of one
        region a frame (:meth:`region_to_search`, :meth:`CrowdPolicy.find`). The detector
        keys on faces, and a face beside another scores under its threshold: of the people
        the layouts' one-person runs find alone (most at 0.54-0.98) and the several-people
        run never found, most scored 0.00-0.44 in the layout and 0.46-0.93 with the others'
        heads blanked, where blanking their bodies (:meth:`blanks_for_search`) blanked them
        too, standing in front of or below someone (docs/people-layouts.md, "Sixth round").
        Not while a track is held or coasting (:meth:`_may_blank_for_search`)."""
        if not self._may_blank_for_search():
            return []
        return [head_box(t.landmarks) for t in self.tracks if t.landmarks is not None]

    def _may_blank_for_search(self) -> bool:
        """Whether the tracked people may be blanked in the detector's search: not while a
        track is held or coasting (a crossing, a pose that left its motion): its landmarks
        may be on someone else, whom blanking would hide and leave its own person to be
        found again as a newcomer."""
        return not any(t.held_frames or t.coast is not None for t in self.tracks)

    def headless_tracked(self, detection, image_size, faces=None) -> bool:
        """A detection made with the tracked people's heads blanked (:meth:`heads_for_search`)
        that is a tracked person's body without its head: its face (box centre) lies in a
        tracked person's head and shoulders region (:func:`body_region` of the head and
        shoulders alone, never down to the hips), or its shoulders (the detector's keypoint
        DETECTION_SHOULDERS) lie within JUMP_SHOULDERS body widths of a tracked person's
        shoulders (one body width: as a tracked pose farther than that from its own motion
        is someone else's, a detection's shoulders nearer are that person's). Without this,
        a headless torso found below a blanked face started a second track on that person
        (fresh layout seed 216).

        The region stops at the shoulders even where the hips are visible: a waist-up
        person's guessed hips land on the body of whoever stands below them, with a
        visibility of 1.0 (0.2 on the person alone), and the region down to those hips held
        the face of the person below. Never-seen layout seed 378: a woman below another,
        whom the heads-blanked search found (scores 0.56-0.67 on frames 1, 7, 13 and 19),
        was dropped as the upper woman's headless body every time and never found; the
        shoulders' rule above still drops the upper woman's own headless body there (its
        shoulders 17-32 px from hers, one body width 143-151 px).

        A face in the region but HEADLESS_ACROSS_MAX body widths or more across the tracked
        person's body axis (:func:`across_body_px`), beyond their shoulders, is someone beside
        them, whatever their shoulders: the detector reads a headless body with its face on
        the neck or chest (mostly 0.00-0.54 widths across, measured on the layouts). Development
        seed 21: a woman standing in front of and beside a sitting one, her face at the sitting
        woman's shoulder (0.82-1.00 widths across), her shoulders 83-103 px from the sitting
        woman's (one body width 107-109 px), was dropped on every pass and never found.

        With ``faces``, a detection these rules drop is kept where it has a face of its own
        (:meth:`has_own_face`): a headless body has none there, someone standing in front of
        the tracked person has one."""
        if not self._headless(detection, image_size):
            return False
        return faces is None or not self.has_own_face(detection.box, faces, image_size)

    def _headless(self, detection, image_size) -> bool:
        """:meth:`headless_tracked` by the detection's geometry alone."""
        face = box_center(detection.box)
        shoulders = np.asarray(detection.keypoints)[DETECTION_SHOULDERS]
        for track in self.tracks:
            if track.landmarks is None:
                continue
            head_and_shoulders = body_region(track.landmarks, image_size, with_hips=False, hips_if_visible=False)
            if in_box(face, head_and_shoulders):
                if across_body_px(face, track.landmarks, image_size) < HEADLESS_ACROSS_MAX * body_scale_px(
                        track.landmarks, image_size):
                    return True
                continue   # a face beside theirs, beyond their shoulders: someone beside them
            off = float(distance_px(shoulders, motion_anchor(track.landmarks), image_size))
            if off < JUMP_SHOULDERS * body_scale_px(track.landmarks, image_size):
                return True
        return False

    def blanks_for_newcomer(self, box: np.ndarray, keypoints: np.ndarray, image_size):
        """A newcomer's crop (the detection's ``box`` and ``keypoints``): the tracked people
        blanked but a region around the detection's face (its box centre). When the face
        lies in nobody's head and shoulders (:func:`body_region` without the hips), the
        detection is someone new: only their own head and shoulders are kept
        (:func:`newcomer_region`, within the box grown NEWCOMER_BOX_SCALE times, where their
        nose must lie: :func:`fits_detection`). The detector's box grown NEWCOMER_BOX_SCALE times (432 px
        in a 720 px tile, whatever the person's size) kept a nearby tracked person's head,
        on which the newcomer's pose then landed (layout seed 0: a woman partly in front of
        a larger one, never found). When the face lies in a tracked person's head and
        shoulders, the detection may be theirs: the box grown NEWCOMER_BOX_SCALE times is
        kept, as before; blanking more of them gives another, poorer pose of theirs that the
        one-body test misses (layout seed 22: its nose 0.89 body widths from the track's, a
        second track on one person)."""
        face = box_center(box)
        maybe_tracked = any(t.landmarks is not None and in_box(face, body_region(t.landmarks, image_size, with_hips=False))
                            for t in self.tracks)
        keep = grown_box(box, NEWCOMER_BOX_SCALE)
        if not maybe_tracked:   # their head and shoulders, no farther than their nose may lie (fits_detection)
            region = newcomer_region(box, keypoints, image_size)
            keep = np.concatenate([np.maximum(keep[:2], region[:2]), np.minimum(keep[2:], region[2:])])
        return self.blanks(keep, image_size)

    def blanks_for_track(self, track: PersonTrack, image_size):
        """A tracked person's crop: everybody else blanked, the person's own region kept.
        Returns (boxes, keep, to_border): someone clear of the person's body region is
        blanked as the image would be, also where the crop repeats the image's edge beyond
        it (roi.blank_boxes_in_crop); someone over the person only inside their box: a box
        is coarse, and repeated along the edge it would also blank the person's own body
        there (a crossing's partner's box covers the person's torso at the frame's edge)."""
        if track.landmarks is None:
            return self.blanks(None, image_size, skip=track)
        boxes, keep = self.blanks(body_region(track.landmarks, image_size, with_hips=False), image_size, skip=track)
        own = body_region(track.landmarks, image_size)
        return boxes, keep, [box_iou(box, own) == 0.0 for box in boxes]

    def jumped(self, track: PersonTrack, landmarks: np.ndarray, image_size) -> bool:
        """Whether this frame's pose of ``track`` left the track's own motion (it slid
        or jumped onto someone else): its motion anchor too far from where the track's
        motion puts it, or its scale changed too much (JUMP_SHOULDERS, JUMP_SCALE).
        Not checked while coasting through a crossing (:meth:`plan_rois` holds the ROI).
        Several people, also while coasting: its look now is someone else's
        (:meth:`looks_like_someone_else`)."""
        if self.looks_like_someone_else(track):
            return True
        if track.anchor is None or track.landmarks is None or track.coast is not None:
            return False
        size = np.asarray(image_size, np.float64)
        width_before = body_scale_px(track.landmarks, image_size)
        width_now = body_scale_px(landmarks, image_size)
        # The landmarks moved on along the motion while held (PersonTrack.hold): one step more.
        before = np.asarray(track.landmarks)[NOSE_AND_SHOULDERS, :2] + track.velocity
        steps = distance_px(np.asarray(landmarks)[NOSE_AND_SHOULDERS, :2], before, size)
        step = float(np.median(steps))
        scale = max(width_now / width_before, width_before / width_now)
        # A change of scale alone, on the same body (its nose and shoulders within
        # SAME_BODY_SHOULDERS of where the motion puts them), is the model's: a keyed woman
        # whose black top is cut out had her shoulders 80, 65, 70, 41, 63 px apart on five
        # frames, the nose within 4 px and the shoulders within 11-20 px (layout seed 22, a
        # regression case: held for a frame at 70 -> 41, found 93%).
        return step > JUMP_SHOULDERS * width_before or (scale > JUMP_SCALE
                                                         and step >= SAME_BODY_SHOULDERS * width_before)

    def looks_like_someone_else(self, track: PersonTrack) -> bool:
        """This frame's pose of ``track`` has another person's look: its torso looks
        nothing like the track's own look (LOOK_DIFFERENT) and like the look of someone
        else tracked or lost (within LOOK_SAME), whose look is not the track's either.
        The ROI slid onto that person (a crossing, one behind the other): not taken."""
        now = track.look_now
        if now is None or track.look is None or appearance_distance(track.look, now) < LOOK_DIFFERENT:
            return False
        return any(other.look is not None and appearance_distance(other.look, now) < LOOK_SAME
                   and appearance_distance(other.look, track.look) >= LOOK_DIFFERENT
                   for other in self.tracks + self.lost if other is not track)

    def still_entangled(self, track: PersonTrack, landmarks: np.ndarray, others: Sequence[np.ndarray],
                        image_size) -> bool:
        """A track not reported for a while (held, behind someone) whose body (its
        visible head, arms and hands) still reaches into another person's head and
        shoulders region: it stays unreported, for at most COAST_MAX_FRAMES frames.
        A pose where the track's own motion puts it (:func:`fits_own_motion`) is its
        person's, and waits only while its head, arms and hands themselves lie on
        another's head and shoulders box itself (:func:`body_region`, not grown): with
        either grown by BODY_PAD_SHOULDERS, two big waist-up people (270-330 px
        shoulders) stay entangled until about two shoulder widths apart (seed 14: the one
        behind unreported for 8 frames after her pose was hers again, 660 px from the
        other; never-seen seed 440: a big woman's grown region, 586 px wide, held the one
        who had walked out from behind her for 9 frames). (Tried: any pose that fits its
        own motion back at once: found 29% -> 76% on layout seed 117, 10% -> 70% on seed
        79, but test_multi_person's crossing then had 2 hands on the other body.)"""
        if track.held_frames >= COAST_MAX_FRAMES:
            return False
        if fits_own_motion(track, landmarks, others, image_size):
            # Its own person: entangled only while its head, arms and hands themselves lie
            # on another's head and shoulders themselves, where its hands would be found on
            # the wrong body.
            return reaches_into(landmarks, others, image_size, grown=False)
        return reaches_into(landmarks, others, image_size, body_pad(landmarks, image_size))

    def same_body_as_tracked(self, landmarks: np.ndarray, image_size) -> bool:
        """New landmarks that lie on a body already tracked this frame (by a track that
        keeps its place, :meth:`active`)."""
        return any(t.landmarks is not None and one_body(t.landmarks, landmarks, image_size) for t in self.active())

    def on_tracked_body(self, landmarks: np.ndarray, image_size) -> bool:
        """A newcomer's pose whose nose lies on a tracked person's body (:func:`body_region`
        without the hips, down to them where they are visible): someone standing in front of
        them, or a part of them that the detector took for a face (a fist, a hand). Such a
        newcomer is started only where it has a face of its own (:meth:`has_own_face`
        around its face landmarks; holistic.py). Portrait layout seed 16: a woman's thumbs-up
        fist in front of her chest, detected as a face, started a second track on her body
        (its nose 150-190 px from hers, her compressed shoulders 129 px apart, so the
        one-body test did not join them), reported on 16 of 40 frames; the face model found
        no face on it on any of them."""
        nose = np.asarray(landmarks)[0, :2]
        return any(t.landmarks is not None and in_box(nose, body_region(t.landmarks, image_size, with_hips=False))
                   for t in self.active())

    def make_room(self, landmarks: np.ndarray, image_size, look: Optional[np.ndarray] = None) -> bool:
        """A newcomer's pose (on nobody :meth:`active`) may be started: there is a free
        place, or a track unreported for STALE_FRAMES frames gives up its place to its own
        person: the track whose (coasted) body the pose lies on, else the one whose look
        is the pose's ``look`` and nobody else's (LOOK_SAME, :meth:`_look_is_theirs`). That
        track is lost, and its id comes back on the newcomer (:meth:`start`,
        :meth:`lost_track_for`, by its motion or look). Where this frame's pose is on the
        stale track's body, the track's own pose was not (it was behind someone or off
        its motion), and the detector's is. A stale track whose person the pose may not be
        keeps its place, unless the pose is clear of everyone tracked (then the one
        unreported longest gives way): where two people cross, the rules for the pair need
        both tracks (:func:`hidden_behind`; two copies of one clip crossing, whose looks are
        alike, had their ids swapped when the one behind was lost for a newcomer
        over the one in front: test_multi_person)."""
        stale = [t for t in self.tracks if t.stale]
        mine = [t for t in stale if t.landmarks is not None and one_body(t.landmarks, landmarks, image_size)]
        if not mine and look is not None:
            mine = [t for t in stale if t.look is not None and self._look_is_theirs(t, look)]
        if not mine and stale and len(self.tracks) >= self.max_num_people:
            # Clear of everyone tracked (its head, arms and hands off their head and
            # shoulders): nobody's crossing partner, someone who came out from behind. The
            # track unreported longest gives way (development seed 9: a woman out from behind
            # a photo, 233 px ahead of where her track coasted, her look alike the other
            # walker's; her id came back).
            if not reaches_into(landmarks, [t.landmarks for t in self.active() if t.landmarks is not None], image_size):
                mine = [max(stale, key=lambda t: t.held_frames)]
        if mine:
            self.lose(mine[0])
            return True
        return len(self.tracks) < self.max_num_people

    def lose(self, track: PersonTrack) -> None:
        """The person's pose was not found (or went to another body): its face
        and hands start over (:attr:`lost_now`), the detector runs next frame;
        the id may come back (:meth:`start`)."""
        track.lose()
        self.policy.lost(track)
        if track in self.tracks:
            self.tracks.remove(track)
        if track not in self.lost and not track.unconfirmed:   # a tentative newcomer has no id to come back
            self.lost.append(track)
        self.lost_now.append(track)
        self._lost_since_detection = True

    @staticmethod
    def _where_it_went(track: PersonTrack, landmarks: np.ndarray, image_size) -> bool:
        """A lost track's person is back: the new pose is on the track's body
        (:func:`same_body`) moved to where the track's motion puts it now. The box test
        misses a waist-up person whose last poses were poor (on layout seed 22 a small
        person's shoulders collapsed to 7 px, the detector's pose then had them 129 px
        apart and the nose 17 px away: the same person, under a new id)."""
        moved = np.asarray(track.landmarks, np.float64).copy()
        moved[:, :2] += track.velocity * track.lost_frames
        return same_body(moved, landmarks, image_size)

    def start(self, landmarks: np.ndarray, image_size, look: Optional[np.ndarray] = None
              ) -> Tuple[PersonTrack, bool]:
        """A person found by the detector: a recently lost track if this is where
        it would be now (:meth:`lost_track_for`), else a new one, tentative
        (NEWCOMER_CONFIRM_FRAMES). Returns (track, came_back)."""
        best = self.lost_track_for(landmarks, image_size, look)
        came_back = best is not None
        if came_back:
            self.lost.remove(best)
            track = best
        else:
            # Its id once confirmed (NEWCOMER_CONFIRM_FRAMES, :meth:`sighted`).
            track = self.new_track(0)
            track.unconfirmed = 0 if self._static else self.policy.confirm_frames
        track.look_now = look
        self.tracks.append(track)
        return track, came_back

    def lost_track_for(self, landmarks: np.ndarray, image_size, look: Optional[np.ndarray] = None,
                       newcomer: Optional[PersonTrack] = None) -> Optional[PersonTrack]:
        """The recently lost track whose person this pose is, if any: the pose's body box
        overlaps where the track's motion puts it now, or the pose lies on its body moved
        along its motion (:meth:`_where_it_went`).

        Several people, with ``look`` (the pose's, appearance.py): a lost track whose
        look is another person's (LOOK_DIFFERENT) is not this person, whatever its
        motion says; and one whose look is this person's (LOOK_SAME), and no other
        tracked or lost person's (:meth:`_look_is_theirs`; ``newcomer``, the pose's own
        tentative track, left out),
        is when the pose lies within its reach of where its motion puts it
        (LOOK_REACH_WIDTHS, LOOK_REACH_SPEED: a person who reappears off the line of their
        motion after a crossing or an occlusion)."""
        # The box a track keeps (PersonTrack.seen): of the head, shoulders and arms.
        box = body_box(np.asarray(landmarks)[:UPPER_BODY_LANDMARKS])
        anchor, size = motion_anchor(landmarks), np.asarray(image_size, np.float64)
        best, best_key = None, None
        for track in self.lost:
            predicted = track.predicted_box()
            if predicted is None:
                continue
            apart = look_distance(track.look, look)
            if apart is not None and apart >= LOOK_DIFFERENT:
                continue
            iou = box_iou(box, predicted)
            by_motion = iou > REIDENTIFY_BOX_IOU or (track.landmarks is not None
                                                    and self._where_it_went(track, landmarks, image_size))
            reach = (LOOK_REACH_WIDTHS + LOOK_REACH_SPEED * track.lost_frames) * body_scale_px(landmarks, image_size)
            by_look = (apart is not None and self._look_is_theirs(track, look, newcomer)
                       and float(distance_px(anchor, box_center(predicted), size)) <= reach)
            if not (by_motion or by_look):
                continue
            key = (by_motion, iou, -(apart if apart is not None else 0.0),
                   -pose_distance(track.landmarks, landmarks, image_size))
            if best_key is None or key > best_key:
                best, best_key = track, key
        return best

    def _look_is_theirs(self, track: PersonTrack, look: np.ndarray, newcomer: Optional[PersonTrack] = None) -> bool:
        """``look`` is ``track``'s (within LOOK_SAME; ``track.look`` known) and nobody else's:
        every other tracked or lost person (but ``newcomer``) whose look is known looks unlike
        it (LOOK_DIFFERENT) or at least LOOK_MARGIN farther from it than ``track``'s look. Two
        people who look alike (one clip twice) bring back neither."""
        own = appearance_distance(track.look, look)
        if own >= LOOK_SAME:
            return False
        bound = min(LOOK_DIFFERENT, own + LOOK_MARGIN)
        others = [t.look for t in self.tracks + self.lost if t is not track and t is not newcomer and t.look is not None]
        return all(appearance_distance(other, look) >= bound for other in others)


class OnePersonPolicy:
    """MediaPipe Holistic's one person (``pose_landmark_cpu.pbtxt``): one track for
    the whole stream; the detector runs only while it is not tracked and keeps its
    best detection, which the track follows from then on under a new id."""

    #: MediaPipe reports the person on the frame it is detected.
    confirm_frames = 0

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

    #: Frames a newcomer's pose is found on before it is reported (NEWCOMER_CONFIRM_FRAMES;
    #: in static mode none: every image is new, :meth:`PeopleTracker.start`).
    confirm_frames = NEWCOMER_CONFIRM_FRAMES

    def reset(self, tracker: PeopleTracker) -> None:
        """Nobody to keep."""

    def new_image(self, tracker: PeopleTracker) -> None:
        tracker.reset()

    def find(self, tracker: PeopleTracker, detector, image, min_score: float, regions=None,
             blanked: bool = True, faces=None) -> list:
        """Detections over nobody tracked, in ``regions`` (default: the whole image and its
        tiles, pose_detection.detection_regions), then, with ``blanked``, in the whole image
        with the tracked people blanked (:meth:`PeopleTracker.blanks_for_search`; a second
        run, only with someone to blank): someone the others hid from the detector (their
        score under the threshold with the others in view) is seen as if alone. Its
        detections come after the plain search's, which finds what it found without it:
        a person both find keeps the plain search's detection (:meth:`PeopleTracker.new_people`).

        One region between full runs (:meth:`PeopleTracker.region_to_search`), on a pass
        that blanks heads (:meth:`PeopleTracker.heads_pass`): that region with the tracked
        people's heads blanked (:meth:`PeopleTracker.heads_for_search`) in place of the
        plain search, so that a face beside a tracked face is seen as if that face were
        not there; a tracked person's body found there without its head is dropped
        (:meth:`PeopleTracker.headless_tracked`). A detection turned upside down is looked
        at again around its face (:func:`upright`)."""
        h, w = image.shape[:2]
        searching = regions is not None   # one region, between full runs (region_to_search)
        if regions is None:
            regions = detection_regions((w, h))
        # Room for the tracked people and one person seen at two scales each.
        most = 2 * tracker.max_num_people + len(tracker.tracks)
        heads = tracker.heads_for_search() if searching and tracker.heads_pass() else []

        def detect(where, blanks=None):   # one search, its upside-down detections looked at again
            found_here = detector.detect_in(image, min_score, most, where, blanks)
            return upright(detector, image, found_here, min_score, blanks)

        if heads:   # instead of the plain search of the region: no more detector runs
            found = [d for d in detect(regions, heads) if not tracker.headless_tracked(d, (w, h), faces)]
        else:
            found = detect(regions)
        blanks = tracker.blanks_for_search((w, h)) if blanked else []
        if blanks:
            found += detect(detection_regions((w, h))[:1], blanks)
        return [found[k] for k in tracker.new_people([d.box for d in found],
                                                     [np.asarray(d.keypoints)[DETECTION_SHOULDERS] for d in found], (w, h), faces)]

    def claim(self, tracker: PeopleTracker, rois: List[NormRect]) -> List[NormRect]:
        return rois

    def lost(self, track: PersonTrack) -> None:
        """Whoever is found here again may come back elsewhere: filters and mask start over."""
        track.smoothing, track.prev_mask = PoseSmoothing(), None


def upright(detector, image, detections: Sequence, min_score: float, blanks=None) -> list:
    """``detections`` with each one more than UPSIDE_DOWN_RAD from upright replaced by an
    upright detection of the detector in a square UPRIGHT_CHECK_BOX times its box around
    it (``blanks`` blanked as in the search that found it), centred in its box and scored
    higher: the same person seen alone, read upright with more confidence, whose body
    keypoints are not guessed from the others around. Kept where there is none. One
    detector run per such detection."""
    h, w = image.shape[:2]

    def upside_down(detection) -> bool:   # its ROI's rotation, in [-pi, pi]
        return abs(roi_from_pose_detection(detection, (w, h)).rotation) > UPSIDE_DOWN_RAD

    out = []
    for detection in detections:
        if upside_down(detection):
            box = np.asarray(detection.box, np.float64)
            region = square_around(box, UPRIGHT_CHECK_BOX, (w, h))
            again = [d for d in detector.detect_in(image, min_score, 1 + len(detections), [region], blanks)
                     if not upside_down(d) and in_box(box_center(d.box), box) and d.score > detection.score]
            detection = again[0] if again else detection
        out.append(detection)
    return out


def resolve_shared_bodies(candidates: Sequence[Tuple[PersonTrack, np.ndarray]], image_size
                          ) -> Tuple[List[int], List[int]]:
    """Tracks whose landmarks landed on one body: keep one, the others lost.

    ``candidates``: (track, this frame's raw landmarks) of the tracks found this
    frame. One body: the poses' landmarks (:func:`pose_distance`) or their nose
    and shoulders (:func:`same_body`) coincide. The track kept is decided by
    history, not by order: the one whose recent positions (its last
    HISTORY_FRAMES motion anchors) lie nearest the body, in the body's
    shoulder widths; the other one's ROI slid or jumped onto this body. On a
    tie, the older track (the smaller id). Returns (kept indices, lost indices).
    """
    lost = _one_per_body(candidates, image_size, crossing=False)
    kept = [k for k in range(len(candidates)) if k not in lost]
    return kept, sorted(lost)


def hidden_behind(candidates: Sequence[Tuple[PersonTrack, np.ndarray]], image_size) -> List[int]:
    """Two people crossing (both tracks coasting) whose poses landed on one body: the
    one whose recent positions lie farther from it is behind the other (or was behind it
    already: :func:`_one_per_body`), and its pose
    is the front one's. It is not reported (one body, one track, issue 18) but stays
    tracked, coasting, until they part. Also not reported: a coasting track whose pose
    lies nearer where the other's motion puts the other than where its own puts itself
    (:func:`_explained_by_other`). Indices of the tracks behind."""
    out = _one_per_body(candidates, image_size, crossing=True)
    for i, j in itertools.permutations(range(len(candidates)), 2):
        if i not in out and _explained_by_other(candidates[i], candidates[j][0], image_size):
            out.add(i)
    return sorted(out)


def _explained_by_other(candidate: Tuple[PersonTrack, np.ndarray], other: PersonTrack, image_size) -> bool:
    """Crossing (both tracks coasting): this frame's pose of the candidate's track lies
    nearer where ``other``'s motion puts ``other`` than where the track's own motion puts
    itself. The two walk in opposite directions, so the pose is (mostly) the other
    person's: reported under this track's id it would be an id on two people. In the
    middle of a crossing the poses land between the two people (seed 14: 30-70 px
    from either, 270 px shoulders), and such a frame is left unreported. Where the two
    tracks' looks are two people's (LOOK_DIFFERENT), the pose's look decides instead."""
    track, landmarks = candidate
    if track.coast is None or other.coast is None:
        return False
    apart, now = look_distance(track.look, other.look), track.look_now
    if apart is not None and apart >= LOOK_DIFFERENT and now is not None:
        # Their looks are two people's: the look tells whose the pose is (as _by_look).
        return appearance_distance(other.look, now) + LOOK_MARGIN <= appearance_distance(track.look, now)
    own, theirs = track.predicted_anchor(), other.predicted_anchor()
    if own is None or theirs is None:
        return False
    here = motion_anchor(landmarks)
    return float(distance_px(here, theirs, image_size)) < float(distance_px(here, own, image_size))


def _one_per_body(candidates, image_size, crossing: bool) -> set:
    """Of each two candidates (track, landmarks) on one body, the one that is not its
    track's. Pairs of coasting tracks only (``crossing``) or all other pairs.

    Two poses whose torsos look like two people's (their looks LOOK_DIFFERENT apart) are
    two bodies, one over the other, whatever their landmarks say. Of one body, by the
    look first (:func:`_by_look`): when the two tracks' looks are two people's and one
    is nearer the body's by LOOK_MARGIN, the other track lost the body. Else by history,
    the track's last HISTORY_FRAMES motion anchors: outside a crossing, the track with
    fewer of them on the body, each moved along the track's own motion to now (within
    a body width), lost it, so that a track started a frame ago next to a followed
    person does not take that person's body from them; then, and in a crossing (where
    both motions lead there), the one whose anchors lie farther from it on average (in
    body widths); on a tie the younger track."""
    size = np.asarray(image_size, np.float64)

    def history_key(track: PersonTrack, landmarks: np.ndarray):
        history = track.history or ([motion_anchor(track.landmarks)] if track.landmarks is not None else [])
        if not history:
            return (0, np.inf)
        here = motion_anchor(landmarks)
        width = body_scale_px(landmarks, image_size)
        # Crossing, both tracks' motions lead near the body: only the distances tell. (Tried:
        # the distance from where each track's own motion puts it; a walker passing behind a
        # standing person then put the standing one behind, seed 31: 0 -> 2 id switches.)
        if crossing:
            steps = distance_px(np.asarray(history), here, size)
            return (0, float(np.mean(steps)) / width)
        # Each anchor moved along the track's own motion to now: frames since it was seen
        # (the newest one last frame, or before the frames the track was held or behind).
        ages = track.held_frames + np.arange(len(history), 0, -1)[:, None]
        moved = distance_px(np.asarray(history) + track.velocity * ages, here, size)
        return (-int(np.sum(moved <= JUMP_SHOULDERS * width)), float(np.mean(moved)) / width)

    out = set()
    for i, j in itertools.combinations(range(len(candidates)), 2):
        if i in out or j in out:
            continue
        (ti, li), (tj, lj) = candidates[i], candidates[j]
        if (ti.coast is not None and tj.coast is not None) != crossing:
            continue   # crossing: one behind the other, hidden_behind's case
        if not one_body(li, lj, image_size):
            continue
        apart_now = look_distance(ti.look_now, tj.look_now)
        if apart_now is not None and apart_now >= LOOK_DIFFERENT:
            continue   # the two poses' torsos look like two people: two bodies, one over the other
        by_look = _by_look(ti, tj)
        if by_look is not None:
            out.add(j if by_look else i)
            continue
        if crossing and ti.held_frames != tj.held_frames:
            # The one behind longer stays behind while their poses are one body: in the
            # middle of a crossing both poses lie between the two people, and which
            # prediction lies nearer is noise (seed 14: the two 13 px apart, the poses
            # 20-60 px off either, by turns nearer the other's).
            out.add(i if ti.held_frames > tj.held_frames else j)
            continue
        # On a tie the younger: a tentative newcomer (no id yet), then the larger id.
        key_i = (*history_key(ti, li), ti.unconfirmed > 0, ti.person_id)
        key_j = (*history_key(tj, lj), tj.unconfirmed > 0, tj.person_id)
        out.add(i if key_i > key_j else j)
    return out


def _by_look(a: PersonTrack, b: PersonTrack) -> Optional[bool]:
    """Two tracks on one body: True when ``a``'s look is the body's and ``b``'s is not,
    False for the reverse, None when the looks do not tell (unknown, alike, or both as
    near). The body's look is seen through both poses (their torso patches differ a
    little): a track's cost is its look's distance to both, and the cheaper one by
    LOOK_MARGIN (each distance counted once) keeps the body."""
    apart = look_distance(a.look, b.look)
    if apart is None or apart < LOOK_DIFFERENT or a.look_now is None or b.look_now is None:
        return None
    cost_a = (appearance_distance(a.look, a.look_now) + appearance_distance(a.look, b.look_now)) / 2.0
    cost_b = (appearance_distance(b.look, a.look_now) + appearance_distance(b.look, b.look_now)) / 2.0
    if abs(cost_a - cost_b) < LOOK_MARGIN:
        return None
    return cost_a < cost_b


def prominence(landmarks: np.ndarray, image_size) -> float:
    """Order of the people in a result: the biggest body (pixels^2) first."""
    box = body_box(landmarks)
    w, h = image_size
    return float((box[2] - box[0]) * w * (box[3] - box[1]) * h)
