"""The Holistic class: options, bad input, edge sizes, timestamps, model errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import skip_or_fail

from holistic_ros import Holistic, HolisticResult, ModelError

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def holistic():
    with Holistic(static_image_mode=True, enable_segmentation=True, providers=["CPUExecutionProvider"]) as h:
        yield h


@pytest.fixture(scope="module")
def person_rgb(images_dir):
    import cv2

    path = images_dir / "tfe_yoga_tree_pose.jpg"
    if not path.is_file():
        skip_or_fail(f"test image {path} not found (../shared/testdata/media beside the repo)")
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def test_core_imports_without_ros():
    code = ("import sys; sys.modules['rclpy'] = None; sys.modules['sensor_msgs'] = None; "
            "import holistic_ros; from holistic_ros import Holistic; "
            "assert 'rclpy' not in [m for m in sys.modules if sys.modules[m] is not None]")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


@pytest.mark.parametrize("bad,needle", [
    (np.zeros((10, 10), np.uint8), "shape"),
    (np.zeros((10, 10, 4), np.uint8), "shape"),
    (np.zeros((10, 10, 3), np.float32), "dtype uint8"),
    ([[0, 0, 0]], "numpy array"),
    (np.zeros((0, 10, 3), np.uint8), "non-empty"),
])
def test_bad_images_raise_value_error_saying_what_was_expected(holistic, bad, needle):
    with pytest.raises(ValueError, match=needle):
        holistic.process(bad)


def test_blank_image_gives_all_none(holistic):
    res = holistic.process(np.zeros((480, 640, 3), np.uint8))
    assert isinstance(res, HolisticResult)
    for field in ("pose_landmarks", "pose_world_landmarks", "face_landmarks", "left_hand_landmarks",
                  "right_hand_landmarks", "segmentation_mask"):
        assert getattr(res, field) is None
    assert res.image_size == (640, 480)


@pytest.mark.parametrize("shape", [(1, 1, 3), (2, 3000, 3), (6000, 8000, 3)])
def test_tiny_and_huge_images_work(holistic, shape):
    res = holistic.process(np.full(shape, 128, np.uint8))
    assert res.pose_landmarks is None and res.image_size == (shape[1], shape[0])


def test_person_landmarks_shapes_ranges_and_noncontiguous_input(holistic, person_rgb):
    res = holistic.process(person_rgb)
    assert res.pose_landmarks.shape == (33, 4) and res.pose_landmarks.dtype == np.float32
    assert res.pose_world_landmarks.shape == (33, 4)
    assert res.face_landmarks.shape == (468, 3)
    assert res.left_hand_landmarks.shape == (21, 3) and res.right_hand_landmarks.shape == (21, 3)
    assert res.segmentation_mask.shape == person_rgb.shape[:2]
    assert 0.0 <= res.segmentation_mask.min() and res.segmentation_mask.max() <= 1.0
    # The nose is inside the image and above the hips; world landmarks are hip-centred metres.
    nose, hips = res.pose_landmarks[0], res.pose_landmarks[23:25]
    assert 0 < nose[0] < 1 and 0 < nose[1] < hips[:, 1].min()
    assert np.abs(res.pose_world_landmarks[23:25, :3].mean(axis=0)).max() < 0.05
    assert 0.5 < np.ptp(res.pose_world_landmarks[:, 1]) < 2.5
    # The same pixels as a non-contiguous view (the RGB channels of an RGBA buffer) give the same result.
    rgba = np.dstack([person_rgb, np.full(person_rgb.shape[:2], 255, np.uint8)])
    view = rgba[:, :, :3]
    assert not view.flags.c_contiguous
    np.testing.assert_array_equal(holistic.process(view).pose_landmarks, res.pose_landmarks)


def test_refined_face_has_478_points(person_rgb):
    with Holistic(static_image_mode=True, refine_face_landmarks=True) as h:
        res = h.process(person_rgb)
    assert res.face_landmarks.shape == (478, 3)


def test_timestamps_drive_tracking_and_backwards_time_resets(person_rgb, caplog):
    with Holistic(static_image_mode=False) as h:
        first = h.process(person_rgb, timestamp=10.0)
        assert "pose_detection" in first.stage_ms
        second = h.process(person_rgb, timestamp=10.033)
        assert "pose_detection" not in second.stage_ms          # tracked from the last frame
        with caplog.at_level("INFO", logger="holistic_ros"):
            third = h.process(person_rgb, timestamp=5.0)        # a bag loops back
        assert "pose_detection" in third.stage_ms               # tracking was reset
        assert "resetting" in caplog.text
        np.testing.assert_allclose(third.pose_landmarks, first.pose_landmarks, atol=1e-6)


def test_thresholds_change_at_run_time_and_are_validated(person_rgb):
    with Holistic(static_image_mode=True) as h:
        assert h.process(person_rgb).pose_landmarks is not None
        h.set_thresholds(min_detection_confidence=1.0)
        assert h.process(person_rgb).pose_landmarks is None
        with pytest.raises(ValueError, match="min_tracking_confidence"):
            h.set_thresholds(min_tracking_confidence=1.5)


def test_invalid_options_are_rejected():
    with pytest.raises(ValueError, match="model_complexity"):
        Holistic(model_complexity=3)
    with pytest.raises(ValueError, match="min_detection_confidence"):
        Holistic(min_detection_confidence=-0.1)


def test_closed_instance_refuses_work():
    h = Holistic()
    h.close()
    with pytest.raises(RuntimeError, match="closed"):
        h.process(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(RuntimeError, match="closed"):
        h.reset()
    h.close()  # a second close is harmless


def test_missing_model_names_the_file_and_the_fix(models_copy):
    (models_copy / "hand_recrop.onnx").unlink()
    with pytest.raises(ModelError, match=r"hand_recrop\.onnx is missing.*make models"):
        Holistic(models_dir=models_copy)


def test_corrupt_model_is_caught_by_checksum(models_copy):
    path = models_copy / "face_landmark.onnx"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"face_landmark\.onnx is corrupt.*sha256"):
        Holistic(models_dir=models_copy)


def test_missing_manifest_and_unlisted_complexity(models_copy, tmp_path):
    with pytest.raises(ModelError, match="No model manifest"):
        Holistic(models_dir=tmp_path / "nowhere")
    with pytest.raises(ModelError, match=r"pose_landmark_heavy.*convert_models\.py --extra-tflite-dir"):
        Holistic(model_complexity=2, models_dir=models_copy)
    manifest = json.loads((models_copy / "manifest.json").read_text())
    assert "pose_landmark_lite" not in manifest["models"]


@pytest.fixture(scope="module")
def woman_clip_frames(videos_dir):
    """first(count): the first ``count`` RGB frames of the woman clip (skips the test without it)."""
    import cv2

    video = videos_dir / "mps_woman_thumbs_up_1280x720.mp4"
    if not video.is_file():
        skip_or_fail(f"test video {video} not found (../shared/testdata/media beside the repo)")

    def first(count):
        cap = cv2.VideoCapture(str(video))
        frames = []
        while len(frames) < count:
            ok, bgr = cap.read()
            assert ok
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        cap.release()
        return frames

    return first


def test_submit_pipelines_frames_with_the_same_results_as_process(woman_clip_frames):
    frames = woman_clip_frames(12)
    with Holistic() as h:
        expected = [h.process(f) for f in frames]
    with Holistic() as h:
        futures = [h.submit(f) for f in frames]   # all in flight, results in order
        got = [f.result() for f in futures]
    for a, b in zip(expected, got):
        for field in ("pose_landmarks", "face_landmarks", "left_hand_landmarks", "right_hand_landmarks"):
            x, y = getattr(a, field), getattr(b, field)
            assert (x is None) == (y is None), field
            if x is not None:
                np.testing.assert_array_equal(x, y)


def test_submitted_frames_complete_one_at_a_time_in_order(woman_clip_frames):
    """Callbacks of frame t finish before those of frame t+1 start, whichever branch
    finishes a frame last (the ROS node publishes from these callbacks)."""
    import threading
    import time as clock

    events = []
    with Holistic(providers=["CPUExecutionProvider"]) as h:
        futures = [h.submit(f, timestamp=(i + 1) / 30) for i, f in enumerate(woman_clip_frames(8))]
        for i, future in enumerate(futures):
            def on_done(_, i=i):
                events.append(("start", i, threading.current_thread().name))
                clock.sleep(0.005)   # a slow callback, like publishing markers
                events.append(("end", i, threading.current_thread().name))
            future.add_done_callback(on_done)
        for future in futures:
            future.result()
        clock.sleep(0.1)   # callbacks added after completion run at once, on this thread
    late = [e for e in events if e[2] == threading.current_thread().name]
    delivered = [e for e in events if e not in late]
    assert [e[:2] for e in delivered] == [(k, i) for i in sorted({e[1] for e in delivered}) for k in ("start", "end")]


@pytest.mark.slow
def test_recrop_skipping_saves_models_and_keeps_the_face_where_mediapipe_puts_it(woman_clip_frames):
    """Skipping re-crops only where tracking is sure to hold: on a real clip most
    face re-crops are skipped and the face mesh stays as without skipping."""
    frames = woman_clip_frames(60)
    runs = {}
    for skip in (False, True):
        with Holistic(skip_recrops=skip, providers=["CPUExecutionProvider"]) as h:
            runs[skip] = [h.process(f, timestamp=(i + 1) / 30) for i, f in enumerate(frames)]
            counts = (h._face.tracker.recrops_run, h._face.tracker.recrops_skipped,
                      sum(t.recrops_skipped for t in h._hands.trackers))
        if skip:
            face_run, face_skipped, hands_skipped = counts
            assert face_skipped > face_run, counts
            assert hands_skipped > 0, counts
        else:
            assert counts[1:] == (0, 0)
    diag = float(np.hypot(1280, 720))
    errors = [np.linalg.norm((a.face_landmarks - b.face_landmarks)[:, :2] * (1280, 720), axis=1).mean() / diag
              for a, b in zip(runs[False], runs[True])]
    assert max(errors) < 0.001, f"face moved by up to {100 * max(errors):.3f}% of the diagonal"


def test_static_mode_never_skips_recrops(holistic, person_rgb):
    for _ in range(3):
        holistic.process(person_rgb)
    assert holistic._face.tracker.recrops_skipped == 0
    assert [t.recrops_skipped for t in holistic._hands.trackers] == [0, 0]


def test_device_crops_feed_the_models_through_io_binding(person_rgb):
    """The GPU path's structure on the CPU provider: one upload per frame, crops as
    OrtValues, models bound to them; the landmarks agree with the OpenCV path."""
    from holistic_ros.pipeline.device_crop import DeviceFrame

    results = {}
    for device in (False, True):
        with Holistic(static_image_mode=True, device_crops=device, providers=["CPUExecutionProvider"]) as h:
            assert (h._cropper is not None) == device
            if device:
                frame = h._frame(person_rgb)
                assert isinstance(frame, DeviceFrame) and frame.value.device_name() == "cpu"
            results[device] = h.process(person_rgb)
    h_px, w_px = person_rgb.shape[:2]
    diag = float(np.hypot(w_px, h_px))
    for part in ("pose_landmarks", "face_landmarks"):
        a, b = getattr(results[False], part), getattr(results[True], part)
        assert a is not None and b is not None, part
        error = np.linalg.norm((a - b)[:, :2] * (w_px, h_px), axis=1).mean() / diag
        assert error < 0.005, f"{part}: device crops moved it by {100 * error:.3f}% of the diagonal"


@pytest.mark.parametrize("device_crops", [False, True], ids=["opencv_crops", "device_crops"])
def test_branches_one_by_one_with_batched_hands_give_the_branch_threads_results(device_crops, woman_clip_frames):
    """The GPU's schedule (face, then both hands in one batch; no branch threads),
    run here on the CPU provider, gives what the CPU's branch threads give."""
    frames = woman_clip_frames(40)[25:]   # the hands are up from about frame 25
    runs = {}
    for parallel in (True, False):
        with Holistic(parallel_branches=parallel, device_crops=device_crops,
                      providers=["CPUExecutionProvider"]) as h:
            assert (h._chains is not None) == parallel
            runs[parallel] = [h.process(f, timestamp=(i + 1) / 30) for i, f in enumerate(frames)]
    hands_seen = 0
    for a, b in zip(runs[True], runs[False]):
        for field in ("pose_landmarks", "face_landmarks", "left_hand_landmarks", "right_hand_landmarks"):
            x, y = getattr(a, field), getattr(b, field)
            assert (x is None) == (y is None), field
            if x is not None:
                np.testing.assert_allclose(x, y, rtol=0, atol=1e-5, err_msg=field)
                hands_seen += field.endswith("hand_landmarks")
    assert hands_seen > 0


def test_a_missing_gpu_is_said_once_per_process_and_only_when_asked_for(caplog, monkeypatch):
    from holistic_ros.pipeline import models

    monkeypatch.setattr(models, "_SAID", set())
    real_gpu = models.gpu_present()
    cpu_only = ["CPUExecutionProvider"]
    # Automatic choice on a machine with no GPU device: CUDA is not even tried.
    monkeypatch.setattr(models, "gpu_present", lambda: False)
    assert models.resolve_providers(None) == cpu_only
    with caplog.at_level("WARNING", logger="holistic_ros"):
        for _ in range(2):
            Holistic(static_image_mode=True).close()
    assert not [r for r in caplog.records if "could not start" in r.getMessage()]
    if not real_gpu:
        # Asked for by name but unable to start here: said once, not at every build.
        caplog.clear()
        with caplog.at_level("WARNING", logger="holistic_ros"):
            for _ in range(3):
                h = Holistic(static_image_mode=True, providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
                assert h.providers == cpu_only
                h.close()
        said = [r for r in caplog.records if "could not start" in r.getMessage()]
        assert len(said) == 1, [r.getMessage() for r in said]


@pytest.mark.parametrize("options", [{}, {"max_num_people": 2, "enable_segmentation": True}],
                         ids=["one_person", "two_people"])
def test_close_frees_the_onnx_sessions_without_the_cycle_collector(person_rgb, options):
    """close() lets go of every ONNX Runtime session at once (docs/ros.md, "Memory"): with the
    cycle collector off, nothing the closed instance made still holds one (a person's track
    and its pose, the branch factory's closure and each frame's branch futures were reference
    cycles that kept them until a collection)."""
    import gc
    import weakref

    import onnxruntime as ort

    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        before = {id(o) for o in gc.get_objects() if isinstance(o, ort.InferenceSession)}
        h = Holistic(providers=["CPUExecutionProvider"], **options)
        for t in range(3):
            h.process(person_rgb, timestamp=t * 0.04)
        sessions = [weakref.ref(o) for o in gc.get_objects()
                    if isinstance(o, ort.InferenceSession) and id(o) not in before]
        assert len(sessions) >= 6   # pose detector and landmarks, face detector and mesh, hand recrop and landmarks
        h.close()
        assert [r() for r in sessions if r() is not None] == []
    finally:
        if enabled:
            gc.enable()


def test_frames_leave_no_reference_cycles(person_rgb):
    """Each frame's branch futures used to hold the frame's pose (masks, people, tracks) in a
    reference cycle until the cycle collector ran (72 objects a frame, measured); a frame now
    leaves nothing for it (docs/ros.md, "Memory")."""
    import gc

    enabled = gc.isenabled()
    with Holistic(providers=["CPUExecutionProvider"], max_num_people=2, enable_segmentation=True) as h:
        h.process(person_rgb, timestamp=0.0)   # first frame: lazily built state
        gc.collect()
        gc.disable()
        try:
            for t in range(1, 6):
                h.process(person_rgb, timestamp=t * 0.04)
            assert gc.collect() == 0
        finally:
            if enabled:
                gc.enable()
