"""Where the person is, in metres, in the camera optical frame: :func:`locate`.

Two sources of distance, one rule:

* The **body model**: MediaPipe's pose world landmarks are metric, hip-centred, in axes
  aligned with the camera's. A translation ``t`` places them in front of the camera;
  without depth it is solved so that they project onto the 2D landmarks through K
  (linear least squares, two equations per landmark, weighted by visibility). The
  distance is then only as good as MediaPipe's idea of the body's size.
* **Depth**, when given, measures each landmark (the median of the valid pixels of a
  window about 2 cm across on the body, on the person's mask when there is one). The body
  model is fitted to the readings -- its distance and the scale of its depth extent, by
  trimming readings further than a shrinking band (:func:`fit_depth_model`) -- and
  readings further than ``outlier_m`` from it are rejected, unless the skeleton's bone
  lengths vouch for them (:func:`accept_by_bones`: a flat scene, a raised hand the model
  put too near). Landmarks without an accepted reading take the fitted model's depth.

Either way each located point is ``z_i * ray(u_i, v_i)``: it lies on the ray of its 2D
landmark and projects back onto it, so the 3D never contradicts the image. Hands and the
face keep their own models' shape (hand world landmarks, face-mesh relative z) and are
placed by the wrist / nose of the located body, or by depth when it agrees with the body.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

import numpy as np

from ..pipeline.landmark_names import HandLandmark, PoseLandmark
from .camera import PinholeCamera
from .depth import DepthRange, check_depth_image, depth_scale, sample_windows
from .frames import (FACE_NOSE_TIP, Pose3D, body_pose, face_pose, facing_angle, gaze_pose, hand_pose,
                     head_pose)


class PointSource(enum.IntEnum):
    """Where a located point's depth came from (values of ``Located3D.pose_source``)."""

    NONE = 0  #: no 2D landmark (NaN): the point is NaN
    MODEL = 1  #: the fitted body model (no reading, or a reading rejected as an outlier)
    MEASURED = 2  #: the depth image


NONE = PointSource.NONE
MODEL = PointSource.MODEL
MEASURED = PointSource.MEASURED

#: Pairs of pose landmarks a fixed distance apart on the body (bones of the limbs and the
#: torso, the face's points and the ears to the shoulders), in MediaPipe's pose numbering
#: (``mediapipe/python/solutions/pose.py``). Two points are never further apart in depth
#: than in 3D, so a reading that is not within that distance of a trusted neighbour's depth
#: is not the landmark (see :func:`accept_by_bones`).
_P = PoseLandmark
POSE_BONES: Tuple[Tuple[int, int], ...] = (
    (_P.NOSE, _P.LEFT_EYE_INNER), (_P.LEFT_EYE_INNER, _P.LEFT_EYE), (_P.LEFT_EYE, _P.LEFT_EYE_OUTER),
    (_P.LEFT_EYE_OUTER, _P.LEFT_EAR), (_P.NOSE, _P.RIGHT_EYE_INNER), (_P.RIGHT_EYE_INNER, _P.RIGHT_EYE),
    (_P.RIGHT_EYE, _P.RIGHT_EYE_OUTER), (_P.RIGHT_EYE_OUTER, _P.RIGHT_EAR), (_P.NOSE, _P.MOUTH_LEFT),
    (_P.NOSE, _P.MOUTH_RIGHT), (_P.MOUTH_LEFT, _P.MOUTH_RIGHT),
    (_P.LEFT_EAR, _P.LEFT_SHOULDER), (_P.RIGHT_EAR, _P.RIGHT_SHOULDER), (_P.LEFT_SHOULDER, _P.RIGHT_SHOULDER),
    (_P.LEFT_SHOULDER, _P.LEFT_HIP), (_P.RIGHT_SHOULDER, _P.RIGHT_HIP), (_P.LEFT_HIP, _P.RIGHT_HIP),
    (_P.LEFT_SHOULDER, _P.LEFT_ELBOW), (_P.LEFT_ELBOW, _P.LEFT_WRIST), (_P.LEFT_WRIST, _P.LEFT_PINKY),
    (_P.LEFT_WRIST, _P.LEFT_INDEX), (_P.LEFT_WRIST, _P.LEFT_THUMB), (_P.LEFT_PINKY, _P.LEFT_INDEX),
    (_P.RIGHT_SHOULDER, _P.RIGHT_ELBOW), (_P.RIGHT_ELBOW, _P.RIGHT_WRIST), (_P.RIGHT_WRIST, _P.RIGHT_PINKY),
    (_P.RIGHT_WRIST, _P.RIGHT_INDEX), (_P.RIGHT_WRIST, _P.RIGHT_THUMB), (_P.RIGHT_PINKY, _P.RIGHT_INDEX),
    (_P.LEFT_HIP, _P.LEFT_KNEE), (_P.LEFT_KNEE, _P.LEFT_ANKLE), (_P.LEFT_ANKLE, _P.LEFT_HEEL),
    (_P.LEFT_ANKLE, _P.LEFT_FOOT_INDEX), (_P.LEFT_HEEL, _P.LEFT_FOOT_INDEX),
    (_P.RIGHT_HIP, _P.RIGHT_KNEE), (_P.RIGHT_KNEE, _P.RIGHT_ANKLE), (_P.RIGHT_ANKLE, _P.RIGHT_HEEL),
    (_P.RIGHT_ANKLE, _P.RIGHT_FOOT_INDEX), (_P.RIGHT_HEEL, _P.RIGHT_FOOT_INDEX),
)

#: Depth is read at every this-many-th face-mesh point (~120 of 478) to place the face.
_FACE_SAMPLE_STEP = 4

#: The body model never puts a point nearer than this (metres): a hand the model reaches
#: through the camera stays on its ray, just in front of it.
_MIN_MODEL_DEPTH_M = 0.05

#: Bones shorter than this (the face's) are too short to measure the body's size by.
_SIZE_BONE_MIN_M = 0.15

#: Where a distance came from: ``Located3D.distance_source`` and the ``*_placement`` fields.
DISTANCE_FROM_DEPTH = "depth"
DISTANCE_FROM_BODY_MODEL = "body_model"
#: A hand of no body placed by MediaPipe's metric hand size (``LocatedHand.distance_source``).
DISTANCE_FROM_HAND_MODEL = "hand_model"


@dataclass(frozen=True)
class LocateOptions:
    """Tuning of :func:`locate` (frozen; the defaults are what the tests exercise)."""

    #: Depth readings outside this range are no reading.
    depth_range: DepthRange = DepthRange()
    #: Half-size (metres on the body) of the depth window at a pose landmark: about half
    #: a wrist's width, so that the window stays on the limb at any distance.
    pose_window_m: float = 0.02
    #: Half-size (metres) of the window at a hand or face landmark.
    detail_window_m: float = 0.008
    #: A pose reading further than this from the fitted body model is rejected (a hand in
    #: front of a wall edge, a chair between the camera and a knee).
    outlier_m: float = 0.2
    #: A hand or face reading further than this from its part's fitted shape is rejected.
    detail_outlier_m: float = 0.05
    #: Prior weight (metres of depth spread) pulling the fitted depth scale of the body
    #: model toward 1, and the range the scale is kept in (see :func:`fit_depth_model`).
    depth_scale_prior_m: float = 0.02
    depth_scale_range: Tuple[float, float] = (0.0, 2.0)
    #: How much longer than MediaPipe's (scaled) bone a reading may make a bone and still be
    #: accepted by :func:`accept_by_bones`.
    bone_stretch: float = 1.1
    #: ... plus this many metres (depth noise, MediaPipe's joint placement).
    bone_tolerance_m: float = 0.03
    #: Fewest accepted pose readings for depth to set the distance; fewer falls back to
    #: the body model alone.
    min_measured_points: int = 3
    #: Fewest accepted readings for depth to place a hand or the face.
    min_detail_points: int = 3
    #: Trimming rounds of the robust fits (each re-fits to the current inliers).
    fit_iterations: int = 8
    #: Narrowest band (metres) of readings the body model is fitted to (see
    #: :func:`fit_depth_model`): about MediaPipe's own depth error on a joint.
    fit_band_m: float = 0.05
    #: Person-mask values below this are background.
    mask_threshold: float = 0.5
    #: ``looking_at_camera`` when the face's forward axis is within this angle (rad) of
    #: the direction to the camera.
    looking_angle_rad: float = math.radians(20.0)


@dataclass(frozen=True, eq=False)
class Located3D:
    """One person located in the camera optical frame (x right, y down, z ahead), metres.

    Fields are None when the part was not found (or, for poses, when its landmarks are
    degenerate). Points of landmarks without a 2D position (NaN) are NaN.
    """

    #: (33, 3) float32 pose landmarks.
    pose_landmarks: Optional[np.ndarray] = None
    #: (33,) uint8 :class:`PointSource` of each pose landmark's depth.
    pose_source: Optional[np.ndarray] = None
    #: (33,) float32 in [0, 1]: MediaPipe's visibility of the landmark (how likely it is
    #: in view and not occluded); 0 where NONE.
    pose_confidence: Optional[np.ndarray] = None
    #: (21, 3) float32 each, the subject's left / right hand.
    left_hand_landmarks: Optional[np.ndarray] = None
    right_hand_landmarks: Optional[np.ndarray] = None
    #: (468 or 478, 3) float32.
    face_landmarks: Optional[np.ndarray] = None
    #: Frames (see :mod:`holistic_ros.spatial.frames`); the gaze sits at the face's origin, or
    #: at the head's when there is no face mesh.
    body_pose: Optional[Pose3D] = None
    head_pose: Optional[Pose3D] = None
    face_pose: Optional[Pose3D] = None
    gaze_pose: Optional[Pose3D] = None
    left_hand_pose: Optional[Pose3D] = None
    right_hand_pose: Optional[Pose3D] = None
    #: "depth" when depth readings set the distance, "body_model" when MediaPipe's body
    #: size did (no depth, or no usable reading: see ``distance_note``); None: no pose.
    distance_source: Optional[str] = None
    #: Why depth was not used although given ("" otherwise).
    distance_note: str = ""
    #: What placed each hand and the face: "depth" (its own depth readings), or "body_model"
    #: (hung from the located wrist / nose); the same names as ``distance_source``.
    left_hand_placement: Optional[str] = None
    right_hand_placement: Optional[str] = None
    face_placement: Optional[str] = None
    #: (3,) translation of the body model: its point i is at depth
    #: ``t[2] + body_depth_scale * world_z_i`` (world: the pose world landmarks).
    body_translation: Optional[np.ndarray] = None
    #: Scale of the model's depth extent fitted to depth readings (1 without depth).
    body_depth_scale: float = 1.0
    #: Whether the face (or, without a face mesh, the head) points at the camera, and the
    #: angle (rad) between its forward axis and the direction to the camera. Head
    #: orientation only: the eyes' own direction is not estimated.
    looking_at_camera: bool = False
    looking_angle_rad: Optional[float] = None


_EMPTY = Located3D()


# ---------------------------------------------------------------------------- fits
def solve_translation(world: np.ndarray, xy_norm: np.ndarray, weights: np.ndarray) -> Optional[np.ndarray]:
    """Translation t so that ``world + t`` projects onto the undistorted normalised ``xy_norm``.

    From ``x_i = (X_i + tx) / (Z_i + tz)``: ``tx - x_i tz = x_i Z_i - X_i`` (and the same in
    y), two linear equations per landmark, rows weighted by sqrt(weight). None when the
    system is degenerate or puts the hips behind the camera.
    """
    ok = np.all(np.isfinite(world), axis=1) & np.all(np.isfinite(xy_norm), axis=1) & (weights > 0)
    if int(ok.sum()) < 2:
        return None
    w = np.sqrt(weights[ok])[:, None]
    x, y = xy_norm[ok, 0], xy_norm[ok, 1]
    wx, wy, wz = world[ok, 0], world[ok, 1], world[ok, 2]
    n = x.size
    a = np.zeros((2 * n, 3))
    a[:n, 0] = 1.0
    a[:n, 2] = -x
    a[n:, 1] = 1.0
    a[n:, 2] = -y
    b = np.concatenate([x * wz - wx, y * wz - wy])
    ww = np.concatenate([w, w])
    t, _, rank, _ = np.linalg.lstsq(a * ww, b * ww[:, 0], rcond=None)
    if rank < 3 or not np.all(np.isfinite(t)):
        return None
    if t[2] <= 0.0:
        return None
    return t


def _xy_for_depth(world: np.ndarray, xy_norm: np.ndarray, weights: np.ndarray, z_model: np.ndarray) -> np.ndarray:
    """tx, ty of the body model once depth has fixed each model depth ``z_model``
    (weighted mean of ``x_i z_i - X_i``)."""
    ok = np.all(np.isfinite(world), axis=1) & np.all(np.isfinite(xy_norm), axis=1) & (weights > 0)
    w = weights[ok]
    tx = np.sum(w * (xy_norm[ok, 0] * z_model[ok] - world[ok, 0])) / np.sum(w)
    ty = np.sum(w * (xy_norm[ok, 1] * z_model[ok] - world[ok, 1])) / np.sum(w)
    return np.array([tx, ty])


def fit_depth_model(measured: np.ndarray, model_rel: np.ndarray, weights: np.ndarray, threshold: float,
                    fine_threshold: float, iterations: int, scale_prior_m: float,
                    scale_range: Tuple[float, float], min_points: int) -> Tuple[Optional[float], float, np.ndarray]:
    """Robust fit of ``measured_i ~ offset + scale * model_rel_i`` by iterative trimming.

    ``model_rel`` is the body model's depth of each landmark relative to the hips. Its
    scale is fitted too because the model's depth extent is the least certain part of a
    monocular estimate (a photo on a wall is flat, MediaPipe still gives it depth); a
    prior pulls the scale toward 1 with the weight of ``scale_prior_m`` of depth spread,
    so that a body seen with little depth spread keeps the model's shape.

    Starts from scale 1 and the weighted median offset. Each round re-fits to the
    readings within the current band, which starts at ``threshold`` and halves each
    round down to ``fine_threshold`` while at least ``min_points`` readings stay in it:
    readings of a nearer surface (an arm across the body, a box) leave the fit early.
    Inliers are the readings within ``threshold`` of the final fit. Returns (offset,
    scale, inlier mask); offset None when no reading is finite.
    """
    valid = np.isfinite(measured) & np.isfinite(model_rel) & (weights > 0)
    inliers = np.zeros(measured.shape, dtype=bool)
    if not np.any(valid):
        return None, 1.0, inliers
    m = measured[valid].astype(np.float64)
    r = model_rel[valid]
    w = weights[valid]
    scale = 1.0
    offset = _weighted_median(m - r, w)
    prior = float(np.sum(w)) * scale_prior_m ** 2
    band = threshold
    previous = None
    for _ in range(max(1, iterations)):
        keep = np.abs(m - offset - scale * r) <= band
        n_keep = int(keep.sum())
        if n_keep == 0 or n_keep < min(min_points, m.size):
            break
        if previous is not None and band == fine_threshold and np.array_equal(keep, previous):
            break  # converged: the same readings would give the same fit
        previous = keep
        wk, mk, rk = w[keep], m[keep], r[keep]
        sw = float(wk.sum())
        r_mean = float(wk @ rk) / sw
        m_mean = float(wk @ mk) / sw
        rc = rk - r_mean
        spread = float(wk @ (rc * rc))
        cross = float(wk @ (rc * (mk - m_mean)))
        scale = min(scale_range[1], max(scale_range[0], (cross + prior) / (spread + prior)))
        offset = m_mean - scale * r_mean
        band = max(fine_threshold, 0.5 * band)
    inliers[valid] = np.abs(m - offset - scale * r) <= threshold
    return offset, scale, inliers


def accept_by_bones(measured: np.ndarray, accepted: np.ndarray, z_model: np.ndarray, rays: np.ndarray,
                    world: np.ndarray, tolerance_m: float, bone_stretch: float,
                    bones: Tuple[Tuple[int, int], ...] = POSE_BONES) -> np.ndarray:
    """Accept readings the body model rejected when the skeleton vouches for them.

    The body model's depth extent is a monocular guess: feet or a raised hand can be off
    by more than the outlier threshold while the depth image is right (a flat or tilted
    scene). Two joints are never further apart in depth than the bone between them is
    long, and bone lengths are what MediaPipe knows best. A rejected reading is accepted
    when its depth is within ``k * length * bone_stretch + tolerance_m`` of the depth of
    every trusted neighbour -- accepted readings, and the fitted model for neighbours
    without a reading -- and it has at least one; ``length`` from the world landmarks,
    ``k`` the body's size in the depth image relative to MediaPipe's (from the bones
    between accepted readings). Grows outward until nothing changes: a box in front of a
    hand fails at the wrist (too far in front of the elbow) and so never reaches the
    fingers. What it cannot catch: a limb in front of a joint by less than a bone length.
    Returns the new accepted mask.
    """
    accepted = accepted.copy()
    has_reading = np.isfinite(measured)
    if not np.any(has_reading & ~accepted):
        return accepted
    depth_m = np.where(has_reading, measured, z_model)
    ends = np.asarray(bones)
    lengths = np.linalg.norm(world[ends[:, 0]] - world[ends[:, 1]], axis=1)
    points = measured[:, None] * rays
    seen = accepted[ends[:, 0]] & accepted[ends[:, 1]] & (lengths >= _SIZE_BONE_MIN_M)
    ratios = np.linalg.norm(points[ends[seen, 0]] - points[ends[seen, 1]], axis=1) / lengths[seen]
    bone_m = {}
    neighbours: dict = {}
    for (a, b), length in zip(bones, lengths):
        if not np.isfinite(length) or length <= 0.0:
            continue
        bone_m[(a, b)] = bone_m[(b, a)] = float(length)
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    # Bones seen end-on look short in a flat depth image: the body's size shows in the longer ones.
    size = float(np.percentile(ratios, 75)) if ratios.size else 1.0
    changed = True
    while changed:
        changed = False
        for i in np.flatnonzero(has_reading & ~accepted):
            anchors = [j for j in neighbours.get(int(i), ())
                       if (accepted[j] or not has_reading[j]) and np.isfinite(depth_m[j])]
            if anchors and all(abs(measured[i] - depth_m[j]) <= size * bone_m[(i, j)] * bone_stretch + tolerance_m
                               for j in anchors):
                accepted[i] = True
                changed = True
    return accepted


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def robust_offset(measured: np.ndarray, model_rel: np.ndarray, weights: np.ndarray, threshold: float,
                  iterations: int) -> Tuple[Optional[float], np.ndarray]:
    """Robust offset o with ``measured_i ~ model_rel_i + o``: start at the weighted median,
    then keep re-fitting the weighted mean of the readings within ``threshold`` of it.

    Returns (o, inlier mask); o is None when no reading is finite.
    """
    residual = measured - model_rel
    valid = np.isfinite(residual) & (weights > 0)
    inliers = np.zeros(residual.shape, dtype=bool)
    if not np.any(valid):
        return None, inliers
    r = residual[valid]
    w = weights[valid]
    offset = _weighted_median(r, w)
    for _ in range(max(1, iterations)):
        keep = np.abs(r - offset) <= threshold
        if not np.any(keep):
            break
        new_offset = float(np.sum(w[keep] * r[keep]) / np.sum(w[keep]))
        if new_offset == offset:
            break
        offset = new_offset
    inliers[valid] = np.abs(r - offset) <= threshold
    return offset, inliers


# ---------------------------------------------------------------------------- helpers
def _image_size(result: Any, cam: PinholeCamera) -> Tuple[int, int]:
    size = tuple(int(v) for v in (getattr(result, "image_size", None) or (0, 0)))
    if size[0] <= 0 or size[1] <= 0:
        return cam.width, cam.height
    return size  # type: ignore[return-value]


def _camera_for(result: Any, cam: PinholeCamera) -> PinholeCamera:
    """The camera at the resolution of the processed image (camera_info may be at another)."""
    return _camera_at(cam, *_image_size(result, cam))


def _camera_at(cam: PinholeCamera, width: int, height: int) -> PinholeCamera:
    """``cam`` scaled to images of ``width`` x ``height`` (ValueError when not a scale of it)."""
    if (width, height) == (cam.width, cam.height):
        return cam
    try:
        depth_scale((cam.height, cam.width), (width, height))
    except ValueError as err:
        raise ValueError(f"camera_info is {cam.width}x{cam.height} but the image is {width}x{height}, "
                         "not a scale of it; publish the camera_info of this image") from err
    return cam.scaled_to(width, height)


def _finite_rows(a: np.ndarray) -> np.ndarray:
    return np.all(np.isfinite(a), axis=1)


def _in_image(uv_px: np.ndarray, cam: PinholeCamera) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return ((uv_px[:, 0] >= -0.5) & (uv_px[:, 0] <= cam.width - 0.5)
                & (uv_px[:, 1] >= -0.5) & (uv_px[:, 1] <= cam.height - 0.5))


@dataclass(frozen=True)
class _DepthInput:
    """The checked depth image and what sampling it needs."""

    depth: np.ndarray
    mask: Optional[np.ndarray]
    image_size: Tuple[int, int]
    options: LocateOptions

    def sample(self, uv_px: np.ndarray, radius_px, cam: PinholeCamera) -> np.ndarray:
        """Readings at in-image pixels (NaN elsewhere); ``radius_px``: one, or one per point."""
        radius_px = np.broadcast_to(np.asarray(radius_px, dtype=np.float64), uv_px.shape[:1])
        ok = _in_image(uv_px, cam)
        out = np.full(uv_px.shape[0], np.nan, dtype=np.float32)
        if np.any(ok):
            out[ok] = sample_windows(self.depth, uv_px[ok], radius_px[ok], self.image_size,
                                     self.options.depth_range, self.mask, self.options.mask_threshold)
        return out


def _place_part(rays: np.ndarray, rel_z: np.ndarray, anchor_z: float, readings: Optional[np.ndarray],
                options: LocateOptions, shape_scales_with_depth: bool, sample_step: int = 1,
                model_placement: str = DISTANCE_FROM_BODY_MODEL, check_anchor: bool = True) -> Tuple[np.ndarray, str]:
    """Points ``(anchor + rel_z_i) * ray_i`` of a hand or the face.

    ``rel_z`` is the part's own shape (metres relative to its anchor landmark, computed at
    ``anchor_z``; ``shape_scales_with_depth`` when it came from image-scale z and so grows
    with the distance). ``readings``: depth at every ``sample_step``-th point (one offset
    needs no more than a few dozen), or None without depth. With readings the anchor is
    fitted to them, and used only when at least ``min_detail_points`` readings agree with
    the part's shape and (``check_anchor``) the fit agrees with the body's anchor within
    ``outlier_m`` (a box in front of a hand is not the hand). Returns the points and what
    placed them: "depth", else ``model_placement``.
    """
    placement = model_placement
    z0 = anchor_z
    if readings is not None:
        sampled_rel = rel_z[::sample_step]
        offset, inliers = robust_offset(readings, sampled_rel, np.ones_like(sampled_rel), options.detail_outlier_m,
                                        options.fit_iterations)
        if (offset is not None and int(inliers.sum()) >= options.min_detail_points
                and (not check_anchor or abs(offset - anchor_z) <= options.outlier_m)):
            z0 = offset
            placement = DISTANCE_FROM_DEPTH
            if shape_scales_with_depth:
                rel_z = rel_z * (z0 / anchor_z)
    z = z0 + rel_z
    return (z[:, None] * rays).astype(np.float32), placement


def _hand_world(result: Any, side: str) -> Optional[np.ndarray]:
    world = getattr(result, f"{side}_hand_world_landmarks", None)
    if world is None:
        return None
    world = np.asarray(world, dtype=np.float64)
    if world.ndim != 2 or world.shape[0] != 21 or world.shape[1] < 3:
        return None
    return world[:, :3]


# ---------------------------------------------------------------------------- locate
def locate(result: Any, cam: PinholeCamera, depth: Optional[np.ndarray] = None, mask: Optional[np.ndarray] = None,
           options: LocateOptions = LocateOptions()) -> Located3D:
    """Locate the person of a :class:`~holistic_ros.HolisticResult` in the camera frame.

    ``cam``: the colour camera (scaled automatically when the processed image has another
    size of the same aspect). ``depth``: (H, W) registered to the colour image, uint16
    millimetres or float32 metres, any scale of the image's size. ``mask``: (H, W) person
    mask in [0, 1], any scale; ``result.segmentation_mask`` is used when None.

    Bad landmarks (NaN) and a result without pose give None fields, never an exception.
    Depth of an unsupported dtype or a size that is not a scale of the image raises a
    ValueError saying so (the caller's input is wrong); depth without a usable reading
    falls back to the body model and says so in ``distance_note``.
    """
    cam = _camera_for(result, cam)
    depth_in = _depth_input(result, cam, depth, mask, options)
    pose = _pose_rays(result, cam)
    if pose is None:
        return _EMPTY
    # The body model placed so that it projects onto the 2D landmarks.
    t = solve_translation(pose.world, pose.rays[:, :2], pose.weights)
    if t is None:
        return _EMPTY
    body = _BodyDepth(z=np.maximum(pose.world[:, 2] + t[2], _MIN_MODEL_DEPTH_M),
                      source=np.where(pose.valid, MODEL, NONE).astype(np.uint8), translation=t)
    part_uv = _part_pixels(result, cam)
    part_readings: Dict[str, np.ndarray] = {}
    if depth_in is not None:
        measured, part_readings = _read_depth(depth_in, cam, pose, part_uv, t[2], options)
        body = _fit_body_to_depth(body, measured, pose, options)

    pose_cam = (body.z[:, None] * pose.rays).astype(np.float32)
    pose_cam[~pose.valid] = np.nan
    hands = {side: _locate_hand(result, side, part_uv.get(side), float(pose_cam[wrist, 2]), cam,
                                part_readings.get(side), options)
             for side, wrist in (("left", PoseLandmark.LEFT_WRIST), ("right", PoseLandmark.RIGHT_WRIST))}
    face = _locate_face(result, part_uv.get("face"), float(pose_cam[PoseLandmark.NOSE, 2]), cam,
                        part_readings.get("face"), options)
    confidence = np.where(pose.valid, pose.visibility, 0.0).astype(np.float32)
    return _located(pose_cam, confidence, body, hands, face, options)


def _depth_input(result: Any, cam: PinholeCamera, depth: Optional[np.ndarray], mask: Optional[np.ndarray],
                 options: LocateOptions) -> Optional[_DepthInput]:
    """The depth image checked (raises on a wrong dtype or size), with the person mask."""
    if depth is None:
        return None
    image_size = (cam.width, cam.height)
    checked = check_depth_image(depth)
    depth_scale(checked.shape, image_size)  # raises with both sizes when not a scale
    if mask is None:
        mask = getattr(result, "segmentation_mask", None)
    return _DepthInput(checked, None if mask is None else np.asarray(mask), image_size, options)


@dataclass(frozen=True)
class _PoseRays:
    """The pose's landmarks as the fits take them."""

    world: np.ndarray        # (33, 3) world landmarks, metres
    uv_px: np.ndarray        # (33, 2) image landmarks, pixels
    rays: np.ndarray         # (33, 3) undistorted rays through them (z = 1)
    visibility: np.ndarray   # (33,) in [0, 1]
    valid: np.ndarray        # (33,) a finite ray and world landmark
    weights: np.ndarray      # (33,) of each landmark in the fits (0 where not valid)


def _pose_rays(result: Any, cam: PinholeCamera) -> Optional[_PoseRays]:
    pose_norm = getattr(result, "pose_landmarks", None)
    pose_world = getattr(result, "pose_world_landmarks", None)
    if pose_norm is None or pose_world is None:
        return None
    pose_norm = np.asarray(pose_norm, dtype=np.float64)
    world = np.asarray(pose_world, dtype=np.float64)[:, :3]
    uv_px = cam.pixels_from_normalized(pose_norm[:, :2])
    rays = cam.rays(uv_px)
    visibility = np.nan_to_num(pose_norm[:, 3], nan=0.0) if pose_norm.shape[1] > 3 else np.ones(len(pose_norm))
    visibility = np.clip(visibility, 0.0, 1.0)
    valid = _finite_rows(rays) & _finite_rows(world)
    weights = np.where(valid, np.maximum(visibility, 1e-3), 0.0)
    return _PoseRays(world, uv_px, rays, visibility, valid, weights)


@dataclass(frozen=True)
class _BodyDepth:
    """The depth of each pose landmark and where it came from."""

    z: np.ndarray             # (33,) metres along each ray
    source: np.ndarray        # (33,) PointSource
    translation: np.ndarray   # (3,) of the body model
    depth_scale: float = 1.0
    distance_source: str = DISTANCE_FROM_BODY_MODEL
    note: str = ""


def _part_pixels(result: Any, cam: PinholeCamera) -> Dict[str, np.ndarray]:
    """Pixels of the hands ("left", "right") and the face that were found."""
    part_norm = {"left": getattr(result, "left_hand_landmarks", None),
                 "right": getattr(result, "right_hand_landmarks", None),
                 "face": getattr(result, "face_landmarks", None)}
    return {name: cam.pixels_from_normalized(np.asarray(norm, dtype=np.float64)[:, :2])
            for name, norm in part_norm.items() if norm is not None}


def _read_depth(depth_in: _DepthInput, cam: PinholeCamera, pose: _PoseRays, part_uv: Dict[str, np.ndarray],
                distance: float, options: LocateOptions) -> Tuple[np.ndarray, Dict[str, np.ndarray]]:
    """One read of the depth image for every part, windows sized at the body's ``distance``:
    the pose landmarks' readings (NaN where not valid) and each part's (the face's at every
    _FACE_SAMPLE_STEP-th point)."""
    ppm = cam.pixels_per_metre(distance)
    uv_all = [pose.uv_px]
    radii = [np.full(len(pose.uv_px), options.pose_window_m * ppm)]
    for name, uv in part_uv.items():
        uv_all.append(uv[::_FACE_SAMPLE_STEP] if name == "face" else uv)
        radii.append(np.full(len(uv_all[-1]), options.detail_window_m * ppm))
    readings = depth_in.sample(np.concatenate(uv_all), np.concatenate(radii), cam)
    part_readings = {}
    start = len(pose.uv_px)
    for name, uv in zip(part_uv, uv_all[1:]):
        part_readings[name] = readings[start:start + len(uv)]
        start += len(uv)
    measured = readings[:len(pose.uv_px)].copy()
    measured[~pose.valid] = np.nan
    return measured, part_readings


def _fit_body_to_depth(body: _BodyDepth, measured: np.ndarray, pose: _PoseRays,
                       options: LocateOptions) -> _BodyDepth:
    """The body model fitted to the depth readings: accepted readings give their landmark's
    depth, the fitted model the rest. Without enough readings, ``body`` with a note why."""
    offset, scale, inliers = fit_depth_model(measured, pose.world[:, 2], pose.weights, options.outlier_m,
                                             options.fit_band_m, options.fit_iterations,
                                             options.depth_scale_prior_m, options.depth_scale_range,
                                             options.min_measured_points)
    n_inliers = int(inliers.sum())
    if offset is None:
        return dataclasses.replace(body, note="no valid depth reading at the person's landmarks")
    if n_inliers < options.min_measured_points:
        return dataclasses.replace(body, note=(f"only {n_inliers} depth readings agree with the body model "
                                               f"(need {options.min_measured_points})"))
    z_model = np.maximum(offset + scale * pose.world[:, 2], _MIN_MODEL_DEPTH_M)
    inliers = accept_by_bones(measured, inliers, z_model, pose.rays, pose.world, options.bone_tolerance_m,
                              options.bone_stretch)
    source = body.source.copy()
    source[inliers] = MEASURED
    return _BodyDepth(z=np.where(inliers, measured, z_model), source=source,
                      translation=np.array([*_xy_for_depth(pose.world, pose.rays[:, :2], pose.weights, z_model),
                                            offset]),
                      depth_scale=scale, distance_source=DISTANCE_FROM_DEPTH)


_Part = Tuple[Optional[np.ndarray], Optional[str]]   # a located part's points and what placed it


def _located(pose_cam: np.ndarray, confidence: np.ndarray, body: _BodyDepth, hands: Dict[str, _Part],
             face: _Part, options: LocateOptions) -> Located3D:
    """The located points with the frames they give (REP-155 body, head, face, gaze; hands)."""
    face_cam, face_placement = face
    body_frame = body_pose(pose_cam)
    head = head_pose(pose_cam)
    face_frame = face_pose(face_cam) if face_cam is not None else None
    looking_frame = face_frame if face_frame is not None else head
    gaze = gaze_pose(looking_frame) if looking_frame is not None else None
    angle = facing_angle(looking_frame) if looking_frame is not None else None
    return Located3D(
        pose_landmarks=pose_cam,
        pose_source=body.source,
        pose_confidence=confidence,
        left_hand_landmarks=hands["left"][0],
        right_hand_landmarks=hands["right"][0],
        face_landmarks=face_cam,
        body_pose=body_frame,
        head_pose=head,
        face_pose=face_frame,
        gaze_pose=gaze,
        left_hand_pose=hand_pose(hands["left"][0], is_left=True) if hands["left"][0] is not None else None,
        right_hand_pose=hand_pose(hands["right"][0], is_left=False) if hands["right"][0] is not None else None,
        distance_source=body.distance_source,
        distance_note=body.note,
        left_hand_placement=hands["left"][1],
        right_hand_placement=hands["right"][1],
        face_placement=face_placement,
        body_translation=body.translation.astype(np.float64),
        body_depth_scale=body.depth_scale,
        looking_at_camera=bool(angle is not None and angle <= options.looking_angle_rad),
        looking_angle_rad=angle,
    )


def _locate_hand(result: Any, side: str, uv_px: Optional[np.ndarray], wrist_z: float, cam: PinholeCamera,
                 readings: Optional[np.ndarray], options: LocateOptions) -> Tuple[Optional[np.ndarray], Optional[str]]:
    """A hand's 21 points: its own shape, placed at the located pose wrist's depth (or by depth).

    Shape: the hand model's world landmarks (metric) when the result has them, else the
    image landmarks' relative z, which MediaPipe gives on the scale of x (normalised by
    the image width): metres = z_norm * width * Z / fx at the hand's depth Z.
    """
    hand_norm = getattr(result, f"{side}_hand_landmarks", None)
    if hand_norm is None or uv_px is None or not math.isfinite(wrist_z) or wrist_z <= 0.0:
        return None, None
    hand_norm = np.asarray(hand_norm, dtype=np.float64)
    rays = cam.rays(uv_px)
    if not np.all(_finite_rows(rays)):
        return None, None
    world = _hand_world(result, side)
    metric_shape = world is not None and bool(np.all(np.isfinite(world)))
    if metric_shape:
        rel_z = world[:, 2] - world[HandLandmark.WRIST, 2]
    else:
        rel_norm = hand_norm[:, 2] - hand_norm[HandLandmark.WRIST, 2]
        if not np.all(np.isfinite(rel_norm)):
            return None, None
        rel_z = rel_norm * cam.width * wrist_z / cam.fx
    return _place_part(rays, rel_z, wrist_z, readings, options, shape_scales_with_depth=not metric_shape)


def _locate_face(result: Any, uv_px: Optional[np.ndarray], nose_z: float, cam: PinholeCamera,
                 readings: Optional[np.ndarray], options: LocateOptions) -> Tuple[Optional[np.ndarray], Optional[str]]:
    """The face mesh: its relative z (scale of x) in metres at the head's depth, the nose
    tip placed at the located pose nose's depth (or the mesh placed by depth)."""
    face_norm = getattr(result, "face_landmarks", None)
    if face_norm is None or uv_px is None or not math.isfinite(nose_z) or nose_z <= 0.0:
        return None, None
    face_norm = np.asarray(face_norm, dtype=np.float64)
    rays = cam.rays(uv_px)
    rel_norm = face_norm[:, 2] - face_norm[FACE_NOSE_TIP, 2]
    if not (np.all(_finite_rows(rays)) and np.all(np.isfinite(rel_norm))):
        return None, None
    rel_z = rel_norm * cam.width * nose_z / cam.fx
    return _place_part(rays, rel_z, nose_z, readings, options, shape_scales_with_depth=True,
                       sample_step=_FACE_SAMPLE_STEP)


# ---------------------------------------------------------------------------- a hand of no body
@dataclass(frozen=True, eq=False)
class LocatedHand:
    """A hand that belongs to no body, located in the camera optical frame (metres).

    ``points`` (21, 3) float32, each ``z_i * ray_i`` on the ray of its 2D landmark (it
    projects back onto it); ``pose`` our hand frame (:func:`~holistic_ros.spatial.frames.hand_pose`:
    wrist, x to the middle knuckle, z out of the palm), None when degenerate;
    ``distance_source`` "depth" (the hand's own depth readings) or "hand_model" (MediaPipe's
    metric hand size); ``distance_note`` why depth was not used although given ("" otherwise);
    ``translation`` (3,) of the hand model (its world landmarks + translation project onto the
    2D landmarks, the no-depth fit).
    """

    points: np.ndarray
    pose: Optional[Pose3D]
    distance_source: str
    translation: np.ndarray
    distance_note: str = ""


def locate_hand(landmarks: np.ndarray, world_landmarks: np.ndarray, side: str, cam: PinholeCamera,
                image_size: Tuple[int, int], depth: Optional[np.ndarray] = None,
                options: LocateOptions = LocateOptions()) -> Optional[LocatedHand]:
    """Locate a hand of no body (``result.hands``) in the camera frame, as :func:`locate` does a body.

    ``landmarks`` (21, >=2) image-normalised, ``world_landmarks`` (21, 3) the hand model's
    metres around the hand's centre in image axes, ``side`` the subject's "left"/"right",
    ``image_size`` (width, height) of the processed image (``cam`` is scaled to it).

    Without depth the hand model -- metric world landmarks -- is moved to where it projects
    onto the 2D landmarks (:func:`solve_translation`, the body's no-depth fit): the distance is
    as good as MediaPipe's idea of the hand's size. With depth (uint16 mm or float32 m, any
    scale of the image) every landmark's window is read (the median of its valid pixels, a
    window ``detail_window_m`` across at the hand-model distance) and the hand's own shape is
    fitted to the readings with trimming (:func:`robust_offset`, as the body's hands); depth
    places the hand when ``min_detail_points`` readings agree with that shape within
    ``detail_outlier_m``. There is no body to check it against. Either way each point is
    ``z_i * ray_i``.

    None when the landmarks are not finite or the fit is degenerate (the hand behind the
    camera, or a point nearer than 5 cm). A depth image of an unsupported dtype or a size that is not a scale of the
    image raises ValueError, as in :func:`locate`.
    """
    width, height = (int(v) for v in image_size)
    image_cam = _camera_at(cam, width, height) if width > 0 and height > 0 else cam
    landmarks = np.asarray(landmarks, dtype=np.float64)
    world = np.asarray(world_landmarks, dtype=np.float64)
    if not (landmarks.ndim == 2 and landmarks.shape[0] == 21 and landmarks.shape[1] >= 2
            and world.ndim == 2 and world.shape[0] == 21 and world.shape[1] >= 3):
        raise ValueError(f"a hand needs (21, >=2) landmarks and (21, 3) world landmarks, got "
                         f"{landmarks.shape} and {world.shape}")
    world = world[:, :3]
    depth_in = None
    if depth is not None:
        checked = check_depth_image(depth)
        depth_scale(checked.shape, (image_cam.width, image_cam.height))
        depth_in = _DepthInput(checked, None, (image_cam.width, image_cam.height), options)
    uv_px = image_cam.pixels_from_normalized(landmarks[:, :2])
    rays = image_cam.rays(uv_px)
    if not (np.all(_finite_rows(rays)) and np.all(_finite_rows(world))):
        return None
    t = solve_translation(world, rays[:, :2], np.ones(len(world)))
    if t is None:
        return None
    wrist_z = float(world[HandLandmark.WRIST, 2] + t[2])
    if not (math.isfinite(wrist_z) and wrist_z > 0.0):
        return None
    rel_z = world[:, 2] - world[HandLandmark.WRIST, 2]
    readings = None
    note = ""
    if depth_in is not None:
        radius_px = options.detail_window_m * image_cam.pixels_per_metre(wrist_z)
        readings = depth_in.sample(uv_px, radius_px, image_cam)
    points, placement = _place_part(rays, rel_z, wrist_z, readings, options, shape_scales_with_depth=False,
                                    model_placement=DISTANCE_FROM_HAND_MODEL, check_anchor=False)
    if depth_in is not None and placement != DISTANCE_FROM_DEPTH:
        n_valid = int(np.count_nonzero(np.isfinite(readings)))
        note = ("no valid depth reading at the hand's landmarks" if n_valid == 0 else
                f"fewer than {options.min_detail_points} depth readings agree with the hand's shape")
    if np.any(points[:, 2] < _MIN_MODEL_DEPTH_M):
        return None
    return LocatedHand(points=points, pose=hand_pose(points, is_left=(side == "left")),
                       distance_source=placement, translation=np.asarray(t, dtype=np.float64),
                       distance_note=note)

