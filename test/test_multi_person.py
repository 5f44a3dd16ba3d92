"""Several people at once: ``Holistic(max_num_people=N)`` (issue 12).

Unit level (no models): the decisions of ``pipeline/people.py`` -- ids, the
detection schedule, which detections are new people, re-identification, one
body under two tracks, crossing -- on synthetic landmarks.

Real models and real media (made in the test from ../shared/testdata/media):

- one person: ``result.people`` holds the person itself, with a track id;
- photos side by side on panels with a gap: each person found, each within 0.5% of
  the panel's diagonal of MediaPipe's pose on that panel alone, and with a mask of
  IoU >= 0.95 with MediaPipe's there (issue 2's image bars; parity, slow);
- a clip of two people (the woman clip beside a mirrored, time-shifted copy): both
  found on >= 95% of frames, no id switch, each close to a single-person run on
  its own half of the frame (slow);
- two people crossing (shifted copies of the clip walking through each other, the
  one in front drawn over the other): no id swap, no hand on the other body (slow).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import import_or_skip, require_oracle, skip_or_fail
from conftest import synthetic_body as body

from holistic_ros import Holistic
from holistic_ros.pipeline import people as pp
from holistic_ros.pipeline.pose_detection import detection_tiles
from holistic_ros.pipeline.roi import NormRect

CPU = ["CPUExecutionProvider"]
WOMAN_CLIP = "mps_woman_thumbs_up_1280x720.mp4"


# --- synthetic bodies ----------------------------------------------------------------



SIZE = (1280, 720)


def make_tracker(n=3):
    return pp.PeopleTracker(n, lambda: (None, None))


def started(tracker, landmarks, look=None):
    """A track started on ``landmarks`` (with ``look``, appearance.py) and reported: confirmed
    if it is a tentative newcomer. Returns (track, came_back)."""
    track, came_back = tracker.start(landmarks, SIZE, look)
    track.roi = NormRect(float(landmarks[:, 0].mean()), float(landmarks[:, 1].mean()), 0.3, 0.5)
    track.seen(landmarks)
    while not tracker.sighted(track):   # a newcomer: tentative until found on a few frames
        track.seen(landmarks)
    return track, came_back


def lost_walker(tracker, frames_ago):
    """A person who walked right from x 0.20, 0.01 of the width a frame for 5 frames, and
    was lost ``frames_ago`` frames ago (at 0.25: where their motion puts them is 0.25 +
    0.01 a frame since)."""
    walker, _ = started(tracker, body(0.20, 0.5))
    for step in range(1, 6):
        walker.seen(body(0.20 + 0.01 * step, 0.5))
    tracker.lose(walker)
    for _ in range(frames_ago):
        tracker.next_frame()
    return walker


# --- people.py, without models ---------------------------------------------------------

def test_pose_distance_is_small_for_one_body_and_large_for_two():
    a = body(0.3, 0.5)
    assert pp.pose_distance(a, a, SIZE) == 0.0
    assert pp.pose_distance(a, body(0.302, 0.5), SIZE) < pp.SAME_BODY_DISTANCE
    assert pp.pose_distance(a, body(0.6, 0.5), SIZE) > 5 * pp.SAME_BODY_DISTANCE


def test_distances_between_normalised_points_are_in_pixels():
    # Exact geometry: half of the 1280 px width, half of the 720 px height.
    assert pp.distance_px([0.0, 0.0], [0.5, 0.0], SIZE) == pytest.approx(640.0)
    rows = pp.distance_px(np.array([[0.0, 0.0], [0.0, 0.5]]), np.array([0.0, 0.0]), SIZE)
    np.testing.assert_allclose(rows, [0.0, 360.0])


def test_ids_count_up_and_are_never_given_to_another_person():
    tracker = make_tracker()
    first, _ = started(tracker, body(0.2, 0.5))
    second, _ = started(tracker, body(0.7, 0.5))
    assert (first.person_id, second.person_id) == (1, 2)
    tracker.lose(first)
    for _ in range(pp.LOST_TTL_FRAMES + 1):
        tracker.next_frame()
    # Where the first person was, long after: a new id, not 1 again.
    third, came_back = started(tracker, body(0.2, 0.5))
    assert not came_back and third.person_id == 3
    tracker.reset()
    assert started(tracker, body(0.2, 0.5))[0].person_id == 4


def test_a_newcomer_is_reported_with_an_id_only_once_found_on_a_few_frames():
    """Issue 18: a new track is tentative (tracked, not reported, no id) until its pose
    was found on NEWCOMER_CONFIRM_FRAMES frames; one lost before then costs no id and
    does not come back as a lost person."""
    tracker = make_tracker()
    track, came_back = tracker.start(body(0.3, 0.5), SIZE)
    assert not came_back and track.person_id == 0 and track in tracker.tracks   # 0: no id yet
    # The rule itself (NEWCOMER_CONFIRM_FRAMES, a tracker's "minimum hits"): reported on the last.
    reported = [tracker.sighted(track) for _ in range(pp.NEWCOMER_CONFIRM_FRAMES)]
    assert reported == [False] * (pp.NEWCOMER_CONFIRM_FRAMES - 1) + [True]
    assert track.person_id == 1 and tracker.sighted(track)
    poor, _ = tracker.start(body(0.7, 0.5), SIZE)
    assert not tracker.sighted(poor)
    tracker.lose(poor)   # e.g. its pose left its own motion on its second frame
    assert poor not in tracker.tracks and poor not in tracker.lost and poor.person_id == 0
    again, came_back = started(tracker, body(0.7, 0.5))
    assert not came_back and again.person_id == 2   # id 2 was never given to the poor one
    # A person lost after being reported keeps its id and is reported at once when back.
    tracker.lose(again)
    back, came_back = tracker.start(body(0.7, 0.5), SIZE)
    assert came_back and back is again and tracker.sighted(back) and back.person_id == 2


def test_a_newcomer_confirmed_where_a_lost_persons_motion_puts_them_gets_that_id():
    """The detector's first pose of a person who comes back may lie off their motion (a
    new, tentative track); at confirmation its tracked pose is asked again (layout seed
    216: a walker lost in front of someone, back under a new id before)."""
    tracker = make_tracker()
    walker = lost_walker(tracker, frames_ago=8)
    newcomer, came_back = tracker.start(body(0.60, 0.5), SIZE)   # off the walker's way
    assert not came_back and newcomer is not walker
    for k in range(pp.NEWCOMER_CONFIRM_FRAMES):   # tracked where the walker is by now
        newcomer.seen(body(0.33 + 0.01 * k, 0.5))
        tracker.next_frame()
        reported = tracker.sighted(newcomer, SIZE)
    assert reported and newcomer.person_id == walker.person_id and walker not in tracker.lost
    # Without the image size (or far from anyone lost), a new id.
    other, _ = tracker.start(body(0.80, 0.3), SIZE)
    while not tracker.sighted(other, SIZE):
        other.seen(body(0.80, 0.3))
    assert other.person_id == walker.person_id + 1


def test_one_person_and_static_images_are_reported_on_the_frame_found():
    """MediaPipe's one person (max_num_people=1) and static mode (every image new) have no tentative frames."""
    one = pp.PeopleTracker(1, lambda: (None, None))
    one.begin_frame(static_image_mode=False)
    one.claim([NormRect(0.5, 0.5, 0.3, 0.5)])
    assert one.sighted(one.tracks[0]) and one.tracks[0].person_id == 1
    crowd = make_tracker()
    crowd.begin_frame(static_image_mode=True)
    track, _ = crowd.start(body(0.3, 0.5), SIZE)
    assert crowd.sighted(track) and track.person_id == 1


def test_a_tentative_newcomer_loses_a_tie_for_one_body_to_a_reported_person():
    tracker = make_tracker()
    person, _ = started(tracker, body(0.3, 0.5))
    newcomer, _ = tracker.start(body(0.3, 0.5), SIZE)
    newcomer.seen(body(0.3, 0.5))
    person.history, newcomer.history = [], []   # no history either way: the tie-break decides
    pose = body(0.3, 0.5)
    for candidates in ([(person, pose), (newcomer, pose)], [(newcomer, pose), (person, pose)]):
        kept, lost = pp.resolve_shared_bodies(candidates, SIZE)
        assert [candidates[k][0] for k in lost] == [newcomer]


def test_a_lost_person_gets_its_id_back_where_its_motion_puts_it():
    tracker = make_tracker()
    walker = lost_walker(tracker, frames_ago=10)
    # Someone appears far from where the walker would be: a new person.
    other, came_back = started(tracker, body(0.85, 0.5))
    assert not came_back and other.person_id != walker.person_id
    # Someone appears where the walker would be by now (0.25 + 10 * ~0.01): the walker.
    back, came_back = started(tracker, body(0.34, 0.5))
    assert came_back and back is walker


def test_the_detector_runs_when_someone_may_be_missing():
    tracker = make_tracker(2)
    assert tracker.should_detect()              # nobody tracked
    tracker.detected()
    a, _ = started(tracker, body(0.3, 0.5))
    tracker.next_frame()
    assert not tracker.should_detect()          # one tracked, just looked
    for _ in range(pp.DETECTION_INTERVAL_FRAMES - 1):
        tracker.next_frame()
    assert tracker.should_detect()              # on schedule, for newcomers
    tracker.detected()
    b, _ = started(tracker, body(0.7, 0.5))
    for _ in range(3 * pp.DETECTION_INTERVAL_FRAMES):
        tracker.next_frame()
    assert not tracker.should_detect()          # N people tracked: nobody can be added
    tracker.lose(b)
    assert tracker.should_detect()              # a track was lost


def test_a_track_unreported_for_a_while_gives_its_place_to_its_own_person():
    """A track behind someone (unreported, coasting) keeps its place for STALE_FRAMES
    frames; then the detector looks for the people missing again, and a newcomer who is
    that track's person takes its place: one whose pose lies on the track's coasted body,
    or whose look is the track's and nobody else's, or who is clear of everyone tracked.
    The stale track is lost and its id may come back on the newcomer (start). Someone
    over a tracked person, whom the track may not be, does not take it: the track stays,
    for the rules of a crossing pair (hidden_behind)."""
    def look(*bins):   # a normalised histogram (appearance.py) with its mass over ``bins``
        h = np.zeros(12 * 4 * 3 + 1)
        h[list(bins)] = 1.0
        return h / h.sum()
    red, blue = look(0, 1, 2), look(40, 41, 42)
    tracker = make_tracker(2)
    tracker.detected()
    a, _ = started(tracker, body(0.3, 0.5))
    b, _ = started(tracker, body(0.7, 0.5))
    a.look, b.look = blue, red
    tracker.next_frame()
    for _ in range(pp.STALE_FRAMES - 1):
        b.behind()
    # Synthetic geometry, not measured: a and b are conftest's body (0.2 of the width across,
    # shoulders 0.12 apart) with centres 0.4 apart, clear of each other, so a pose at one is
    # not on the other's body; the frame counts are the code's STALE_FRAMES.
    # N people tracked: the detector does not look, and nobody takes a place.
    assert tracker.active() == [a, b] and tracker.region_to_search(3) is None
    assert not tracker.make_room(body(0.7, 0.5), SIZE)
    b.behind()
    # b unreported STALE_FRAMES frames: the detector looks for the one missing, one region a frame.
    assert tracker.active() == [a] and tracker.region_to_search(3) is not None
    assert tracker.same_body_as_tracked(body(0.3, 0.5), SIZE)        # a's body: not a newcomer
    assert not tracker.same_body_as_tracked(body(0.7, 0.5), SIZE)
    # Someone over a's head and shoulders (as in a crossing's middle) who does not look like b
    # (or whose look is unknown): b keeps its place. The synthetic bodies' shoulders are 0.12
    # apart and a's region is grown by BODY_PAD_SHOULDERS (geometry, not measured).
    near_a = body(0.45, 0.5)
    assert not tracker.make_room(near_a, SIZE)
    assert not tracker.make_room(near_a, SIZE, blue)
    assert tracker.tracks == [a, b]
    # On its coasted body: b's person, whatever the look.
    assert tracker.make_room(body(0.7, 0.5), SIZE)
    assert tracker.tracks == [a] and b in tracker.lost
    back, came_back = tracker.start(body(0.7, 0.5), SIZE)
    assert came_back and back is b
    b.seen(body(0.7, 0.5))
    for _ in range(pp.STALE_FRAMES):
        b.behind()
    # Someone there with b's look, and nobody else's: b's person, off where b coasted.
    assert tracker.make_room(near_a, SIZE, red)
    assert tracker.tracks == [a] and b in tracker.lost
    back, came_back = tracker.start(near_a, SIZE, red)
    assert came_back and back is b
    b.seen(near_a)
    for _ in range(pp.STALE_FRAMES):
        b.behind()
    # Someone clear of everyone tracked, whatever the look: b, unreported longest, gives way.
    assert not tracker.make_room(body(0.2, 0.5), SIZE, blue)   # over a
    assert tracker.make_room(body(0.9, 0.5), SIZE, blue)
    assert tracker.tracks == [a] and b in tracker.lost


def test_detections_over_a_tracked_body_or_a_better_detection_are_not_new_people():
    tracker = make_tracker()
    started(tracker, body(0.3, 0.5))
    face_box = lambda cx, cy, s=0.05: np.array([cx - s, cy - s, cx + s, cy + s])  # noqa: E731
    boxes = [face_box(0.3, 0.45),            # the tracked person
             face_box(0.7, 0.4, 0.08),       # a newcomer
             face_box(0.705, 0.4, 0.03),     # the newcomer again, at another scale
             face_box(0.9, 0.4)]             # another newcomer
    assert tracker.new_people(boxes) == [1, 3]


def _standing(x=0.5):
    """A person facing the camera, arms out: face 0.02 wide at (x, 0.3), shoulders at 0.38,
    hands out to x +-0.2, hips at 0.55 (normalised; every landmark visible)."""
    lm = np.zeros((33, 4))
    lm[:, 3] = 1.0
    lm[0:11, :2] = [(x + dx, 0.3 + dy) for dx, dy in
                    [(0, 0), (-0.005, -0.005), (-0.01, -0.005), (-0.01, -0.005), (0.005, -0.005), (0.01, -0.005),
                     (0.01, -0.005), (-0.01, 0), (0.01, 0), (-0.005, 0.005), (0.005, 0.005)]]
    lm[11:23, :2] = [(x - 0.05, 0.38), (x + 0.05, 0.38), (x - 0.1, 0.45), (x + 0.1, 0.45), (x - 0.18, 0.55),
                     (x + 0.18, 0.55), (x - 0.2, 0.6), (x + 0.2, 0.6), (x - 0.2, 0.59), (x + 0.2, 0.59),
                     (x - 0.19, 0.58), (x + 0.19, 0.58)]
    lm[23:33, :2] = [(x - 0.03, 0.55), (x + 0.03, 0.55)] + [(x + s * 0.03, 0.7 + 0.05 * k) for k in range(4)
                                                            for s in (-1, 1)][:8]
    return lm


def test_a_detection_is_matched_to_a_tracked_person_where_their_motion_puts_them_now():
    """is_tracked compares a detection (this frame) with the tracked people where their
    motion puts them on this frame: their landmarks are last frame's (fresh layout seed 218:
    a walker 15-18 px a frame, her detection off her last head box, run as a newcomer)."""
    # Geometry, not measured: her head box is 0.04 wide (x 0.48-0.52) and the middle of her
    # body box lies below her face (y 0.37-0.52), so a face 0.1 to either side lies outside
    # both unless they are moved along her motion.
    tracker = make_tracker()
    track, _ = started(tracker, _standing(0.5))
    face = lambda cx, cy, half=0.01: np.array([cx - half, cy - half, cx + half, cy + half])  # noqa: E731
    ahead = face(0.6, 0.3)   # her face one step of 0.1 to the right
    assert not tracker.is_tracked(ahead)            # standing still: someone new there
    track.velocity = np.array([0.1, 0.0])
    assert tracker.is_tracked(ahead)                # walking right 0.1 a frame: her
    assert not tracker.is_tracked(face(0.4, 0.3))   # where she was coming from: someone else


def test_a_detection_whose_shoulders_are_a_tracked_persons_is_that_person():
    """The detector's box of a small full-body person is far larger than her head box
    (seed 218: 144 px for a 38 x 25 px head box). Centred between her head box and the
    middle of her body box, overlapping her body box under TRACKED_BOX_IOU, it is hers when
    its shoulders keypoint lies within SAME_BODY_SHOULDERS body widths of her shoulders
    (moved along her motion), and not when it lies a body width away."""
    # Geometry, not measured: the keypoint at 0.8 of the rule's SAME_BODY_SHOULDERS bound,
    # then at one body width (about 2.9 times the bound).
    tracker = make_tracker()
    track, _ = started(tracker, _standing(0.5))
    track.velocity = np.array([0.01, 0.0])
    box = np.array([0.45, 0.265, 0.57, 0.385])   # centre (0.51, 0.325): her head box ends at 0.31
    assert tracker.new_people([box]) == [0]       # without the keypoint: someone new
    width = pp.body_scale_px(track.landmarks, SIZE) / SIZE[0]
    near = track.anchor + track.velocity + np.array([0.8 * pp.SAME_BODY_SHOULDERS * width, 0.0])
    far = track.anchor + track.velocity + np.array([width, 0.0])
    assert tracker.new_people([box, box], [near, far], SIZE) == [1]


def test_a_change_of_scale_on_the_same_body_is_not_a_jump_but_one_with_a_step_is():
    """jumped: a pose whose shoulders narrow by more than JUMP_SCALE while its nose and
    shoulders stay on the track's body (median step under SAME_BODY_SHOULDERS body widths)
    is the model's noise (a dark top cut out of a keyed clip, layout seed 22), not someone
    else; the same change of scale a step of more than that away is someone else."""
    tracker = make_tracker()
    track, _ = started(tracker, _standing(0.5))   # shoulders 128 px apart: body width 128 px
    # Geometry, not measured: one shoulder drawn in (x 0.55 -> 0.48), the nose 29 px lower:
    # body width 128 -> 80 px (1.6x); steps 29, 0 and 90 px, median 29 px (< 0.35 x 128).
    narrowed = _standing(0.5)
    narrowed[0, 1] += 0.04
    narrowed[12, 0] = 0.48
    assert pp.body_scale_px(track.landmarks, SIZE) / pp.body_scale_px(narrowed, SIZE) > pp.JUMP_SCALE
    assert not tracker.jumped(track, narrowed, SIZE)
    # The same pose 77 px to the side: median step 77 px, under one body width, over 0.35.
    moved = narrowed.copy()
    moved[:, 0] += 0.06
    assert tracker.jumped(track, moved, SIZE)


def test_one_body_under_two_tracks_keeps_the_track_that_did_not_jump():
    tracker = make_tracker()
    front, _ = started(tracker, body(0.50, 0.5))
    behind, _ = started(tracker, body(0.62, 0.5))
    here = body(0.505, 0.5)   # both ROIs found the person in front this frame
    kept, lost = pp.resolve_shared_bodies([(behind, here), (front, here + 0.001)], SIZE)
    assert kept == [1] and lost == [0]
    far = body(0.8, 0.5)
    assert pp.resolve_shared_bodies([(behind, far), (front, here)], SIZE) == ([0, 1], [])


def test_people_crossing_coast_along_their_own_motion():
    tracker = make_tracker(2)
    a, _ = started(tracker, body(0.30, 0.5))
    b, _ = started(tracker, body(0.70, 0.5))
    for step in range(1, 12):   # walk towards each other, 0.015 of the width a frame each
        a.seen(body(0.30 + 0.015 * step, 0.5))
        b.seen(body(0.70 - 0.015 * step, 0.5))
        a.roi = NormRect(float(a.anchor[0]), 0.5, 0.3, 0.5)
        b.roi = NormRect(float(b.anchor[0]), 0.5, 0.3, 0.5)
        tracker.plan_rois()
        if a.coast is not None:
            break
    assert a.coast is not None and b.coast is not None, "bodies about to overlap, closing in: coasting"
    start_a, start_b = a.roi.x_center, b.roi.x_center
    # The landmarks of both now land on one spot (the person in front): the ROIs do not follow.
    for k in range(1, 6):
        a.seen(body(0.5, 0.5))
        b.seen(body(0.5, 0.5))
        tracker.plan_rois()
        assert a.roi.x_center == pytest.approx(start_a + k * a.velocity[0])
        assert b.roi.x_center == pytest.approx(start_b + k * b.velocity[0])
    assert a.velocity[0] > 0.005 and b.velocity[0] < -0.005
    # Both tracks stay: two coasting tracks on one body are one person behind the other.
    assert pp.resolve_shared_bodies([(a, body(0.5, 0.5)), (b, body(0.5, 0.5))], SIZE) == ([0, 1], [])
    # Apart again: each follows its landmarks.
    a.seen(body(0.9, 0.5))
    b.seen(body(0.1, 0.5))
    a.coast = b.coast = None
    a.seen(body(0.9, 0.5))
    b.seen(body(0.1, 0.5))
    tracker.plan_rois()
    assert a.coast is None and b.coast is None


@pytest.mark.parametrize("size", [(1280, 720), (1498, 480), (480, 1498), (640, 640)])
def test_detection_tiles_are_squares_covering_the_image(size):
    w, h = size
    covered = np.zeros((h, w), bool)
    for rect in detection_tiles(size):
        assert rect.width * w == pytest.approx(rect.height * h)
        x0, y0 = (rect.x_center - rect.width / 2) * w, (rect.y_center - rect.height / 2) * h
        assert x0 >= -1e-6 and y0 >= -1e-6
        covered[int(round(y0)):int(round(y0 + rect.height * h)), int(round(x0)):int(round(x0 + rect.width * w))] = True
    assert covered.all()


def test_a_thin_strip_gets_no_tiles_instead_of_hundreds():
    """A 4096 x 5 image would need 820 square tiles, one detector run each: minutes a
    frame (found by scripts/fuzz_node.py). Up to MAX_DETECTION_TILES it is tiled as before."""
    from holistic_ros.pipeline.pose_detection import MAX_DETECTION_TILES

    assert detection_tiles((4096, 5)) == [] and detection_tiles((5, 4096)) == []
    assert len(detection_tiles((400 * MAX_DETECTION_TILES, 400))) == MAX_DETECTION_TILES
    assert detection_tiles((400 * MAX_DETECTION_TILES + 1, 400)) == []


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_max_num_people_must_be_a_positive_integer(bad):
    with pytest.raises(ValueError, match="max_num_people"):
        Holistic(max_num_people=bad, providers=CPU)


# --- real models --------------------------------------------------------------------------

def _load(images_dir: Path, name: str) -> np.ndarray:
    from conftest import load_rgb

    path = images_dir / name
    if not path.is_file():
        skip_or_fail(f"test image {path} not found (../shared/testdata/media beside the repo)")
    return load_rgb(path)


def _clip(videos_dir: Path, width: int, height: int, count: int = 10_000):
    import cv2

    path = videos_dir / WOMAN_CLIP
    if not path.is_file():
        skip_or_fail(f"test video {path} not found (../shared/testdata/media beside the repo)")
    cap = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < count:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (width, height),
                                 interpolation=cv2.INTER_AREA))
    cap.release()
    return frames


def test_one_person_lists_itself_with_a_track_id(images_dir):
    person = _load(images_dir, "tfe_yoga_tree_pose.jpg")
    empty = _load(images_dir, "tfe_noperson_cat.jpg")
    # An independent single-person run of the same frames: what the one person must hold.
    with Holistic(providers=CPU) as h:
        alone = [h.process(person, timestamp=t) for t in (0.1, 0.2, 0.3)]
    with Holistic(providers=CPU) as h:
        results = [h.process(person, timestamp=t) for t in (0.1, 0.2, 0.3)]
        for r, ref in zip(results, alone):
            (only,) = r.people
            assert only.people == () and only.person_id == r.person_id
            assert ref.pose_landmarks is not None and ref.face_landmarks is not None
            for part in ("pose_landmarks", "pose_world_landmarks", "face_landmarks", "left_hand_landmarks",
                         "right_hand_landmarks", "segmentation_mask"):
                ours, want = getattr(only, part), getattr(ref, part)
                assert (ours is None) == (want is None) and (ours is None or np.array_equal(ours, want)), part
        assert len({r.person_id for r in results}) == 1 and results[0].person_id > 0   # tracked: one id
        again = h.process(person, timestamp=0.05)   # a new stream: tracking starts over
        assert again.person_id > results[0].person_id
    with Holistic(static_image_mode=True, providers=CPU) as h:
        ids = [h.process(person).person_id for _ in range(2)]
        assert ids[1] > ids[0]   # every image starts from the detector
        none = h.process(empty)
        assert none.people == () and none.pose_landmarks is None and none.person_id == 0


def test_one_person_runs_the_batch_models_as_their_static_graphs():
    """max_num_people=1 loads the dynamic-batch pose and face models with the batch fixed
    to 1, which gives the static graphs' outputs bit for bit (the segmentation output
    differs with the batch left symbolic: models/README.md)."""
    import importlib.util
    import json

    onnx = import_or_skip("onnx")
    ort = import_or_skip("onnxruntime")
    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("convert_models_for_test", root / "tools" / "convert_models.py")
    converter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(converter)
    manifest = json.loads((root / "models" / "manifest.json").read_text())["models"]
    with Holistic(enable_segmentation=True, providers=CPU, models_dir=root / "models") as h:
        sessions = [h._pose_landmarker.session, h._face.landmarker]
        for session in sessions:
            entry = manifest[session.name]
            assert entry["inputs"][0]["shape"][0] == "N", session.name
            static = converter.static_batch1_graph(onnx.load(str(root / "models" / entry["file"])),
                                                   entry["dynamic_batch"]["reshape_constants"])
            reference = ort.InferenceSession(static.SerializeToString(), providers=CPU)
            x = np.random.default_rng(5).uniform(0, 1, [1, *entry["inputs"][0]["shape"][1:]]).astype(np.float32)
            ours = session.run(x)
            for name, want in zip([o.name for o in reference.get_outputs()], reference.run(None, {"input": x})):
                assert np.array_equal(ours[name], want), (session.name, name)
    assert sessions[0].name == "pose_landmark_full"   # the one with the segmentation head


def _panels(images, height=480, gap=40):
    """Photos scaled to one height, side by side on black with ``gap`` pixels between:
    (canvas, [(x0, x1) of each panel])."""
    import cv2

    scaled = [cv2.resize(im, (round(im.shape[1] * height / im.shape[0]), height), interpolation=cv2.INTER_AREA)
              for im in images]
    width = sum(p.shape[1] for p in scaled) + gap * (len(scaled) + 1)
    canvas = np.zeros((height, width, 3), np.uint8)
    spans, x = [], gap
    for p in scaled:
        canvas[:, x:x + p.shape[1]] = p
        spans.append((x, x + p.shape[1]))
        x += p.shape[1] + gap
    return canvas, scaled, spans


def _who_is_where(result, spans, width):
    """For each panel, the person whose shoulders' midpoint lies in it (or None)."""
    found = []
    for x0, x1 in spans:
        inside = [p for p in result.people
                  if x0 <= 0.5 * (p.pose_landmarks[11, 0] + p.pose_landmarks[12, 0]) * width < x1]
        found.append(inside[0] if len(inside) == 1 else None)
    return found


# Each person against MediaPipe on their panel alone: issue 2's image bars, pose within
# 0.5% of the (panel's) diagonal, mask IoU >= 0.95 at 0.5 (test_parity_mediapipe.py).
PANEL_POSE_ERROR_MAX = 0.005
PANEL_MASK_IOU_MIN = 0.95
PANEL_NAMES = ["tfe_businessman_standing.jpg", "mps_woman_sitting_fullbody.jpg", "tfe_yoga_tree_pose.jpg"]


@pytest.fixture(scope="module")
def panels_vs_mediapipe(images_dir):
    """Three photos side by side in one image with max_num_people=3, segmentation on, and
    MediaPipe on each panel alone: [(name, our person or None, MediaPipe's pose, MediaPipe's
    mask, panel span)] and our result."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    import parity

    require_oracle()
    canvas, panels, spans = _panels([_load(images_dir, n) for n in PANEL_NAMES])
    options = dict(static_image_mode=True, model_complexity=1, enable_segmentation=True,
                   refine_face_landmarks=False)
    oracle = parity.run_oracle(panels, options, "multi-person-panels-")
    with Holistic(max_num_people=len(PANEL_NAMES), providers=CPU, **options) as h:
        result = h.process(canvas)
    who = _who_is_where(result, spans, canvas.shape[1])
    return result, canvas.shape[:2], [(name, person, parity.oracle_frame(oracle, "pose", i), parity.oracle_mask(oracle, i),
                                       span) for i, (name, person, span) in enumerate(zip(PANEL_NAMES, who, spans))]


def _panel_error(panel, size) -> float:
    """Mean pose error of our person against MediaPipe on the panel alone, fraction of the
    panel's diagonal."""
    (height, width), (name, person, theirs, _, (x0, x1)) = size, panel
    assert person is not None and theirs is not None, name
    ours_px = person.pose_landmarks[:, :2] * (width, height) - (x0, 0)
    theirs_px = theirs[:, :2] * (x1 - x0, height)
    return float(np.linalg.norm(ours_px - theirs_px, axis=1).mean() / np.hypot(x1 - x0, height))


@pytest.mark.slow
@pytest.mark.parity
def test_people_side_by_side_are_each_found(panels_vs_mediapipe):
    result, size, panels = panels_vs_mediapipe
    assert len(result.people) == len(PANEL_NAMES)
    assert len({p.person_id for p in result.people}) == len(PANEL_NAMES)
    for panel in panels:
        name, person, theirs, _, _ = panel
        assert theirs is not None, f"MediaPipe finds no pose on {name}"
        assert person is not None, f"nobody found on the panel of {name}"
        assert person.face_landmarks is not None, name
        # This test's limit before issue 16 (1% of the panel's diagonal), not loosened, kept
        # for every panel while the 0.5% bar below is a known miss on one of them.
        assert _panel_error(panel, size) <= 0.01, name


# Known misses of the image bars on a panel (measured with the test's print): the woman
# sitting is found from the detector's box on the wide canvas, not on her photo alone.
_PANEL_POSE_GAP = {"mps_woman_sitting_fullbody.jpg": "0.594% of the panel's diagonal measured, bar 0.5%"}
_PANEL_MASK_GAP = {"mps_woman_sitting_fullbody.jpg": "mask IoU 0.94998 measured, bar 0.95"}


def _panel_params(gaps):
    return [pytest.param(i, id=name, marks=[pytest.mark.xfail(strict=True, reason=gaps[name])] if name in gaps else [])
            for i, name in enumerate(PANEL_NAMES)]


@pytest.mark.slow
@pytest.mark.parity
@pytest.mark.parametrize("index", _panel_params(_PANEL_POSE_GAP))
def test_people_side_by_side_match_mediapipe_on_each_panel_alone(panels_vs_mediapipe, index):
    _, size, panels = panels_vs_mediapipe
    error = _panel_error(panels[index], size)
    print(f"{panels[index][0]}: mean pose error {100 * error:.3f}% of the panel's diagonal")
    assert error <= PANEL_POSE_ERROR_MAX, f"{100 * error:.3f}%"


@pytest.mark.slow
@pytest.mark.parity
@pytest.mark.parametrize("index", _panel_params(_PANEL_MASK_GAP))
def test_people_side_by_side_each_have_their_mask(panels_vs_mediapipe, index):
    from parity import mask_iou   # tools/ is on the path (panels_vs_mediapipe)

    result, (height, width), panels = panels_vs_mediapipe
    assert result.segmentation_mask is not None
    name, person, _, theirs_mask, (x0, x1) = panels[index]
    assert person is not None and theirs_mask is not None, name
    mask = person.segmentation_mask
    assert mask is not None and mask.shape == (height, width), name
    iou = mask_iou(mask[:, x0:x1], theirs_mask)
    print(f"{name}: mask IoU {iou:.5f} with MediaPipe's on the panel alone")
    assert iou >= PANEL_MASK_IOU_MIN, f"{name}: mask IoU {iou:.5f}"


def _apart_two_people(videos_dir, count=100, gap=160, shift=80):
    """The woman clip at 640x360 and, right of a black gap, the same clip mirrored and
    ``shift`` frames later: two people moving differently."""
    frames = _clip(videos_dir, 640, 360)
    black = np.zeros((360, gap, 3), np.uint8)
    return [np.concatenate([frames[i], black, np.ascontiguousarray(frames[(i + shift) % len(frames)][:, ::-1])],
                           axis=1) for i in range(count)]


@pytest.mark.slow
def test_two_people_clip_keeps_both_with_their_ids_and_matches_each_alone(videos_dir):
    canvases = _apart_two_people(videos_dir)
    height, width = canvases[0].shape[:2]
    half = width // 2
    with Holistic(max_num_people=2, providers=CPU) as h:
        results = [h.process(c, timestamp=(i + 1) / 25) for i, c in enumerate(canvases)]
    # Each half alone (half the gap on each), one person each, the same clock.
    alone = {}
    for side, x0 in (("left", 0), ("right", half)):
        with Holistic(providers=CPU) as h:
            alone[side] = [h.process(np.ascontiguousarray(c[:, x0:x0 + half]), timestamp=(i + 1) / 25)
                           for i, c in enumerate(canvases)]
    ids = {"left": set(), "right": set()}
    both = 0
    errors = {(side, part): [] for side in ids for part in ("pose", "face", "hands")}
    diagonal = np.hypot(half, height)
    for i, result in enumerate(results):
        sides = set()
        for person in result.people:
            side = "left" if np.median(person.pose_landmarks[:, 0]) * width < half else "right"
            sides.add(side)
            ids[side].add(person.person_id)
            single = alone[side][i]
            if single.pose_landmarks is None:
                continue
            x0 = 0 if side == "left" else half

            def err(ours, theirs):
                return np.linalg.norm(ours[:, :2] * (width, height) - (x0, 0) - theirs[:, :2] * (half, height),
                                      axis=1)

            visible = (person.pose_landmarks[:, 3] > 0.5) & (single.pose_landmarks[:, 3] > 0.5)
            errors[side, "pose"].append(err(person.pose_landmarks, single.pose_landmarks)[visible].mean() / diagonal)
            if person.face_landmarks is not None and single.face_landmarks is not None:
                errors[side, "face"].append(err(person.face_landmarks, single.face_landmarks).mean() / diagonal)
            for field in ("left_hand_landmarks", "right_hand_landmarks"):
                a, b = getattr(person, field), getattr(single, field)
                if a is not None and b is not None:
                    errors[side, "hands"].append(err(a, b).mean() / diagonal)
        both += sides == {"left", "right"}
    summary = {k: (len(v), round(100 * float(np.mean(v)), 3)) for k, v in errors.items() if v}
    print(f"both found on {both}/{len(results)} frames; ids {ids}; (frames, mean error % of the half's "
          f"diagonal): {summary}")
    assert both >= 0.95 * len(results)
    assert len(ids["left"]) == 1 and len(ids["right"]) == 1 and ids["left"] != ids["right"], ids
    # Close to a single-person run: the face within the parity threshold (0.5%); the
    # pose's visible landmarks within 2.5% and the hands (whose ROIs follow the pose)
    # within 3%: the pose ROI of this waist-up clip is larger than the frame and takes
    # in the other person, and MediaPipe's own pose moves by 2.1% of the diagonal on
    # this clip for +-1 of pixel noise (test_parity_mediapipe.py). Seen: face 0.02%,
    # pose 1.2-1.5%, hands 0.9-2.3%.
    for side in ids:
        assert np.mean(errors[side, "face"]) <= 0.005, summary
        assert np.mean(errors[side, "pose"]) <= 0.025, summary
        assert np.mean(errors[side, "hands"]) <= 0.03, summary


def _crossing(videos_dir, count=120, shift=50, y0=60, size=(1280, 480)):
    """Two copies of the clip walking through each other: A left to right, B (mirrored,
    ``shift`` frames later) right to left, drawn over A where B's pixels are not the
    dark background. Returns frames and each frame's (A, B) x of the person's centre."""
    frames = _clip(videos_dir, 640, 360)
    w, h = size

    def paste(canvas, image, x, over):
        x1, x2 = max(0, x), min(w, x + image.shape[1])
        src, dst = image[:, x1 - x:x2 - x], canvas[y0:y0 + image.shape[0], x1:x2]
        keep = src.astype(np.int32).sum(axis=2) > 120 if over else np.ones(src.shape[:2], bool)
        dst[keep] = src[keep]

    canvases, truth = [], []
    for i in range(count):
        xa = int(-200 + (w - 240) * i / (count - 1))
        xb = int(w - 440 - (w - 240) * i / (count - 1))
        canvas = np.zeros((h, w, 3), np.uint8)
        paste(canvas, frames[(30 + i) % len(frames)], xa, over=False)
        paste(canvas, np.ascontiguousarray(frames[(30 + i + shift) % len(frames)][:, ::-1]), xb, over=True)
        canvases.append(canvas)
        truth.append((xa + 320, xb + 320))
    return canvases, truth


@pytest.mark.slow
def test_two_people_crossing_keep_their_ids_and_their_hands(videos_dir):
    canvases, truth = _crossing(videos_dir)
    height, width = canvases[0].shape[:2]
    with Holistic(max_num_people=2, providers=CPU) as h:
        results = [h.process(c, timestamp=(i + 1) / 25) for i, c in enumerate(canvases)]
    owner = {}           # id -> copy (0: A, 1: B), decided where they are apart
    swaps = hands = wrong_body = 0
    reach = []           # every frame: hand wrist to its body's pose wrist, in shoulder widths
    for result, (xa, xb) in zip(results, truth):
        apart = abs(xa - xb) > 400   # the copies' people do not overlap
        for person in result.people:
            shoulders = np.hypot(*((person.pose_landmarks[11, :2] - person.pose_landmarks[12, :2]) * (width, height)))
            for field, wrist in (("left_hand_landmarks", 15), ("right_hand_landmarks", 16)):
                hand = getattr(person, field)
                if hand is not None:
                    reach.append(np.hypot(*((hand[0, :2] - person.pose_landmarks[wrist, :2]) * (width, height)))
                                 / shoulders)
            shoulders_x = 0.5 * (person.pose_landmarks[11, 0] + person.pose_landmarks[12, 0]) * width
            copy = int(abs(shoulders_x - xb) < abs(shoulders_x - xa))
            if not apart:
                continue
            swaps += owner.setdefault(person.person_id, copy) != copy
            for field, wrist in (("left_hand_landmarks", 15), ("right_hand_landmarks", 16)):
                hand = getattr(person, field)
                if hand is None:
                    continue
                hands += 1
                # The hand hangs from this body's wrist, on this copy, not the other's.
                hand_x = hand[0, 0] * width
                own = np.hypot(*((hand[0, :2] - person.pose_landmarks[wrist, :2]) * (width, height)))
                others = [np.hypot(*((hand[0, :2] - other.pose_landmarks[j, :2]) * (width, height)))
                          for other in result.people if other is not person for j in (15, 16)]
                wrong_body += (others and min(others) < own) or abs(hand_x - (xa, xb)[copy]) > abs(
                    hand_x - (xa, xb)[1 - copy])
    print(f"ids {owner}, swaps {swaps}, hands checked {hands}, on the wrong body {wrong_body}; hand wrist to "
          f"its body's wrist over {len(reach)} hands: median {np.median(reach):.2f}, max {max(reach):.2f} "
          "shoulder widths")
    # Even while they overlap, every hand hangs from its own body's wrist (seen: max 0.64).
    assert max(reach) < 1.0
    assert sorted(owner.values()) == [0, 1], owner   # each copy had an id of its own
    assert swaps == 0
    assert hands > 50 and wrong_body == 0
    # Before and after the crossing both are tracked, under the ids they had.
    first, last = results[5], results[-5]
    assert len(first.people) == 2 and len(last.people) == 2
    assert {p.person_id for p in first.people} == {p.person_id for p in last.people}


@pytest.mark.slow
def test_newcomers_are_reported_from_their_third_frame_with_ids_one_and_two(videos_dir):
    """Real models: two people in view from the first frame are tracked from it but
    reported (with ids 1 and 2, none used up) from the frame NEWCOMER_CONFIRM_FRAMES - 1
    on; one person (MediaPipe) is reported on the first frame."""
    canvases = _apart_two_people(videos_dir, count=pp.NEWCOMER_CONFIRM_FRAMES + 1)
    with Holistic(max_num_people=2, providers=CPU) as h:
        results = [h.process(c, timestamp=(i + 1) / 25) for i, c in enumerate(canvases)]
    counts = [len(r.people) for r in results]
    assert counts == [0] * (pp.NEWCOMER_CONFIRM_FRAMES - 1) + [2, 2], counts
    assert sorted(p.person_id for p in results[-1].people) == [1, 2]
    with Holistic(providers=CPU) as h:
        assert len(h.process(canvases[0], timestamp=1 / 25).people) == 1


class _Detector:
    """The pose detector's ``detect_in``, answering ``answer`` and noting each call's regions
    and blanks (a unit-level stand-in for people.upright's second look)."""

    def __init__(self, answer):
        self.answer, self.calls = answer, []

    def detect_in(self, image, min_score, most, regions, blanks=None):
        self.calls.append((regions, blanks))
        return list(self.answer)


def _pose_detection(center, upright: bool, score: float = 0.8, half: float = 0.05):
    """A pose detection with its face box around ``center`` (normalised) and its body
    keypoints (hips' midpoint, full-body point) below the face when ``upright``, above it
    when not: its ROI's rotation 0 or pi (pose_detection.roi_from_pose_detection)."""
    from holistic_ros.pipeline.detection import Detection

    cx, cy = center
    down = 1.0 if upright else -1.0
    keypoints = np.array([[cx, cy + down * 0.2], [cx, cy - down * 0.1], [cx, cy + down * 0.1], [cx, cy - down * 0.05]])
    return Detection(score, np.array([cx - half, cy - half, cx + half, cy + half]), keypoints)


def test_an_upside_down_detection_is_looked_at_again_alone_and_an_upright_one_replaces_it():
    image = np.zeros((720, 1280, 3), np.uint8)
    blanks = [np.array([0.7, 0.1, 0.9, 0.6])]
    flipped = _pose_detection((0.4, 0.5), upright=False, score=0.75)
    standing = _pose_detection((0.41, 0.52), upright=True, half=0.02)   # centred in the flipped one's box, 0.8
    detector = _Detector([standing])
    assert pp.upright(detector, image, [flipped], 0.5, blanks) == [standing]
    (regions, used_blanks), = detector.calls
    # One look, around the box: a square UPRIGHT_CHECK_BOX times the box's long side in pixels.
    side_px = pp.UPRIGHT_CHECK_BOX * 0.1 * 1280
    assert regions[0].x_center == pytest.approx(0.4) and regions[0].y_center == pytest.approx(0.5)
    assert regions[0].width * 1280 == pytest.approx(side_px) and regions[0].height * 720 == pytest.approx(side_px)
    assert regions[0].rotation == 0.0 and used_blanks is blanks   # the search's blanked regions again

    # Kept where the second look finds no upright person on that face scored higher: only
    # upside down again (someone may hang upside down), an upright one off its box (someone
    # else), or one the detector is less sure of than the first reading.
    for answer in ([_pose_detection((0.4, 0.5), upright=False)], [_pose_detection((0.6, 0.5), upright=True)], [],
                   [_pose_detection((0.41, 0.52), upright=True, score=0.7)]):
        assert pp.upright(_Detector(answer), image, [flipped], 0.5) == [flipped]
    # An upright detection is not looked at again.
    detector = _Detector([flipped])
    assert pp.upright(detector, image, [standing], 0.5) == [standing] and detector.calls == []


@pytest.mark.slow
@pytest.mark.parametrize("device_crops", [False, True], ids=["opencv_crops", "device_crops"])
def test_device_schedule_and_branch_threads_agree_for_two_people(videos_dir, device_crops):
    """The GPU's schedule (all faces in one batch, then every hand in one batch, no
    branch threads; with device crops, each batch cut in one run of the crop graph),
    run here on the CPU provider, gives what the CPU's threads give."""
    canvases = _apart_two_people(videos_dir, count=30)
    runs = {}
    for parallel in (True, False):
        with Holistic(max_num_people=2, parallel_branches=parallel, device_crops=device_crops,
                      providers=CPU) as h:
            runs[parallel] = [h.process(c, timestamp=(i + 1) / 25) for i, c in enumerate(canvases)]
    compared = 0
    for a, b in zip(runs[True], runs[False]):
        assert [p.person_id for p in a.people] == [p.person_id for p in b.people]
        for pa, pb in zip(a.people, b.people):
            for field in ("pose_landmarks", "face_landmarks", "left_hand_landmarks", "right_hand_landmarks"):
                x, y = getattr(pa, field), getattr(pb, field)
                assert (x is None) == (y is None), field
                if x is not None:
                    np.testing.assert_allclose(x, y, rtol=0, atol=1e-5, err_msg=field)
                    compared += 1
    assert compared > 100
