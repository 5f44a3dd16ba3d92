"""Newcomers found promptly, whatever the layout (issue 18): layouts where a person was
never found before.

Real models and media (slow): layout seed 0 of tools/layouts.py (two rendered women,
the smaller one partly in front of the larger): before, the detector found the one in
front on every frame, but her pose crop kept the other woman's head unblanked (the
region kept was the detector's box grown 3x: 432 px in a 720 px tile), her pose landed
on that woman and was dropped as a second track on one body: she was never found in 40
frames (docs/people-layouts.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from holistic_ros.pipeline import people as pp
from holistic_ros.pipeline.people import NEWCOMER_CONFIRM_FRAMES
from holistic_ros.pipeline.pose_detection import detection_regions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import layouts  # noqa: E402
from test_multi_person import started  # noqa: E402

SIZE = (1280, 720)


# The schedule (docs/people-layouts.md, "Detector schedule and tiles") looks at the whole
# frame and its tiles on the first frame and then one region a frame in turn, so anyone
# the detector sees is looked for within len(detection_regions) frames: 3 at 16:9,
# issue 18's "within a few frames". A newcomer is reported once found on
# NEWCOMER_CONFIRM_FRAMES frames, the first of them the one it is found on.
NEWCOMER_FRAMES = len(detection_regions(SIZE))
# (layout seed, the person, frames they must be reported within, why)
CASES = {
    # Layout seed 0 (40 frames): its third person (the rendered woman in front, index 2)
    # was never found (docs/people-layouts.md, the "before" table: first detection
    # "-,0,-,-"). Found on the first frame's full run.
    "in-front": (0, 2, NEWCOMER_CONFIRM_FRAMES, "found on the first frame"),
    # Fresh layout seed 221 (3 people): a small woman (person 1, 216 px tall) below a large
    # waist-up one. Alone the detector finds her at 0.84-0.86; in the layout at 0.06-0.24
    # (every region), with the tracked bodies blanked at 0.08-0.70 (the whole frame at
    # 0.08-0.31: the large woman's guessed hips cover her), with the tracked heads blanked
    # at 0.50-0.72. Before the heads-blanked search (test_people_never_found.py) she was
    # never found in 40 frames. Found on the first pass over the regions after the first
    # frame (heads blanked on it).
    "below-a-face": (221, 1, 1 + NEWCOMER_FRAMES + NEWCOMER_CONFIRM_FRAMES - 1,
                     "found on the first pass over the regions"),
    # Never-seen layout seed 378 (3 people): a small woman (the mirrored clip, 232 px, person
    # 0) below another. On frame 1 the whole frame with the tracked people blanked finds her
    # turned upside down (2.84 rad, score 0.60); before people.upright she was first found at
    # frame 21 (tools/layouts.py). Looked at again in a square around her face she is upright
    # (0.12 rad, 0.64), and reported from frame 3.
    "below-upside-down": (378, 0, 1 + NEWCOMER_FRAMES + NEWCOMER_CONFIRM_FRAMES - 1,
                          "found on the first pass over the regions"),
    # Portrait layout seed 5 at 720x1280 (4 people; the regions there are the whole frame and
    # two stacked tiles, 3 as at 16:9): a small rendered woman (person 3, 361 px) standing
    # in front of the business woman's photo, her face on its body 110-140 px from the
    # photo's. The heads-blanked search found her on frame 3 (score 0.87), and she was
    # dropped as the photo's headless body, then as the photo itself (her box in its body's
    # core); never found in 40 frames. BlazeFace finds her face in her box, outside every
    # tracked head (people.PeopleTracker.has_own_face): reported from frame 5.
    "in-front-portrait": (5, 3, 1 + NEWCOMER_FRAMES + NEWCOMER_CONFIRM_FRAMES - 1,
                          "found on the first pass over the regions", (720, 1280)),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_a_person_beside_another_is_reported_within_the_schedule(media_dir, case):
    seed, her, frames, when, *size = CASES[case]
    try:
        layout = layouts.random_layout(seed, size=size[0] if size else SIZE)
    except FileNotFoundError as missing:
        pytest.skip(str(missing))
    # Her reference: the one-person run on her alone (tools/layouts.py); the layout run
    # with everyone, on the first frames only.
    _, alone, on_her = layouts.distances_to_reported(layout, her, frames)
    assert all(p is not None for p in alone), "the one-person run on her alone finds her from the start"
    print(layout.describe(), "her distance to the nearest reported person, in her shoulder widths:", on_her)
    assert min(on_her) < layouts.ON_BODY_SHOULDERS, \
        f"not reported in the first {frames} frames ({when}; issue 18: within a few frames)"


# --- a part of someone tracked is not a newcomer ----------------------------------------

def test_a_newcomers_nose_on_a_tracked_body_is_told_from_one_beside_it():
    from conftest import synthetic_body as body
    tracker = pp.PeopleTracker(3, lambda: (None, None))
    tracked, _ = started(tracker, body(0.5, 0.5))
    on_chest = body(0.3, 0.5)
    on_chest[0, :2] = tracked.landmarks[[11, 12], :2].mean(axis=0) + (0.0, 0.02)   # the nose below the shoulders
    assert tracker.on_tracked_body(on_chest, SIZE)
    beside = body(0.9, 0.5)   # the whole body, nose included, clear of the tracked one
    assert not tracker.on_tracked_body(beside, SIZE)
    tracker.lose(tracked)   # only the people tracked now count
    assert not tracker.on_tracked_body(on_chest, SIZE)


def test_a_pose_on_a_tracked_persons_hand_has_no_face_of_its_own(videos_dir):
    """people.PeopleTracker.has_own_face around a newcomer's face landmarks, with BlazeFace
    (face.FaceBranch.faces_around) on the woman clip: her own pose, with nobody tracked, has
    a face; the same pose moved so that its nose lies on her thumbs-up hand, with her
    tracked, has none of its own (her face, in its face ROI when the hand is under her chin,
    is in her head's box). What keeps a fist taken for a face on someone's body from
    starting a second track on them (portrait layout seed 16, docs/people-layouts.md)."""
    import parity
    from holistic_ros import Holistic
    from holistic_ros.pipeline.face import FaceBranch
    from holistic_ros.pipeline.models import ModelStore, create_sessions

    store = ModelStore()
    names = ["face_detection_short_range", "face_landmark"]
    sessions = create_sessions({n: store.entry(n) for n in names}, ["CPUExecutionProvider"])
    branch = FaceBranch(sessions[names[0]], sessions[names[1]], with_attention=False)
    own, on_hand = [], []
    with Holistic(providers=["CPUExecutionProvider"]) as holistic:
        for i, frame in enumerate(parity.iter_video_rgb(videos_dir / "mps_woman_thumbs_up_1280x720.mp4", 195)):
            result = holistic.process(frame, timestamp=(i + 1) / 25)
            if i % 10 or result.pose_landmarks is None:
                continue
            pose = result.pose_landmarks

            def faces(box):
                return branch.faces_around(frame, box)

            nobody = pp.PeopleTracker(2, lambda: (None, None))
            own.append(nobody.has_own_face(pp.face_box(pose), faces, SIZE, anywhere=True))
            her = pp.PeopleTracker(2, lambda: (None, None))
            started(her, pose)
            for hand in (result.left_hand_landmarks, result.right_hand_landmarks):
                if hand is not None:
                    moved = pose.copy()
                    moved[:11, :2] += hand[:, :2].mean(axis=0) - pose[0, :2]
                    on_hand.append(her.has_own_face(pp.face_box(moved), faces, SIZE, anywhere=True))
    # The criteria are all and none. The counts only keep the test from passing on too few
    # samples: of the 20 frames sampled (every 10th of 195) the one-person run has her pose on
    # 18 (none on frames 0 and 10) and a hand on 27 of their 36 sides; most must be there.
    assert len(own) >= 15 and all(own), own
    assert len(on_hand) >= 20 and not any(on_hand), str(on_hand)


def test_a_detection_on_a_tracked_body_with_a_face_of_its_own_is_someone_new():
    """people.PeopleTracker.has_own_face, as is_tracked asks it: a detection whose box lies on a
    tracked body (taken for that person by its geometry) is someone new only where a face is
    found in the middle of its box that is no tracked person's (in the box of their face
    landmarks, or near their nose); the tracked person's own face found there (their head
    reaching into the box) does not count, and a box centred on their face is theirs without
    asking."""
    from conftest import synthetic_body as body
    tracker = pp.PeopleTracker(3, lambda: (None, None))
    person = body(0.5, 0.5)
    person[:11, :2] = (0.5, 0.32) + np.random.default_rng(1).uniform(-0.01, 0.01, (11, 2))   # the face, on top
    person[[11, 12], :2] = (0.45, 0.40), (0.55, 0.40)   # the shoulders below it
    tracked, _ = started(tracker, person)
    head = pp.head_box(tracked.landmarks)
    chest = tracked.landmarks[[11, 12], :2].mean(axis=0) + (0.0, 0.03)
    box = np.concatenate([chest - 0.03, chest + 0.03])   # a face-sized box on the chest
    assert not pp.in_box(pp.box_center(box), head)
    assert tracker.is_tracked(box, None, SIZE)   # by geometry alone: the tracked body
    asked = []

    def faces(found):
        def look(b):
            asked.append(b)
            return found
        return look

    assert tracker.is_tracked(box, None, SIZE, faces([]))   # no face there: a part of them
    assert tracker.is_tracked(box, None, SIZE, faces([pp.box_center(head)]))   # their own face
    assert not tracker.is_tracked(box, None, SIZE, faces([chest]))   # a face of its own: someone new
    # In the box but off its middle (the detector's box is about the face): someone beside.
    assert tracker.is_tracked(box, None, SIZE, faces([box[:2] + 0.005]))
    asked.clear()
    on_head = np.concatenate([pp.box_center(head) - 0.03, pp.box_center(head) + 0.03])
    assert tracker.is_tracked(on_head, None, SIZE, faces([chest])) and not asked   # theirs, not asked
    # A face found just under their head box but within 0.35 body widths of their nose is
    # theirs too (a small face's nose tip lies off the pose's nose: layout seed 22).
    tip = tracked.landmarks[0, :2] + (0.0, 30 / SIZE[1])
    assert not pp.in_box(tip, head)
    assert pp.distance_px(tip, tracked.landmarks[0, :2], SIZE) < pp.SAME_BODY_SHOULDERS * pp.body_scale_px(
        tracked.landmarks, SIZE)
    under = np.concatenate([tip - 0.01, tip + 0.01])
    assert not tracker.has_own_face(under, faces([tip]), SIZE)
    assert tracker.has_own_face(np.concatenate([chest - 0.01, chest + 0.01]), faces([chest]), SIZE)
    # A face beside theirs, in their head box (twice their face box) but outside their face
    # box and away from their nose, is someone else's: never-seen layout seed 470, where a big
    # woman's guessed face box, 186 px wide, held, doubled, the face of the woman beside her.
    tracker = pp.PeopleTracker(3, lambda: (None, None))
    big = person.copy()
    big[:11, :2] = (0.5, 0.32) + np.random.default_rng(1).uniform(-0.06, 0.06, (11, 2))   # a wide face box
    tracked, _ = started(tracker, big)
    face, head = pp.face_box(tracked.landmarks), pp.head_box(tracked.landmarks)
    beside = np.array([face[2] + 0.25 * (face[2] - face[0]), pp.box_center(face)[1]])
    # The test's premises, not criteria: the face lies in their head box, outside their face
    # box, and outside the nose rule's own bound (SAME_BODY_SHOULDERS body widths).
    assert pp.in_box(beside, head) and not pp.in_box(beside, face)
    assert pp.distance_px(beside, tracked.landmarks[0, :2], SIZE) >= pp.SAME_BODY_SHOULDERS * pp.body_scale_px(
        tracked.landmarks, SIZE)
    assert tracker.has_own_face(np.concatenate([beside - 0.01, beside + 0.01]), faces([beside]), SIZE)
