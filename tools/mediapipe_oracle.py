"""Run MediaPipe 0.10.21's legacy Holistic on frames piped in; save its results.

This is the parity oracle. It runs in its own venv (``.venv-oracle``, made by
``make oracle-venv``) because mediapipe 0.10.21 pins numpy<2; it is never a
dependency of holistic_ros itself.

Protocol, so that both sides see the very same decoded pixels: the caller
writes frames to stdin, each as a 12-byte little-endian header (int32 height,
int32 width, int32 reserved) followed by height*width*3 RGB bytes; a header
with height 0 ends the stream. Results go to ``--out`` as an .npz with, per
frame i: ``pose_i`` (33,4), ``world_i`` (33,4), ``face_i`` (N,3),
``left_i`` (21,3), ``right_i`` (21,3) where present, and ``mask_i`` as packed
bits of mask > 0.5 (``maskshape_i`` holds its shape) when segmentation is on.

With ``--pose-internals`` it also saves the pose graph's intermediate values
(streams inside ``pose_landmark_cpu.pbtxt``), to find the stage where a track
leaves MediaPipe's: ``poseroi_i`` the ROI the pose model ran on (x, y, w, h,
rotation), ``rawpose_i`` (33,5), ``rawaux_i`` (2,5) and ``rawworld_i`` (33,5) the
unfiltered landmarks (x, y, z, visibility, presence), ``aux_i`` (2,5) the filtered
auxiliary landmarks, ``nextroi_i`` the ROI they give the next frame and
``posescore_i`` the pose presence score; in the crop's normalised frame,
``modelpose_i`` (39,5) the model's landmarks before heatmap refinement and
``roipose_i`` (33,5), ``roiaux_i`` (2,5) after it.

Usage: .venv-oracle/bin/python tools/mediapipe_oracle.py --options '{"static_image_mode": true}' --out r.npz
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import time
from typing import Iterator

import numpy as np


def read_frames(stream) -> Iterator[np.ndarray]:
    """RGB frames as tools/parity.py's ``pipe_frames`` sends them: per frame an (H, W, 0)
    int32 header and H*W*3 bytes; a (0, 0, 0) header or the end of the stream ends them."""
    while True:
        header = stream.read(12)
        if len(header) < 12:
            return
        h, w, _ = struct.unpack("<iii", header)
        if h == 0:
            return
        yield np.frombuffer(stream.read(h * w * 3), dtype=np.uint8).reshape(h, w, 3)


def _landmarks(proto, with_visibility: bool) -> np.ndarray:
    rows = []
    for lm in proto.landmark:
        row = [lm.x, lm.y, lm.z]
        if with_visibility:
            row.append(lm.visibility)
        rows.append(row)
    return np.asarray(rows, dtype=np.float32)


# Streams inside the expanded Holistic graph (names prefixed by subgraph, as
# MediaPipe expands them) -> the keys they are saved under.
POSE_INTERNAL_STREAMS = {
    "poselandmarkcpu__pose_rect": "poseroi",
    "poselandmarkcpu__unfiltered_pose_landmarks": "rawpose",
    "poselandmarkcpu__unfiltered_auxiliary_landmarks": "rawaux",
    "poselandmarkcpu__unfiltered_world_landmarks": "rawworld",
    "poselandmarkcpu__auxiliary_landmarks": "aux",
    "pose_landmarks_roi": "nextroi",
    "poselandmarkcpu__poselandmarkbyroicpu__tensorstoposelandmarksandsegmentation__pose_presence_score": "posescore",
    "poselandmarkcpu__poselandmarkbyroicpu__tensorstoposelandmarksandsegmentation__raw_landmarks": "modelpose",
    "poselandmarkcpu__poselandmarkbyroicpu__roi_landmarks": "roipose",
    "poselandmarkcpu__poselandmarkbyroicpu__roi_auxiliary_landmarks": "roiaux",
}


def _all_fields(proto) -> np.ndarray:
    return np.asarray([[lm.x, lm.y, lm.z, lm.visibility, lm.presence] for lm in proto.landmark], dtype=np.float32)


def _rect(proto) -> np.ndarray:
    return np.asarray([proto.x_center, proto.y_center, proto.width, proto.height, proto.rotation], dtype=np.float32)


def _observe_more_streams(names) -> None:
    """Make every SolutionBase built from now on observe ``names`` too."""
    from mediapipe.python import solution_base

    init = solution_base.SolutionBase.__init__

    def init_with_more_outputs(self, *args, outputs=None, **kwargs):
        init(self, *args, outputs=list(outputs or []) + list(names), **kwargs)

    solution_base.SolutionBase.__init__ = init_with_more_outputs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--options", default="{}", help="JSON of mp.solutions.holistic.Holistic options")
    parser.add_argument("--out", required=True, help="where to write the .npz of results")
    parser.add_argument("--timing-only", action="store_true",
                        help="record only each process() call's wall time (latency_s), for the benchmark")
    parser.add_argument("--pose-internals", action="store_true",
                        help="also save the pose graph's intermediate values (see the module docstring)")
    args = parser.parse_args()

    import mediapipe as mp  # imported late: only this venv has it

    options = json.loads(args.options)
    if args.pose_internals:
        _observe_more_streams(POSE_INTERNAL_STREAMS)
    results = {}
    latencies = []
    with mp.solutions.holistic.Holistic(**options) as holistic:
        i = 0
        for frame in read_frames(sys.stdin.buffer):
            start = time.perf_counter()
            res = holistic.process(frame)
            latencies.append(time.perf_counter() - start)
            if args.timing_only:
                i += 1
                continue
            if res.pose_landmarks:
                results[f"pose_{i}"] = _landmarks(res.pose_landmarks, True)
            if res.pose_world_landmarks:
                results[f"world_{i}"] = _landmarks(res.pose_world_landmarks, True)
            if res.face_landmarks:
                results[f"face_{i}"] = _landmarks(res.face_landmarks, False)
            if res.left_hand_landmarks:
                results[f"left_{i}"] = _landmarks(res.left_hand_landmarks, False)
            if res.right_hand_landmarks:
                results[f"right_{i}"] = _landmarks(res.right_hand_landmarks, False)
            if res.segmentation_mask is not None:
                mask = np.asarray(res.segmentation_mask) > 0.5
                results[f"mask_{i}"] = np.packbits(mask)
                results[f"maskshape_{i}"] = np.asarray(mask.shape)
            if args.pose_internals:
                for stream, key in POSE_INTERNAL_STREAMS.items():
                    value = getattr(res, stream)
                    if value is None:
                        continue
                    if key == "posescore":
                        results[f"{key}_{i}"] = np.asarray(value, dtype=np.float32)
                    elif key in ("poseroi", "nextroi"):
                        results[f"{key}_{i}"] = _rect(value)
                    else:
                        results[f"{key}_{i}"] = _all_fields(value)
            i += 1
    results["num_frames"] = np.asarray(i)
    results["latency_s"] = np.asarray(latencies)
    np.savez_compressed(args.out, **results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
