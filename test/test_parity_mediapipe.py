"""holistic_ros against MediaPipe 0.10.21's mp.solutions.holistic on real media.

MediaPipe runs in its own venv (.venv-oracle) as a subprocess that receives the
very frames holistic_ros gets (tools/parity.py). Tolerances (issue 2):

* presence of each part (pose, face, each hand) agrees on >= 95% of frames;
* where both find a part, the mean landmark error is <= 0.5% of the image
  diagonal for pose and face and <= 1% for hands;
* segmentation masks agree with IoU >= 0.95 at 0.5.

Images (static mode) are held to exactly these.

Video (issue 9) is held to MediaPipe's own noise. The tracking loops are
chaotic on these clips (waist-up and torso-only framing puts the hips far
outside the image, so the pose ROI is several times the image size and its
crop a sparse sample): MediaPipe itself, fed the same frames with every value
moved by -1, 0 or +1, drifts from its own output (woman clip: pose 2.2% of the
diagonal; torso clip: pose 16%). That drift is measured in the test, averaged
over two noise seeds, on both clips and on variants nothing was tuned on
(rotated +-15 and +-30 degrees, mirrored: tools/video_variants.py), and every part, with the
default settings, must keep its mean error within 1.5x MediaPipe's drift and
its presence agreement within 5 points of MediaPipe's; the mean mask IoU at
most 0.1 below MediaPipe's. Where that is not reached, KNOWN_GAPS states what
is, with the numbers measured, and each such miss is an xfail(strict=True)
test of the real criterion. On the chaotic torso clip holistic_ros must stay
inside MediaPipe's own spread over four noise seeds, measured in the test.

Nothing to compare is a failure: a part MediaPipe finds that holistic_ros
never finds on the same frame, no frame where both produced a mask
(tools/parity.py gives NaN, not 0, for the error over no frame).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import pytest

from conftest import require_oracle, skip_or_fail

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import parity  # noqa: E402
import video_fidelity  # noqa: E402
import video_variants  # noqa: E402

from holistic_ros import Holistic  # noqa: E402

pytestmark = pytest.mark.parity

# Issue 2's criteria, on images.
PRESENCE_MIN = 0.95
ERROR_MAX = {"pose": 0.005, "face": 0.005, "left": 0.01, "right": 0.01}
MASK_IOU_MIN = 0.95
# Video against MediaPipe's own drift under +-1 noise (issue 9): error <= 1.5x the drift,
# presence within 5 points of MediaPipe's with itself, mean mask IoU at most 0.1 below.
DRIFT_ERROR_FACTOR = 1.5
DRIFT_PRESENCE_MARGIN = 0.05
DRIFT_IOU_MARGIN = 0.10
NOISE_SEEDS = (0, 1)
# The chaotic torso clip: MediaPipe's own spread over these noise seeds (issue 16) bounds
# what no criterion above can: seeds 0 and 1 are the drift runs (cached), 2 and 3 two more.
SPREAD_SEEDS = (0, 1, 2, 3)
VIDEOS = video_fidelity.CLIPS
VIDEO_VARIANTS = ("original", "rotate+15", "rotate-15", "rotate+30", "rotate-30", "flip")
PARTS = ("pose", "face", "left", "right")
_TORSO, _WOMAN = "mps_hand_reach_640x360.mp4", "mps_woman_thumbs_up_1280x720.mp4"
# Known misses of the video criteria: (video, variant, part, criterion) -> what was measured
# (tools/video_fidelity.py; the test prints the same). Each is its own xfail(strict=True)
# test against the real criterion: closing a gap turns it into an XPASS, which fails until
# the entry goes; every other criterion of that clip and variant is asserted as it is.
# - The torso clip as filmed, the most chaotic sequence: its pose ROI is up to 8 times the
#   image (the detector's ROI for a torso whose hips are far out of frame), the person a
#   30-pixel blob in the 256-pixel crop, and a 1e-6 difference in the ROI grows to a
#   different track within a frame or two. There, test_torso_clip_within_mediapipe_spread
#   holds holistic_ros inside MediaPipe's own spread over noise seeds, so a worse miss fails.
#   MediaPipe against itself under +-1 noise, seeds 0-3, spans pose presence 77.7-91.1% and
#   error 10.0-52.2% of the diagonal, left hand presence 33-98%, right 50-99%, mask IoU
#   0.16-0.86 (seeds 0-7: pose error 4.6-52.8%).
#   Its hands are found on a few frames by MediaPipe (none together with its own noisy runs,
#   or with one seed of two), never on those by holistic_ros.
# - The torso clip rotated -15 degrees: the tracks part the same way.
# - The woman clip rotated +30 degrees: the hands are found on fewer frames than MediaPipe's.
# Measured on a 2-core AMD EPYC machine, and missed on the Intel Xeon too; where the two CPUs
# differ, MACHINE_DEPENDENT_GAPS below.
_MP_ONLY = "MediaPipe found it on {} frames, holistic_ros never on the same frame"
KNOWN_GAPS = {
    (_TORSO, "original", "pose", "error"):
        "23.94% of the diagonal = 1.51x MediaPipe's drift 15.83% (seeds 0, 1: 14.70%, 16.95%)",
    (_TORSO, "original", "left", "presence"): "presence 79.2%, MediaPipe with itself 96.0%",
    (_TORSO, "original", "left", "error"): _MP_ONLY.format(5),
    (_TORSO, "original", "right", "error"): _MP_ONLY.format(3),
    (_TORSO, "rotate-15", "left", "error"):
        "6.77% of the diagonal on the one frame both found it; MediaPipe's noisy runs never found it "
        "on the frames its clean run did, so the image bar of 1% holds",
    (_TORSO, "rotate-15", "right", "error"): _MP_ONLY.format(13),
    (_WOMAN, "rotate+30", "right", "presence"): "presence 66.2%, MediaPipe with itself 78.2%",
}
# Criteria met on one machine and missed on another, with the same code and the same MediaPipe
# figures (MediaPipe's drift above is the same to the last digit on all): holistic_ros's
# ONNX Runtime results differ between the CPUs seen, and these chaotic tracks grow that into
# other frames with a hand or a mask. What tells the machines apart is AVX-512, not the vendor:
# an Intel Xeon with AVX-512 and AMX (several sessions) and, in the seventeenth round of issue
# 18, an AMD EPYC with AVX-512 (avx512f, _vnni, _bf16) gave the same figures to the last digit
# (torso clip: right hand presence 65.3%, mask IoU 0.6514; woman +30: left hand presence met);
# the AMD EPYC machines of earlier sessions the other ones (their CPU flags were not recorded;
# AMD EPYCs before Zen 4 have no AVX-512). (machine, what was measured there): each is a known
# gap, a strict xfail against the real criterion on such machines, and asserted as any other
# criterion on the others.
AVX512, NO_AVX512 = "AVX-512", "no AVX-512"
MACHINE_DEPENDENT_GAPS = {
    (_TORSO, "original", "right", "presence"):
        (AVX512, "presence 65.3%, needed 80.1% (MediaPipe with itself 85.1%, seeds 0, 1: 98.5%, 71.8%); "
                 "met on the earlier AMD EPYC"),
    (_TORSO, "original", "mask", "iou"): (AVX512, "mean IoU 0.6514, needed 0.6621; met on the earlier AMD EPYC"),
    (_WOMAN, "rotate+30", "left", "presence"):
        (NO_AVX512, "presence 71.3% on the earlier AMD EPYC, MediaPipe with itself 85.6%; met on the Intel "
                    "Xeon and the AMD EPYC with AVX-512"),
}


def _cpu_kind() -> str:
    """AVX512 or NO_AVX512 (/proc/cpuinfo's flags: avx512f), or "" where they cannot be read."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return AVX512 if "avx512f" in line.split(":", 1)[1].split() else NO_AVX512
    except OSError:
        pass
    return ""


def gaps_for(kind: str) -> Dict[Tuple[str, str, str, str], str]:
    """The known gaps on a CPU of ``kind``: KNOWN_GAPS and the machine-dependent ones missed there."""
    return {**KNOWN_GAPS, **{key: f"on CPUs with {kind}: {reason}"
                             for key, (missed_on, reason) in MACHINE_DEPENDENT_GAPS.items() if missed_on == kind}}


GAPS_HERE = gaps_for(_cpu_kind())


@pytest.fixture(scope="module")
def media():
    if not (parity.media_dir() / "images").is_dir():
        skip_or_fail(f"test media not found at {parity.media_dir()} (expected ../shared/testdata/media "
                     "beside the repo, or HOLISTIC_ROS_MEDIA); parity tests need it")
    require_oracle()
    return parity.media_dir()


def _report(title, stats, ious):
    lines = [title] + [f"  {c:5s} {s.summary()}" for c, s in stats.items()]
    if ious:
        lines.append(f"  mask IoU min {min(ious):.4f} mean {np.mean(ious):.4f} over {len(ious)} frames")
    else:
        lines.append("  no frame where both produced a mask")
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
        # the photos hold every part: an error over no frame would compare nothing
        assert s.both_present > 0, f"{c}: never found by both: {s.summary()}"
        assert s.mean_error <= ERROR_MAX[c], f"{c}: {s.summary()}"
    if refine:
        faces = [r.face_landmarks for r in ours if r.face_landmarks is not None]
        assert faces and all(f.shape == (478, 3) for f in faces)
    assert ious, "MediaPipe and holistic_ros never both produced a mask"
    assert min(ious) >= MASK_IOU_MIN, f"mask IoUs {np.round(ious, 4)}"


@dataclass
class VideoRun:
    """One clip variant: holistic_ros and MediaPipe's noisy runs, each against MediaPipe."""

    stats: Dict[str, parity.ComponentStats]
    ious: List[float]
    drift: Dict[str, parity.DriftStats]
    drift_ious: List[float]
    frames: Optional[List[np.ndarray]] = None   # kept only for the clip the spread test needs


_VIDEO_RUNS: Dict[Tuple[str, str], VideoRun] = {}


def _video_run(media: Path, video: str, variant: str) -> VideoRun:
    """Default settings, MediaPipe's clock, computed once per clip and variant (the stats
    only: the frames are dropped, but for the torso clip as filmed)."""
    key = (video, variant)
    if key in _VIDEO_RUNS:
        return _VIDEO_RUNS[key]
    path = media / "videos" / video
    if not path.is_file():
        skip_or_fail(f"{path} not found (shared test media)")
    frames = video_variants.variant_frames(list(parity.iter_video_rgb(path)), variant)
    options = video_fidelity.VIDEO_OPTIONS
    oracle = parity.run_oracle(frames, options, "video-")
    drift, drift_ious = parity.mediapipe_drift(frames, options, oracle, NOISE_SEEDS)
    # Holistic's defaults (so re-crop skipping as the default says), MediaPipe's clock.
    with Holistic(**options) as holistic:
        ours = [holistic.process(f, timestamp=(i + 1) * video_fidelity.FRAME_INTERVAL_S)
                for i, f in enumerate(frames)]
    stats, ious = parity.compare_run(ours, oracle, frames)
    _report(f"{video}, {variant}: holistic_ros vs MediaPipe", stats, ious)
    print(f"{video}, {variant}: MediaPipe with +-1 noise vs MediaPipe\n"
          + "\n".join(f"  {c:5s} {d.summary()}" for c, d in drift.items())
          + (f"\n  mask IoU mean {np.mean(drift_ious):.4f}" if drift_ious else "\n  no noisy mask"))
    run = VideoRun(stats, ious, drift, drift_ious, frames if key == (_TORSO, "original") else None)
    _VIDEO_RUNS[key] = run
    return run


def _miss(run: VideoRun, part: str, criterion: str) -> Optional[str]:
    """Why ``part`` misses ``criterion`` ("presence", "error"; part "mask": "iou"), or None."""
    if part == "mask":
        if not run.ious:   # segmentation is on: MediaPipe's masks must be met
            return "mask: no frame where MediaPipe and holistic_ros both produced a mask"
        iou_min = min(MASK_IOU_MIN, np.mean(run.drift_ious) - DRIFT_IOU_MARGIN) if run.drift_ious else MASK_IOU_MIN
        mean = float(np.mean(run.ious))
        return None if mean >= iou_min else f"mask: mean IoU {mean:.4f} < {iou_min:.4f}"
    s, d = run.stats[part], run.drift[part]
    if criterion == "presence":
        presence_min = d.presence_agreement - DRIFT_PRESENCE_MARGIN
        if s.presence_agreement < presence_min - 1e-9:
            return f"{part}: {s.summary()} (presence needed {100 * presence_min:.1f}%)"
        return None
    if s.theirs_present == 0:
        return None   # MediaPipe never found it: the presence criterion is the comparison
    if s.both_present == 0:
        return f"{part}: MediaPipe found it on {s.theirs_present} frames, never together with holistic_ros"
    # No frame where noisy MediaPipe and MediaPipe both found the part: no drift to scale,
    # so the image threshold holds.
    error_max = ERROR_MAX[part] if d.mean_error is None else DRIFT_ERROR_FACTOR * d.mean_error
    if not s.mean_error <= error_max + 1e-12:
        return f"{part}: {s.summary()} (error allowed {100 * error_max:.3f}%; MediaPipe's drift {d.summary()})"
    return None


CRITERIA = [(p, c) for p in PARTS for c in ("presence", "error")] + [("mask", "iou")]


@pytest.mark.slow
@pytest.mark.parametrize("variant", VIDEO_VARIANTS)
@pytest.mark.parametrize("video", VIDEOS)
def test_video_matches_mediapipe(media, video, variant):
    """A clip or one of its variants (tools/video_variants.py), every part against
    MediaPipe's own drift; the known misses are asserted by test_video_known_gap."""
    run = _video_run(media, video, variant)
    failures = [m for part, criterion in CRITERIA if (video, variant, part, criterion) not in GAPS_HERE
                for m in [_miss(run, part, criterion)] if m]
    assert not failures, "\n".join(failures)


@pytest.mark.slow
@pytest.mark.parametrize("video,variant,part,criterion", [
    pytest.param(*key, marks=pytest.mark.xfail(strict=True, reason=reason), id="-".join(key))
    for key, reason in GAPS_HERE.items()])
def test_video_known_gap(media, video, variant, part, criterion):
    """The real criterion where it is known to be missed on this machine (GAPS_HERE: KNOWN_GAPS,
    and the MACHINE_DEPENDENT_GAPS of this CPU's kind: with or without AVX-512)."""
    miss = _miss(_video_run(media, video, variant), part, criterion)
    assert miss is None, miss


@pytest.mark.slow
def test_torso_clip_within_mediapipe_spread(media):
    """On the chaotic torso clip, where the criteria are missed, holistic_ros must not be
    further from MediaPipe than MediaPipe is from itself over SPREAD_SEEDS (noise seeds):
    presence agreement at least the lowest, error at most the highest, mean mask IoU at
    least the lowest of its noisy runs, measured here."""
    run = _video_run(media, _TORSO, "original")
    seeds = parity.mediapipe_noise_runs(run.frames, video_fidelity.VIDEO_OPTIONS,
                                        parity.run_oracle(run.frames, video_fidelity.VIDEO_OPTIONS, "video-"),
                                        SPREAD_SEEDS)
    # A run that never found the part on a frame where MediaPipe did has an infinite error:
    # MediaPipe's own spread includes that when one of its noisy runs did so.
    error = lambda st: st.mean_error if st.both_present else math.inf   # noqa: E731
    failures = []
    for part in PARTS:
        s = run.stats[part]
        presences = [stats[part].presence_agreement for stats, _ in seeds]
        errors = [error(stats[part]) for stats, _ in seeds]
        print(f"{part}: holistic_ros {s.summary()}; MediaPipe over seeds {SPREAD_SEEDS}: presence "
              + ", ".join(f"{100 * p:.1f}%" for p in presences) + "; error "
              + ", ".join(f"{100 * e:.2f}%" for e in errors))
        if s.presence_agreement < min(presences) - 1e-9:
            failures.append(f"{part}: presence {100 * s.presence_agreement:.1f}% < MediaPipe's lowest "
                            f"{100 * min(presences):.1f}%")
        if s.theirs_present and not error(s) <= max(errors):
            failures.append(f"{part}: error {100 * error(s):.2f}% > MediaPipe's highest {100 * max(errors):.2f}%")
    seed_ious = [float(np.mean(ious)) for _, ious in seeds if ious]
    print(f"mask: holistic_ros mean IoU {np.mean(run.ious) if run.ious else float('nan'):.3f}; MediaPipe over "
          f"seeds: " + ", ".join(f"{v:.3f}" for v in seed_ious))
    if not run.ious or (seed_ious and np.mean(run.ious) < min(seed_ious)):
        failures.append(f"mask: mean IoU {np.mean(run.ious) if run.ious else float('nan'):.3f} < MediaPipe's lowest "
                        f"{min(seed_ious) if seed_ious else float('nan'):.3f}")
    assert not failures, "\n".join(failures)
