"""The detail budget (issue 18): which people get face and hands when not all can.

``Holistic(max_num_people=N, max_detailed_people=K)``: every person found gets the pose
every frame; the K most prominent get face and hands every frame too; the others do not
(:data:`OTHERS_REFRESH_FRAMES` could give one of them detail now and then; measured, it
is off). A robot acts on the person engaged with it and watches the others.

Prominence (:func:`prominence_score`) is what the pose says about being engaged with the
camera, without depth (the core has none): how big the person is (the shoulder width,
pixels, over the image's diagonal: nearer people are bigger), how squarely they face
the camera (the nose midway between the ears, from the pose) and how near the image's
centre they stand. It is not ``people.prominence``, which orders ``result.people`` by
the body box's area; with a budget the detailed people come first in that list
(``Holistic``), so that the result's own fields are a detailed person's.

Hysteresis (:class:`DetailBudget`): who holds detail keeps it while present; someone
else takes it only after beating the weakest holder by :data:`SWITCH_MARGIN` for
:data:`SWITCH_FRAMES` frames in a row, so that detail does not hop between two people
of about the same size every frame. A free place (a holder gone, or fewer holders
than K) goes to the best one at once.

Plain inputs and outputs (ids, landmarks, numbers): testable without any model.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence, Set

import numpy as np

from .people import MIN_VISIBILITY, shoulder_width_px

# Pose landmarks (PoseLandmark in mediapipe/python/solutions/pose.py): the nose, the
# subject's left and right ear and shoulder. A landmark counts when its visibility is
# above people.MIN_VISIBILITY.
NOSE, LEFT_EAR, RIGHT_EAR = 0, 7, 8
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
# Weights: a side view (nose beside the ears) or a person at the image's corner counts
# half as prominent as one of the same size facing the camera in the middle. A design
# choice: size matters most (a nearer person is the one a robot usually serves), facing
# and centre break ties between people of about one size.
FACING_WEIGHT = 0.5
CENTRE_WEIGHT = 0.5
# Hysteresis: a challenger takes detail from the weakest holder when its score is more
# than SWITCH_MARGIN above the holder's for SWITCH_FRAMES frames in a row. Measured on the
# woman clip (150 frames; alone, and four copies in a row as tools/benchmark.py lays them
# out): the score changes by 0.2-0.6% from frame to frame (median), 1.1-2.7% at the 95th
# percentile, 5.5% at most, so 25% is well clear of noise; over the clip one person's score
# still varies by 1.14-1.37x (she moves and turns), a real change that may move detail once
# it lasts. 15 frames is half a second at 30 FPS, about the time to step forward.
SWITCH_MARGIN = 0.25
SWITCH_FRAMES = 15
# The others' face and hands: one of them (the one left out longest) is detailed for a
# frame every this many frames; 0: never. Measured with 3 (4 people, K=1; docs/people.md):
# a refresh finds what full detail finds on that frame, but costs 6-12% more CPU and a slow
# frame each time, and a face or hand one frame in nine feeds no gesture (they must hold
# 0.25 s) and makes markers blink; so 0.
OTHERS_REFRESH_FRAMES = 0


def facing(landmarks: np.ndarray) -> float:
    """How squarely the person faces the camera, 0..1, from the pose alone: 1 with the nose
    midway between the ears, 0 with the nose at or past one ear (a profile), or when the
    nose or both ears are not visible (the back of the head)."""
    lm = np.asarray(landmarks, np.float64)
    visible = lm[:, 3] > MIN_VISIBILITY if lm.shape[1] > 3 else np.ones(len(lm), bool)
    if not visible[NOSE] or not (visible[LEFT_EAR] or visible[RIGHT_EAR]):
        return 0.0
    ears_x = lm[[LEFT_EAR, RIGHT_EAR], 0]
    span = abs(ears_x[0] - ears_x[1])
    if span <= 1e-9:
        return 0.0
    offset = abs(lm[NOSE, 0] - ears_x.mean()) / (span / 2.0)
    return float(np.clip(1.0 - offset, 0.0, 1.0))


def centrality(landmarks: np.ndarray, image_size) -> float:
    """1 with the shoulders' midpoint at the image's centre, 0 at a corner (pixels)."""
    size = np.asarray(image_size, np.float64)
    middle = np.asarray(landmarks, np.float64)[[LEFT_SHOULDER, RIGHT_SHOULDER], :2].mean(axis=0)
    distance = float(np.linalg.norm((middle - 0.5) * size))
    return float(np.clip(1.0 - distance / (float(np.linalg.norm(size)) / 2.0), 0.0, 1.0))


def prominence_score(landmarks: np.ndarray, image_size) -> float:
    """A person's claim to detail: shoulder width over the image's diagonal (size), times
    (1 - FACING_WEIGHT + FACING_WEIGHT * facing) and (1 - CENTRE_WEIGHT + CENTRE_WEIGHT * centrality)."""
    size = shoulder_width_px(landmarks, image_size) / float(np.linalg.norm(np.asarray(image_size, np.float64)))
    return (size * (1.0 - FACING_WEIGHT + FACING_WEIGHT * facing(landmarks))
            * (1.0 - CENTRE_WEIGHT + CENTRE_WEIGHT * centrality(landmarks, image_size)))


class DetailBudget:
    """Which people are detailed each frame: at most ``max_detailed`` holders (0: everyone),
    kept with hysteresis, plus one of the others every ``refresh_frames`` frames (0: never)."""

    def __init__(self, max_detailed: int, switch_margin: float = SWITCH_MARGIN,
                 switch_frames: int = SWITCH_FRAMES, refresh_frames: Optional[int] = None):
        if isinstance(max_detailed, bool) or not isinstance(max_detailed, (int, np.integer)) or max_detailed < 0:
            raise ValueError(f"max_detailed_people must be an integer >= 0 (0: everyone), got {max_detailed!r}")
        self.max_detailed = int(max_detailed)
        self.switch_margin = float(switch_margin)
        self.switch_frames = int(switch_frames)
        self.refresh_frames = int(OTHERS_REFRESH_FRAMES if refresh_frames is None else refresh_frames)
        self.reset()

    def reset(self) -> None:
        self.holders: List[int] = []                 # ids, in the order they took detail
        self._streaks: Dict[int, int] = {}           # challenger id -> frames in a row ahead
        self._left_out: Dict[int, int] = {}          # other id -> frames since last detailed
        self._frame = 0

    def choose(self, scores: Mapping[int, float]) -> Set[int]:
        """This frame's detailed people, from each present person's id and score
        (:func:`prominence_score`). Everyone when ``max_detailed`` is 0 or not exceeded."""
        self._frame += 1
        present = dict(scores)
        if self.max_detailed == 0:
            return set(present)
        self.holders = [i for i in self.holders if i in present]
        self._streaks = {i: n for i, n in self._streaks.items() if i in present and i not in self.holders}
        others = sorted((i for i in present if i not in self.holders), key=lambda i: -present[i])
        # A free place goes to the best other at once.
        while others and len(self.holders) < self.max_detailed:
            self.holders.append(others.pop(0))
        # Challengers: each must beat the weakest holder by the margin, frames in a row.
        for challenger in others:
            weakest = min(self.holders, key=lambda i: present[i])
            if present[challenger] > present[weakest] * (1.0 + self.switch_margin):
                self._streaks[challenger] = self._streaks.get(challenger, 0) + 1
            else:
                self._streaks[challenger] = 0
            if self._streaks[challenger] >= self.switch_frames:
                self.holders[self.holders.index(weakest)] = challenger
                self._streaks.pop(challenger)
                self._streaks[weakest] = 0
        others = [i for i in present if i not in self.holders]
        chosen = set(self.holders)
        self._left_out = {i: self._left_out.get(i, 0) + 1 for i in others}
        if others and self.refresh_frames > 0 and self._frame % self.refresh_frames == 0:
            longest = max(others, key=lambda i: (self._left_out[i], -i))
            chosen.add(longest)
            self._left_out[longest] = 0
        return chosen


def detailed_people(budget: Optional[DetailBudget], ids: Sequence[int], landmarks: Sequence[np.ndarray],
                    image_size) -> List[bool]:
    """Per person (ids and pose landmarks of this frame): detailed or not (no budget: all)."""
    if budget is None or budget.max_detailed == 0:
        return [True] * len(ids)
    chosen = budget.choose({i: prominence_score(lm, image_size) for i, lm in zip(ids, landmarks)})
    return [i in chosen for i in ids]
