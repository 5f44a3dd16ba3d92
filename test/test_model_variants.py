"""Speed variants of the models (tools/convert_models.py) compute the same numbers.

- ``pose_landmark_full_no_segmentation``: the pose landmark graph without the
  ``segmentation`` output and the nodes only it uses. Its four outputs must be
  bit-identical to the full model's.
- ``hand_landmark_full`` has a symbolic batch dimension, and for several people so
  have the pose landmark models (with and without segmentation) and
  ``face_landmark``: the static batch-1 graph each replaced is rebuilt from the file
  byte for byte (sha256 in the manifest); batch 1 with the batch fixed to 1 (as
  Holistic loads them for one person) must be bit-identical to it; left symbolic,
  ONNX Runtime picks other kernels for the pose model's segmentation head
  (max|diff| printed, ~5e-3 of logits up to ~1e3); one batch-2 run must equal two
  batch-1 runs (tolerance 1e-5; ONNX Runtime CPU gives exactly 0).
"""
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from conftest import import_or_skip, skip_or_fail

ort = import_or_skip("onnxruntime")
onnx = import_or_skip("onnx")

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
MANIFEST = json.loads((MODELS_DIR / "manifest.json").read_text())["models"]
POSE_KEEP = ["landmarks", "pose_flag", "heatmap", "world_landmarks"]
NO_SEG = sorted(n for n, e in MANIFEST.items() if e.get("derived_from", "").startswith("pose_landmark"))
BATCHED = sorted(n for n, e in MANIFEST.items() if "dynamic_batch" in e)


def _session(data, threads=1, fixed_batch=None):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    if fixed_batch is not None:
        so.add_free_dimension_override_by_name("N", fixed_batch)
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])


def _load(name):
    return (MODELS_DIR / MANIFEST[name]["file"]).read_bytes()


def _image(images_dir, filename):
    cv2 = import_or_skip("cv2")
    path = images_dir / filename
    if not path.is_file():
        skip_or_fail(f"test image {path} not found (../shared/testdata/media/images beside the repo)")
    bgr = cv2.imread(str(path))
    assert bgr is not None, f"could not read {path}"
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _square_crop(rgb, cx, cy, half, size):
    """Square crop around (cx, cy), zero-padded, resized to size x size, [0, 1] NHWC."""
    cv2 = import_or_skip("cv2")
    h, w = rgb.shape[:2]
    padded = np.zeros((h + 2 * half, w + 2 * half, 3), rgb.dtype)
    padded[half:half + h, half:half + w] = rgb
    crop = padded[cy:cy + 2 * half, cx:cx + 2 * half]
    crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    return (crop.astype(np.float32) / 255.0)[None]


def test_variants_listed():
    assert "pose_landmark_full_no_segmentation" in MANIFEST
    for name in ("hand_landmark_full", "pose_landmark_full", "pose_landmark_full_no_segmentation", "face_landmark"):
        assert name in BATCHED, name


@pytest.mark.parametrize("name", NO_SEG)
def test_no_segmentation_entry(name):
    entry = MANIFEST[name]
    parent = entry["derived_from"]
    assert name == f"{parent}_no_segmentation"
    assert entry["derivation"] == "segmentation output and the nodes only it uses removed"
    assert entry["derived_from_sha256"] == MANIFEST[parent]["sha256"]
    assert entry["source_sha256"] == MANIFEST[parent]["source_sha256"]
    assert [o["name"] for o in entry["outputs"]] == POSE_KEEP
    assert entry["inputs"] == MANIFEST[parent]["inputs"]
    full = onnx.load_from_string(_load(parent))
    variant = onnx.load_from_string(_load(name))
    # Only nodes were removed: every node left is the parent's, unchanged and in order.
    full_nodes = [n.SerializeToString() for n in full.graph.node]
    kept = [n.SerializeToString() for n in variant.graph.node]
    assert len(kept) < len(full_nodes)
    it = iter(full_nodes)
    assert all(any(k == f for f in it) for k in kept)


def _compare_pose(name, x):
    parent = MANIFEST[name]["derived_from"]
    full, variant = _session(_load(parent)), _session(_load(name))
    want = full.run(POSE_KEEP, {"input": x})
    got = variant.run(None, {"input": x})
    for oname, w, g in zip(POSE_KEEP, want, got):
        assert g.shape == w.shape
        assert np.array_equal(g, w), f"{name}.{oname}: max|diff| {np.max(np.abs(g - w))}"
    return got


@pytest.mark.parametrize("name", NO_SEG)
def test_no_segmentation_identical_on_real_crop(name, images_dir):
    rgb = _image(images_dir, "mps_woman_sitting_fullbody.jpg")
    h, w = rgb.shape[:2]
    x = _square_crop(rgb, w // 2, h // 2, max(h, w) // 2, 256)
    flag = _compare_pose(name, x)[1]
    assert flag.item() > 0.5, f"crop does not show a person: pose_flag {flag}"


@pytest.mark.parametrize("name", NO_SEG)
def test_no_segmentation_identical_on_random_input(name):
    shape = [1, *MANIFEST[name]["inputs"][0]["shape"][1:]]
    x = np.random.default_rng(1).uniform(0.0, 1.0, size=shape).astype(np.float32)
    _compare_pose(name, x)


def _static(name):
    """The static batch-1 graph the converter made before the batch went symbolic:
    batch pinned to 1, and the Reshape constants it changed put back
    (convert_models.static_batch1_graph)."""
    model = onnx.load_from_string(_load(name))
    constants = MANIFEST[name]["dynamic_batch"].get("reshape_constants", [])
    return _converter().static_batch1_graph(model, constants).SerializeToString()


@pytest.mark.parametrize("name", BATCHED)
def test_batched_entry(name):
    entry = MANIFEST[name]
    dim = entry["dynamic_batch"]["dim"]
    assert entry["inputs"][0]["shape"][0] == dim
    assert all(o["shape"][0] == dim for o in entry["outputs"])
    assert entry["dynamic_batch"]["decision"]
    # The static graph comes back byte for byte from the file.
    static_sha = hashlib.sha256(_static(name)).hexdigest()
    assert static_sha == entry["dynamic_batch"]["static_batch1_sha256"]


# Real crops per model, two per batch, where the model finds its part (flag > 0.5):
# (image, [(centre x, centre y, half size)], flag output, flag is a logit).
REAL_CROPS = {
    "hand": ("mps_two_hands_thumbs_up.jpg", [(140, 220, 170), (340, 260, 170)], "hand_flag", False),
    "pose": ("mps_woman_sitting_fullbody.jpg", None, "pose_flag", False),
    "face": ("tfe_grace_hopper_bust.jpg", None, "face_flag", True),
}


def _family(name):
    return name.split("_")[0]


def _real_crops(name, images_dir):
    size = MANIFEST[name]["inputs"][0]["shape"][1]
    filename, boxes, _, _ = REAL_CROPS[_family(name)]
    rgb = _image(images_dir, filename)
    h, w = rgb.shape[:2]
    if boxes is None:
        if _family(name) == "pose":   # the whole person, and a tighter, shifted crop
            boxes = [(w // 2, h // 2, max(h, w) // 2), (w // 2 + w // 20, h // 2, int(0.45 * max(h, w)))]
        else:                         # the face of the bust (its upper middle), twice
            boxes = [(w // 2, int(0.36 * h), int(0.22 * h)), (w // 2 + 6, int(0.35 * h), int(0.2 * h))]
    return np.concatenate([_square_crop(rgb, cx, cy, half, size) for cx, cy, half in boxes])


def _batch_input(name, label, request):
    shape = MANIFEST[name]["inputs"][0]["shape"][1:]
    if label == "random":
        return np.random.default_rng(2).uniform(0.0, 1.0, size=[2, *shape]).astype(np.float32)
    return _real_crops(name, request.getfixturevalue("images_dir"))


@pytest.mark.parametrize("label", ["random", "real"])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", BATCHED)
def test_batched_equals_single_runs(name, threads, label, request):
    x = _batch_input(name, label, request)
    sess = _session(_load(name), threads)
    fixed = _session(_load(name), threads, fixed_batch=1)
    static = _session(_static(name), threads)
    two = sess.run(None, {"input": x})
    if label == "real":
        _, _, flag_name, logit = REAL_CROPS[_family(name)]
        flags = dict(zip([o.name for o in sess.get_outputs()], two))[flag_name]
        flags = 1.0 / (1.0 + np.exp(-flags)) if logit else flags
        assert np.all(flags > 0.5), f"crops do not show the part: {flag_name} {flags.ravel()}"
    singles = [sess.run(None, {"input": x[i:i + 1]}) for i in range(2)]
    singles_fixed = [fixed.run(None, {"input": x[i:i + 1]}) for i in range(2)]
    originals = [static.run(None, {"input": x[i:i + 1]}) for i in range(2)]
    for k, out in enumerate(sess.get_outputs()):
        assert two[k].shape[0] == 2
        for i in range(2):
            # batch 1, N fixed to 1 (how Holistic runs one person): bit-identical to the static original
            assert np.array_equal(singles_fixed[i][k], originals[i][k]), (out.name, i)
            # N symbolic: other kernels may run; stated, and held to the converter's TFLite tolerance
            diff = float(np.max(np.abs(singles[i][k] - originals[i][k])))
            if diff:
                print(f"{name}.{out.name} crop {i}: batch 1 with N symbolic vs static max|diff| {diff:.3g}")
            assert diff <= 1e-3 * max(1.0, float(np.max(np.abs(originals[i][k])))), (out.name, i, diff)
        one = np.concatenate([singles[0][k], singles[1][k]])
        diff = float(np.max(np.abs(two[k] - one)))
        # ONNX Runtime 1.31.1 CPU gives 0.0 here (each image is computed alone)
        assert diff <= 1e-5, f"{out.name}: batch 2 vs two batch-1 runs max|diff| {diff}"


# --- the converter's graph edits on small synthetic graphs --------------------------

def _converter():
    import importlib.util
    path = Path(__file__).resolve().parents[1] / "tools" / "convert_models.py"
    spec = importlib.util.spec_from_file_location("convert_models_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tiny_model():
    """input [1,4,4,3] -> Reshape([1,48]) -> a: [1,48]; input -> Neg -> Relu -> b."""
    from onnx import TensorProto, helper, numpy_helper
    nodes = [helper.make_node("Reshape", ["input", "shape"], ["a"], name="r"),
             helper.make_node("Neg", ["input"], ["n"], name="neg"),
             helper.make_node("Relu", ["n"], ["b"], name="relu")]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 4, 4, 3])],
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 48]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 4, 4, 3])],
        [numpy_helper.from_array(np.array([1, 48], np.int64), "shape")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_make_batch_dynamic_fixes_reshape_constants():
    conv = _converter()
    model = _tiny_model()
    assert conv.make_batch_dynamic(model) == 1
    onnx.checker.check_model(model, full_check=True)
    sess = _session(model.SerializeToString())
    assert sess.get_inputs()[0].shape == ["N", 4, 4, 3]
    x = np.random.default_rng(3).standard_normal((2, 4, 4, 3)).astype(np.float32)
    a, b = sess.run(None, {"input": x})
    assert np.array_equal(a, x.reshape(2, 48)) and np.array_equal(b, np.maximum(-x, 0))


def test_derive_without_outputs_keeps_only_what_is_needed():
    conv = _converter()
    model = _tiny_model()
    variant = conv.derive_without_outputs(model, ["a"])
    assert [n.name for n in variant.graph.node] == ["r"]
    assert [o.name for o in variant.graph.output] == ["a"]
    assert [t.name for t in variant.graph.initializer] == ["shape"]
    assert len(model.graph.node) == 3  # the source is not changed
    variant = conv.derive_without_outputs(model, ["b"])
    assert [n.name for n in variant.graph.node] == ["neg", "relu"]
    assert not variant.graph.initializer
    assert conv.derive_without_outputs(model, ["b"]).SerializeToString() == variant.SerializeToString()
