"""Holistic(hand_source="pose"|"palm"|"both"): hands from the palm detector beside the pose (issue 17)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from holistic_ros import Holistic, ModelError
from holistic_ros.pipeline.hand_sources import (POSE_DUPLICATE_BOX_IOU, assign_to_bodies, box_inside,
                                                pose_hand_is_palm_hand, same_hand)
from holistic_ros.pipeline.hand_tracker import box_iou
from holistic_ros.pipeline.models import default_models_dir
from holistic_ros.pipeline.result import HolisticResult

from conftest import REPO_ROOT, load_rgb

CPU = ["CPUExecutionProvider"]


def all_hands(result):
    people = result.people or (result,)
    hands = [getattr(p, f"{s}_hand_landmarks") for p in people for s in ("left", "right")]
    return [h for h in hands if h is not None] + [h.landmarks for h in result.hands]


def test_hand_source_outside_its_choices_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="hand_source must be one of 'pose', 'palm', 'both'; got 'hands'"):
        Holistic(hand_source="hands")


def test_pose_needs_no_palm_model_and_palm_gets_the_clear_error(tmp_path):
    models = tmp_path / "models"
    shutil.copytree(default_models_dir(), models)
    (models / "palm_detection_full.onnx").unlink()
    Holistic(models_dir=models, providers=CPU).close()   # "pose": MediaPipe Holistic, no palm model
    with pytest.raises(ModelError, match=r"palm_detection_full\.onnx is missing.*make models"):
        Holistic(models_dir=models, providers=CPU, hand_source="palm")


@pytest.fixture(scope="module")
def photos(images_dir):
    return {n: load_rgb(images_dir / n) for n in (
        "mps_hand_thumb_up.jpg", "tfe_hand_v_sign_3024x4032.jpg", "mps_business_person.png",
        "mps_woman_sitting_fullbody.jpg", "mps_kids_on_horse_257.jpg", "tfe_noperson_tiger.jpg")}


@pytest.mark.parametrize("source", ["palm", "both"])
def test_a_hand_without_a_body_is_not_lost(photos, source):
    with Holistic(static_image_mode=True, hand_source=source, recognize_gestures=True, providers=CPU) as h:
        thumb = h.process(photos["mps_hand_thumb_up.jpg"])
        v_sign = h.process(photos["tfe_hand_v_sign_3024x4032.jpg"])
        tiger = h.process(photos["tfe_noperson_tiger.jpg"])
    assert thumb.pose_landmarks is None and thumb.people == ()
    assert [(x.gesture.label, x.landmarks.shape, x.world_landmarks.shape) for x in thumb.hands] == [
        ("Thumb_Up", (21, 3), (21, 3))]
    assert thumb.hands[0].side in ("left", "right") and thumb.hands[0].score > 0.5 and thumb.hands[0].track_id > 0
    assert [x.gesture.label for x in v_sign.hands] == ["Victory"]
    assert tiger.hands == () and tiger.pose_landmarks is None


def test_pose_source_has_no_lone_hands(photos):
    with Holistic(static_image_mode=True, providers=CPU) as h:
        assert h.process(photos["mps_hand_thumb_up.jpg"]).hands == ()


@pytest.mark.parametrize("source", ["palm", "both"])
@pytest.mark.parametrize("people", [1, 3])
def test_every_hand_once_and_each_to_at_most_one_person(photos, source, people):
    with Holistic(static_image_mode=True, hand_source=source, providers=CPU, max_num_people=people) as h:
        for name, image in photos.items():
            result = h.process(image)
            size = (image.shape[1], image.shape[0])
            hands = all_hands(result)
            for i in range(len(hands)):
                for j in range(i + 1, len(hands)):
                    assert not same_hand(hands[i], hands[j], size), f"{name}: one hand given twice"
            if result.people:
                assert all(p.hands == () for p in result.people)
    if source == "both":   # both hands of the woman holding her glasses: the pose finds both
        with Holistic(static_image_mode=True, hand_source=source, providers=CPU) as h:
            result = h.process(photos["mps_business_person.png"])
        assert result.left_hand_landmarks is not None and result.right_hand_landmarks is not None
        assert result.hands == ()


def test_hand_goes_to_the_nearest_free_wrist():
    pose = np.zeros((33, 4))
    pose[15, :2] = (0.30, 0.5)    # left wrist
    pose[16, :2] = (0.70, 0.5)    # right wrist
    person = HolisticResult(pose_landmarks=pose)
    hand = np.zeros((21, 3))
    hand[:, :2] = (0.31, 0.45)
    hand[5, :2], hand[17, :2] = (0.33, 0.40), (0.29, 0.40)   # a hand of ~0.05 of the width
    far = hand.copy()
    far[:, 0] += 0.2
    assert assign_to_bodies([hand, far], [person], (640, 480)) == [(0, "left"), None]
    assert assign_to_bodies([hand], [person], (640, 480), taken={(0, "left")}) == [None]


def _hand_in_box(x0, y0, x1, y1, seed=0):
    """21 landmarks spread over the box (x0, y0, x1, y1), its corners among them."""
    rng = np.random.default_rng(seed)
    lm = np.zeros((21, 3))
    lm[:, 0], lm[:, 1] = rng.uniform(x0, x1, 21), rng.uniform(y0, y1, 21)
    lm[0, :2], lm[5, :2], lm[17, :2], lm[12, :2] = (x0, y1), (x1, y0), (x0, y0), (x1, y1)
    return lm


def test_a_collapsed_pose_hand_on_a_palm_hand_is_that_hand_and_a_touching_hand_is_not():
    """The ghost of issue 17's evidence (docs/hands.md): a pose hand crop on a hand the palm path
    has, its landmarks collapsed along one finger: its box lies inside the palm hand's, at a box
    IoU under POSE_DUPLICATE_BOX_IOU, and MediaPipe's duplicate test misses it too. A real hand
    beside it, boxes overlapping where they touch, stays a hand of its own."""
    size = (640, 360)
    palm = _hand_in_box(0.40, 0.40, 0.60, 0.70)
    ghost = _hand_in_box(0.45, 0.45, 0.50, 0.65, seed=1)   # a thin strip along one finger
    assert box_iou(palm, ghost) <= POSE_DUPLICATE_BOX_IOU and not same_hand(palm, ghost, size)  # the old rule
    assert pose_hand_is_palm_hand(ghost, palm, size)
    touching = _hand_in_box(0.55, 0.42, 0.75, 0.72, seed=2)   # a second hand, a quarter of it over the first
    assert not pose_hand_is_palm_hand(touching, palm, size)
    # the rule is one-sided: a palm hand inside a big pose hand's box is not caught by it
    assert not pose_hand_is_palm_hand(palm, ghost, size)


def test_palm_tracking_in_video_keeps_ids_and_submit_keeps_order(photos):
    image = photos["mps_hand_thumb_up.jpg"]
    with Holistic(hand_source="palm", providers=CPU) as h:
        futures = [h.submit(image, timestamp=(i + 1) / 25) for i in range(4)]
        ids = [r.hands[0].track_id for r in (f.result() for f in futures)]
        assert len(set(ids)) == 1
        assert h.process(image, timestamp=0.01).hands[0].track_id != ids[0]   # time went back: new stream


@pytest.mark.parametrize("parallel", [True, False])
def test_palm_does_not_run_the_pose_hand_branch(photos, monkeypatch, parallel):
    """"palm" takes none of the pose's hands, so none is computed: no hand re-crop model and no
    hand landmark run for a pose wrist (counted per model and per caller: the pose's hand
    branch is HandsBranch, the palm path HandTracker). "pose" runs it; "both" at least on the
    first frame (then only for the sides whose hand the palm tracker does not hold)."""
    runs = _count_model_runs(monkeypatch)
    image = photos["mps_business_person.png"]   # both hands on the body: the pose finds both
    counts = {}
    for source in ("pose", "palm", "both"):
        runs.clear()
        with Holistic(hand_source=source, providers=CPU, parallel_branches=parallel) as h:
            results = [h.process(image, timestamp=(i + 1) / 25) for i in range(3)]
        assert all_hands(results[-1]), source
        counts[source] = dict(runs)
    pose_branch = lambda c: sum(n for (model, who), n in c.items() if who == "pose hands")  # noqa: E731
    # Structural counts, not measured ones: "pose" runs its hand branch for both sides on each
    # of the 3 frames (at least 2 x 3 = 6 model runs), the re-crop model at least once a side.
    assert pose_branch(counts["pose"]) >= 6 and counts["pose"][("hand_recrop", "pose hands")] >= 2
    assert 0 < pose_branch(counts["both"]) <= pose_branch(counts["pose"])
    assert pose_branch(counts["palm"]) == 0 and ("hand_recrop", "pose hands") not in counts["palm"]
    # the palm path's own hand landmark runs: one batch of the tracked hands per frame
    assert counts["palm"][("hand_landmark_full", "palm")] >= 3


def _count_model_runs(monkeypatch):
    """A Counter of model runs by (model, "pose hands" | "palm" | "other"): the caller's module
    (the pose's hand branch is HandsBranch, the palm path HandTracker)."""
    import collections
    import sys

    from holistic_ros.pipeline.models import ModelSession

    runs = collections.Counter()
    run = ModelSession.run

    def counting(self, tensor):
        caller = sys._getframe(1).f_globals.get("__name__")
        who = {"holistic_ros.pipeline.hands": "pose hands", "holistic_ros.pipeline.hand_tracker": "palm"}.get(
            caller, "other")
        runs[(self.name, who)] += 1
        return run(self, tensor)

    monkeypatch.setattr(ModelSession, "run", counting)
    return runs


#: First frames of the thumbs-up clip: one person; her hand comes into view at frame 23 and the
#: palm path tracks it from there (the other hand hangs at her side, out of its sight).
THUMBS_CLIP, THUMBS_FRAMES = "mps_woman_thumbs_up_1280x720.mp4", 40


@pytest.mark.slow
@pytest.mark.parametrize("parallel", [True, False])
def test_both_skips_the_pose_hand_the_palm_tracker_holds(videos_dir, monkeypatch, parallel):
    """Issue 17: in "both", a side whose hand the palm tracker held at the previous frame is
    not cut from the pose's wrist again (its hand would be the palm's hand again and lose to it):
    the pose's hand branch runs fewer models than in "pose", and no hand is lost for it."""
    import sys

    sys.path.insert(0, str(REPO_ROOT / "tools"))
    from parity import iter_video_rgb

    frames = list(iter_video_rgb(videos_dir / THUMBS_CLIP, THUMBS_FRAMES))
    runs = _count_model_runs(monkeypatch)
    counts, given = {}, {}
    for source in ("pose", "both"):
        runs.clear()
        with Holistic(hand_source=source, providers=CPU, parallel_branches=parallel) as h:
            given[source] = [len(all_hands(h.process(f, timestamp=(i + 1) / 25.0))) for i, f in enumerate(frames)]
        counts[source] = sum(n for (model, who), n in runs.items() if who == "pose hands")
    assert counts["both"] < counts["pose"], counts
    assert sum(given["both"]) >= sum(given["pose"]) > 0, given


#: The hand-reach clip's reaching hand and the other hand at her side never overlap (the
#: footage, checked by eye); its frames 116-137 are where "both" laid a ghost pose hand on the
#: reaching hand before hand_sources.POSE_DUPLICATE_BOX_INSIDE (frames 130-135 as shot, docs/hands.md).
REACH_CLIP = "mps_hand_reach_640x360.mp4"
REACH_GHOST_FRAMES = range(116, 138)
#: Two hands whose landmark boxes lie half one inside the other are one physical hand here (the
#: clip's two hands are a forearm apart).
ONE_HAND_BOX_INSIDE = 0.5


@pytest.mark.slow
def test_both_gives_the_reaching_hand_once(videos_dir):
    """Real frames where the old rule (MediaPipe's duplicate test or box IoU > 0.25) kept a pose
    hand crop collapsed on the hand the palm path has: one hand per physical hand now."""
    import sys

    sys.path.insert(0, str(REPO_ROOT / "tools"))
    from parity import iter_video_rgb

    frames = list(iter_video_rgb(videos_dir / REACH_CLIP))[:REACH_GHOST_FRAMES.stop]
    doubled = []
    with Holistic(hand_source="both", providers=CPU) as h:
        for i, frame in enumerate(frames):
            hands = all_hands(h.process(frame, timestamp=(i + 1) / 30.0))
            if i in REACH_GHOST_FRAMES:
                doubled += [(i, a, b) for a in range(len(hands)) for b in range(len(hands)) if a != b
                            and box_inside(hands[a], hands[b]) >= ONE_HAND_BOX_INSIDE]
    assert doubled == []
