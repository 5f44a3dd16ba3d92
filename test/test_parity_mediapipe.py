"""holistic_ros against MediaPipe 0.10.21's mp.solutions.holistic on real media.

MediaPipe runs in its own venv (.venv-oracle) as a subprocess that receives the
very frames holistic_ros gets (tools/parity.py). Tolerances (issue 2):

* presence of each part (pose, face, each hand) agrees on >= 95% of frames;
* where both find a part, the mean landmark error is <= 0.5% of the image
  diagonal for pose and face and <= 1% for hands;
* segmentation masks agree with IoU >= 0.95 at 0.5.

Images (static mode) are held to exactly these. In video mode the pose and
hand tracking loops are chaotic on these clips (waist-up and torso-only
framing puts the hips far outside the image, so the pose ROI is several times
the image size and its crop is a sparse sample): MediaPipe itself, fed the same
frames with every pixel moved by +-1, drifts from its own output by more than
the thresholds above (woman clip: pose 2.1% of the diagonal; torso clip: pose
15%, pose presence 91%), and the hand ROIs follow the pose. For video, the
pose and the hands must therefore meet the threshold or stay within
MediaPipe's own drift, measured in the same test: presence agreement at most
20 points below MediaPipe-vs-MediaPipe, mean error at most 3x
MediaPipe-vs-MediaPipe, mean mask IoU at most 0.1 below. The face, which is
re-detected every frame, is held to the plain thresholds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import parity  # noqa: E402

from holistic_ros import Holistic  # noqa: E402

pytestmark = pytest.mark.parity

PRESENCE_MIN = 0.95
ERROR_MAX = {"pose": 0.005, "face": 0.005, "left": 0.01, "right": 0.01}
MASK_IOU_MIN = 0.95
DRIFT_PRESENCE_MARGIN = 0.20
DRIFT_IOU_MARGIN = 0.10
DRIFT_ERROR_FACTOR = 3.0


@pytest.fixture(scope="module")
def media():
    if not (parity.media_dir() / "images").is_dir():
        pytest.skip(f"test media not found at {parity.media_dir()} (expected ../shared/testdata/media "
                    "beside the repo); parity tests need it")
    if not parity.oracle_available():
        pytest.skip(f"MediaPipe oracle venv missing ({parity.ORACLE_PYTHON}); run `make oracle-venv`")
    return parity.media_dir()


def _report(title, stats, ious):
    lines = [title] + [f"  {c:5s} {s.summary()}" for c, s in stats.items()]
    if ious:
        lines.append(f"  mask IoU min {min(ious):.4f} mean {np.mean(ious):.4f} over {len(ious)} frames")
    print("\n".join(lines))


@pytest.mark.parametrize("refine,device_crops", [(False, False), (True, False), (False, True)],
                         ids=["refine_off", "refine_on", "device_crops"])
def test_images_match_mediapipe(media, refine, device_crops):
    """device_crops: the GPU path's crops (an ONNX GridSample graph,
    holistic_ros.pipeline.device_crop), on whatever provider runs, held to the same thresholds."""
    paths = parity.image_paths()
    frames = [parity.load_image_rgb(p) for p in paths]
    options = dict(static_image_mode=True, model_complexity=1, enable_segmentation=True,
                   refine_face_landmarks=refine)
    oracle = parity.run_oracle(frames, options, "images-")
    with Holistic(device_crops=True if device_crops else None, **options) as holistic:
        ours = [holistic.process(f) for f in frames]
    stats, ious = parity.compare_run(ours, oracle, frames)
    _report(f"images, refine_face_landmarks={refine}, device_crops={device_crops}", stats, ious)
    for c, s in stats.items():
        assert s.presence_agreement >= PRESENCE_MIN, f"{c}: {s.summary()}"
        assert s.mean_error <= ERROR_MAX[c], f"{c}: {s.summary()}"
    if refine:
        faces = [r.face_landmarks for r in ours if r.face_landmarks is not None]
        assert faces and all(f.shape == (478, 3) for f in faces)
    assert ious, "MediaPipe and holistic_ros never both produced a mask"
    assert min(ious) >= MASK_IOU_MIN, f"mask IoUs {np.round(ious, 4)}"


@pytest.mark.slow
@pytest.mark.parametrize("video", ["mps_woman_thumbs_up_1280x720.mp4", "mps_hand_reach_640x360.mp4"])
def test_video_matches_mediapipe(media, video):
    path = media / "videos" / video
    if not path.is_file():
        pytest.skip(f"{path} not found")
    frames = list(parity.iter_video_rgb(path))
    options = dict(static_image_mode=False, model_complexity=1, smooth_landmarks=True,
                   enable_segmentation=True, smooth_segmentation=True, refine_face_landmarks=False)
    oracle = parity.run_oracle(frames, options, "video-")
    noisy = parity.run_oracle(parity.perturb_frames(frames), options, "video-noisy-")
    # MediaPipe's clock: frame i at (i + 1) * 33333 us, which is also Holistic's default.
    with Holistic(**options) as holistic:
        ours = [holistic.process(f, timestamp=(i + 1) * 0.033333) for i, f in enumerate(frames)]
    stats, ious = parity.compare_run(ours, oracle, frames)
    drift, drift_ious = parity.compare_run(parity.oracle_as_results(noisy, frames), oracle, frames)
    _report(f"{video}: holistic_ros vs MediaPipe", stats, ious)
    _report(f"{video}: MediaPipe with +-1 pixel noise vs MediaPipe", drift, drift_ious)
    for c, s in stats.items():
        if c == "face":
            presence_min, error_max = PRESENCE_MIN, ERROR_MAX[c]
        else:
            presence_min = min(PRESENCE_MIN, drift[c].presence_agreement - DRIFT_PRESENCE_MARGIN)
            error_max = max(ERROR_MAX[c], DRIFT_ERROR_FACTOR * drift[c].mean_error)
        assert s.presence_agreement >= presence_min, f"{c}: {s.summary()} (needed {presence_min:.3f})"
        assert s.mean_error <= error_max, f"{c}: {s.summary()} (allowed {100 * error_max:.3f}%)"
    if ious:
        iou_min = min(MASK_IOU_MIN, np.mean(drift_ious) - DRIFT_IOU_MARGIN) if drift_ious else MASK_IOU_MIN
        assert np.mean(ious) >= iou_min, f"mean mask IoU {np.mean(ious):.4f} < {iou_min:.4f}"
