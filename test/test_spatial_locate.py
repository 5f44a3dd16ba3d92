"""locate() (holistic_ros/spatial/locate.py) on real Holistic results, with depth built from a known truth.

No RGB-D recording is to be had, so depth images are rendered: flat and tilted planes, and
a body-shaped scene (discs at the landmarks, capsules along the skeleton, a wall behind)
rendered from a located skeleton moved to a known distance. Tolerances are stated where
they are asserted.
"""

from __future__ import annotations

import dataclasses
import math
import types
from pathlib import Path
from typing import Dict, Iterable, Tuple

import cv2
import numpy as np
import pytest

from conftest import load_rgb, skip_or_fail
from holistic_ros import Holistic
from holistic_ros.drawing.connections import HAND_CONNECTIONS, POSE_CONNECTIONS
from holistic_ros.pipeline.landmark_names import PoseLandmark
from holistic_ros.spatial import MEASURED, MODEL, NONE, LocateOptions, PinholeCamera, locate
from holistic_ros.spatial.frames import FACE_SELLION

IMAGES = ("tfe_businessman_standing.jpg", "mps_woman_sitting_fullbody.jpg", "tfe_yoga_tree_pose.jpg")
CLIP = "mps_woman_thumbs_up_1280x720.mp4"
CLIP_FRAMES = (0, 100)  # frame 100: the right hand raised
HFOV = math.radians(60.0)
PLUMB_BOB = (-0.2, 0.05, 0.001, -0.0005, 0.0)
OPTIONS = LocateOptions()

#: Rendered body: disc radius at each landmark and capsule radius along each bone (metres);
#: the hands get thin ones.
JOINT_RADIUS_M = 0.045
BONE_RADIUS_M = 0.025
DETAIL_RADIUS_M = 0.012
FACE_POINT_RADIUS_M = 0.006
POSE_FACE_IDS = frozenset(range(PoseLandmark.MOUTH_RIGHT + 1))
POSE_HAND_IDS = frozenset(range(PoseLandmark.LEFT_WRIST, PoseLandmark.RIGHT_THUMB + 1))
#: The rendered truth is the no-depth located skeleton scaled about the camera's centre: the
#: same pixels, a person this much larger (and further) than MediaPipe's average body.
TRUTH_SCALE = 1.25


def _clip_frames(videos_dir: Path) -> Dict[str, np.ndarray]:
    cap = cv2.VideoCapture(str(videos_dir / CLIP))
    frames = {}
    try:
        for index in CLIP_FRAMES:
            cap.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, bgr = cap.read()
            if not ok:
                skip_or_fail(f"cannot read frame {index} of {CLIP}")
            frames[f"clip{index}"] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()
    return frames


@pytest.fixture(scope="module")
def images(images_dir: Path, videos_dir: Path) -> Dict[str, np.ndarray]:
    out = {name: load_rgb(images_dir / name) for name in IMAGES}
    out.update(_clip_frames(videos_dir))
    return out


@pytest.fixture(scope="module")
def results(images: Dict[str, np.ndarray]):
    """Holistic results of every test image (and of the half-size images), computed once."""
    out = {}
    with Holistic(static_image_mode=True, enable_segmentation=True, refine_face_landmarks=True) as holistic:
        for name, rgb in images.items():
            out[name] = holistic.process(rgb)
            half = cv2.resize(rgb, (rgb.shape[1] // 2, rgb.shape[0] // 2), interpolation=cv2.INTER_AREA)
            out[name + ":half"] = holistic.process(half)
    for name in images:
        assert out[name].pose_landmarks is not None, f"no pose found in {name}"
    return out


def _camera(result, distortion=None) -> PinholeCamera:
    width, height = result.image_size
    cam = PinholeCamera.from_field_of_view(HFOV, width, height)
    return dataclasses.replace(cam, distortion=distortion)


def _pixels(cam: PinholeCamera, landmarks_norm: np.ndarray) -> np.ndarray:
    return cam.pixels_from_normalized(np.asarray(landmarks_norm)[:, :2])


def _in_image(cam: PinholeCamera, uv: np.ndarray, margin: float = 0.0) -> np.ndarray:
    return ((uv[:, 0] >= margin) & (uv[:, 0] <= cam.width - 1 - margin)
            & (uv[:, 1] >= margin) & (uv[:, 1] <= cam.height - 1 - margin))


def _pose_visible(result, cam: PinholeCamera, threshold: float = 0.5) -> np.ndarray:
    uv = _pixels(cam, result.pose_landmarks)
    return (result.pose_landmarks[:, 3] > threshold) & _in_image(cam, uv, margin=2.0)


# ---------------------------------------------------------------------------- rendering
class DepthRenderer:
    """A z-buffer of camera-facing discs: each disc covers the pixels of its projection."""

    def __init__(self, cam: PinholeCamera, background_m: float):
        self.cam = cam
        self.depth = np.full((cam.height, cam.width), background_m, np.float32)
        self.v, self.u = np.mgrid[0:cam.height, 0:cam.width]

    def disc(self, centre_cam: np.ndarray, radius_m: float) -> None:
        if not np.all(np.isfinite(centre_cam)) or centre_cam[2] <= 0:
            return
        (u0, v0), = self.cam.project(centre_cam[None])
        r_px = radius_m * self.cam.fx / centre_cam[2]
        u_lo, u_hi = max(0, int(u0 - r_px)), min(self.cam.width, int(u0 + r_px) + 2)
        v_lo, v_hi = max(0, int(v0 - r_px)), min(self.cam.height, int(v0 + r_px) + 2)
        if u_lo >= u_hi or v_lo >= v_hi:
            return
        patch = self.depth[v_lo:v_hi, u_lo:u_hi]
        inside = (self.u[v_lo:v_hi, u_lo:u_hi] - u0) ** 2 + (self.v[v_lo:v_hi, u_lo:u_hi] - v0) ** 2 <= r_px ** 2
        np.minimum(patch, np.where(inside, np.float32(centre_cam[2]), np.inf), out=patch)

    def skeleton(self, points_cam: np.ndarray, edges: Iterable[Tuple[int, int]], joint_radius_m: float,
                 bone_radius_m: float, thin: frozenset = frozenset()) -> None:
        """Capsules along ``edges`` and discs at the points; points in ``thin`` (and their
        edges) get DETAIL_RADIUS_M."""
        for a, b in edges:
            radius = DETAIL_RADIUS_M if (a in thin or b in thin) else bone_radius_m
            for s in np.linspace(0.0, 1.0, 12):
                self.disc((1 - s) * points_cam[a] + s * points_cam[b], radius)
        for i, p in enumerate(points_cam):
            self.disc(p, DETAIL_RADIUS_M if i in thin else joint_radius_m)


def _render_truth(result, cam: PinholeCamera, scale: float = TRUTH_SCALE):
    """(depth, truth): a body-shaped depth image of the no-depth located person scaled by ``scale``
    about the camera's centre (same pixels, a larger person further away)."""
    base = locate(result, cam)

    def moved_hand(hand):
        """The hand keeps the hand model's metric shape: same pixels, its wrist at the scaled wrist's depth."""
        if hand is None:
            return None
        hand = hand.astype(np.float64)
        z = hand[:, 2:3]
        return hand * (z + (scale - 1.0) * z[0]) / z

    truth = types.SimpleNamespace(pose=scale * base.pose_landmarks.astype(np.float64),
                                  left_hand=moved_hand(base.left_hand_landmarks),
                                  right_hand=moved_hand(base.right_hand_landmarks),
                                  # The mesh's z is on the image's scale, so its depth extent grows with the distance.
                                  face=None if base.face_landmarks is None
                                  else scale * base.face_landmarks.astype(np.float64))
    renderer = DepthRenderer(cam, background_m=float(np.nanmax(truth.pose[:, 2])) + 1.5)
    # The pose's hand and face points get thin discs: the hand models and the face mesh draw those.
    renderer.skeleton(truth.pose, POSE_CONNECTIONS, JOINT_RADIUS_M, BONE_RADIUS_M, POSE_HAND_IDS | POSE_FACE_IDS)
    for hand in (truth.left_hand, truth.right_hand):
        if hand is not None:
            renderer.skeleton(hand, HAND_CONNECTIONS, DETAIL_RADIUS_M, DETAIL_RADIUS_M)
    if truth.face is not None:
        for point in truth.face:
            renderer.disc(point, FACE_POINT_RADIUS_M)
    return renderer.depth, truth


def _own_surface_fraction(depth: np.ndarray, cam: PinholeCamera, uv: np.ndarray, z: np.ndarray,
                          window_px: float) -> np.ndarray:
    """Fraction of each landmark's sampling window that shows its own disc (within 5 mm)."""
    out = np.zeros(len(uv))
    r = max(1, int(round(window_px)))
    for i, ((u, v), zi) in enumerate(zip(uv, z)):
        ui, vi = int(round(u)), int(round(v))
        patch = depth[max(0, vi - r):vi + r + 1, max(0, ui - r):ui + r + 1]
        out[i] = np.mean(np.abs(patch - zi) < 0.005) if patch.size else 0.0
    return out


def _no_mask(result):
    """The result without its segmentation mask (rendered depth does not follow the real silhouette)."""
    return dataclasses.replace(result, segmentation_mask=None)


# ---------------------------------------------------------------------------- without depth
@pytest.mark.parametrize("name", IMAGES + tuple(f"clip{i}" for i in CLIP_FRAMES))
@pytest.mark.parametrize("distortion", [None, PLUMB_BOB], ids=["pinhole", "plumb_bob"])
def test_every_located_point_projects_onto_its_landmark(results, name, distortion):
    result = results[name]
    cam = _camera(result, distortion)
    loc = locate(result, cam)
    assert loc.distance_source == "body_model"
    parts = [(loc.pose_landmarks, result.pose_landmarks), (loc.face_landmarks, result.face_landmarks),
             (loc.left_hand_landmarks, result.left_hand_landmarks),
             (loc.right_hand_landmarks, result.right_hand_landmarks)]
    checked = 0
    for located, landmarks in parts:
        assert (located is None) == (landmarks is None)
        if located is None:
            continue
        assert located.dtype == np.float32 and located.shape == (len(landmarks), 3)
        assert np.all(located[:, 2] > 0.2), "every point in front of the camera"
        uv = _pixels(cam, landmarks)
        # A distortion model is calibrated over the image only: far outside it the polynomial
        # folds back and no ray projects onto those pixels. Without distortion, every point.
        checked_here = _in_image(cam, uv) if distortion is not None else np.ones(len(uv), bool)
        error_px = np.linalg.norm(cam.project(located[checked_here]) - uv[checked_here], axis=1)
        assert np.max(error_px) < 2.0, f"reprojection error {np.max(error_px):.3f} px"
        checked += int(checked_here.sum())
    assert checked >= 13 + 468


def _seen_depth(loc, result) -> float:
    """Median depth of the landmarks MediaPipe sees (visibility > 0.5): the distance the image
    constrains (the hips of a close-up are far out of the image)."""
    return float(np.median(loc.pose_landmarks[result.pose_landmarks[:, 3] > 0.5, 2]))


@pytest.mark.parametrize("name", IMAGES + tuple(f"clip{i}" for i in CLIP_FRAMES))
def test_twice_the_focal_length_puts_the_person_twice_as_far(results, name):
    result = results[name]
    cam = _camera(result)
    long_lens = dataclasses.replace(cam, fx=2 * cam.fx, fy=2 * cam.fy)
    ratio = _seen_depth(locate(result, long_lens), result) / _seen_depth(locate(result, cam), result)
    # Not exactly 2: the body model keeps its depth extent while its distance doubles.
    assert ratio == pytest.approx(2.0, rel=0.05)


@pytest.mark.parametrize("name", IMAGES + tuple(f"clip{i}" for i in CLIP_FRAMES))
def test_half_size_image_with_the_same_focal_length_puts_the_person_twice_as_far(results, name):
    full, half = results[name], results[name + ":half"]
    cam = _camera(full)
    width, height = half.image_size
    half_cam = PinholeCamera(cam.fx, cam.fy, (width - 1) / 2, (height - 1) / 2, width, height)
    ratio = _seen_depth(locate(half, half_cam), half) / _seen_depth(locate(full, cam), full)
    # Holistic sees another image (a quarter of the pixels): its landmarks differ a little, and the
    # close-ups of the clip (head and shoulders only) give the body size from a few points.
    assert ratio == pytest.approx(2.0, rel=0.1)


def test_camera_info_of_another_resolution_is_scaled_to_the_image(results):
    result = results["clip0"]
    cam = _camera(result)
    double = cam.scaled_to(2 * cam.width, 2 * cam.height)
    np.testing.assert_allclose(locate(result, double).pose_landmarks, locate(result, cam).pose_landmarks, atol=1e-5)
    with pytest.raises(ValueError, match="not a scale"):
        locate(result, PinholeCamera(500.0, 500.0, 320.0, 240.0, 640, 480))


# ---------------------------------------------------------------------------- flat scenes
@pytest.mark.parametrize("name", IMAGES + tuple(f"clip{i}" for i in CLIP_FRAMES))
@pytest.mark.parametrize("dtype", [np.float32, np.uint16])
def test_flat_scene_puts_every_visible_landmark_on_the_plane(results, name, dtype):
    result = results[name]
    cam = _camera(result)
    plane_m = 3.0
    depth = np.full((cam.height, cam.width), plane_m, np.float32)
    if dtype == np.uint16:
        depth = np.round(depth * 1000).astype(np.uint16)
    loc = locate(result, cam, depth=depth)
    assert loc.distance_source == "depth"
    visible = _pose_visible(result, cam)
    assert visible.sum() >= 10
    assert np.all(loc.pose_source[visible] == MEASURED)
    np.testing.assert_allclose(loc.pose_landmarks[visible, 2], plane_m, atol=0.01)


@pytest.mark.parametrize("name", IMAGES)
def test_tilted_plane_puts_every_visible_landmark_on_the_plane(results, name):
    result = results[name]
    cam = _camera(result)
    # Plane n . X = d, tilted about the camera's x axis: depth grows 0.1 m per metre downward.
    normal = np.array([0.0, -0.1, 1.0]) / math.sqrt(1.01)
    distance = 3.0 / math.sqrt(1.01)
    v, u = np.mgrid[0:cam.height, 0:cam.width]
    rays = cam.rays(np.stack([u.ravel(), v.ravel()], axis=1).astype(np.float64))
    depth = (distance / (rays @ normal)).reshape(cam.height, cam.width).astype(np.float32)
    loc = locate(result, cam, depth=depth)
    visible = _pose_visible(result, cam)
    expected = distance / (cam.rays(_pixels(cam, result.pose_landmarks)) @ normal)
    assert np.all(loc.pose_source[visible] == MEASURED)
    np.testing.assert_allclose(loc.pose_landmarks[visible, 2], expected[visible], atol=0.01)


# ---------------------------------------------------------------------------- body-shaped depth
@pytest.fixture(scope="module")
def rendered(results):
    """name -> (result without mask, camera, depth, truth) for the body-shaped scenes."""
    out = {}
    for name in IMAGES + tuple(f"clip{i}" for i in CLIP_FRAMES):
        result = _no_mask(results[name])
        cam = _camera(result)
        depth, truth = _render_truth(result, cam)
        out[name] = (result, cam, depth, truth)
    return out


@pytest.mark.parametrize("name", IMAGES + tuple(f"clip{i}" for i in CLIP_FRAMES))
def test_body_depth_visible_points_come_back_within_1cm(rendered, name):
    result, cam, depth, truth = rendered[name]
    loc = locate(result, cam, depth=depth)
    assert loc.distance_source == "depth"
    uv = _pixels(cam, result.pose_landmarks)
    # locate() sizes its windows at the body model's first guess of the distance.
    window_px = OPTIONS.pose_window_m * cam.fx / locate(result, cam).body_translation[2]
    own = _own_surface_fraction(depth, cam, uv, truth.pose[:, 2], window_px)
    visible = (own > 0.6) & _in_image(cam, uv, margin=2.0)
    # The clip's close-ups show the head (read on the face mesh's surface) and shoulders only.
    assert visible.sum() >= (2 if name.startswith("clip") else 8), f"only {visible.sum()} landmarks visible"
    # Depth corrects MediaPipe's idea of the body's size: the person is TRUTH_SCALE times further.
    distance_ratio = loc.body_translation[2] / locate(result, cam).body_translation[2]
    assert distance_ratio == pytest.approx(TRUTH_SCALE, rel=0.05)
    assert np.all(loc.pose_source[visible] == MEASURED)
    error_m = np.linalg.norm(loc.pose_landmarks[visible] - truth.pose[visible], axis=1)
    assert np.max(error_m) < 0.01, f"max error {np.max(error_m) * 100:.2f} cm"
    # With depth too, every point stays on the ray of its landmark.
    for located, landmarks in ((loc.pose_landmarks, result.pose_landmarks), (loc.face_landmarks, result.face_landmarks),
                               (loc.left_hand_landmarks, result.left_hand_landmarks),
                               (loc.right_hand_landmarks, result.right_hand_landmarks)):
        if located is not None:
            error_px = np.linalg.norm(cam.project(located) - _pixels(cam, landmarks), axis=1)
            assert np.max(error_px) < 2.0, f"reprojection error {np.max(error_px):.3f} px"


@pytest.mark.parametrize("name", IMAGES + ("clip100",))
def test_body_depth_points_without_depth_are_filled_within_5cm(rendered, name):
    result, cam, depth, truth = rendered[name]
    uv = _pixels(cam, result.pose_landmarks)
    candidates = [PoseLandmark.LEFT_KNEE, PoseLandmark.RIGHT_ELBOW, PoseLandmark.NOSE, PoseLandmark.LEFT_SHOULDER,
                  PoseLandmark.RIGHT_HIP, PoseLandmark.LEFT_EYE_OUTER]
    removed = [int(i) for i in candidates if _in_image(cam, uv[i:i + 1], margin=2.0)[0]]
    assert len(removed) >= 3
    holed = depth.copy()
    for i in removed:
        r = int(1.5 * OPTIONS.pose_window_m * cam.fx / locate(result, cam).body_translation[2]) + 2
        u, v = np.round(uv[i]).astype(int)
        holed[max(0, v - r):v + r + 1, max(0, u - r):u + r + 1] = 0.0
    loc = locate(result, cam, depth=holed)
    assert loc.distance_source == "depth"
    assert np.all(loc.pose_source[removed] == MODEL)
    error_m = np.linalg.norm(loc.pose_landmarks[removed] - truth.pose[removed], axis=1)
    assert np.max(error_m) < 0.05, f"errors {np.round(error_m * 100, 2)} cm"


@pytest.mark.parametrize("name", ("mps_woman_sitting_fullbody.jpg", "tfe_yoga_tree_pose.jpg", "clip100"))
def test_body_depth_false_nearer_box_over_a_hand_is_rejected(rendered, name):
    result, cam, depth, truth = rendered[name]
    side = "right" if result.right_hand_landmarks is not None else "left"
    hand_pose_ids = ([PoseLandmark.RIGHT_WRIST, PoseLandmark.RIGHT_PINKY, PoseLandmark.RIGHT_INDEX,
                      PoseLandmark.RIGHT_THUMB] if side == "right" else
                     [PoseLandmark.LEFT_WRIST, PoseLandmark.LEFT_PINKY, PoseLandmark.LEFT_INDEX,
                      PoseLandmark.LEFT_THUMB])
    hand_norm = getattr(result, f"{side}_hand_landmarks")
    hand_uv = _pixels(cam, hand_norm)
    corners = np.concatenate([hand_uv, _pixels(cam, result.pose_landmarks)[hand_pose_ids]])
    margin = 0.05 * cam.fx / truth.pose[hand_pose_ids[0], 2]
    u0, v0 = np.maximum(np.floor(corners.min(axis=0) - margin).astype(int), 0)
    u1, v1 = np.ceil(corners.max(axis=0) + margin).astype(int)
    boxed = depth.copy()
    box_m = float(truth.pose[hand_pose_ids[0], 2]) - 0.5  # a box half a metre in front of the hand
    boxed[v0:v1 + 1, u0:u1 + 1] = box_m
    loc = locate(result, cam, depth=boxed)
    assert loc.distance_source == "depth"
    assert not np.any(loc.pose_source[hand_pose_ids] == MEASURED), "readings on the box were accepted"
    pose_error_m = np.linalg.norm(loc.pose_landmarks[hand_pose_ids] - truth.pose[hand_pose_ids], axis=1)
    assert np.max(pose_error_m) < 0.05, f"errors {np.round(pose_error_m * 100, 2)} cm"
    assert getattr(loc, f"{side}_hand_placement") == "body_model"
    hand_error_m = np.linalg.norm(getattr(loc, f"{side}_hand_landmarks") - getattr(truth, f"{side}_hand"), axis=1)
    assert np.max(hand_error_m) < 0.05, f"hand errors up to {np.max(hand_error_m) * 100:.2f} cm"


@pytest.mark.parametrize("name", ("mps_woman_sitting_fullbody.jpg", "clip100"))
def test_body_depth_places_hands_by_depth(rendered, name):
    result, cam, depth, truth = rendered[name]
    loc = locate(result, cam, depth=depth)
    for side in ("left", "right"):
        if getattr(result, f"{side}_hand_landmarks") is None:
            continue
        assert getattr(loc, f"{side}_hand_placement") == "depth"
        error_m = np.linalg.norm(getattr(loc, f"{side}_hand_landmarks") - getattr(truth, f"{side}_hand"), axis=1)
        # 3 cm: in a fist (the clip's thumbs-up) the front fingers' discs hide the others, so the
        # readings are biased toward the camera; open hands come back within 1 cm.
        assert np.max(error_m) < 0.03, f"{side} hand errors up to {np.max(error_m) * 100:.2f} cm"


def _one_surface(result, cam, depth, truth) -> np.ndarray:
    """Landmarks whose sampling window mostly (> 60 %) shows their own surface in the render."""
    uv = _pixels(cam, result.pose_landmarks)
    window_px = OPTIONS.pose_window_m * cam.fx / locate(result, cam).body_translation[2]
    own = _own_surface_fraction(depth, cam, uv, truth.pose[:, 2], window_px)
    return (own > 0.6) & _in_image(cam, uv, margin=2.0)


@pytest.mark.parametrize("name", IMAGES + tuple(f"clip{i}" for i in CLIP_FRAMES))
def test_body_depth_places_the_face_by_depth(rendered, name):
    result, cam, depth, truth = rendered[name]
    loc = locate(result, cam, depth=depth)
    assert loc.face_placement == "depth"
    error_m = np.linalg.norm(loc.face_landmarks - truth.face, axis=1)
    assert np.median(error_m) < 0.01, f"face errors: median {np.median(error_m) * 100:.2f} cm"
    assert np.linalg.norm(loc.face_pose.position - truth.face[FACE_SELLION]) < 0.01


@pytest.mark.parametrize("name", IMAGES + ("clip100",))
def test_holes_units_and_half_resolution_give_the_same_result(rendered, name):
    """Same fit (translation, depth scale) and the same points where a window sees one surface.

    A window that straddles two surfaces (a raised hand in front of the ear) takes the
    median of both; holes or another grid can tip it to the other surface, and such points
    may differ by the gap between the surfaces.
    """
    result, cam, depth, truth = rendered[name]
    reference = locate(result, cam, depth=depth)
    one_surface = _one_surface(result, cam, depth, truth)
    rng = np.random.default_rng(11)
    holes = depth.copy()
    holes[rng.random(depth.shape) < 0.3] = 0.0
    millimetres = np.round(depth * 1000.0).astype(np.uint16)
    half = cv2.resize(depth, (cam.width // 2, cam.height // 2), interpolation=cv2.INTER_NEAREST)
    for label, variant, tolerance_m in (("30% holes", holes, 0.01), ("uint16 mm", millimetres, 0.005),
                                        ("half resolution", half, 0.01)):
        loc = locate(result, cam, depth=variant)
        assert loc.distance_source == "depth", label
        shift_m = np.linalg.norm(loc.body_translation - reference.body_translation)
        assert shift_m < tolerance_m, f"{label}: body model moved {shift_m * 100:.2f} cm"
        assert loc.body_depth_scale == pytest.approx(reference.body_depth_scale, abs=0.05), label
        error_m = np.linalg.norm(loc.pose_landmarks[one_surface] - reference.pose_landmarks[one_surface], axis=1)
        assert np.max(error_m) < tolerance_m, f"{label}: max difference {np.max(error_m) * 100:.2f} cm"


@pytest.mark.parametrize("name", IMAGES + ("clip0",))
def test_depth_at_mediapipe_scale_agrees_with_no_depth(rendered, name):
    result, cam, _, _ = rendered[name]
    depth, truth = _render_truth(result, cam, scale=1.0)
    with_depth = locate(result, cam, depth=depth)
    without = locate(result, cam)
    assert with_depth.distance_source == "depth" and without.distance_source == "body_model"
    shift_m = np.linalg.norm(with_depth.body_translation - without.body_translation)
    # 3 cm: the head's readings come from the face mesh's surface, which is not where the pose
    # model puts its eyes and ears; the close-ups (head and shoulders) feel that most.
    assert shift_m < 0.03, f"body model moved {shift_m * 100:.2f} cm"
    # The depth extent of head-and-shoulders close-ups is set by few, close points.
    assert with_depth.body_depth_scale == pytest.approx(1.0, abs=0.12 if name.startswith("clip") else 0.05)
    one_surface = _one_surface(result, cam, depth, truth)
    error_m = np.linalg.norm(with_depth.pose_landmarks[one_surface] - without.pose_landmarks[one_surface], axis=1)
    assert np.max(error_m) < 0.01, f"max difference {np.max(error_m) * 100:.2f} cm"


def test_segmentation_mask_keeps_the_wall_out_of_edge_windows(results):
    result = results["tfe_businessman_standing.jpg"]
    cam = _camera(result)
    mask = cv2.resize(result.segmentation_mask, (cam.width, cam.height)) > 0.5
    depth = np.where(mask, np.float32(2.5), np.float32(2.9))  # a wall 40 cm behind the person
    with_mask = locate(result, cam, depth=depth)
    measured = with_mask.pose_source == MEASURED
    assert measured.sum() >= 10
    np.testing.assert_allclose(with_mask.pose_landmarks[measured, 2], 2.5, atol=0.01)
    # Without the mask some landmark windows see mostly wall (and read it, within the body-model tolerance).
    without = locate(_no_mask(result), cam, depth=depth)
    assert np.any(np.abs(without.pose_landmarks[:, 2] - 2.9) < 0.01)


# ---------------------------------------------------------------------------- bad input
def test_depth_with_no_valid_pixel_falls_back_to_the_body_model(results):
    result = results["clip0"]
    cam = _camera(result)
    for depth in (np.zeros((cam.height, cam.width), np.uint16),
                  np.full((cam.height, cam.width), np.nan, np.float32)):
        loc = locate(result, cam, depth=depth)
        assert loc.distance_source == "body_model" and "no valid depth" in loc.distance_note
        assert not np.any(loc.pose_source == MEASURED)
        np.testing.assert_allclose(loc.pose_landmarks, locate(result, cam).pose_landmarks, atol=1e-6)


def test_depth_of_another_aspect_raises_with_both_sizes(results):
    result = results["clip0"]
    cam = _camera(result)
    with pytest.raises(ValueError, match=r"640x480 is not a scale of the colour image 1280x720"):
        locate(result, cam, depth=np.ones((480, 640), np.float32))
    with pytest.raises(ValueError, match="uint16 millimetres"):
        locate(result, cam, depth=np.ones((720, 1280), np.int32))


def test_empty_result_gives_none_fields(results):
    cam = _camera(results["clip0"])
    for empty in (dataclasses.replace(results["clip0"], pose_landmarks=None, pose_world_landmarks=None,
                                      face_landmarks=None, left_hand_landmarks=None, right_hand_landmarks=None),
                  types.SimpleNamespace()):
        loc = locate(empty, cam, depth=np.ones((cam.height, cam.width), np.float32))
        assert loc.pose_landmarks is None and loc.body_pose is None and loc.face_landmarks is None
        assert loc.distance_source is None and loc.looking_at_camera is False


def test_nan_landmarks_are_nan_points_not_errors(results):
    result = results["mps_woman_sitting_fullbody.jpg"]
    cam = _camera(result)
    pose = result.pose_landmarks.copy()
    pose[[PoseLandmark.LEFT_KNEE, PoseLandmark.NOSE], :2] = np.nan
    face = result.face_landmarks.copy()
    face[5] = np.nan
    broken = dataclasses.replace(result, pose_landmarks=pose, face_landmarks=face)
    loc = locate(broken, cam, depth=np.full((cam.height, cam.width), 2.0, np.float32))
    assert np.all(np.isnan(loc.pose_landmarks[[PoseLandmark.LEFT_KNEE, PoseLandmark.NOSE]]))
    assert np.all(loc.pose_source[[PoseLandmark.LEFT_KNEE, PoseLandmark.NOSE]] == NONE)
    assert np.all(loc.pose_confidence[[PoseLandmark.LEFT_KNEE, PoseLandmark.NOSE]] == 0.0)
    assert loc.face_landmarks is None  # the face hangs from the nose, which is unknown
    assert np.isfinite(loc.pose_landmarks[PoseLandmark.LEFT_HIP]).all() and loc.body_pose is not None
    all_nan = dataclasses.replace(result, pose_landmarks=np.full_like(pose, np.nan))
    assert locate(all_nan, cam).pose_landmarks is None


# ---------------------------------------------------------------------------- hands, face, frames
def test_hand_world_landmarks_give_the_hand_its_metric_shape(results):
    result = results["mps_woman_sitting_fullbody.jpg"]
    cam = _camera(result)
    world = np.zeros((21, 3))
    world[:, 2] = np.linspace(0.0, 0.1, 21)  # a hand whose fingers point 10 cm away from the camera
    with_world = dataclasses.replace(result, left_hand_world_landmarks=world)
    hand = locate(with_world, cam).left_hand_landmarks
    np.testing.assert_allclose(hand[:, 2] - hand[0, 2], world[:, 2], atol=1e-5)
    error_px = np.linalg.norm(cam.project(hand) - _pixels(cam, result.left_hand_landmarks), axis=1)
    assert np.max(error_px) < 2.0


def test_hands_without_world_landmarks_take_the_image_z_at_the_wrist_depth(results):
    result = results["mps_woman_sitting_fullbody.jpg"]
    cam = _camera(result)
    bare = dataclasses.replace(result, left_hand_world_landmarks=None, right_hand_world_landmarks=None)
    loc = locate(bare, cam)
    for side in ("left", "right"):
        hand = getattr(loc, f"{side}_hand_landmarks")
        hand_norm = getattr(result, f"{side}_hand_landmarks")
        wrist_z = hand[0, 2]
        # MediaPipe's hand z is on the scale of x (normalised by the image width): weak perspective.
        expected = (hand_norm[:, 2] - hand_norm[0, 2]) * cam.width * wrist_z / cam.fx
        np.testing.assert_allclose(hand[:, 2] - wrist_z, expected, atol=1e-5)
        error_px = np.linalg.norm(cam.project(hand) - _pixels(cam, hand_norm), axis=1)
        assert np.max(error_px) < 2.0


def test_solve_translation_recovers_a_known_translation():
    from holistic_ros.spatial import solve_translation
    rng = np.random.default_rng(3)
    world = rng.uniform(-0.5, 0.5, (33, 3))
    t_true = np.array([0.3, -0.2, 2.5])
    cam_points = world + t_true
    xy = cam_points[:, :2] / cam_points[:, 2:3]
    np.testing.assert_allclose(solve_translation(world, xy, np.ones(33)), t_true, atol=1e-9)
    # Weights: a landmark given no weight does not pull the solution.
    xy_bad = xy.copy()
    xy_bad[0] += 0.3
    weights = np.ones(33)
    weights[0] = 0.0
    np.testing.assert_allclose(solve_translation(world, xy_bad, weights), t_true, atol=1e-9)
    assert solve_translation(world[:1], xy[:1], np.ones(1)) is None  # one landmark: no solution


def test_depth_range_is_an_option(results):
    result = results["tfe_businessman_standing.jpg"]
    cam = _camera(result)
    far = np.full((cam.height, cam.width), 25.0, np.float32)
    assert locate(result, cam, depth=far).distance_source == "body_model"
    from holistic_ros.spatial import DepthRange
    loc = locate(result, cam, depth=far, options=LocateOptions(depth_range=DepthRange(0.1, 30.0)))
    assert loc.distance_source == "depth"
    visible = _pose_visible(result, cam)
    np.testing.assert_allclose(loc.pose_landmarks[visible, 2], 25.0, atol=0.01)


@pytest.mark.parametrize("name", IMAGES + tuple(f"clip{i}" for i in CLIP_FRAMES))
def test_hands_hang_from_the_located_wrists(results, name):
    result = results[name]
    loc = locate(result, _camera(result))
    for side, wrist in (("left", PoseLandmark.LEFT_WRIST), ("right", PoseLandmark.RIGHT_WRIST)):
        hand = getattr(loc, f"{side}_hand_landmarks")
        if hand is None:
            continue
        assert hand[0, 2] == pytest.approx(loc.pose_landmarks[wrist, 2], abs=1e-5)
        assert getattr(loc, f"{side}_hand_placement") == "body_model"
        span_m = np.max(np.linalg.norm(hand - hand[0], axis=1))
        assert 0.05 < span_m < 0.35, f"{side} hand spans {span_m:.3f} m"


@pytest.mark.parametrize("name", IMAGES + tuple(f"clip{i}" for i in CLIP_FRAMES))
def test_face_sits_on_the_head(results, name):
    result = results[name]
    loc = locate(result, _camera(result))
    face = loc.face_landmarks
    assert face is not None and face.shape == (478, 3)
    eye_mid = 0.5 * (loc.pose_landmarks[PoseLandmark.LEFT_EYE] + loc.pose_landmarks[PoseLandmark.RIGHT_EYE])
    assert np.linalg.norm(face[FACE_SELLION] - eye_mid) < 0.05
    width_m = np.linalg.norm(face[454] - face[234])  # face mesh cheek to cheek (tragion)
    assert 0.08 < width_m < 0.2, f"face {width_m:.3f} m wide"
    assert np.linalg.norm(loc.face_pose.position - face[FACE_SELLION]) < 1e-6
    assert np.linalg.norm(loc.head_pose.position - eye_mid) < 1e-6


def _assert_rotation(pose) -> np.ndarray:
    r = pose.rotation
    np.testing.assert_allclose(r.T @ r, np.eye(3), atol=1e-9)
    assert np.linalg.det(r) == pytest.approx(1.0)
    return r


@pytest.mark.parametrize("name", IMAGES + tuple(f"clip{i}" for i in CLIP_FRAMES))
def test_frames_follow_rep155(results, name):
    result = results[name]
    loc = locate(result, _camera(result))
    p = loc.pose_landmarks.astype(np.float64)
    r = _assert_rotation(loc.body_pose)
    np.testing.assert_allclose(loc.body_pose.position, 0.5 * (p[PoseLandmark.LEFT_HIP] + p[PoseLandmark.RIGHT_HIP]),
                               atol=1e-6)
    # Every test person is upright and faces the camera's half-space.
    assert r[:, 2] @ np.array([0.0, -1.0, 0.0]) > 0.7, "body z up"
    assert r[:, 0] @ np.array([0.0, 0.0, -1.0]) > 0.3, "body x out of the chest, toward the camera"
    assert r[:, 1] @ (p[PoseLandmark.LEFT_SHOULDER] - p[PoseLandmark.RIGHT_SHOULDER]) > 0, "body y to the left"
    face_r = _assert_rotation(loc.face_pose)
    assert face_r[:, 2] @ np.array([0.0, -1.0, 0.0]) > 0.5, "face z toward the scalp"
    assert face_r[:, 0] @ np.array([0.0, 0.0, -1.0]) > 0.3, "face x out of the face"
    gaze_r = _assert_rotation(loc.gaze_pose)
    np.testing.assert_allclose(gaze_r[:, 2], face_r[:, 0], atol=1e-9)
    np.testing.assert_allclose(gaze_r[:, 0], -face_r[:, 1], atol=1e-9)
    np.testing.assert_allclose(loc.gaze_pose.position, loc.face_pose.position)
    head_r = _assert_rotation(loc.head_pose)
    assert head_r[:, 0] @ face_r[:, 0] > math.cos(math.radians(45.0)), "head and face agree"
    for side in ("left", "right"):
        hand_pose = getattr(loc, f"{side}_hand_pose")
        hand = getattr(loc, f"{side}_hand_landmarks")
        assert (hand_pose is None) == (hand is None)
        if hand_pose is not None:
            hr = _assert_rotation(hand_pose)
            np.testing.assert_allclose(hand_pose.position, hand[0], atol=1e-6)
            to_middle = (hand[9] - hand[0]) / np.linalg.norm(hand[9] - hand[0])
            assert hr[:, 0] @ to_middle == pytest.approx(1.0, abs=1e-6)


def test_looking_at_camera(results):
    frontal = locate(results["clip0"], _camera(results["clip0"]))
    assert frontal.looking_at_camera and frontal.looking_angle_rad < OPTIONS.looking_angle_rad
    # The same face seen from a camera 1.5 m to its side is not looking at that camera.
    side_cam = dataclasses.replace(frontal.face_pose, position=frontal.face_pose.position + np.array([1.5, 0, 0]))
    from holistic_ros.spatial.frames import facing_angle
    assert facing_angle(side_cam) > math.radians(40.0)


def test_pose_confidence_is_the_visibility(results):
    result = results["tfe_yoga_tree_pose.jpg"]
    loc = locate(result, _camera(result))
    np.testing.assert_allclose(loc.pose_confidence, np.clip(result.pose_landmarks[:, 3], 0, 1), atol=1e-6)
    assert loc.pose_confidence.dtype == np.float32 and loc.pose_source.dtype == np.uint8
