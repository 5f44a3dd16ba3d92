"""The ONNX versions of MediaPipe's three custom ops (tools/mp_custom_ops.py),
each run on its own in ONNX Runtime, against a NumPy transcription of
MediaPipe's C++ kernels (mediapipe/util/tflite/operations/*.cc, version 2 of
each op, the version face_landmark_with_attention.tflite uses).

The transcriptions below are the oracle: they follow the C++ loop by loop, in
float32, including atan2, the 3x3/4x4 matrix products, the half-pixel
correction and the zero result outside [0, W-1] x [0, H-1].

Building the standalone graphs needs the `onnx` package (not needed at run
time); the test is skipped without it.
"""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import import_or_skip

onnx = import_or_skip("onnx", "building the standalone op graphs needs the onnx package")
ort = import_or_skip("onnxruntime")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import mp_custom_ops  # noqa: E402

f32 = np.float32


# --------------------------------------------------------------------------
# NumPy transcription of MediaPipe's kernels (the oracle)
# --------------------------------------------------------------------------
def _mat_mul(a, b):
    """Row-major float32 product with the kernel's summation order."""
    n, m, p = a.shape[0], a.shape[1], b.shape[1]
    out = np.zeros((n, p), f32)
    for r in range(n):
        for c in range(p):
            s = f32(0)
            for k in range(m):
                s = f32(s + f32(a[r, k] * b[k, c]))
            out[r, c] = s
    return out


def ref_landmarks_to_transform_matrix(landmarks, subset_idxs, left_rotation_idx,
                                      right_rotation_idx, target_rotation_radians,
                                      output_height, output_width, scale_x, scale_y):
    """landmarks_to_transform_matrix.cc, namespace v2 (input [1,N,3])."""
    lm = landmarks.reshape(-1, 3).astype(f32)
    # flexbuffer parse: pairs, an odd last index duplicated
    flat = list(subset_idxs)
    pairs = [(flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2)]
    if len(flat) % 2:
        pairs.append((flat[-1], flat[-1]))
    # EstimateRotationRadians
    left, right = lm[left_rotation_idx], lm[right_rotation_idx]
    rotation = f32(math.atan2(f32(right[1] - left[1]), f32(right[0] - left[0])))
    rotation = f32(f32(target_rotation_radians) - rotation)
    # EstimateCenterAndSize
    pts = []
    for a, b in pairs:
        pts.append(np.array([lm[a][0], lm[a][1], 1.0], f32))
        pts.append(np.array([lm[b][0], lm[b][1], 1.0], f32))
    r = rotation
    t_rot = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]], f32)
    t_rot_inv = np.array([[math.cos(-r), -math.sin(-r), 0], [math.sin(-r), math.cos(-r), 0],
                          [0, 0, 1]], f32)
    pts = [_mat_mul(t_rot, p.reshape(3, 1)).ravel() for p in pts]
    mx, mn = pts[0].copy(), pts[0].copy()
    for p in pts[1:]:
        mx[0], mx[1] = max(mx[0], p[0]), max(mx[1], p[1])
        mn[0], mn[1] = min(mn[0], p[0]), min(mn[1], p[1])
    crop_w, crop_h = f32(mx[0] - mn[0]), f32(mx[1] - mn[1])
    c = mn.copy()
    c[0], c[1] = f32(f32(c[0] + mx[0]) / 2), f32(f32(c[1] + mx[1]) / 2)
    c = _mat_mul(t_rot_inv, c.reshape(3, 1)).ravel()
    crop_x, crop_y = c[0], c[1]
    # LandmarksToTransformMatrixV2
    t = np.eye(4, dtype=f32)
    t = _mat_mul(t, np.array([[1, 0, 0, crop_x], [0, 1, 0, crop_y], [0, 0, 1, 0], [0, 0, 0, 1]], f32))
    rr = -rotation
    t = _mat_mul(t, np.array([[math.cos(rr), -math.sin(rr), 0, 0], [math.sin(rr), math.cos(rr), 0, 0],
                              [0, 0, 1, 0], [0, 0, 0, 1]], f32))
    sx = f32(f32(scale_x) * crop_w / f32(output_width))
    sy = f32(f32(scale_y) * crop_h / f32(output_height))
    t = _mat_mul(t, np.diag([sx, sy, 1, 1]).astype(f32))
    shx, shy = f32(-1.0 * (output_width / 2.0)), f32(-1.0 * (output_height / 2.0))
    t = _mat_mul(t, np.array([[1, 0, 0, shx], [0, 1, 0, shy], [0, 0, 1, 0], [0, 0, 0, 1]], f32))
    return t.reshape(1, 4, 4)


def ref_transform_tensor_bilinear(data, matrix, output_height, output_width):
    """transform_tensor_bilinear.cc, namespace v2."""
    _, h, w, ch = data.shape
    m = matrix.reshape(-1).astype(f32)
    xt = m[0:4].copy()
    yt = m[4:8].copy()
    xt[3] = f32(xt[3] + f32(xt[0] * f32(0.5)) + f32(xt[1] * f32(0.5)) - f32(0.5))
    yt[3] = f32(yt[3] + f32(yt[0] * f32(0.5)) + f32(yt[1] * f32(0.5)) - f32(0.5))
    out = np.zeros((1, output_height, output_width, ch), f32)

    def read(hh, ww):
        if hh < 0 or ww < 0 or hh >= h or ww >= w:
            return np.zeros(ch, f32)
        return data[0, hh, ww]

    for oy in range(output_height):
        for ox in range(output_width):
            coord = np.array([ox, oy, 0, 1], f32)
            tx = f32(np.dot(xt, coord))
            ty = f32(np.dot(yt, coord))
            if tx < 0.0 or tx > w - 1 or ty < 0.0 or ty > h - 1:
                continue  # out of bounds: 0
            fx, fy = math.floor(tx), math.floor(ty)
            q11, q21 = read(fy, fx), read(fy, fx + 1)
            q12, q22 = read(fy + 1, fx), read(fy + 1, fx + 1)
            rc, lc = f32(tx - fx), f32(ty - fy)
            upper = (1 - rc) * q11 + rc * q21
            lower = (1 - rc) * q12 + rc * q22
            out[0, oy, ox] = lc * lower + (1 - lc) * upper
    return out


def ref_transform_landmarks(landmarks, matrix):
    """transform_landmarks.cc, namespace v2 (input [1,N,D], D = 2 or 3)."""
    m = matrix.reshape(-1).astype(f32)
    xt, yt = m[0:4], m[4:8]
    out = landmarks.astype(f32).copy()
    dims = landmarks.shape[-1]
    for i in range(landmarks.shape[1]):
        lv = np.array([landmarks[0, i, 0], landmarks[0, i, 1], 0, 1], f32)
        out[0, i, 0] = np.dot(xt, lv)
        out[0, i, 1] = np.dot(yt, lv)
        if dims == 3:
            out[0, i, 2] = landmarks[0, i, 2]
    return out


# --------------------------------------------------------------------------
# ONNX side
# --------------------------------------------------------------------------
def _run(model, feeds):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)[0]


def onnx_l2tm(landmarks, **attrs):
    model = mp_custom_ops.make_standalone_model(
        mp_custom_ops.build_landmarks_to_transform_matrix, [("lm", landmarks.shape)], "m",
        [1, 4, 4], **attrs)
    return _run(model, {"lm": landmarks.astype(f32)})


def onnx_ttb(data, matrix, oh, ow):
    _, h, w, c = data.shape
    model = mp_custom_ops.make_standalone_model(
        mp_custom_ops.build_transform_tensor_bilinear, [("x", data.shape), ("m", [1, 4, 4])], "y",
        [1, oh, ow, c], input_height=h, input_width=w, output_height=oh, output_width=ow)
    return _run(model, {"x": data.astype(f32), "m": matrix.astype(f32)})


def onnx_tl(landmarks, matrix):
    model = mp_custom_ops.make_standalone_model(
        mp_custom_ops.build_transform_landmarks, [("lm", landmarks.shape), ("m", [1, 4, 4])], "y",
        list(landmarks.shape), dimensions=landmarks.shape[-1])
    return _run(model, {"lm": landmarks.astype(f32), "m": matrix.astype(f32)})


# The options face_landmark_with_attention.tflite uses (lips op; the eye ops
# have 71 indices, an odd count, and rotation points 33/133 and 362/263).
LIPS = dict(left_rotation_idx=61, right_rotation_idx=291, target_rotation_radians=0.0,
            output_height=16, output_width=16, scale_x=1.5, scale_y=1.5)


def _face_like_landmarks(rng, angle, scale=48.0):
    """[1,468,3] landmarks in a 48x48 feature-map frame, rotated by `angle`."""
    base = rng.uniform(0.3, 0.7, size=(468, 3)).astype(f32)
    base[:, 2] = rng.normal(0, 0.05, 468)
    cx = cy = 0.5
    ca, sa = math.cos(angle), math.sin(angle)
    x, y = base[:, 0] - cx, base[:, 1] - cy
    base[:, 0], base[:, 1] = ca * x - sa * y + cx, sa * x + ca * y + cy
    return (base * np.array([scale, scale, scale], f32))[None].astype(f32)


@pytest.mark.parametrize("angle", [0.0, 0.4, -1.2, 2.9, math.pi])
@pytest.mark.parametrize("n_subset,target", [(80, 0.0), (71, 0.0), (71, 0.3)])
def test_landmarks_to_transform_matrix(angle, n_subset, target):
    rng = np.random.default_rng(n_subset + abs(int(angle * 100)))
    lm = _face_like_landmarks(rng, angle)
    subset = [int(v) for v in rng.choice(468, size=n_subset, replace=False)]
    attrs = dict(LIPS, subset_idxs=subset, target_rotation_radians=target)
    want = ref_landmarks_to_transform_matrix(lm, **attrs)
    got = onnx_l2tm(lm, **attrs)
    # float32 noise only: entries reach ~50 (translation in feature pixels)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-5)


def test_landmarks_to_transform_matrix_degenerate():
    """Zero-length rotation vector (atan2(0,0) = 0) and a zero-size subset box."""
    rng = np.random.default_rng(7)
    lm = _face_like_landmarks(rng, 0.7)
    lm[0, 291] = lm[0, 61]  # rotation points coincide
    subset = [int(v) for v in rng.choice(468, size=71, replace=False)]
    attrs = dict(LIPS, subset_idxs=subset)
    np.testing.assert_allclose(onnx_l2tm(lm, **attrs), ref_landmarks_to_transform_matrix(lm, **attrs),
                               rtol=1e-5, atol=2e-5)
    same = np.repeat(lm[:, 10:11], 468, axis=1)  # every landmark identical
    want = ref_landmarks_to_transform_matrix(same, **attrs)
    got = onnx_l2tm(same, **attrs)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-5)
    # also all zeros
    zeros = np.zeros((1, 468, 3), f32)
    np.testing.assert_allclose(onnx_l2tm(zeros, **attrs),
                               ref_landmarks_to_transform_matrix(zeros, **attrs), atol=1e-6)


def _affine(a00, a01, a10, a11, tx, ty):
    return np.array([[[a00, a01, 0, tx], [a10, a11, 0, ty], [0, 0, 1, 0], [0, 0, 0, 1]]], f32)


TTB_MATRICES = {
    # exact integer sample points: tc = (x + 32, y + 32) -> last column is W-1 (in bounds)
    "edge_in_bounds": _affine(1, 0, 0, 1, 32, 32),
    # tc = (x + 33, y) -> the last column is x = 48, out of bounds
    "edge_out_of_bounds": _affine(1, 0, 0, 1, 33, 0),
    # tc = (x - 0.5, y - 0.5) -> first row/column at -0.5, out of bounds
    "negative_half": _affine(1, 0, 0, 1, -0.5, -0.5),
    # rotated and scaled up, mostly outside the map
    "rotated_large": _affine(2.4 * math.cos(0.6), -2.4 * math.sin(0.6),
                             2.4 * math.sin(0.6), 2.4 * math.cos(0.6), 20.0, -5.0),
    # fully outside
    "outside": _affine(1, 0, 0, 1, 100, 100),
    # degenerate: zero scale -> every sample at one point
    "zero_scale": _affine(0, 0, 0, 0, 17.3, 30.6),
}


@pytest.mark.parametrize("name", sorted(TTB_MATRICES))
def test_transform_tensor_bilinear(name):
    rng = np.random.default_rng(3)
    data = rng.normal(0, 1, size=(1, 48, 48, 32)).astype(f32)
    m = TTB_MATRICES[name]
    want = ref_transform_tensor_bilinear(data, m, 16, 16)
    got = onnx_ttb(data, m, 16, 16)
    # bilinear blend of O(1) values: float32 noise (the GridSample
    # normalisation round trip moves a sample point by ~1e-5 px)
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-4)
    if name == "outside":
        assert not got.any()
    if name in ("edge_out_of_bounds", "negative_half"):
        assert (got[0, :, 15] == 0).all() if name == "edge_out_of_bounds" else (got[0, 0] == 0).all()


def test_transform_tensor_bilinear_from_landmarks():
    """The chain the model uses: landmarks -> matrix -> 16x16 crop of a 48x48 map."""
    rng = np.random.default_rng(11)
    data = rng.normal(0, 1, size=(1, 48, 48, 32)).astype(f32)
    for angle in (0.0, 0.5, -2.0):
        lm = _face_like_landmarks(rng, angle)
        attrs = dict(LIPS, subset_idxs=[int(v) for v in rng.choice(468, 80, replace=False)])
        m = ref_landmarks_to_transform_matrix(lm, **attrs)
        np.testing.assert_allclose(onnx_ttb(data, m, 16, 16),
                                   ref_transform_tensor_bilinear(data, m, 16, 16), atol=2e-4)


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("n", [80, 71, 5])
def test_transform_landmarks(dims, n):
    rng = np.random.default_rng(n * dims)
    lm = rng.uniform(-2, 18, size=(1, n, dims)).astype(f32)
    m = _affine(*rng.normal(0, 1, 4), *rng.uniform(-5, 50, 2))
    np.testing.assert_allclose(onnx_tl(lm, m), ref_transform_landmarks(lm, m), rtol=1e-5, atol=1e-4)


def test_transform_landmarks_degenerate_matrix():
    lm = np.random.default_rng(0).uniform(0, 16, size=(1, 71, 2)).astype(f32)
    m = _affine(0, 0, 0, 0, 3.5, -1.25)
    got = onnx_tl(lm, m)
    np.testing.assert_allclose(got, ref_transform_landmarks(lm, m), atol=1e-6)
    assert np.all(got[0, :, 0] == 3.5) and np.all(got[0, :, 1] == -1.25)
