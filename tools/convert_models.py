#!/usr/bin/env python3
"""Convert MediaPipe Holistic's TFLite models to ONNX (offline developer step).

Run it in the converter venv (tools/requirements-convert.txt):

    .venv-convert/bin/python tools/convert_models.py [--output-dir models]
        [--cache-dir DIR] [--wheel PATH] [--extra-tflite-dir DIR]
        [--only NAME ...] [--measure-prelu]

What it does, per model:
  1. takes the .tflite straight out of the mediapipe==0.10.21 wheel (fetched
     with `pip download --no-deps` into --cache-dir, sha256 checked), or from
     --extra-tflite-dir for the user-supplied pose_landmark_lite/heavy;
  2. if the flatbuffer has sparse weights (DENSIFY ops, pose_detection),
     rewrites it with dense weights and without DENSIFY;
  3. converts with tf2onnx (opset 17), turning MediaPipe's custom ops
     (face_landmark_with_attention) into plain ONNX via tools/mp_custom_ops.py;
  4. renames the graph input to "input" (static [1,H,W,3]) and the outputs to
     the canonical names the core code uses; optionally rewrites PRelu as
     Relu(x) + s*Min(x,0) where that was measured to be faster in ONNX Runtime;
  5. checks with onnx.checker, loads in ONNX Runtime, compares against the
     TFLite interpreter on random input where TF can run the model;
  6. writes <output-dir>/<name>.onnx and <output-dir>/manifest.json.

Speed variants, made from the converted ONNX graph (not from TFLite):
  - every pose landmark model also gets <name>_no_segmentation.onnx: the same
    graph without the `segmentation` output and the nodes only it uses (ONNX
    Runtime runs every node whether or not an output is asked for); the other
    four outputs are bit-identical, checked here on random input;
  - models in DYNAMIC_BATCH (hand_landmark_full; for several people the pose
    and face landmark models) get a symbolic batch dimension "N" on the input
    and outputs, so both hands (every person's crop) run in one inference;
    checked: batch 1 with N fixed to 1 bit-identical to the static graph (N
    left symbolic: the difference is recorded), batch 2 equal to two batch-1
    runs, and the static graph rebuilt from the file byte for byte.
`--measure-variants` times them (ORT CPU, 1 and 2 threads, no spinning) on the
files in --output-dir; it needs only onnx + onnxruntime.

Hand gesture models (convert_gesture_model): MediaPipe's gesture_embedder and
canned_gesture_classifier, taken from the mediapipe-model-maker==0.1.0.2 wheel
(the mediapipe wheel has neither; later model-maker releases download them at
run time), fetched with `pip download --no-deps` and sha256 checked like the
mediapipe wheel. The embedder has three inputs, so it keeps its own input names
(GESTURE_MODELS); both are compared with the TFLite interpreter on random input.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import mp_custom_ops  # noqa: E402

CONVERTER_VERSION = "1.0.0"
OPSET = 17

MP_VERSION = "0.10.21"
WHEEL_NAME = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"
PIP_PLATFORM_ARGS = ["--only-binary=:all:", "--platform", "manylinux_2_28_x86_64",
                     "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311"]

_POSE_LANDMARK_OUTPUTS = ["landmarks", "pose_flag", "segmentation", "heatmap", "world_landmarks"]

# name -> (path inside the wheel or None for user-supplied, canonical output
# names in the TFLite subgraph's output order). The output order is the one
# MediaPipe's graphs split the tensors in (SplitTensorVectorCalculator ranges
# in mediapipe/modules/*/*.pbtxt), checked against tensor names and shapes.
MODELS = {
    "pose_detection": ("mediapipe/modules/pose_detection/pose_detection.tflite",
                       ["regressors", "classificators"]),
    "pose_landmark_full": ("mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
                           _POSE_LANDMARK_OUTPUTS),
    "face_detection_short_range": (
        "mediapipe/modules/face_detection/face_detection_short_range.tflite",
        ["regressors", "classificators"]),
    "face_landmark": ("mediapipe/modules/face_landmark/face_landmark.tflite",
                      ["landmarks", "face_flag"]),
    # tensors_to_face_landmarks_with_attention.pbtxt: mesh, lips, left eye,
    # right eye, left iris, right iris; face_landmark_cpu.pbtxt: then the flag.
    "face_landmark_with_attention": (
        "mediapipe/modules/face_landmark/face_landmark_with_attention.tflite",
        ["mesh", "lips", "left_eye", "right_eye", "left_iris", "right_iris", "face_flag"]),
    "hand_recrop": ("mediapipe/modules/holistic_landmark/hand_recrop.tflite", ["keypoints"]),
    "hand_landmark_full": ("mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
                           ["landmarks", "hand_flag", "handedness", "world_landmarks"]),
    # Hands without a body (issue 17): the palm detector of MediaPipe Hands and of the
    # Tasks HandLandmarker / GestureRecognizer (its hand_detector.tflite).
    # modules/palm_detection/palm_detection_cpu.pbtxt: boxes + 7 keypoints, then scores.
    "palm_detection_full": ("mediapipe/modules/palm_detection/palm_detection_full.tflite",
                            ["regressors", "classificators"]),
}
EXTRA_MODELS = {  # user-supplied (the wheel does not ship them)
    "pose_landmark_lite": _POSE_LANDMARK_OUTPUTS,
    "pose_landmark_heavy": _POSE_LANDMARK_OUTPUTS,
}
# Pose landmark models get a <name>_no_segmentation variant (derive_without_outputs).
NO_SEGMENTATION_MODELS = {"pose_landmark_full", "pose_landmark_lite", "pose_landmark_heavy"}
NO_SEGMENTATION_OUTPUTS = ["landmarks", "pose_flag", "heatmap", "world_landmarks"]
NO_SEGMENTATION_DERIVATION = "segmentation output and the nodes only it uses removed"

# Models whose batch dimension is made symbolic ("N"), replacing the static
# batch-1 file in place. Decided by measurement (models/README.md): batch-1
# outputs are bit-identical to the static graph and batch-1 speed is unchanged,
# so a separate *_batched file would only duplicate it.
DYNAMIC_BATCH = {
    "hand_landmark_full": ("in place: the file takes batch N; batch-1 outputs bit-identical to "
                           "the static batch-1 graph, batch-1 speed unchanged, one batch-2 run "
                           "replaces two batch-1 runs (models/README.md)"),
}
# Several people (Holistic(max_num_people=N)): every person's pose crop in one
# run, every face crop in one run. Same checks as the hand model; their
# pose_landmark_*_no_segmentation variants inherit the batch dimension. With
# the batch left symbolic the pose model's segmentation output moves by ~5e-3
# (other kernels), so Holistic fixes N to 1 for one person (check_batched).
_MULTI_PERSON_BATCH = ("in place, for several people: the file takes batch N (one crop per person); "
                       "with N fixed to 1 (as Holistic loads it for one person) outputs bit-identical "
                       "to the static batch-1 graph; one batch-N run equals N batch-1 runs")
DYNAMIC_BATCH.update({name: _MULTI_PERSON_BATCH for name in (
    "pose_landmark_full", "pose_landmark_lite", "pose_landmark_heavy", "face_landmark")})
# face_landmark_with_attention stays static: tools/mp_custom_ops.py builds its
# Landmarks2TransformMatrix with batch-1 constants (a Concat fails at batch 2).
BATCH_DIM = "N"

# Expected TFLite output tensor names, to catch a reordered model early.
EXPECTED_TFLITE_OUTPUTS = {
    "face_landmark_with_attention": ["output_mesh_identity", "output_lips", "output_left_eye",
                                     "output_right_eye", "output_left_iris", "output_right_iris",
                                     "conv_faceflag"],
}

# PRelu -> Relu(x) + s*Min(x,0), decided per model by measurement with ONNX
# Runtime CPU, 2 intra-op threads (`--measure-prelu` re-measures; the numbers
# are in models/README.md). Models without PRelu are False.
PRELU_REWRITE = {
    "pose_detection": False,
    "pose_landmark_full": False,
    "pose_landmark_lite": False,
    "pose_landmark_heavy": False,
    "face_detection_short_range": False,
    "face_landmark": True,
    "face_landmark_with_attention": True,
    "hand_recrop": True,
    "hand_landmark_full": False,
    "palm_detection_full": True,
}

# Hand gesture models: mediapipe-model-maker's wheel is pure Python (py3-none-any).
MODEL_MAKER_VERSION = "0.1.0.2"
MODEL_MAKER_WHEEL_NAME = f"mediapipe_model_maker-{MODEL_MAKER_VERSION}-py3-none-any.whl"
MODEL_MAKER_WHEEL_SHA256 = "eb106b1f94a9984ffdef0f50f84e4e61aab27a8906df7fad63f34d35fba3a187"
_GESTURE_DIR = "mediapipe_model_maker/models/gesture_recognizer/"
# name -> (path in the wheel, {TFLite input name: canonical name} in TFLite input
# order, canonical output names). The embedder's three inputs are the tensors
# hand_gesture_recognizer_graph.cc concatenates (ConcatenateTensorVectorCalculator:
# landmarks, handedness, world landmarks); checked against the TFLite names.
GESTURE_MODELS = {
    "gesture_embedder": (_GESTURE_DIR + "gesture_embedder.tflite",
                         {"hand": "hand_landmarks", "handedness": "handedness",
                          "world_hand": "hand_world_landmarks"},
                         ["embedding"]),
    "canned_gesture_classifier": (_GESTURE_DIR + "canned_gesture_classifier.tflite",
                                  {"hand_embedding": "embedding"},
                                  ["scores"]),
}


def log(*args):
    print(*args, flush=True)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------
# 1. Source wheel
# --------------------------------------------------------------------------
def checked_wheel(cache_dir: Path, wheel: Path | None, name: str, requirement: str, sha256: str,
                  pip_args: tuple = ()) -> Path:
    """``wheel``, or ``requirement`` downloaded (no dependencies) into ``cache_dir`` as
    ``name``; its sha256 must be ``sha256``."""
    if wheel is None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        wheel = cache_dir / name
        if not wheel.exists():
            log(f"downloading {requirement} into {cache_dir}")
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", requirement, *pip_args,
                            "-d", str(cache_dir)], check=True)
    digest = sha256_file(wheel)
    if digest != sha256:
        raise SystemExit(f"{wheel}: sha256 {digest} != expected {sha256}")
    log(f"wheel {wheel} sha256 ok")
    return wheel


def get_wheel(cache_dir: Path, wheel: Path | None) -> Path:
    return checked_wheel(cache_dir, wheel, WHEEL_NAME, f"mediapipe=={MP_VERSION}", WHEEL_SHA256,
                         tuple(PIP_PLATFORM_ARGS))


# --------------------------------------------------------------------------
# 2. Sparse weights -> dense (DENSIFY removal)
# --------------------------------------------------------------------------
def _index_vector(vec):
    return np.asarray(vec.values, dtype=np.int64)


def densify_values(shape, sparsity, values):
    """Dense array from TFLite sparse storage (the FormatConverter algorithm).

    dimMetadata is in traversal order; traversal order may list block
    dimensions (index >= rank) that map to original dimensions via blockMap.
    """
    from tensorflow.lite.python import schema_py_generated as S
    rank = len(shape)
    order = [int(v) for v in sparsity.traversalOrder]
    block_map = [int(v) for v in (sparsity.blockMap if sparsity.blockMap is not None else [])]
    meta = sparsity.dimMetadata
    block_size = {}
    for lvl, d in enumerate(order):
        if d >= rank:
            block_size[block_map[d - rank]] = int(meta[lvl].denseSize)
    out = np.zeros(shape, dtype=values.dtype)
    coords = [0] * len(order)
    pos_in_values = [0]

    def emit():
        idx = []
        for d in range(rank):
            c = coords[d]
            if d in block_size:
                c = c * block_size[d] + coords[rank + block_map.index(d)]
            idx.append(c)
        out[tuple(idx)] = values[pos_in_values[0]]
        pos_in_values[0] += 1

    def walk(level, prev):
        if level == len(order):
            emit()
            return
        d, m = order[level], meta[level]
        if m.format == S.DimensionType.DENSE:
            n = int(m.denseSize)
            for i in range(n):
                coords[d] = i
                walk(level + 1, prev * n + i)
        else:
            seg = _index_vector(m.arraySegments)
            ind = _index_vector(m.arrayIndices)
            for j in range(seg[prev], seg[prev + 1]):
                coords[d] = int(ind[j])
                walk(level + 1, j)

    walk(0, 0)
    if pos_in_values[0] != values.size:
        raise ValueError(f"densify: used {pos_in_values[0]} of {values.size} values")
    return out


_TFL_NP = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 9: np.int8}


def densify_tflite(buf: bytes) -> tuple[bytes, int]:
    """Rewrite a TFLite flatbuffer without sparse tensors and DENSIFY ops."""
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as S
    model = S.ModelT.InitFromObj(S.Model.GetRootAsModel(bytearray(buf), 0))
    densify_codes = {i for i, oc in enumerate(model.operatorCodes)
                     if max(oc.builtinCode, oc.deprecatedBuiltinCode) == S.BuiltinOperator.DENSIFY}
    removed = 0
    for sg in model.subgraphs:
        keep = []
        rename = {}
        for op in sg.operators:
            if op.opcodeIndex not in densify_codes:
                keep.append(op)
                continue
            src, dst = int(op.inputs[0]), int(op.outputs[0])
            t = sg.tensors[src]
            if t.sparsity is None:
                raise ValueError("DENSIFY input without sparsity parameters")
            shape = [int(v) for v in t.shape]
            values = np.frombuffer(bytes(bytearray(model.buffers[t.buffer].data)),
                                   dtype=_TFL_NP[t.type])
            dense = densify_values(shape, t.sparsity, values)
            new_buf = S.BufferT()
            new_buf.data = np.frombuffer(dense.tobytes(), dtype=np.uint8)
            model.buffers.append(new_buf)
            t.buffer = len(model.buffers) - 1
            t.sparsity = None
            rename[dst] = src
            removed += 1
        for op in keep:
            op.inputs = [rename.get(int(i), int(i)) for i in op.inputs]
        sg.outputs = [rename.get(int(i), int(i)) for i in sg.outputs]
        sg.operators = keep
    builder = flatbuffers.Builder(len(buf) * 2)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output()), removed


# --------------------------------------------------------------------------
# 3. tf2onnx with custom-op handlers
# --------------------------------------------------------------------------
class Tf2OnnxEmitter:
    def __init__(self, ctx, prefix):
        from tf2onnx import utils
        self.ctx, self.prefix, self.utils = ctx, prefix, utils

    def const(self, array):
        return self.ctx.make_const(self.utils.make_name(self.prefix + "/c"), np.asarray(array)).output[0]

    def op(self, op_type, inputs, outputs=None, **attrs):
        node = self.ctx.make_node(op_type, list(inputs), attr=attrs, outputs=outputs,
                                  op_name_scope=self.prefix)
        return node.output[0]


def _replace_custom(ctx, node, build, n_inputs, **kwargs):
    inputs = list(node.input)[:n_inputs]
    out = node.output[0]
    shape, dtype = ctx.get_shape(out), ctx.get_dtype(out)
    in_shapes = [ctx.get_shape(i) for i in inputs]
    prefix = node.name
    ctx.remove_node(node.name)
    em = Tf2OnnxEmitter(ctx, prefix)
    build(em, *inputs, out, in_shapes=in_shapes, **kwargs)
    ctx.set_shape(out, shape)
    ctx.set_dtype(out, dtype)


def _h_landmarks_to_transform_matrix(ctx, node, name, args):
    g = node.get_attr_value
    kw = dict(subset_idxs=list(g("subset_idxs")), left_rotation_idx=g("left_rotation_idx"),
              right_rotation_idx=g("right_rotation_idx"),
              target_rotation_radians=g("target_rotation_radians", 0.0),
              output_height=g("output_height"), output_width=g("output_width"),
              scale_x=g("scale_x"), scale_y=g("scale_y"))
    _replace_custom(ctx, node, lambda em, lm, out, in_shapes, **k:
                    mp_custom_ops.build_landmarks_to_transform_matrix(em, lm, out, **k), 1, **kw)


def _h_transform_tensor_bilinear(ctx, node, name, args):
    g = node.get_attr_value
    oh, ow = g("output_height"), g("output_width")

    def build(em, feat, mat, out, in_shapes):
        _, h, w, _ = in_shapes[0]
        mp_custom_ops.build_transform_tensor_bilinear(em, feat, mat, out, input_height=h,
                                                      input_width=w, output_height=oh,
                                                      output_width=ow)
    _replace_custom(ctx, node, build, 2)


def _h_transform_landmarks(ctx, node, name, args):
    # No custom options: MediaPipe takes the dimensions from the last axis.
    def build(em, lm, mat, out, in_shapes):
        mp_custom_ops.build_transform_landmarks(em, lm, mat, out, dimensions=in_shapes[0][-1])
    _replace_custom(ctx, node, build, 2)


CUSTOM_OP_HANDLERS = {
    "TFL_Landmarks2TransformMatrix": (_h_landmarks_to_transform_matrix, []),
    "TFL_TransformTensorBilinear": (_h_transform_tensor_bilinear, []),
    "TFL_TransformLandmarks": (_h_transform_landmarks, []),
}


def tflite_io(buf: bytes):
    from tensorflow.lite.python import schema_py_generated as S
    m = S.Model.GetRootAsModel(bytearray(buf), 0)
    sg = m.Subgraphs(0)
    def info(i):
        t = sg.Tensors(i)
        return t.Name().decode(), [int(v) for v in t.ShapeAsNumpy()]
    return ([info(sg.Inputs(i)) for i in range(sg.InputsLength())],
            [info(sg.Outputs(i)) for i in range(sg.OutputsLength())])


def custom_codes(buf: bytes):
    from tensorflow.lite.python import schema_py_generated as S
    m = S.Model.GetRootAsModel(bytearray(buf), 0)
    return sorted({m.OperatorCodes(i).CustomCode().decode() for i in range(m.OperatorCodesLength())
                   if m.OperatorCodes(i).CustomCode()})


def run_tf2onnx(tflite_path: Path):
    import tf2onnx
    from tf2onnx import utils
    from tf2onnx import optimizer
    utils.INTERNAL_NAME = 1  # same generated names whatever was converted before
    # tf2onnx's duplicate-node merging keeps whichever duplicate it meets first
    # in an unordered walk, so the kept names change from run to run. ONNX
    # Runtime eliminates common subexpressions itself when it loads a model.
    optimizer._optimizers.pop("merge_duplication", None)
    model_proto, _ = tf2onnx.convert.from_tflite(str(tflite_path), opset=OPSET,
                                                 custom_op_handlers=CUSTOM_OP_HANDLERS)
    return model_proto


# --------------------------------------------------------------------------
# 4. Post-processing on the ONNX graph
# --------------------------------------------------------------------------
def rename_value(graph, old, new):
    for n in graph.node:
        for i, v in enumerate(n.input):
            if v == old:
                n.input[i] = new
        for i, v in enumerate(n.output):
            if v == old:
                n.output[i] = new
    for coll in (graph.input, graph.output, graph.value_info):
        for vi in coll:
            if vi.name == old:
                vi.name = new


def set_static_shape(vi, shape):
    dims = vi.type.tensor_type.shape.dim
    del dims[:]
    for s in shape:
        dims.add().dim_value = int(s)


def prelu_rewrite(model):
    """PRelu(x, s) -> Relu(x) + s * Min(x, 0); returns the count rewritten."""
    from onnx import helper, numpy_helper
    g = model.graph
    zero_name = "prelu_rewrite/zero"
    new_nodes, count = [], 0
    for n in g.node:
        if n.op_type != "PRelu":
            new_nodes.append(n)
            continue
        x, s = n.input
        y = n.output[0]
        base = n.name or y
        new_nodes += [
            helper.make_node("Relu", [x], [base + "/relu"], name=base + "/Relu"),
            helper.make_node("Min", [x, zero_name], [base + "/neg"], name=base + "/Min"),
            helper.make_node("Mul", [s, base + "/neg"], [base + "/scaled"], name=base + "/Mul"),
            helper.make_node("Add", [base + "/relu", base + "/scaled"], [y], name=base + "/Add"),
        ]
        count += 1
    if count:
        g.initializer.append(numpy_helper.from_array(np.zeros((), np.float32), zero_name))
        del g.node[:]
        g.node.extend(new_nodes)
    return count


def store_weights_fp16(model, min_elements=1024):
    """Store large float32 initializers that are exactly fp16 values as fp16 + Cast.

    MediaPipe keeps most weights as fp16 behind DEQUANTIZE; tf2onnx folds them
    to float32, doubling the file size. Only initializers whose every value
    round-trips fp32 -> fp16 -> fp32 exactly are changed, so the numbers the
    graph computes with are bit-identical; ONNX Runtime folds the Cast when it
    loads the model. Returns the count changed.
    """
    from onnx import helper, numpy_helper
    g = model.graph
    casts, keep, count = [], [], 0
    for init in g.initializer:
        a = numpy_helper.to_array(init)
        if (a.dtype == np.float32 and a.size >= min_elements
                and np.array_equal(a.astype(np.float16).astype(np.float32), a)):
            half = init.name + "__fp16"
            keep.append(numpy_helper.from_array(a.astype(np.float16), half))
            casts.append(helper.make_node("Cast", [half], [init.name], name=init.name + "__cast",
                                          to=1))
            count += 1
        else:
            keep.append(init)
    if count:
        del g.initializer[:]
        g.initializer.extend(keep)
        nodes = casts + list(g.node)
        del g.node[:]
        g.node.extend(nodes)
    return count


def canonicalize_names(model):
    """Deterministic node order and names (reproducible output files).

    tf2onnx numbers the names it makes up ("conv2d__176") with a global
    counter and its topological sort is not stable, so two runs give
    different files for the same graph. Here the nodes are put in the
    post-order of a depth-first walk from the graph outputs (inputs in order),
    made-up names are renumbered by position, and each initializer is named
    after its first consumer. TFLite's own names are kept.
    """
    g = model.graph
    generated = re.compile(r"__\d+")
    producer = {o: n for n in g.node for o in n.output}
    order, state = [], {}
    for out in [o.name for o in g.output]:
        stack = [(producer.get(out), 0)]
        while stack:
            node, k = stack.pop()
            if node is None or (k == 0 and id(node) in state):
                continue
            state[id(node)] = 1
            if k < len(node.input):
                stack.append((node, k + 1))
                dep = producer.get(node.input[k])
                if dep is not None and id(dep) not in state:
                    stack.append((dep, 0))
            else:
                order.append(node)
    order += [n for n in g.node if id(n) not in state]  # unreachable (normally none)
    keep = {v.name for v in g.input} | {v.name for v in g.output}
    inits = {i.name for i in g.initializer}
    value_map = {}
    for i, n in enumerate(order):
        if generated.search(n.name):
            n.name = f"{generated.sub('', n.name)}__{i}"
        for k, v in enumerate(n.output):
            if v not in keep and generated.search(v):
                value_map[v] = f"{n.name}/out{k}"
    for n in order:
        for j, v in enumerate(n.input):
            if v in inits and v not in keep and v not in value_map:
                value_map[v] = f"{n.name}/arg{j}"
    if len(set(value_map.values())) != len(value_map):
        raise ValueError("canonicalize_names: name clash")
    for n in order:
        n.input[:] = [value_map.get(v, v) for v in n.input]
        n.output[:] = [value_map.get(v, v) for v in n.output]
    for i in g.initializer:
        i.name = value_map.get(i.name, i.name)
    del g.value_info[:]  # stale after renaming; ORT infers shapes itself
    nodes = [type(n)() for n in order]
    for c, n in zip(nodes, order):
        c.CopyFrom(n)
    del g.node[:]
    g.node.extend(nodes)
    ordered = sorted(g.initializer, key=lambda t: t.name)
    copies = [type(t)() for t in ordered]
    for c, t in zip(copies, ordered):
        c.CopyFrom(t)
    del g.initializer[:]
    g.initializer.extend(copies)


# Ops whose behaviour depends on a shape given as data: with a symbolic batch
# their constant shapes must not pin the batch to 1.
_SHAPE_INPUT_OPS = {"Reshape": 1, "Expand": 1, "Tile": 1, "ConstantOfShape": 0, "Resize": 3}


def make_batch_dynamic(model, dim=BATCH_DIM, changed_names=None):
    """Symbolic batch dimension on the graph input and outputs.

    tf2onnx writes batch 1 everywhere. Reshape shape constants that start with
    the batch (1) are changed to 0 ("copy the input's dimension"), which keeps
    the batch of the tensor being reshaped; any other op that takes a constant
    shape is refused, since it would pin the batch. Returns the count of
    Reshape constants changed; their names are appended to ``changed_names``
    when given (what :func:`static_batch1_graph` needs to undo the change).
    """
    from onnx import numpy_helper
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    consumers = {}
    for n in g.node:
        for v in n.input:
            consumers.setdefault(v, []).append(n)
    changed = 0
    for n in g.node:
        k = _SHAPE_INPUT_OPS.get(n.op_type)
        if k is None or len(n.input) <= k or not n.input[k]:
            continue
        src = n.input[k]
        if n.op_type == "Resize" and src in inits and numpy_helper.to_array(inits[src]).size == 0:
            continue  # empty sizes: scales are used
        if src not in inits:
            raise ValueError(f"make_batch_dynamic: {n.op_type} {n.name} shape {src} is not a constant")
        if n.op_type != "Reshape" or any(a.name == "allowzero" and a.i for a in n.attribute):
            raise ValueError(f"make_batch_dynamic: {n.op_type} {n.name} has a constant shape")
        shape = numpy_helper.to_array(inits[src])
        if shape.size and shape[0] == 1:
            if len(consumers[src]) != 1:
                raise ValueError(f"make_batch_dynamic: shared shape constant {src}")
            shape = shape.copy()
            shape[0] = 0
            inits[src].CopyFrom(numpy_helper.from_array(shape, src))
            changed += 1
            if changed_names is not None:
                changed_names.append(src)
    for vi in list(g.input) + list(g.output):
        d = vi.type.tensor_type.shape.dim[0]
        if d.dim_value != 1:
            raise ValueError(f"make_batch_dynamic: {vi.name} batch is {d}")
        d.Clear()
        d.dim_param = dim
    return changed


def static_batch1_graph(model, reshape_constants=()):
    """The static batch-1 graph a dynamic-batch ``model`` was made from.

    Undoes :func:`make_batch_dynamic`: batch 1 on the input and outputs, and a
    leading 1 again in the Reshape constants it set to 0 (``reshape_constants``,
    recorded in the manifest). Returns a new model; for a converted model its
    bytes equal the converter's static graph (the manifest keeps that sha256).
    """
    import onnx
    from onnx import numpy_helper
    out = onnx.ModelProto()
    out.CopyFrom(model)
    for vi in list(out.graph.input) + list(out.graph.output):
        vi.type.tensor_type.shape.dim[0].dim_value = 1
    wanted = set(reshape_constants)
    for init in out.graph.initializer:
        if init.name in wanted:
            shape = numpy_helper.to_array(init).copy()
            if shape[0] != 0:
                raise ValueError(f"static_batch1_graph: {init.name} starts with {shape[0]}, not 0")
            shape[0] = 1
            init.CopyFrom(numpy_helper.from_array(shape, init.name))
            wanted.discard(init.name)
    if wanted:
        raise ValueError(f"static_batch1_graph: no initializers {sorted(wanted)}")
    return out


def derive_without_outputs(model, keep_outputs):
    """Copy of `model` with only `keep_outputs` and the nodes they need.

    Like onnx.utils.Extractor(model).extract_model(["input"], keep_outputs),
    but keeps the node and initializer order, names and model metadata of the
    (canonical) source, so the result is as deterministic as the source.
    """
    import onnx
    out = onnx.ModelProto()
    out.CopyFrom(model)
    g = out.graph
    names = [o.name for o in g.output]
    missing = set(keep_outputs) - set(names)
    if missing:
        raise ValueError(f"derive_without_outputs: no outputs {sorted(missing)}")
    producer = {o: n for n in g.node for o in n.output}
    needed, stack = set(), list(keep_outputs)
    while stack:
        v = stack.pop()
        n = producer.get(v)
        if n is None or id(n) in needed:
            continue
        needed.add(id(n))
        stack.extend(i for i in n.input if i)
    nodes = [n for n in g.node if id(n) in needed]
    used = {i for n in nodes for i in n.input}
    inits = [t for t in g.initializer if t.name in used]
    outputs = [o for o in g.output if o.name in keep_outputs]
    if [o.name for o in outputs] != list(keep_outputs):
        raise ValueError("derive_without_outputs: keep_outputs must be in the model's output order")
    for coll, keep in ((g.node, nodes), (g.initializer, inits), (g.output, outputs)):
        c = [type(x)() for x in keep]
        for a, b in zip(c, keep):
            a.CopyFrom(b)
        del coll[:]
        coll.extend(c)
    return out


def postprocess(model, name, tfl_inputs, tfl_outputs, canonical_outputs, prelu: bool):
    g = model.graph
    if len(g.input) != 1 or len(tfl_inputs) != 1:
        raise ValueError(f"{name}: expected one input")
    in_shape = tfl_inputs[0][1]
    rename_value(g, g.input[0].name, "input")
    set_static_shape(g.input[0], in_shape)
    onnx_out = [o.name for o in g.output]
    tfl_names = [n for n, _ in tfl_outputs]
    if len(onnx_out) != len(canonical_outputs):
        raise ValueError(f"{name}: {len(onnx_out)} outputs, expected {len(canonical_outputs)}")
    for i, (onnx_name, tfl_name) in enumerate(zip(onnx_out, tfl_names)):
        if onnx_name.split(":")[0] != tfl_name:
            raise ValueError(f"{name}: output {i} is {onnx_name}, TFLite says {tfl_name}")
    for onnx_name, canon in zip(onnx_out, canonical_outputs):
        rename_value(g, onnx_name, canon)
    for vi, (_, shape) in zip(g.output, tfl_outputs):
        set_static_shape(vi, shape)
    n_prelu = prelu_rewrite(model) if prelu else 0
    canonicalize_names(model)
    store_weights_fp16(model)
    model.producer_name = "holistic_ros tools/convert_models.py"
    model.producer_version = CONVERTER_VERSION
    model.doc_string = f"MediaPipe {MP_VERSION} {name}, converted with tf2onnx (Apache-2.0)"
    return n_prelu


# --------------------------------------------------------------------------
# 5. Checks
# --------------------------------------------------------------------------
def ort_session(model_bytes: bytes, threads=2):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])


def tflite_outputs(tflite_bytes: bytes, x: np.ndarray):
    return tflite_outputs_multi(tflite_bytes, [x])


def time_session(sess, x, runs=60, rounds=5):
    feed = {"input": x}
    for _ in range(5):
        sess.run(None, feed)
    best = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(runs):
            sess.run(None, feed)
        best.append((time.perf_counter() - t0) / runs * 1000.0)
    return min(best)


def measure_prelu(name, plain: bytes, rewritten: bytes, x):
    a, b = ort_session(plain), ort_session(rewritten)
    ta, tb = [], []
    for _ in range(3):  # interleave to share the machine's noise
        ta.append(time_session(a, x, runs=40, rounds=3))
        tb.append(time_session(b, x, runs=40, rounds=3))
    oa, ob = a.run(None, {"input": x}), b.run(None, {"input": x})
    diff = max(float(np.max(np.abs(p - q))) for p, q in zip(oa, ob))
    log(f"  prelu timing {name}: PRelu {min(ta):.3f} ms, rewritten {min(tb):.3f} ms "
        f"(ratio {min(ta) / min(tb):.2f}x), max|diff| {diff:.3g}")
    return min(ta), min(tb)


# --------------------------------------------------------------------------
def convert_one(name, tflite_bytes, canonical_outputs, out_dir: Path, workdir: Path, args):
    import onnx
    log(f"== {name}")
    tfl_inputs, tfl_outputs = tflite_io(tflite_bytes)
    if name in EXPECTED_TFLITE_OUTPUTS and [n for n, _ in tfl_outputs] != EXPECTED_TFLITE_OUTPUTS[name]:
        raise ValueError(f"{name}: unexpected TFLite outputs {tfl_outputs}")
    conv_bytes, densified = densify_tflite(tflite_bytes)
    if densified:
        log(f"  removed {densified} DENSIFY ops (sparse weights made dense)")
    else:
        conv_bytes = tflite_bytes  # nothing to do: keep the original flatbuffer
    tfl_path = workdir / f"{name}.tflite"
    tfl_path.write_bytes(conv_bytes)
    customs = custom_codes(conv_bytes)
    unknown = set(customs) - {k[4:] for k in CUSTOM_OP_HANDLERS}
    if unknown:
        raise ValueError(f"{name}: custom ops without handlers: {sorted(unknown)}")
    model = run_tf2onnx(tfl_path)
    n_tfl = [n.op_type for n in model.graph.node if n.op_type.startswith("TFL_")]
    if n_tfl:
        raise ValueError(f"{name}: unconverted ops {sorted(set(n_tfl))}")

    prelu = PRELU_REWRITE.get(name, False)
    n_prelu_nodes = sum(n.op_type == "PRelu" for n in model.graph.node)
    rng = np.random.default_rng(0)
    in_shape = tfl_inputs[0][1]
    x = rng.uniform(0.0, 1.0, size=in_shape).astype(np.float32)
    timings = None
    if args.measure_prelu and n_prelu_nodes:
        plain, rew = onnx.ModelProto(), onnx.ModelProto()
        plain.CopyFrom(model)
        rew.CopyFrom(model)
        postprocess(plain, name, tfl_inputs, tfl_outputs, canonical_outputs, False)
        postprocess(rew, name, tfl_inputs, tfl_outputs, canonical_outputs, True)
        timings = measure_prelu(name, plain.SerializeToString(), rew.SerializeToString(), x)
    n_rewritten = postprocess(model, name, tfl_inputs, tfl_outputs, canonical_outputs, prelu)
    if prelu and not n_rewritten:
        raise ValueError(f"{name}: prelu_rewrite set but the graph has no PRelu")
    static = None
    reshape_constants = []
    if name in DYNAMIC_BATCH:
        static = onnx.ModelProto()
        static.CopyFrom(model)
        n_reshape = make_batch_dynamic(model, changed_names=reshape_constants)
        log(f"  batch dimension made symbolic ({BATCH_DIM}), {n_reshape} Reshape constants changed")
    onnx.checker.check_model(model, full_check=True)
    data = model.SerializeToString()
    sess = ort_session(data)
    got = sess.run(None, {"input": x})
    if not customs:  # TF's interpreter can run it: compare on random input
        ref = tflite_outputs(tflite_bytes, x)
        for cname, r, o in zip(canonical_outputs, ref, got):
            if r.shape != o.shape:
                raise ValueError(f"{name}.{cname}: shape {o.shape} != TFLite {r.shape}")
            d = float(np.max(np.abs(r - o)))
            scale = max(1.0, float(np.max(np.abs(r))))
            log(f"  check vs TFLite {cname}: max|diff| {d:.3g} (max|ref| {scale:.3g})")
            if d > 1e-3 * scale:
                raise ValueError(f"{name}.{cname}: differs from TFLite by {d}")
    batch_info = None
    if static is not None:
        batch_info = check_batched(name, static.SerializeToString(), data, sess, canonical_outputs, x, rng,
                                   reshape_constants)
    entries = {name: model_entry(name, out_dir, data, sess, prelu=bool(prelu and n_rewritten))}
    if batch_info:
        entries[name]["dynamic_batch"] = {"dim": BATCH_DIM, "decision": DYNAMIC_BATCH[name],
                                          **batch_info}
    log(f"  wrote {out_dir / (name + '.onnx')} ({len(data)} bytes), PRelu nodes {n_prelu_nodes}, "
        f"rewritten {n_rewritten}")

    if name in NO_SEGMENTATION_MODELS:
        vname = f"{name}_no_segmentation"
        variant = derive_without_outputs(model, NO_SEGMENTATION_OUTPUTS)
        variant.doc_string = (f"{model.doc_string}; {vname}: derived from {name}.onnx, "
                              f"{NO_SEGMENTATION_DERIVATION}")
        onnx.checker.check_model(variant, full_check=True)
        vdata = variant.SerializeToString()
        vsess = ort_session(vdata)
        full = dict(zip(canonical_outputs, got))
        for oname, o in zip(NO_SEGMENTATION_OUTPUTS, vsess.run(None, {"input": x})):
            if not np.array_equal(o, full[oname]):
                d = float(np.max(np.abs(o - full[oname])))
                raise ValueError(f"{vname}.{oname}: differs from {name} by {d}")
        log(f"  {vname}: {len(model.graph.node) - len(variant.graph.node)} of "
            f"{len(model.graph.node)} nodes removed, outputs bit-identical to {name}")
        entries[vname] = model_entry(vname, out_dir, vdata, vsess, prelu=bool(prelu and n_rewritten))
        entries[vname].update({"derived_from": name, "derived_from_sha256": sha256_bytes(data),
                               "derivation": NO_SEGMENTATION_DERIVATION})
        if static is not None:
            entries[vname]["dynamic_batch"] = check_batched_variant(
                vname, variant, vdata, static, vsess, x, rng, reshape_constants, DYNAMIC_BATCH[name])
    return entries, timings


def check_batched_variant(vname, variant, vdata: bytes, static, vsess, x, rng, reshape_constants, decision):
    """The no-segmentation variant of a dynamic-batch model: the same checks
    against the variant derived from the static graph."""
    static_variant = derive_without_outputs(static, NO_SEGMENTATION_OUTPUTS)
    static_variant.doc_string = variant.doc_string
    kept = {t.name for t in variant.graph.initializer}
    constants = [c for c in reshape_constants if c in kept]
    info = check_batched(vname, static_variant.SerializeToString(), vdata, vsess, NO_SEGMENTATION_OUTPUTS, x,
                         rng, constants)
    return {"dim": BATCH_DIM, "decision": decision, **info}


def _session_batch_fixed(model_bytes: bytes, batch: int, threads=2):
    """An ONNX Runtime session with the symbolic batch dimension fixed to ``batch``
    (a free dimension override): how Holistic runs a dynamic-batch model for one person."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.add_free_dimension_override_by_name(BATCH_DIM, batch)
    return ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])


def check_batched(name, static_data: bytes, data: bytes, sess, canonical_outputs, x, rng, reshape_constants=()):
    """Batch 1 bit-identical to the static graph; batch 2 == two batch-1 runs.

    Batch 1 is compared twice: with the batch dimension fixed to 1 (a free
    dimension override, as Holistic loads these models for one person) it must
    be bit-identical; left symbolic, ONNX Runtime may pick other kernels (the
    pose model's segmentation head), so the difference is recorded and must stay
    within the TFLite check's tolerance. Also checks that
    :func:`static_batch1_graph` rebuilds the static graph from the dynamic one
    byte for byte, which is what lets the tests (and ``--measure-variants``)
    compare against the original static graph."""
    import onnx
    rebuilt = static_batch1_graph(onnx.load_from_string(data), reshape_constants)
    if rebuilt.SerializeToString() != static_data:
        raise ValueError(f"{name}: static_batch1_graph does not rebuild the static graph")
    ref = ort_session(static_data).run(None, {"input": x})
    for cname, r, o in zip(canonical_outputs, ref, _session_batch_fixed(data, 1).run(None, {"input": x})):
        if not np.array_equal(r, o):
            raise ValueError(f"{name}.{cname}: batch 1 (N fixed to 1) differs from the static graph by "
                             f"{float(np.max(np.abs(r - o)))}")
    unfixed = {}
    for cname, r, o in zip(canonical_outputs, ref, sess.run(None, {"input": x})):
        d = float(np.max(np.abs(r - o)))
        if d > 1e-3 * max(1.0, float(np.max(np.abs(r)))):
            raise ValueError(f"{name}.{cname}: batch 1 (N symbolic) differs from the static graph by {d}")
        if d:
            unfixed[cname] = d
    x2 = rng.uniform(0.0, 1.0, size=x.shape).astype(np.float32)
    one = [np.concatenate(p) for p in zip(sess.run(None, {"input": x}), sess.run(None, {"input": x2}))]
    two = sess.run(None, {"input": np.concatenate([x, x2])})
    diff = 0.0
    for cname, a, b in zip(canonical_outputs, one, two):
        if a.shape != b.shape:
            raise ValueError(f"{name}.{cname}: batch 2 shape {b.shape} != {a.shape}")
        diff = max(diff, float(np.max(np.abs(a - b))))
    log(f"  batch 1 (N fixed to 1) bit-identical to the static graph; N symbolic: "
        f"{unfixed or 'bit-identical'}; batch 2 vs two batch-1 runs: max|diff| {diff:.3g}")
    if diff > 1e-5:
        raise ValueError(f"{name}: batch 2 differs from two batch-1 runs by {diff}")
    return {"static_batch1_sha256": sha256_bytes(static_data), "reshape_constants": list(reshape_constants),
            "batch1_symbolic_max_diff": unfixed}


def model_entry(name, out_dir: Path, data: bytes, sess, prelu: bool):
    for v in sess.get_inputs() + sess.get_outputs():
        if v.type != "tensor(float)":
            raise ValueError(f"{name}: {v.name} is {v.type}")

    def io(vals):
        return [{"name": v.name, "shape": list(v.shape), "dtype": "float32"} for v in vals]
    out_path = out_dir / f"{name}.onnx"
    out_path.write_bytes(data)
    return {
        "file": out_path.name,
        "sha256": sha256_bytes(data),
        "bytes": len(data),
        "prelu_rewrite": prelu,
        "inputs": io(sess.get_inputs()),
        "outputs": io(sess.get_outputs()),
    }


def _timing_session(model_bytes: bytes, threads: int):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")  # as holistic_ros/models.py
    return ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])


def _median_ms(cases, rounds):
    """cases: {label: callable}; alternating rounds (shared machine noise); median ms each."""
    for f in cases.values():
        for _ in range(5):
            f()
    times = {k: [] for k in cases}
    for _ in range(rounds):
        for k, f in cases.items():
            t0 = time.perf_counter()
            f()
            times[k].append((time.perf_counter() - t0) * 1000.0)
    return {k: float(np.median(v)) for k, v in times.items()}


def measure_variants(out_dir: Path, rounds: int):
    """Time the speed variants in out_dir with ONNX Runtime CPU, 1 and 2 threads."""
    import onnx
    import onnxruntime as ort
    manifest = json.loads((out_dir / "manifest.json").read_text())["models"]
    rng = np.random.default_rng(0)
    log(f"onnxruntime {ort.__version__}, CPU, intra_op threads 1/2, allow_spinning=0, "
        f"median of {rounds} alternating rounds (ms)")
    for name, entry in manifest.items():
        if "dynamic_batch" not in entry:
            continue
        data = (out_dir / entry["file"]).read_bytes()
        sdata = static_batch1_graph(onnx.load_from_string(data),
                                    entry["dynamic_batch"].get("reshape_constants", ())).SerializeToString()
        same = sha256_bytes(sdata) == entry["dynamic_batch"].get("static_batch1_sha256")
        log(f"{name}: static batch-1 graph rebuilt from the file "
            f"({'same sha256 as' if same else 'differs from'} the converter's static graph)")
        shape = entry["inputs"][0]["shape"][1:]
        x = rng.uniform(0.0, 1.0, size=[2, *shape]).astype(np.float32)
        a, b = x[:1], x[1:]
        for threads in (1, 2):
            st, dy = _timing_session(sdata, threads), _timing_session(data, threads)
            t = _median_ms({
                "static b1": lambda: st.run(None, {"input": a}),
                "dynamic b1": lambda: dy.run(None, {"input": a}),
                "static b1 x2": lambda: (st.run(None, {"input": a}), st.run(None, {"input": b})),
                "dynamic b1 x2": lambda: (dy.run(None, {"input": a}), dy.run(None, {"input": b})),
                "dynamic b2": lambda: dy.run(None, {"input": x}),
            }, rounds)
            log(f"  threads {threads}: " + ", ".join(f"{k} {v:.3f}" for k, v in t.items()))
    for name, entry in manifest.items():
        parent = entry.get("derived_from")
        if not parent or parent not in manifest:
            continue
        full = (out_dir / manifest[parent]["file"]).read_bytes()
        data = (out_dir / entry["file"]).read_bytes()
        x = rng.uniform(0.0, 1.0, size=[1, *manifest[parent]["inputs"][0]["shape"][1:]]).astype(np.float32)
        keep = [o["name"] for o in entry["outputs"]]
        log(f"{name} (derived from {parent}):")
        for threads in (1, 2):
            fs, vs = _timing_session(full, threads), _timing_session(data, threads)
            t = _median_ms({
                f"{parent} (all outputs)": lambda: fs.run(None, {"input": x}),
                f"{parent} ({len(keep)} outputs asked)": lambda: fs.run(keep, {"input": x}),
                name: lambda: vs.run(None, {"input": x}),
            }, rounds)
            log(f"  threads {threads}: " + ", ".join(f"{k} {v:.3f}" for k, v in t.items()))


# --------------------------------------------------------------------------
# Hand gesture models (mediapipe-model-maker wheel)
# --------------------------------------------------------------------------
def get_model_maker_wheel(cache_dir: Path) -> Path:
    """The mediapipe-model-maker wheel, downloaded without its (TensorFlow) dependencies."""
    return checked_wheel(cache_dir, None, MODEL_MAKER_WHEEL_NAME,
                         f"mediapipe-model-maker=={MODEL_MAKER_VERSION}", MODEL_MAKER_WHEEL_SHA256)


def tflite_outputs_multi(tflite_bytes: bytes, feeds: list):
    """TFLite interpreter outputs for a model with several inputs (feeds in input order)."""
    import tensorflow as tf
    interp = tf.lite.Interpreter(model_content=tflite_bytes, num_threads=2)
    interp.allocate_tensors()
    for d, x in zip(interp.get_input_details(), feeds):
        interp.set_tensor(d["index"], x)
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


def convert_gesture_model(name, tflite_bytes, input_names, canonical_outputs, out_dir: Path,
                          workdir: Path):
    """One gesture model: tf2onnx, canonical input/output names, deterministic, TFLite-checked."""
    import onnx
    log(f"== {name}")
    tfl_inputs, tfl_outputs = tflite_io(tflite_bytes)
    if [n for n, _ in tfl_inputs] != list(input_names):
        raise ValueError(f"{name}: TFLite inputs {tfl_inputs}, expected {list(input_names)}")
    if custom_codes(tflite_bytes):
        raise ValueError(f"{name}: unexpected custom ops {custom_codes(tflite_bytes)}")
    tfl_path = workdir / f"{name}.tflite"
    tfl_path.write_bytes(tflite_bytes)
    model = run_tf2onnx(tfl_path)
    g = model.graph
    if len(g.input) != len(tfl_inputs) or len(g.output) != len(canonical_outputs):
        raise ValueError(f"{name}: ONNX has {len(g.input)} inputs / {len(g.output)} outputs")
    for vi, (tfl_name, shape) in zip(list(g.input), tfl_inputs):
        if vi.name.split(":")[0] != tfl_name:
            raise ValueError(f"{name}: ONNX input {vi.name}, TFLite says {tfl_name}")
        rename_value(g, vi.name, input_names[tfl_name])
        set_static_shape(vi, shape)
    for vi, canon, (tfl_name, shape) in zip(list(g.output), canonical_outputs, tfl_outputs):
        if vi.name.split(":")[0] != tfl_name:
            raise ValueError(f"{name}: ONNX output {vi.name}, TFLite says {tfl_name}")
        rename_value(g, vi.name, canon)
        set_static_shape(vi, shape)
    canonicalize_names(model)
    store_weights_fp16(model)
    model.producer_name = "holistic_ros tools/convert_models.py"
    model.producer_version = CONVERTER_VERSION
    model.doc_string = (f"MediaPipe {name} from mediapipe-model-maker {MODEL_MAKER_VERSION}, "
                        f"converted with tf2onnx (Apache-2.0)")
    onnx.checker.check_model(model, full_check=True)
    data = model.SerializeToString()
    sess = ort_session(data)
    rng = np.random.default_rng(0)
    for trial in range(3):
        # Landmark-like values (the embedder's inputs are wrist-centred, box-scaled
        # coordinates around [-1, 1]; the handedness a probability).
        feeds = [rng.uniform(-1.0, 1.0, size=shape).astype(np.float32) if len(shape) > 2 or shape[-1] > 1
                 else rng.uniform(0.0, 1.0, size=shape).astype(np.float32) for _, shape in tfl_inputs]
        got = sess.run(None, {input_names[n]: x for (n, _), x in zip(tfl_inputs, feeds)})
        ref = tflite_outputs_multi(tflite_bytes, feeds)
        for cname, r, o in zip(canonical_outputs, ref, got):
            if r.shape != o.shape:
                raise ValueError(f"{name}.{cname}: shape {o.shape} != TFLite {r.shape}")
            d = float(np.max(np.abs(r - o)))
            log(f"  check vs TFLite {cname} (random input {trial}): max|diff| {d:.3g}")
            if d > 1e-4 * max(1.0, float(np.max(np.abs(r)))):
                raise ValueError(f"{name}.{cname}: differs from TFLite by {d}")
    out_path = out_dir / f"{name}.onnx"
    out_path.write_bytes(data)
    log(f"  wrote {out_path} ({len(data)} bytes)")

    def io(vals):
        return [{"name": v.name, "shape": list(v.shape), "dtype": "float32"} for v in vals]
    for v in sess.get_inputs() + sess.get_outputs():
        if v.type != "tensor(float)":
            raise ValueError(f"{name}: {v.name} is {v.type}")
    return {"file": out_path.name, "sha256": sha256_bytes(data), "bytes": len(data),
            "source_package": f"mediapipe-model-maker=={MODEL_MAKER_VERSION}",
            "source_wheel": MODEL_MAKER_WHEEL_NAME, "source_wheel_sha256": MODEL_MAKER_WHEEL_SHA256,
            "source_path": GESTURE_MODELS[name][0], "source_sha256": sha256_bytes(tflite_bytes),
            "prelu_rewrite": False, "inputs": io(sess.get_inputs()), "outputs": io(sess.get_outputs())}


def convert_gesture_models(names, cache_dir: Path, out_dir: Path, workdir: Path) -> dict:
    """Manifest entries of the gesture models in ``names`` (converted from the model-maker wheel)."""
    if not names:
        return {}
    wheel = get_model_maker_wheel(cache_dir)
    entries = {}
    with zipfile.ZipFile(wheel) as zf:
        for name in names:
            path, input_names, outputs = GESTURE_MODELS[name]
            entries[name] = convert_gesture_model(name, zf.read(path), input_names, outputs, out_dir, workdir)
    return entries


def main(argv=None):
    if os.environ.get("PYTHONHASHSEED") != "0":
        # tf2onnx iterates over sets of names in places; a fixed hash seed
        # makes the output byte-for-byte reproducible.
        env = dict(os.environ, PYTHONHASHSEED="0")
        os.execve(sys.executable, [sys.executable, str(Path(__file__).resolve()),
                                   *(sys.argv[1:] if argv is None else argv)], env)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--output-dir", type=Path, default=HERE.parent / "models")
    ap.add_argument("--cache-dir", type=Path,
                    default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "holistic_ros")
    ap.add_argument("--wheel", type=Path, help=f"use this {WHEEL_NAME} instead of downloading")
    ap.add_argument("--extra-tflite-dir", type=Path,
                    help="directory with pose_landmark_lite.tflite / pose_landmark_heavy.tflite")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="convert only these models")
    ap.add_argument("--measure-prelu", action="store_true",
                    help="time each PRelu model with and without the rewrite (ORT CPU, 2 threads)")
    ap.add_argument("--measure-variants", action="store_true",
                    help="only time the dynamic-batch and no-segmentation models already in "
                         "--output-dir (ORT CPU, 1 and 2 threads; needs onnx + onnxruntime only)")
    ap.add_argument("--rounds", type=int, default=200, help="timing rounds for --measure-variants")
    args = ap.parse_args(argv)
    if args.measure_variants:
        measure_variants(args.output_dir, args.rounds)
        return

    import onnx
    import tensorflow as tf
    import tf2onnx

    out_dir = args.output_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = []  # (name, bytes, outputs, source_path)
    wanted = set(args.only) if args.only else None
    base = [n for n in MODELS if wanted is None or n in wanted]
    wheel = None
    if base:
        wheel = get_wheel(args.cache_dir, args.wheel)
        with zipfile.ZipFile(wheel) as zf:
            for n in base:
                path, outs = MODELS[n]
                jobs.append((n, zf.read(path), outs, path))
    if args.extra_tflite_dir:
        for n, outs in EXTRA_MODELS.items():
            p = args.extra_tflite_dir / f"{n}.tflite"
            if p.exists() and (wanted is None or n in wanted):
                jobs.append((n, p.read_bytes(), outs, f"user-supplied:{p.name}"))
            elif not p.exists():
                log(f"(no {p}, skipping {n})")
    gesture_jobs = [n for n in GESTURE_MODELS if wanted is None or n in wanted]
    if wanted:
        missing = wanted - {j[0] for j in jobs} - set(gesture_jobs)
        if missing:
            raise SystemExit(f"not found: {sorted(missing)}")

    manifest_path = out_dir / "manifest.json"
    manifest = {}
    if manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text())
        except ValueError:
            manifest = {}
    models = {k: v for k, v in manifest.get("models", {}).items() if (out_dir / v["file"]).exists()}

    timings = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, data, outs, src in jobs:
            entries, t = convert_one(name, data, outs, out_dir, Path(tmp), args)
            for ename, entry in entries.items():
                entry["source_path"] = src
                entry["source_sha256"] = sha256_bytes(data)
                keys = ["file", "sha256", "bytes", "source_path", "source_sha256",
                        "prelu_rewrite", "inputs", "outputs"]
                keys += [k for k in ("dynamic_batch", "derived_from", "derived_from_sha256",
                                     "derivation") if k in entry]
                models[ename] = {k: entry[k] for k in keys}
            if t:
                timings[name] = t
        models.update(convert_gesture_models(gesture_jobs, args.cache_dir, out_dir, Path(tmp)))

    manifest = {
        "format": 1,
        "converter": {"script": "tools/convert_models.py", "version": CONVERTER_VERSION,
                      "tf2onnx": tf2onnx.__version__, "tensorflow": tf.__version__,
                      "onnx": onnx.__version__, "opset": OPSET},
        "source": {"package": f"mediapipe=={MP_VERSION}", "wheel": WHEEL_NAME,
                   "wheel_sha256": WHEEL_SHA256},
        "models": dict(sorted(models.items())),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"wrote {manifest_path}")
    if timings:
        log("PRelu timings (ms, ORT CPU 2 threads, best of runs): plain / rewritten")
        for n, (a, b) in timings.items():
            log(f"  {n}: {a:.3f} / {b:.3f} -> rewrite {'faster' if b < a else 'slower'}")


if __name__ == "__main__":
    main()
