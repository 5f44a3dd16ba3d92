"""models/manifest.json agrees with the committed .onnx files."""
import hashlib
import json
from pathlib import Path

import pytest

from conftest import import_or_skip

ort = import_or_skip("onnxruntime")

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
MANIFEST = MODELS_DIR / "manifest.json"
REQUIRED = {"pose_detection", "pose_landmark_full", "face_detection_short_range", "face_landmark",
            "face_landmark_with_attention", "hand_recrop", "hand_landmark_full",
            "palm_detection_full"}


def _manifest():
    return json.loads(MANIFEST.read_text())


def test_manifest_header():
    m = _manifest()
    assert m["format"] == 1
    assert m["converter"]["script"] == "tools/convert_models.py"
    assert m["converter"]["opset"] == 17
    for key in ("version", "tf2onnx", "tensorflow"):
        assert m["converter"][key]
    assert m["source"]["package"] == "mediapipe==0.10.21"
    assert len(m["source"]["wheel_sha256"]) == 64
    assert REQUIRED <= set(m["models"])


@pytest.mark.parametrize("name", sorted(_manifest()["models"]) if MANIFEST.exists() else [])
def test_model_matches_manifest(name):
    entry = _manifest()["models"][name]
    path = MODELS_DIR / entry["file"]
    assert path.is_file(), f"{path} missing"
    data = path.read_bytes()
    assert len(data) == entry["bytes"]
    assert hashlib.sha256(data).hexdigest() == entry["sha256"], f"{path} changed since the manifest"
    assert isinstance(entry["prelu_rewrite"], bool)
    assert len(entry["source_sha256"]) == 64 and entry["source_path"]

    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    got_in = [{"name": v.name, "shape": list(v.shape), "dtype": "float32"} for v in sess.get_inputs()]
    got_out = [{"name": v.name, "shape": list(v.shape), "dtype": "float32"} for v in sess.get_outputs()]
    assert got_in == entry["inputs"]
    assert got_out == entry["outputs"]
    for v in sess.get_inputs() + sess.get_outputs():
        assert v.type == "tensor(float)"
    if entry.get("source_package", "").startswith("mediapipe-model-maker"):
        # hand gesture models: landmark vectors in, not an image (test_gesture_models.py)
        assert [i["name"] for i in entry["inputs"]] in (
            ["hand_landmarks", "handedness", "hand_world_landmarks"], ["embedding"])
        assert len(entry["source_wheel_sha256"]) == 64
        return
    (inp,) = entry["inputs"]
    # batch 1, or the symbolic batch of a model the converter made dynamic
    batch = entry["dynamic_batch"]["dim"] if "dynamic_batch" in entry else 1
    assert inp["name"] == "input" and inp["shape"][0] == batch and inp["shape"][3] == 3
    if "derived_from" in entry:  # a variant made from another converted model
        parent = _manifest()["models"][entry["derived_from"]]
        assert entry["derivation"]
        assert entry["derived_from_sha256"] == parent["sha256"]
        assert entry["source_sha256"] == parent["source_sha256"]
