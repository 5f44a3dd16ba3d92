"""Plain-ONNX equivalents of MediaPipe's TFLite custom ops.

face_landmark_with_attention.tflite uses three custom ops that ONNX has no
counterpart for (MediaPipe's kernels live in mediapipe/util/tflite/operations/):

* Landmarks2TransformMatrix (version 2): [1,N,3] landmarks -> [1,4,4] matrix
* TransformTensorBilinear (version 2): [1,H,W,C] features + [1,4,4] -> [1,oh,ow,C]
* TransformLandmarks (version 2): [1,N,2|3] landmarks + [1,4,4] -> same shape

Each ``build_*`` function below writes the op as a handful of standard ONNX
nodes (opset 17) through an *emitter*, so the same code serves the converter
(tf2onnx graph, see tools/convert_models.py) and the standalone op tests
(plain ``onnx.helper`` graph, see test/test_attention_ops.py).

An emitter has two methods:
    const(array) -> tensor name
    op(op_type, inputs, outputs=None, **attrs) -> name of the first output
This module imports only numpy (``OnnxHelperEmitter`` imports onnx lazily).
"""
from __future__ import annotations

import numpy as np

F32 = np.float32


def _f(values):
    return np.asarray(values, dtype=F32)


def _i(values):
    return np.asarray(values, dtype=np.int64)


def build_landmarks_to_transform_matrix(em, landmarks, output, *, subset_idxs,
                                        left_rotation_idx, right_rotation_idx,
                                        target_rotation_radians, output_height,
                                        output_width, scale_x, scale_y):
    """Landmarks2TransformMatrix v2.

    MediaPipe (landmarks_to_transform_matrix.cc, v2):
      theta = atan2(ry - ly, rx - lx); r = target - theta
      rotate the subset points by r, take their bounding box (w, h, centre),
      rotate the centre back by -r, and return
      T = Shift(centre) * Rot(-r) * Scale(sx*w/ow, sy*h/oh) * Shift(-ow/2, -oh/2).
    cos(theta), sin(theta) are taken from the normalised vector instead of
    atan2; a zero-length vector gives theta = 0 like atan2(0, 0).
    The flexbuffer parser pairs subset_idxs and duplicates an odd last index,
    so the set of points used is exactly the flat index list.
    """
    idx = [int(v) for v in subset_idxs]
    xy = em.op("Slice", [landmarks, em.const(_i([0])), em.const(_i([2])),
                         em.const(_i([2]))])                       # [1,N,2]
    left = em.op("Gather", [xy, em.const(_i([int(left_rotation_idx)]))], axis=1)
    right = em.op("Gather", [xy, em.const(_i([int(right_rotation_idx)]))], axis=1)
    d = em.op("Sub", [right, left])                                # [1,1,2]
    len2 = em.op("ReduceSum", [em.op("Mul", [d, d]), em.const(_i([-1]))],
                 keepdims=1)                                       # [1,1,1]
    length = em.op("Sqrt", [len2])
    zero = em.const(_f(0.0))
    is_zero = em.op("Equal", [length, zero])
    safe_len = em.op("Where", [is_zero, em.const(_f(1.0)), length])
    cs = em.op("Div", [d, safe_len])                               # (cos t, sin t) or (0,0)
    deg = em.op("Mul", [em.op("Cast", [is_zero], to=1), em.const(_f([1.0, 0.0]))])
    cs = em.op("Add", [cs, deg])                                   # (1,0) when degenerate
    # r = target - theta:  cos r = ct*c + st*s ; sin r = st*c - ct*s
    ct = float(np.cos(target_rotation_radians))
    st = float(np.sin(target_rotation_radians))
    cs_r = em.op("MatMul", [cs, em.const(_f([[ct, st], [st, -ct]]))])   # [1,1,2] (cr, sr)
    # rt = [[cr, sr], [-sr, cr]] = Rot(-r) ;  rot = rt^T = Rot(r)
    rt = em.op("Reshape", [em.op("MatMul", [cs_r, em.const(_f([[1, 0, 0, 1], [0, 1, -1, 0]]))]),
                           em.const(_i([1, 2, 2]))])
    rot = em.op("Reshape", [em.op("MatMul", [cs_r, em.const(_f([[1, 0, 0, 1], [0, -1, 1, 0]]))]),
                            em.const(_i([1, 2, 2]))])
    pts = em.op("Gather", [xy, em.const(_i(idx))], axis=1)         # [1,K,2]
    # Rot(r) applied to row vectors: p' = p @ Rot(r)^T = p @ rt
    rotated = em.op("MatMul", [pts, rt])
    mx = em.op("ReduceMax", [rotated], axes=[1], keepdims=1)       # [1,1,2]
    mn = em.op("ReduceMin", [rotated], axes=[1], keepdims=1)
    size = em.op("Sub", [mx, mn])                                  # (w, h)
    centre_rot = em.op("Mul", [em.op("Add", [mx, mn]), em.const(_f(0.5))])
    s_xy = em.op("Mul", [size, em.const(_f([float(scale_x) / float(output_width),
                                               float(scale_y) / float(output_height)]))])
    a = em.op("Mul", [rt, s_xy])                                   # Rot(-r) * Scale, [1,2,2]
    shift2 = em.const(_f([-float(output_width) / 2.0, -float(output_height) / 2.0]))
    # t = Rot(-r) (s*shift2) + Rot(-r) centre_rot  (centre = Rot(-r) centre_rot)
    t = em.op("MatMul", [em.op("Add", [em.op("Mul", [s_xy, shift2]), centre_rot]), rot])  # [1,1,2]
    t_col = em.op("Reshape", [t, em.const(_i([1, 2, 1]))])
    top = em.op("Concat", [a, em.const(np.zeros((1, 2, 1), F32)), t_col], axis=2)  # [1,2,4]
    bottom = em.const(_f([[[0, 0, 1, 0], [0, 0, 0, 1]]]))
    return em.op("Concat", [top, bottom], outputs=[output], axis=1)


def _affine_parts(em, matrix):
    """A = M[:, :2, :2] transposed ([1,2,2]) and t = M[:, :2, 3] as [1,1,2]."""
    a = em.op("Slice", [matrix, em.const(_i([0, 0])), em.const(_i([2, 2])), em.const(_i([1, 2]))])
    a_t = em.op("Transpose", [a], perm=[0, 2, 1])
    t = em.op("Slice", [matrix, em.const(_i([0, 3])), em.const(_i([2, 4])), em.const(_i([1, 2]))])
    t = em.op("Reshape", [t, em.const(_i([1, 1, 2]))])
    return a_t, t


def build_transform_tensor_bilinear(em, features, matrix, output, *, input_height,
                                    input_width, output_height, output_width):
    """TransformTensorBilinear v2.

    MediaPipe (transform_tensor_bilinear.cc, v2): for output pixel (x, y) the
    sample point is tc = M[:2,:2] (x+0.5, y+0.5) + M[:2,3] - 0.5 (its
    half-pixel correction); the result is 0 when tc is outside
    [0, W-1] x [0, H-1], else the bilinear blend of the 4 neighbours with
    out-of-range neighbours read as 0.  That is GridSample(bilinear, zeros,
    align_corners=1) at grid = tc * 2/(size-1) - 1, times an in-bounds mask.
    """
    h, w = int(input_height), int(input_width)
    oh, ow = int(output_height), int(output_width)
    ys, xs = np.meshgrid(np.arange(oh, dtype=F32), np.arange(ow, dtype=F32), indexing="ij")
    grid_px = np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], axis=-1)      # [P,2]
    a_t, t = _affine_parts(em, matrix)
    tc = em.op("Add", [em.op("MatMul", [em.const(grid_px.astype(F32)), a_t]),
                       em.op("Sub", [t, em.const(_f(0.5))])])             # [1,P,2]
    lim = _f([w - 1, h - 1])
    inb = em.op("And", [em.op("GreaterOrEqual", [tc, em.const(_f(0.0))]),
                        em.op("LessOrEqual", [tc, em.const(lim)])])
    mask = em.op("ReduceMin", [em.op("Cast", [inb], to=1)], axes=[2], keepdims=1)  # [1,P,1]
    mask = em.op("Reshape", [mask, em.const(_i([1, oh, ow, 1]))])
    scale = _f([2.0 / max(w - 1, 1), 2.0 / max(h - 1, 1)])
    grid = em.op("Sub", [em.op("Mul", [tc, em.const(scale)]), em.const(_f(1.0))])
    grid = em.op("Reshape", [grid, em.const(_i([1, oh, ow, 2]))])
    nchw = em.op("Transpose", [features], perm=[0, 3, 1, 2])
    sampled = em.op("GridSample", [nchw, grid], mode="bilinear", padding_mode="zeros",
                    align_corners=1)                                       # [1,C,oh,ow]
    nhwc = em.op("Transpose", [sampled], perm=[0, 2, 3, 1])
    return em.op("Mul", [nhwc, mask], outputs=[output])


def build_transform_landmarks(em, landmarks, matrix, output, *, dimensions):
    """TransformLandmarks v2: (x, y) -> M[:2,:2] (x, y) + M[:2,3]; z kept."""
    a_t, t = _affine_parts(em, matrix)
    dims = int(dimensions)
    if dims == 2:
        return em.op("Add", [em.op("MatMul", [landmarks, a_t]), t], outputs=[output])
    if dims != 3:
        raise ValueError(f"TransformLandmarks: unsupported dimensions {dims}")
    xy = em.op("Slice", [landmarks, em.const(_i([0])), em.const(_i([2])), em.const(_i([2]))])
    z = em.op("Slice", [landmarks, em.const(_i([2])), em.const(_i([3])), em.const(_i([2]))])
    xy2 = em.op("Add", [em.op("MatMul", [xy, a_t]), t])
    return em.op("Concat", [xy2, z], outputs=[output], axis=2)


class OnnxHelperEmitter:
    """Collects nodes and initializers with onnx.helper (used by the tests)."""

    def __init__(self, prefix="op"):
        import onnx  # noqa: F401  (lazy: the runtime venv does not need onnx)
        self.prefix = prefix
        self.nodes = []
        self.initializers = []
        self._n = 0

    def _name(self, kind):
        self._n += 1
        return f"{self.prefix}/{kind}_{self._n}"

    def const(self, array):
        from onnx import numpy_helper
        name = self._name("const")
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, outputs=None, **attrs):
        from onnx import helper
        if outputs is None:
            outputs = [self._name(op_type)]
        self.nodes.append(helper.make_node(op_type, list(inputs), list(outputs),
                                           name=self._name(op_type + "_node"), **attrs))
        return outputs[0]


def make_standalone_model(build, inputs, output, output_shape, opset=17, **kwargs):
    """Build a one-op ONNX model: inputs is [(name, shape)], all float32."""
    import onnx
    from onnx import helper, TensorProto
    em = OnnxHelperEmitter("standalone")
    build(em, *[n for n, _ in inputs], output, **kwargs)
    graph = helper.make_graph(
        em.nodes, "standalone",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(s)) for n, s in inputs],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, list(output_shape))],
        initializer=em.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
