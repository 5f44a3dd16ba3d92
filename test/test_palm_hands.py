"""Hands without a body: the palm detector, its hand ROI and HandLandmarker's tracking (issue 17)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from holistic_ros import ModelError
from holistic_ros.pipeline.detection import Detection
from holistic_ros.pipeline.hand_tracker import (HandTrackerOptions, associate_rects, create_hand_tracker,
                                                duplicate_hands, rect_iou, side_from_handedness)
from holistic_ros.pipeline.palm_detection import (PALM_DETECTION_ANCHORS, hand_roi_from_palm,
                                                  palm_rect_from_detection)
from holistic_ros.pipeline.detection import generate_anchor_centers
from holistic_ros.pipeline.roi import NormRect, normalize_radians

from conftest import load_rgb

TOOLS = Path(__file__).resolve().parent.parent / "tools"
GESTURE_PHOTOS = ("mps_hand_thumb_up.jpg", "mps_two_hands_thumbs_up.jpg", "mps_thumbs_up_rgba.png",
                  "tfe_hand_v_sign_3024x4032.jpg")
NO_PERSON_PHOTOS = ("mps_noperson_wine_table.jpg", "tfe_noperson_cat.jpg", "tfe_noperson_tiger.jpg")


@pytest.fixture(scope="module")
def tracker_factory():
    def make(**kwargs):
        return create_hand_tracker(HandTrackerOptions(**kwargs), providers=["CPUExecutionProvider"],
                                   recognize_gestures=True)
    return make


def test_palm_anchors_are_mediapipes_2016():
    """palm_detection_cpu.pbtxt: num_boxes 2016; 24x24 cells of stride 8 then 12x12 of stride 16,
    two anchors per cell on the first layer and six on the three stride-16 layers."""
    anchors = generate_anchor_centers(PALM_DETECTION_ANCHORS)
    assert anchors.shape == (2016, 2)
    np.testing.assert_allclose(anchors[0], [0.5 / 24, 0.5 / 24])
    np.testing.assert_allclose(anchors[1], anchors[0])
    np.testing.assert_allclose(anchors[1152], [0.5 / 12, 0.5 / 12])
    np.testing.assert_allclose(anchors[1152:1158], np.repeat(anchors[1152:1153], 6, axis=0))


def test_hand_roi_from_palm_grows_towards_the_fingers():
    """hand_detector_graph.cc: palm box scaled 2.6, shifted half its height along the ROI's
    up axis, squared; rotation from wrist (keypoint 0) to the middle MCP (keypoint 2) turned
    to the Tasks graph's 90 *radians* (PALM_ROI_TARGET_ANGLE says why)."""
    size = (640, 480)
    kps = np.zeros((7, 2))
    kps[0] = (0.5, 0.6)   # wrist below
    kps[2] = (0.5, 0.4)   # middle MCP above: fingers up
    det = Detection(0.9, np.array([0.45, 0.45, 0.55, 0.55]), kps)
    palm = palm_rect_from_detection(det, size)
    assert palm.rotation == pytest.approx(normalize_radians(90.0 - math.pi / 2))
    assert (palm.x_center, palm.y_center, palm.width, palm.height) == pytest.approx((0.5, 0.5, 0.1, 0.1))
    roi = hand_roi_from_palm(det, size)
    long_px = max(0.1 * 640, 0.1 * 480)
    assert roi.width * 640 == pytest.approx(2.6 * long_px)
    assert roi.height * 480 == pytest.approx(2.6 * long_px)
    c, s = math.cos(palm.rotation), math.sin(palm.rotation)   # shift -0.5 in the rotated frame
    assert roi.x_center * 640 == pytest.approx(320 + 0.5 * 0.1 * 480 * s)
    assert roi.y_center * 480 == pytest.approx(240 - 0.5 * 0.1 * 480 * c)


def test_association_keeps_tracked_hands_and_adds_only_new_ones():
    tracked = [(7, NormRect(0.3, 0.5, 0.2, 0.2))]
    same = NormRect(0.31, 0.5, 0.2, 0.2)       # IoU ~0.9 with the tracked one
    other = NormRect(0.7, 0.5, 0.2, 0.2)
    assert rect_iou(tracked[0][1], same) > 0.5
    kept = associate_rects(tracked, [same, other])
    assert [i for i, _ in kept] == [7, None]
    assert kept[1][1] == other
    # rotation is ignored, as in mediapipe/util/rectangle_util.cc
    assert rect_iou(NormRect(0.5, 0.5, 0.2, 0.4, 0.0), NormRect(0.5, 0.5, 0.2, 0.4, 1.0)) == pytest.approx(1.0)


def test_duplicate_hands_keeps_the_first():
    rng = np.random.default_rng(0)
    hand = np.column_stack([rng.uniform(0.4, 0.5, 21), rng.uniform(0.4, 0.5, 21), np.zeros(21)])
    near = hand + [0.001, 0.0, 0.0]
    far = hand + [0.3, 0.0, 0.0]
    assert duplicate_hands([hand, near, far], (640, 480)) == [1]


def test_side_from_handedness():
    assert side_from_handedness(0.9) == "right" and side_from_handedness(0.1) == "left"


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="num_hands"):
        HandTrackerOptions(num_hands=0).validate()
    with pytest.raises(ValueError, match="min_tracking_confidence"):
        HandTrackerOptions(min_tracking_confidence=1.5).validate()


def test_missing_or_corrupt_palm_model_is_a_clear_error(models_copy):
    path = models_copy / "palm_detection_full.onnx"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"palm_detection_full\.onnx is corrupt.*sha256"):
        create_hand_tracker(models_dir=models_copy)
    path.unlink()
    with pytest.raises(ModelError, match=r"palm_detection_full\.onnx is missing.*make models"):
        create_hand_tracker(models_dir=models_copy)


def test_palm_detector_runs_only_while_hands_are_missing(images_dir, tracker_factory):
    """hand_landmarker_graph.cc: in video mode the detector is skipped once num_hands are tracked."""
    image = load_rgb(images_dir / "mps_hand_thumb_up.jpg")
    tracker = tracker_factory(num_hands=1)
    first = tracker.process(image)
    assert tracker.palm_detector_ran and len(first) == 1 and first[0].from_palm
    second = tracker.process(image)
    assert not tracker.palm_detector_ran and len(second) == 1 and not second[0].from_palm
    assert second[0].track_id == first[0].track_id
    # two wanted, one there: the detector keeps looking, the tracked hand keeps its id
    tracker = tracker_factory(num_hands=2)
    ids = [h.track_id for _ in range(3) for h in tracker.process(image)]
    assert tracker.palm_detector_ran and len(set(ids)) == 1
    # image mode: every image on its own
    tracker = tracker_factory(num_hands=1, static_image_mode=True)
    tracker.process(image)
    tracker.process(image)
    assert tracker.palm_detector_ran
    # a blank frame drops the hand; the next hand gets a new id
    tracker = tracker_factory(num_hands=1)
    a = tracker.process(image)[0].track_id
    assert tracker.process(np.zeros_like(image)) == [] and tracker.tracked_count == 0
    assert tracker.process(image)[0].track_id != a


# -- against MediaPipe's GestureRecognizer -------------------------------------------------------

@pytest.fixture(scope="module")
def oracle_tools():
    sys.path.insert(0, str(TOOLS))
    import gesture_parity
    import palm_parity
    if not gesture_parity.oracle_available():
        pytest.skip(f"MediaPipe oracle venv missing ({gesture_parity.ORACLE_PYTHON})")
    return gesture_parity, palm_parity


@pytest.mark.parity
def test_hand_photos_found_and_labelled_as_gesture_recognizer(images_dir, oracle_tools, tracker_factory):
    """The four hand photos (no body: Holistic finds nothing there) give the oracle's hands and
    labels; the photos without people give no hand (issue 17: "no person, no hand")."""
    gesture_parity, palm_parity = oracle_tools
    names = GESTURE_PHOTOS + NO_PERSON_PHOTOS
    frames = [load_rgb(images_dir / n) for n in names]
    theirs = [palm_parity.oracle_hands(h) for h in gesture_parity.recognize(frames, palm_parity.NUM_HANDS)]
    ours = palm_parity.run_tracker(frames, static_image_mode=True, tracker=tracker_factory(static_image_mode=True))
    stats = palm_parity.compare(ours, theirs, frames)
    print(stats.summary())
    assert stats.theirs >= len(GESTURE_PHOTOS)
    assert stats.recall == 1.0 and stats.precision == 1.0, stats.summary()
    assert stats.agreement == 1.0, stats.labels
    assert max(stats.errors) < 1e-4, stats.errors   # measured <= 6e-5 of the diagonal: the same maths
    for name, hands in zip(names, ours):
        if name in NO_PERSON_PHOTOS:
            assert hands == [], name


@pytest.mark.parity
@pytest.mark.slow
def test_tracked_hand_landmarks_within_mediapipes_own_drift(videos_dir, oracle_tools):
    """Video mode on the woman clip (the one with moving hands and gestures): hand landmarks
    against GestureRecognizer's VIDEO mode within 1.5x MediaPipe's own drift under +-1 noise,
    recall within 5 points of its own (the Holistic video parity's margins,
    test_parity_mediapipe.py DRIFT_ERROR_FACTOR / DRIFT_PRESENCE_MARGIN).
    Measured: ours 0.188% of the diagonal, MediaPipe's drift 0.190% (seeds 0.208%, 0.173%);
    recall and precision 100% both; labels agree on all 172 hands."""
    gesture_parity, palm_parity = oracle_tools
    frames = list(palm_parity.parity.iter_video_rgb(videos_dir / "mps_woman_thumbs_up_1280x720.mp4"))
    ours, drift = palm_parity.video_landmarks(frames, seeds=(0, 1))
    print(f"ours {ours.summary()}\nMediaPipe {palm_parity.drift_summary(drift)}")
    assert ours.recall >= np.mean([d.recall for d in drift]) - 0.05
    assert ours.precision >= np.mean([d.precision for d in drift]) - 0.05
    assert ours.mean_error <= 1.5 * np.mean([d.mean_error for d in drift])
