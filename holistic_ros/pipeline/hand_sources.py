"""Where Holistic's hands come from: the pose's wrists, the palm detector, or both (issue 17).

``Holistic(hand_source=...)``:

* ``"pose"`` (default): MediaPipe Holistic, hands cut from each body's wrist; nothing here runs.
* ``"palm"``: hands found and tracked by :class:`~holistic_ros.pipeline.hand_tracker.HandTracker`
  (MediaPipe's HandLandmarker); the pose's hand branch does not run (Holistic skips its crops and models).
* ``"both"``: every hand either finds, once. Where both find the same hand (MediaPipe's own
  duplicate test, :func:`~holistic_ros.pipeline.hand_tracker.duplicate_hands`, landmark
  boxes overlapping by :data:`POSE_DUPLICATE_BOX_IOU`, or the pose hand's box lying
  :data:`POSE_DUPLICATE_BOX_INSIDE` inside the palm hand's: :func:`pose_hand_is_palm_hand`) the palm
  tracker's hand wins (:data:`BOTH_WINNER`, measured against GestureRecognizer); the palm
  tracker takes over the pose's hands as tracks, so its detector runs only while a hand is
  missing from both. The pose's hand branch skips the crop of a side whose hand the palm
  tracker holds (:meth:`HandSource.palm_held`): each tracked hand is computed once.

Each palm hand is given to the body whose wrist it belongs to: its wrist (hand landmark 0)
within :data:`WRIST_MATCH_BASELINES` hand sizes of that body's pose wrist, nearest first, each
(person, side) slot at most once, so with several people each hand goes to at most one person.
The slot is the pose's side (the subject's own, as Holistic's hands). A hand that belongs to no
body (no pose found, or far from every wrist) goes in ``result.hands``, with its track id.
"""

from __future__ import annotations

from dataclasses import replace
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .hand_tracker import HandTracker, TrackedHand, box_iou, duplicate_hands, landmark_box
from .result import HolisticResult

HAND_SOURCES = ("pose", "palm", "both")
#: Which hand stays where both sources find the same one, measured against MediaPipe's
#: GestureRecognizer (tools/palm_parity.py --sources, "both" vs "both/pose-wins"): on the
#: thumbs-up clip the palm tracker's hands give recall 172/172 and labels 172/172, the pose's
#: 121/172 and 113/121 (their crops sit 1.0% of the diagonal away); on the photos 13/13 either
#: way, mean error 0.001% vs 0.324%.
BOTH_WINNER = "palm"
#: Pose landmarks of each side's wrist ("left" is the subject's left: pose 15).
POSE_WRIST = {"left": 15, "right": 16}
#: A hand belongs to a body when its wrist lies within this many hand sizes (the hand's
#: baseline of hand_landmarks_deduplication_calculator.cc: the largest side of the wrist /
#: index-MCP / pinky-MCP triangle) of the body's pose wrist. One hand size is about the palm's
#: length: the pose's wrist and the hand model's wrist are the same joint, seen by two models.
WRIST_MATCH_BASELINES = 1.0


#: In "both", a pose hand whose landmark box overlaps a palm hand's by more than this IoU is
#: that hand again, even where MediaPipe's duplicate test (10 of 21 landmarks close) does not
#: say so: Holistic's pose hangs a second hand crop on a hand held out towards the camera, and
#: the model reads it as another hand (thumbs-up clip: 11 frames, box IoU 0.31-0.63, wrists
#: 69-199 px apart, labelled Pointing_Up or Thumb_Up on the other side). Two real hands overlap
#: that much only when clasped; the palm detector then finds both itself.
POSE_DUPLICATE_BOX_IOU = 0.25
#: In "both", a pose hand whose landmark box lies this much (area fraction) inside a palm hand's
#: box is that hand again: the pose's crop laid on a hand the palm path has, its landmarks
#: collapsed along one finger, so its box is small and the IoU low (hand-reach clip as shot,
#: frames 130-135: IoU 0.21-0.24, 100% inside; at half size: IoU 0.07-0.20, 95-100% inside).
#: Real joined hands stay apart by it: the yoga photo's pose hands lie at most 81% inside the
#: other hand's palm box (as shot, mirrored, half size, rolled -15, turned +90; docs/hands.md).
POSE_DUPLICATE_BOX_INSIDE = 0.9


def box_inside(inner: np.ndarray, outer: np.ndarray) -> float:
    """The fraction of ``inner``'s landmark box (area) that lies inside ``outer``'s."""
    a, b = landmark_box(inner), landmark_box(outer)
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    area = (a[2] - a[0]) * (a[3] - a[1])
    return float(ix * iy / area) if area > 0 else 0.0


def pose_hand_is_palm_hand(pose: np.ndarray, palm: np.ndarray, image_size) -> bool:
    """In "both": whether the pose's hand (21, 3) is the palm path's hand again: MediaPipe's
    duplicate test, their landmark boxes overlapping by :data:`POSE_DUPLICATE_BOX_IOU`, or the
    pose hand's box lying :data:`POSE_DUPLICATE_BOX_INSIDE` inside the palm hand's."""
    pose, palm = np.asarray(pose, dtype=np.float64), np.asarray(palm, dtype=np.float64)
    return (same_hand(palm, pose, image_size) or box_iou(palm, pose) > POSE_DUPLICATE_BOX_IOU
            or box_inside(pose, palm) >= POSE_DUPLICATE_BOX_INSIDE)


def validate_hand_source(hand_source: str) -> str:
    if hand_source not in HAND_SOURCES:
        raise ValueError(f"hand_source must be one of {', '.join(repr(s) for s in HAND_SOURCES)}; "
                         f"got {hand_source!r}")
    return hand_source


def _baseline_px(landmarks: np.ndarray, size) -> float:
    p = np.asarray(landmarks)[[0, 5, 17], :2] * size
    return max(float(np.linalg.norm(p[0] - p[1])), float(np.linalg.norm(p[1] - p[2])),
               float(np.linalg.norm(p[2] - p[0])))


def assign_to_bodies(hands: Sequence[np.ndarray], people: Sequence[HolisticResult], image_size,
                     taken=(), preferred: Sequence = ()) -> List[Optional[Tuple[int, str]]]:
    """For each hand's (21, 3) landmarks, the (person index, side) slot whose pose wrist it
    belongs to, or None. ``taken``: slots already filled. ``preferred``: per hand, the slot
    it had last frame (None if none): kept while its wrist is within reach, before any
    nearer wrist, so a hand between two wrists does not flip sides frame to frame."""
    size = np.asarray(image_size, dtype=np.float64)
    preferred = list(preferred) + [None] * (len(hands) - len(preferred))
    pairs = []
    for h, lm in enumerate(hands):
        reach = WRIST_MATCH_BASELINES * _baseline_px(lm, size)
        for p, person in enumerate(people):
            if person.pose_landmarks is None:
                continue
            for side, index in POSE_WRIST.items():
                d = float(np.linalg.norm((np.asarray(lm)[0, :2] - person.pose_landmarks[index, :2]) * size))
                if d <= reach:
                    pairs.append((preferred[h] != (p, side), d, h, p, side))
    out: List[Optional[Tuple[int, str]]] = [None] * len(hands)
    used = set(taken)
    for _, _, h, p, side in sorted(pairs):
        if out[h] is None and (p, side) not in used:
            out[h] = (p, side)
            used.add((p, side))
    return out


def _with_hand(person: HolisticResult, side: str, hand: Optional[TrackedHand]) -> HolisticResult:
    f32 = lambda a: None if a is None else np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
    if hand is None:
        return replace(person, **{f"{side}_hand_landmarks": None, f"{side}_hand_world_landmarks": None,
                                  f"{side}_hand_gesture": None, f"{side}_hand_score": None})
    return replace(person, **{f"{side}_hand_landmarks": f32(hand.landmarks),
                              f"{side}_hand_world_landmarks": f32(hand.world_landmarks),
                              f"{side}_hand_gesture": hand.gesture, f"{side}_hand_score": hand.score})


def _left_out_hand(rect, people: Sequence[HolisticResult], image_size) -> bool:
    """Whether a palm's hand ROI lies at the wrist of a person left out by the detail budget:
    its centre within the ROI's size of that pose wrist (the ROI spans the whole hand, so this
    reaches further than :data:`WRIST_MATCH_BASELINES` from the hand's own wrist), and no detailed
    person's wrist nearer."""
    size = np.asarray(image_size, dtype=np.float64)
    centre = np.array([rect.x_center, rect.y_center]) * size
    nearest = min(((float(np.linalg.norm(person.pose_landmarks[index, :2] * size - centre)), person.detailed)
                   for person in people if person.pose_landmarks is not None for index in POSE_WRIST.values()),
                  default=None)
    return (nearest is not None and not nearest[1]
            and nearest[0] <= max(rect.width * size[0], rect.height * size[1]))


def same_hand(a: np.ndarray, b: np.ndarray, image_size) -> bool:
    """MediaPipe's duplicate test (hand_landmarks_deduplication_calculator.cc) on two hands."""
    return duplicate_hands([np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)], image_size) == [1]


class HandSource:
    """Puts the palm tracker's hands into a Holistic result (``hand_source`` "palm" or "both").

    ``winner``: in "both", which of two findings of the same hand stays ("palm" or "pose");
    :data:`BOTH_WINNER` by default (the other is there to measure the choice)."""

    def __init__(self, hand_source: str, tracker: HandTracker, winner: str = BOTH_WINNER):
        self.hand_source = validate_hand_source(hand_source)
        if hand_source == "pose":
            raise ValueError("hand_source 'pose' needs no HandSource")
        if winner not in ("palm", "pose"):
            raise ValueError(f"winner must be 'palm' or 'pose', got {winner!r}")
        self.tracker = tracker
        self.winner = winner
        #: palm track id -> (person id, side) it was given last frame.
        self._slots: dict = {}
        #: palm track ids that were lone hands (no body) last frame.
        self._lone = set()
        #: palm track id -> (person id, side) slot it was given last frame, for the tracks that
        #: go on: Holistic's pose hand branch skips those slots this frame (:meth:`palm_held`).
        self._held: dict = {}

    def reset(self) -> None:
        self.tracker.reset()
        self._slots = {}
        self._lone = set()
        self._held = {}

    def palm_held(self) -> frozenset:
        """In "both" (palm hands winning), the (person id, side) slots that the last
        :meth:`apply` gave a palm hand whose track goes on into the next frame: Holistic's pose
        hand branch skips those sides (their hand would be the palm hand again, and lose to it).
        Empty otherwise (and in static image mode, where nothing is tracked)."""
        return frozenset(self._held.values())

    def _budget_schedule(self, people, size) -> None:
        """The palm detector's schedule under Holistic's detail budget (issue 18). While the
        budget leaves someone out, their hands are not tracked, so "fewer tracked than
        ``num_hands``" would hold on every frame: the detector then runs while fewer than two
        hands per detailed person, plus last frame's lone hands, are tracked. Otherwise
        MediaPipe's rule (``num_hands``) stands. A new palm at a left-out person's wrist gets no
        hand landmark model (:func:`_left_out_hand`)."""
        detailed = sum(bool(person.detailed) for person in people)
        if detailed == len(people):
            self.tracker.detect_below = self.tracker.skip_palm = None
            return
        lone = len(self._lone.intersection(self.tracker.tracked_ids))
        self.tracker.detect_below = min(self.tracker.options.num_hands, 2 * detailed + lone)
        self.tracker.skip_palm = lambda rect: _left_out_hand(rect, people, size)

    def apply(self, image, result, restart: bool = False) -> HolisticResult:
        """``result`` (or a future of it) with its hands from this frame's palm tracking; one
        call per frame, in order; ``restart``: a new stream starts (tracking is forgotten)."""
        if restart:
            self.tracker.reset()
        if not isinstance(result, HolisticResult):
            result = result.result()
        size = (image.shape[1], image.shape[0])
        people = list(result.people)
        both = self.hand_source == "both"
        self._budget_schedule(people, size)
        palm = self.tracker.process(image)
        slots: List[Optional[Tuple[int, str]]] = [None] * len(palm)
        taken = set()
        duplicate_of: dict = {}   # palm hand -> the pose slots that held the same hand
        if both:
            # Hands the pose found: where the palm path found the same hand, one of the two stays.
            pose_hands = [(p, side, np.asarray(getattr(person, f"{side}_hand_landmarks"), dtype=np.float64))
                          for p, person in enumerate(people) for side in POSE_WRIST
                          if getattr(person, f"{side}_hand_landmarks") is not None]
            skip = set()
            only_pose = []
            for p, side, lm in pose_hands:
                same = [k for k in range(len(palm)) if pose_hand_is_palm_hand(lm, palm[k].landmarks, size)]
                if not same:
                    taken.add((p, side))
                    only_pose.append(lm)
                elif self.winner == "pose":
                    taken.add((p, side))
                    skip.update(same)
                else:
                    # the palm hand replaces it: by its wrist below, else in this slot (the pose
                    # may hang one hand on both wrists: it is given once)
                    people[p] = _with_hand(people[p], side, None)
                    for k in same:
                        duplicate_of.setdefault(k, []).append((p, side))
            # A slot skipped by the pose because this palm hand held it (palm_held()) is treated
            # as a duplicate of it, as the pose's hand there would have been.
            if not restart:
                index_of = {int(getattr(person, "person_id", 0)): p for p, person in enumerate(people)}
                track_k = {hand.track_id: k for k, hand in enumerate(palm)}
                for track_id, (pid, side) in self._held.items():
                    if track_id in track_k and pid in index_of and (index_of[pid], side) not in taken:
                        duplicate_of.setdefault(track_k[track_id], []).append((index_of[pid], side))
            # The palm tracker takes over the pose's other hands as its own tracks, so that its
            # detector runs only while a hand is missing from both.
            self.tracker.adopt(only_pose, size)
            palm_left = [k for k in range(len(palm)) if k not in skip]
        else:
            people = [_with_hand(_with_hand(person, "left", None), "right", None) for person in people]
            palm_left = list(range(len(palm)))
        free = [k for k in palm_left if slots[k] is None]
        index_of = {int(getattr(person, "person_id", 0)): p for p, person in enumerate(people)}
        last = [self._slots.get(palm[k].track_id) for k in free]
        last = [(index_of[pid], side) if pid in index_of else None for pid, side in
                (x if x is not None else (None, None) for x in last)]
        for k, slot in zip(free, assign_to_bodies([palm[k].landmarks for k in free], people, size, taken, last)):
            slots[k] = slot
        given = set(s for s in slots if s is not None)
        for k, candidates in duplicate_of.items():
            candidates = [c for c in candidates if c not in given and c not in taken]
            if slots[k] is None and candidates:
                wrist = np.asarray(palm[k].landmarks)[0, :2]
                slots[k] = min(candidates, key=lambda c: float(np.linalg.norm(
                    (people[c[0]].pose_landmarks[POSE_WRIST[c[1]], :2] - wrist) * size)))
                given.add(slots[k])
        self._slots = {palm[k].track_id: (int(getattr(people[slot[0]], "person_id", 0)), slot[1])
                       for k, slot in enumerate(slots) if slot is not None}
        lone: List[TrackedHand] = []
        left_out = []   # hands of people left out by the detail budget: not given, not tracked
        for k in palm_left:
            if slots[k] is None:
                lone.append(palm[k])
                continue
            p, side = slots[k]
            if not people[p].detailed:
                left_out.append(palm[k].track_id)
                continue
            people[p] = _with_hand(people[p], side, replace(palm[k], side=side))
        if left_out:
            self.tracker.untrack(left_out)
            self._slots = {i: slot for i, slot in self._slots.items() if i not in left_out}
        self._lone = {hand.track_id for hand in lone}
        tracked = set(self.tracker.tracked_ids)
        self._held = ({i: slot for i, slot in self._slots.items() if i in tracked}
                      if both and self.winner == "palm" and not self.tracker.options.static_image_mode else {})
        if not people:
            return replace(result, hands=tuple(lone))
        people = [replace(person, people=(), hands=()) for person in people]
        return replace(people[0], people=tuple(people), hands=tuple(lone))


def create_hand_source(hand_source: str, store, providers, landmarker, gestures, static_image_mode: bool,
                       min_detection_confidence: float, min_tracking_confidence: float,
                       num_hands: int) -> Optional[HandSource]:
    """Holistic's hook: None for "pose"; else a :class:`HandSource` on the palm detector (checked
    against the manifest like every model) and Holistic's own hand landmark and gesture sessions."""
    from .hand_tracker import HandTrackerOptions
    from .models import create_sessions
    from .palm_detection import PalmDetector

    if validate_hand_source(hand_source) == "pose":
        return None
    session = create_sessions({"palm_detection_full": store.entry("palm_detection_full")}, providers)
    options = HandTrackerOptions(num_hands=num_hands, min_detection_confidence=min_detection_confidence,
                                 min_tracking_confidence=min_tracking_confidence,
                                 static_image_mode=static_image_mode)
    tracker = HandTracker(PalmDetector(session["palm_detection_full"]), landmarker, options, gestures)
    return HandSource(hand_source, tracker)
