#!/usr/bin/env python3
"""Reference outputs of MediaPipe's own TFLite models, for the parity test.

Runs in .venv-oracle (mediapipe==0.10.21, ai-edge-litert==2.3.0, numpy<2):

    .venv-oracle/bin/python tools/litert_reference.py IN.npz OUT.npz [--threads 2]

IN.npz holds one float32 array per model, key "<model>", shape [N,H,W,3]
(already in the model's value range). OUT.npz gets "<model>/<output>" arrays
of shape [N, ...], the output names being those of models/manifest.json
(the TFLite subgraph's output order).

The .tflite files are the ones inside the installed mediapipe package; their
sha256 is checked against the manifest's source_sha256.

* Plain models run in LiteRT's Interpreter (CPU, XNNPACK).
* face_landmark_with_attention needs MediaPipe's custom ops, which LiteRT
  does not have; it runs in a small MediaPipe graph instead (ImageToTensor ->
  InferenceCalculator with TfLiteCustomOpResolverCalculator -> raw tensors
  decoded with TensorsToLandmarks / TensorsToFloats). That graph takes an
  image, so its input is the uint8 image round(255 * x): feed it inputs that
  are exact multiples of 1/255. Landmarks come back normalised by 192 and
  are scaled back to input pixels here.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
ATTENTION = "face_landmark_with_attention"
ATTENTION_LANDMARKS = [("mesh", 468), ("lips", 80), ("left_eye", 71), ("right_eye", 71),
                       ("left_iris", 5), ("right_iris", 5)]


def mediapipe_root() -> Path:
    import mediapipe
    return Path(mediapipe.__file__).resolve().parent.parent


def tflite_path(entry) -> Path:
    path = mediapipe_root() / entry["source_path"]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != entry["source_sha256"]:
        raise SystemExit(f"{path}: sha256 {digest} is not the manifest's {entry['source_sha256']}")
    return path


def run_litert(path: Path, x: np.ndarray, names, threads: int):
    from ai_edge_litert.interpreter import Interpreter
    interp = Interpreter(model_path=str(path), num_threads=threads)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]["index"]
    outs = interp.get_output_details()
    if len(outs) != len(names):
        raise SystemExit(f"{path}: {len(outs)} outputs, manifest says {len(names)}")
    result = {n: [] for n in names}
    for sample in x:
        interp.set_tensor(inp, sample[None].astype(np.float32))
        interp.invoke()
        for n, d in zip(names, outs):
            result[n].append(interp.get_tensor(d["index"]).copy())
    return {n: np.stack(v)[:, 0] if v[0].shape[0] == 1 else np.stack(v) for n, v in result.items()}


def _attention_graph_config(model_rel: str, size: int) -> str:
    lines = [
        'input_stream: "image"',
        'node { calculator: "ImageToTensorCalculator" input_stream: "IMAGE:image" '
        'output_stream: "TENSORS:input_tensors" options { [mediapipe.ImageToTensorCalculatorOptions.ext] '
        f'{{ output_tensor_width: {size} output_tensor_height: {size} keep_aspect_ratio: false '
        'output_tensor_float_range { min: 0.0 max: 1.0 } } } }',
        'node { calculator: "TfLiteCustomOpResolverCalculator" output_side_packet: "OP_RESOLVER:op_resolver" }',
        'node { calculator: "InferenceCalculator" input_stream: "TENSORS:input_tensors" '
        'input_side_packet: "OP_RESOLVER:op_resolver" output_stream: "TENSORS:output_tensors" '
        'options { [mediapipe.InferenceCalculatorOptions.ext] '
        f'{{ model_path: "{model_rel}" delegate {{ xnnpack {{}} }} }} }} }}',
        'node { calculator: "SplitTensorVectorCalculator" input_stream: "output_tensors" '
        + " ".join(f'output_stream: "t{i}"' for i in range(7))
        + " options { [mediapipe.SplitVectorCalculatorOptions.ext] { "
        + " ".join(f"ranges {{ begin: {i} end: {i + 1} }}" for i in range(7)) + " } } }",
    ]
    for i, (name, count) in enumerate(ATTENTION_LANDMARKS):
        lines.append(
            f'node {{ calculator: "TensorsToLandmarksCalculator" input_stream: "TENSORS:t{i}" '
            f'output_stream: "NORM_LANDMARKS:{name}" options {{ '
            f'[mediapipe.TensorsToLandmarksCalculatorOptions.ext] {{ num_landmarks: {count} '
            f'input_image_width: {size} input_image_height: {size} }} }} }}')
        lines.append(f'output_stream: "{name}"')
    lines.append('node { calculator: "TensorsToFloatsCalculator" input_stream: "TENSORS:t6" '
                 'output_stream: "FLOAT:face_flag" }')
    lines.append('output_stream: "face_flag"')
    return "\n".join(lines)


def run_attention(entry, x: np.ndarray):
    import mediapipe as mp
    from mediapipe.python._framework_bindings import resource_util
    tflite_path(entry)  # sha check
    resource_util.set_resource_dir(str(mediapipe_root()))
    size = x.shape[1]
    shapes = {o["name"]: o["shape"] for o in entry["outputs"]}
    out = {o["name"]: [] for o in entry["outputs"]}
    for sample in x:
        img = np.rint(np.clip(sample, 0.0, 1.0) * 255.0).astype(np.uint8)
        if not np.allclose(img / 255.0, sample, atol=1e-6):
            raise SystemExit(f"{ATTENTION}: inputs must be multiples of 1/255 (uint8 images)")
        graph = mp.CalculatorGraph(graph_config=_attention_graph_config(entry["source_path"], size))
        got = {}
        for name, _ in ATTENTION_LANDMARKS:
            graph.observe_output_stream(name, lambda s, p: got.__setitem__(s, mp.packet_getter.get_proto(p)))
        graph.observe_output_stream("face_flag", lambda s, p: got.__setitem__(s, mp.packet_getter.get_float(p)))
        graph.start_run()
        graph.add_packet_to_input_stream(
            "image", mp.packet_creator.create_image_frame(image_format=mp.ImageFormat.SRGB,
                                                          data=np.ascontiguousarray(img)).at(0))
        graph.close()
        for name, _ in ATTENTION_LANDMARKS:
            dims = int(np.prod(shapes[name])) // len(got[name].landmark)
            pts = np.array([[l.x, l.y, l.z][:dims] for l in got[name].landmark], np.float32) * size
            out[name].append(pts.reshape(shapes[name][1:]))
        out["face_flag"].append(np.full(shapes["face_flag"][1:], got["face_flag"], np.float32))
    return {n: np.stack(v) for n, v in out.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", type=Path)
    ap.add_argument("output", type=Path)
    ap.add_argument("--manifest", type=Path, default=REPO / "models" / "manifest.json")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    manifest = json.loads(args.manifest.read_text())["models"]
    result = {}
    with np.load(args.inputs) as data:
        for model in data.files:
            x = data[model].astype(np.float32)
            entry = manifest[model]
            names = [o["name"] for o in entry["outputs"]]
            if model == ATTENTION:
                outs = run_attention(entry, x)
            else:
                outs = run_litert(tflite_path(entry), x, names, args.threads)
            for n in names:
                result[f"{model}/{n}"] = outs[n]
    np.savez(args.output, **result)
    print(f"wrote {args.output}: {len(result)} arrays")


if __name__ == "__main__":
    os.environ.setdefault("GLOG_minloglevel", "2")
    main()
