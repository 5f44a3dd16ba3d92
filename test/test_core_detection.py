"""SSD anchors, decoding and weighted NMS (holistic_ros.pipeline.detection)."""

import numpy as np
import pytest

from holistic_ros.pipeline.detection import (DecodeOptions, Detection, decode_detections, generate_anchor_centers,
                                    remove_detection_letterbox, weighted_nms)
from holistic_ros.pipeline.face import FACE_DETECTION_ANCHORS
from holistic_ros.pipeline.pose_detection import POSE_DETECTION_ANCHORS


def test_anchor_counts_match_mediapipe_models():
    # 2254 anchors: pose_detection.tflite output [1, 2254, 12]; 896: face_detection_short_range.
    assert generate_anchor_centers(POSE_DETECTION_ANCHORS).shape == (2254, 2)
    assert generate_anchor_centers(FACE_DETECTION_ANCHORS).shape == (896, 2)


def test_anchor_grid_order_and_offsets():
    a = generate_anchor_centers(POSE_DETECTION_ANCHORS)
    # First layer: 28x28 cells, two anchors per cell, row-major, centre offset 0.5.
    np.testing.assert_allclose(a[0], [0.5 / 28, 0.5 / 28])
    np.testing.assert_allclose(a[1], a[0])
    np.testing.assert_allclose(a[2], [1.5 / 28, 0.5 / 28])
    # Last block: 7x7 cells with six anchors each (three layers of stride 32).
    np.testing.assert_allclose(a[-1], [6.5 / 7, 6.5 / 7])
    np.testing.assert_allclose(a[-6], a[-1])


def test_decode_boxes_keypoints_and_scores():
    anchors = np.array([[0.5, 0.5], [0.25, 0.25]], np.float32)
    raw = np.zeros((1, 2, 8), np.float32)
    raw[0, 0, :4] = [10, -20, 50, 100]      # dx, dy, w, h in input pixels (scale 100)
    raw[0, 0, 4:] = [5, 5, -5, -5]
    scores = np.array([[[3.0], [-3.0]]], np.float32)
    dets = decode_detections(raw, scores, anchors, DecodeOptions(num_keypoints=2, scale=100.0, min_score=0.5))
    assert len(dets) == 1
    d = dets[0]
    assert d.score == pytest.approx(1 / (1 + np.exp(-3.0)))
    np.testing.assert_allclose(d.box, [0.6 - 0.25, 0.3 - 0.5, 0.6 + 0.25, 0.3 + 0.5], atol=1e-6)
    np.testing.assert_allclose(d.keypoints, [[0.55, 0.55], [0.45, 0.45]], atol=1e-6)


def test_scores_are_clipped_before_sigmoid():
    anchors = np.zeros((1, 2), np.float32)
    dets = decode_detections(np.zeros((1, 1, 4), np.float32), np.array([[[1e4]]], np.float32), anchors,
                             DecodeOptions(num_keypoints=0, scale=1.0, min_score=0.5))
    assert dets[0].score == pytest.approx(1 / (1 + np.exp(-100.0)))


def test_weighted_nms_averages_overlapping_boxes_by_score():
    a = Detection(0.9, np.array([0.0, 0.0, 1.0, 1.0]), np.array([[0.0, 0.0]]))
    b = Detection(0.3, np.array([0.1, 0.0, 1.1, 1.0]), np.array([[1.0, 1.0]]))
    far = Detection(0.8, np.array([5.0, 5.0, 6.0, 6.0]), np.array([[5.0, 5.0]]))
    out = weighted_nms([b, far, a], iou_threshold=0.3)
    assert [d.score for d in out] == [0.9, 0.8]
    np.testing.assert_allclose(out[0].box, [0.025, 0.0, 1.025, 1.0])
    np.testing.assert_allclose(out[0].keypoints, [[0.25, 0.25]])
    assert len(weighted_nms([b, far, a], 0.3, max_detections=1)) == 1
    assert weighted_nms([], 0.3) == []


def test_detection_letterbox_removal():
    d = Detection(1.0, np.array([0.0, 0.25, 1.0, 0.75]), np.array([[0.5, 0.5]]))
    out = remove_detection_letterbox(d, (0.0, 0.25, 0.0, 0.25))
    np.testing.assert_allclose(out.box, [0.0, 0.0, 1.0, 1.0])
    np.testing.assert_allclose(out.keypoints, [[0.5, 0.5]])
