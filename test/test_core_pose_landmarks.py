"""Heatmap refinement of the pose landmarks (holistic_ros.pipeline.pose_landmarks)."""

import numpy as np

from holistic_ros.pipeline.activations import sigmoid
from holistic_ros.pipeline.pose_landmarks import HEATMAP_KERNEL_SIZE, refine_landmarks_from_heatmap


def refine_one_by_one(landmarks, heatmap, kernel_size=HEATMAP_KERNEL_SIZE, min_confidence=0.5):
    """Landmark by landmark, as calculators/util/refine_landmarks_from_heatmap_calculator.cc loops."""
    hm_h, hm_w, _ = heatmap.shape
    out = np.array(landmarks, copy=True)
    offset = (kernel_size - 1) // 2
    for i in range(heatmap.shape[2]):
        col, row = int(out[i, 0] * hm_w), int(out[i, 1] * hm_h)
        if col < 0 or col >= hm_w or row < 0 or row >= hm_h:
            continue
        r0, r1 = max(0, row - offset), min(hm_h, row + offset + 1)
        c0, c1 = max(0, col - offset), min(hm_w, col + offset + 1)
        conf = sigmoid(heatmap[r0:r1, c0:c1, i].astype(np.float64))
        if conf.max() >= min_confidence and conf.sum() > 0:
            rows, cols = np.mgrid[r0:r1, c0:c1]
            out[i, 0] = (cols * conf).sum() / hm_w / conf.sum()
            out[i, 1] = (rows * conf).sum() / hm_h / conf.sum()
    return out


def test_refinement_matches_the_per_landmark_loop_at_edges_outside_and_below_confidence():
    rng = np.random.default_rng(1)
    for trial in range(20):
        heatmap = rng.normal(-2.0, 3.0, (64, 64, 39)).astype(np.float32)
        landmarks = rng.uniform(-0.1, 1.1, (39, 5))
        landmarks[:6, :2] = [[0.0, 0.0], [0.999, 0.999], [0.01, 0.5], [0.5, 0.995], [-0.02, 0.5], [0.5, 1.0]]
        heatmap[:, :, 6] = -20.0          # nowhere confident: left as is
        # (-0.001 would truncate to column 0, inside, as the C++ int conversion does)
        got = refine_landmarks_from_heatmap(landmarks, heatmap)
        want = refine_one_by_one(landmarks, heatmap)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
        assert np.array_equal(got[6], landmarks[6]) and np.array_equal(got[4], landmarks[4])
        assert np.array_equal(got[:, 2:], landmarks[:, 2:])


def test_refinement_moves_a_landmark_to_its_heatmap_peak():
    heatmap = np.full((64, 64, 1), -10.0, np.float32)
    heatmap[20, 30, 0] = 10.0
    refined = refine_landmarks_from_heatmap(np.array([[29.5 / 64, 21.2 / 64, 0.0]]), heatmap)
    np.testing.assert_allclose(refined[0, :2], [30 / 64, 20 / 64], atol=1e-3)
