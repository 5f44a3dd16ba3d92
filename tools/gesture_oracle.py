#!/usr/bin/env python3
"""MediaPipe's own hand gesture pipeline, for the gesture parity tests (runs in .venv-oracle).

Two commands, both in the oracle venv (mediapipe==0.10.21, ai-edge-litert, numpy<2):

``recognize``: MediaPipe 0.10.21's Tasks ``GestureRecognizer`` on frames piped in (the
protocol of tools/mediapipe_oracle.py: a 12-byte little-endian header int32 height, int32
width, int32 reserved, then height*width*3 RGB bytes; height 0 ends). IMAGE running mode
(every frame on its own), or with ``--video-fps F`` VIDEO mode (frame i at i/F s: the palm
detector runs only while hands are missing, the others are tracked), up to ``--num-hands`` hands. Per frame i and hand k the .npz gets
``n_i`` (hands found), ``label_i_k`` / ``score_i_k`` (the gesture), ``handed_i_k`` (the
handedness label, "Left"/"Right") / ``handedscore_i_k``, ``lm_i_k`` (21, 3) image-normalised
and ``world_i_k`` (21, 3) metres.

``litert``: the two TFLite gesture models in LiteRT on given inputs: IN.npz with
``hand_landmarks`` [N,21,3], ``handedness`` [N,1], ``hand_world_landmarks`` [N,21,3]
(and optionally ``embedding`` [N,128]); OUT.npz gets ``embedding`` [N,128] and ``scores``
[N,8] (the classifier on LiteRT's own embeddings) and, when given, ``scores_of_input``
(the classifier on the embeddings passed in).

The ``gesture_recognizer.task`` is assembled as the model maker does
(``mediapipe_model_maker/python/vision/gesture_recognizer/metadata_writer.py``): a zip of
``hand_landmarker.task`` (hand_detector.tflite = palm_detection_full, hand_landmarks_detector
= hand_landmark_full) and ``hand_gesture_recognizer.task`` (gesture_embedder.tflite and
canned_gesture_classifier.tflite, the latter with its labels written in by MediaPipe's
MetadataWriter). All four files come from the mediapipe-model-maker==0.1.0.2 wheel
(``--wheel``, default the converter's cache ~/.cache/holistic_ros; downloaded with
``pip download --no-deps`` if absent), its sha256 checked.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from mediapipe_oracle import read_frames  # the same frame protocol (this folder is on sys.path)

MODEL_MAKER = "mediapipe-model-maker==0.1.0.2"
WHEEL_NAME = "mediapipe_model_maker-0.1.0.2-py3-none-any.whl"
WHEEL_SHA256 = "eb106b1f94a9984ffdef0f50f84e4e61aab27a8906df7fad63f34d35fba3a187"
GESTURE_DIR = "mediapipe_model_maker/models/gesture_recognizer/"
# Output order of canned_gesture_classifier.tflite (holistic_ros/pipeline/hand_gesture.py).
CANNED_LABELS = ["None", "Closed_Fist", "Open_Palm", "Pointing_Up", "Thumb_Down", "Thumb_Up", "Victory",
                 "ILoveYou"]


def default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "holistic_ros"


def wheel_path(wheel: Path | None) -> Path:
    if wheel is None:
        cache = default_cache()
        wheel = cache / WHEEL_NAME
        if not wheel.exists():
            cache.mkdir(parents=True, exist_ok=True)
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", MODEL_MAKER, "-d", str(cache)],
                           check=True, stdout=sys.stderr)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel}: sha256 {digest} != {WHEEL_SHA256}")
    return wheel


def read_models(wheel: Path) -> dict:
    with zipfile.ZipFile(wheel) as zf:
        return {n: zf.read(GESTURE_DIR + n + ".tflite") for n in
                ("palm_detection_full", "hand_landmark_full", "gesture_embedder", "canned_gesture_classifier")}


def _bundle(files: dict) -> bytes:
    """A model asset bundle: a zip of stored (not deflated) files, as MediaPipe reads them."""
    from mediapipe.tasks.python.metadata.metadata_writers import model_asset_bundle_utils
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bundle.task")
        model_asset_bundle_utils.create_model_asset_bundle(files, out)
        return Path(out).read_bytes()


def gesture_task(models: dict) -> bytes:
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer
    writer = metadata_writer.MetadataWriter.create(bytearray(models["canned_gesture_classifier"]))
    writer.add_general_info("HandGestureRecognition", "Recognize the hand gesture in the image.")
    writer.add_feature_input(name="embedding", description="Embedding feature vector from gesture embedder.")
    writer.add_classification_output(labels=metadata_writer.Labels().add(CANNED_LABELS), name="scores",
                                     description="Hand gesture category scores.")
    classifier, _ = writer.populate()
    landmarker = _bundle({"hand_detector.tflite": models["palm_detection_full"],
                          "hand_landmarks_detector.tflite": models["hand_landmark_full"]})
    recognizer = _bundle({"gesture_embedder.tflite": models["gesture_embedder"],
                          "canned_gesture_classifier.tflite": classifier})
    return _bundle({"hand_landmarker.task": landmarker, "hand_gesture_recognizer.task": recognizer})


def _points(landmarks) -> np.ndarray:
    return np.asarray([[p.x, p.y, p.z] for p in landmarks], dtype=np.float32)


def recognize(args) -> int:
    import mediapipe as mp
    from mediapipe.tasks.python import vision
    from mediapipe.tasks.python.core.base_options import BaseOptions

    task = gesture_task(read_models(wheel_path(args.wheel)))
    video = args.video_fps > 0
    options = vision.GestureRecognizerOptions(
        base_options=BaseOptions(model_asset_buffer=task),
        running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE, num_hands=args.num_hands)
    results = {}
    i = 0
    with vision.GestureRecognizer.create_from_options(options) as recognizer:
        for frame in read_frames(sys.stdin.buffer):
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame))
            res = (recognizer.recognize_for_video(image, int(round(i * 1000.0 / args.video_fps))) if video
                   else recognizer.recognize(image))
            results[f"n_{i}"] = np.asarray(len(res.hand_landmarks))
            for k in range(len(res.hand_landmarks)):
                top = res.gestures[k][0]
                results[f"label_{i}_{k}"] = np.asarray(top.category_name)
                results[f"score_{i}_{k}"] = np.asarray(top.score, dtype=np.float32)
                handed = res.handedness[k][0]
                results[f"handed_{i}_{k}"] = np.asarray(handed.category_name)
                results[f"handedscore_{i}_{k}"] = np.asarray(handed.score, dtype=np.float32)
                results[f"lm_{i}_{k}"] = _points(res.hand_landmarks[k])
                results[f"world_{i}_{k}"] = _points(res.hand_world_landmarks[k])
            i += 1
    results["num_frames"] = np.asarray(i)
    np.savez_compressed(args.out, **results)
    return 0


def litert(args) -> int:
    from ai_edge_litert.interpreter import Interpreter

    models = read_models(wheel_path(args.wheel))
    data = np.load(args.inputs)

    def interpreter(name):
        it = Interpreter(model_content=models[name], num_threads=args.threads)
        it.allocate_tensors()
        return it

    emb, cls = interpreter("gesture_embedder"), interpreter("canned_gesture_classifier")
    names = [d["name"] for d in emb.get_input_details()]
    feeds = {"hand": data["hand_landmarks"], "handedness": data["handedness"],
             "world_hand": data["hand_world_landmarks"]}
    if sorted(names) != sorted(feeds):
        raise SystemExit(f"gesture_embedder inputs {names}, expected {sorted(feeds)}")

    def classify(e):
        cls.set_tensor(cls.get_input_details()[0]["index"], e[None].astype(np.float32))
        cls.invoke()
        return cls.get_tensor(cls.get_output_details()[0]["index"])[0].copy()

    embeddings, scores, scores_of_input = [], [], []
    for n in range(len(data["handedness"])):
        for d in emb.get_input_details():
            emb.set_tensor(d["index"], feeds[d["name"]][n][None].astype(np.float32))
        emb.invoke()
        e = emb.get_tensor(emb.get_output_details()[0]["index"])[0].copy()
        embeddings.append(e)
        scores.append(classify(e))
        if "embedding" in data:
            scores_of_input.append(classify(data["embedding"][n]))
    out = {"embedding": np.asarray(embeddings), "scores": np.asarray(scores)}
    if scores_of_input:
        out["scores_of_input"] = np.asarray(scores_of_input)
    np.savez(args.out, **out)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help=f"{WHEEL_NAME} (default: the converter's cache)")
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("recognize", help="GestureRecognizer on frames from stdin")
    r.add_argument("--out", required=True)
    r.add_argument("--num-hands", type=int, default=2)
    r.add_argument("--video-fps", type=float, default=0.0, help="VIDEO running mode at this frame rate")
    lt = sub.add_parser("litert", help="the two TFLite gesture models on given inputs")
    lt.add_argument("inputs")
    lt.add_argument("out")
    lt.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    return recognize(args) if args.command == "recognize" else litert(args)


if __name__ == "__main__":
    sys.exit(main())
