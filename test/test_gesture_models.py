"""The converted gesture models match MediaPipe's TFLite files (LiteRT) on real inputs.

Real inputs: the hands MediaPipe's GestureRecognizer finds in the shared photos and in frames
of the woman clip (and their mirror images), turned into the embedder's three tensors by
:mod:`holistic_ros.pipeline.hand_gesture`. Both models run in LiteRT in .venv-oracle
(tools/gesture_oracle.py litert) and in ONNX Runtime here. Also checked: a missing or corrupt
gesture model gets the same clear error as the other models.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import require_oracle

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

import gesture_parity  # noqa: E402
from parity import iter_video_rgb, load_image_rgb  # noqa: E402

from holistic_ros import Holistic  # noqa: E402
from holistic_ros.pipeline.hand_gesture import HandGestureRecognizer  # noqa: E402
from holistic_ros.pipeline.models import ModelError, ModelSession, ModelStore  # noqa: E402

pytestmark = pytest.mark.parity


@pytest.fixture(scope="module")
def real_inputs(images_dir, videos_dir):
    require_oracle()
    frames = [load_image_rgb(p) for p in sorted(images_dir.iterdir()) if p.suffix in (".jpg", ".png")]
    frames += list(iter_video_rgb(videos_dir / "mps_woman_thumbs_up_1280x720.mp4"))[::6]
    frames += [np.ascontiguousarray(f[:, ::-1]) for f in frames]
    hands = [(h, f.shape[1], f.shape[0]) for f, found in zip(frames, gesture_parity.recognize(frames))
             for h in found]
    assert len(hands) >= 40, f"only {len(hands)} hands found"
    store = ModelStore()
    recognizer = HandGestureRecognizer(ModelSession(store.entry("gesture_embedder"), ["CPUExecutionProvider"]),
                                       ModelSession(store.entry("canned_gesture_classifier"), ["CPUExecutionProvider"]))
    feeds = [recognizer.embedder_inputs(h.landmarks, h.world_landmarks, h.right_hand_score, (w, ht))
             for h, w, ht in hands]
    stacked = {k: np.concatenate([f[k] for f in feeds]) for k in feeds[0]}
    ours_embedding = np.concatenate([recognizer.embedder.session.run(["embedding"], f)[0] for f in feeds])
    stacked["embedding"] = ours_embedding
    ref = gesture_parity.litert_gesture_models(stacked)
    ours_scores = np.concatenate([recognizer.classifier.session.run(["scores"], {"embedding": e[None]})[0]
                                  for e in ref["embedding"]])
    return dict(hands=hands, ours_embedding=ours_embedding, ours_scores_on_ref=ours_scores, ref=ref)


def test_embedder_matches_litert(real_inputs):
    ours, ref = real_inputs["ours_embedding"], real_inputs["ref"]["embedding"]
    diff = float(np.max(np.abs(ours - ref)))
    print(f"\ngesture_embedder: {len(ours)} real hands, max |ONNX - LiteRT| {diff:.3g} "
          f"(embedding values up to {float(np.max(np.abs(ref))):.3g})")
    assert diff < 1e-4


def test_classifier_matches_litert(real_inputs):
    # the same embeddings (LiteRT's) through both classifiers, and ours end to end
    ref = real_inputs["ref"]
    diff = float(np.max(np.abs(real_inputs["ours_scores_on_ref"] - ref["scores"])))
    end_to_end = float(np.max(np.abs(ref["scores_of_input"] - ref["scores"])))
    print(f"\ncanned_gesture_classifier: max |ONNX - LiteRT| {diff:.3g} on LiteRT's embeddings; "
          f"LiteRT's classifier on our vs its embeddings {end_to_end:.3g}")
    assert diff < 1e-5 and end_to_end < 1e-4
    assert np.array_equal(np.argmax(real_inputs["ours_scores_on_ref"], 1), np.argmax(ref["scores"], 1))


def test_inputs_cover_several_classes(real_inputs):
    labels = {h.label for h, _, _ in real_inputs["hands"]}
    assert {"None", "Thumb_Up"} <= labels, labels


@pytest.mark.parametrize("name", ["gesture_embedder", "canned_gesture_classifier"])
@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_missing_or_corrupt_gesture_model_fails_clearly(tmp_path, name, damage):
    models = tmp_path / "models"
    shutil.copytree(REPO / "models", models)
    path = models / f"{name}.onnx"
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ModelError, match=f"{name}.onnx.*(missing|corrupt).*make models"):
        Holistic(models_dir=models, recognize_gestures=True, providers=["CPUExecutionProvider"])
    Holistic(models_dir=models, recognize_gestures=False, providers=["CPUExecutionProvider"]).close()
