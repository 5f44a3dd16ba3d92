"""Body gestures on synthetic landmark tracks: each gesture fires (latency in frames), near
misses do not, at several speeds, sizes and rotations; NaN and timestamp jumps reset.

The tracks are built from a stick figure in MediaPipe's world-landmark axes (metres, x right,
y down, z away from the camera, origin between the hips), with hands built from a palm
normal, a finger direction and a curl, plus 5 mm of seeded landmark noise. The person faces
the camera: their left is +x.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import pytest

from holistic_ros.gestures import (BodyGesture, BodyGestureRecognizer, EventKind, GestureSettings,
                                   intersect_plane)
from holistic_ros.pipeline.landmark_names import HandLandmark as H, PoseLandmark as P

FPS = 30.0
UP, DOWN = np.array([0.0, -1.0, 0.0]), np.array([0.0, 1.0, 0.0])
FORWARD = np.array([0.0, 0.0, -1.0])        # out of the chest, towards the camera
OUT = {"left": np.array([1.0, 0.0, 0.0]), "right": np.array([-1.0, 0.0, 0.0])}
UPPER_ARM, FOREARM = 0.28, 0.26
SHOULDER = {"left": np.array([0.18, -0.5, 0.0]), "right": np.array([-0.18, -0.5, 0.0])}


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def rotate_towards(a: np.ndarray, b: np.ndarray, angle: float) -> np.ndarray:
    """``a`` turned by ``angle`` towards ``b`` in their plane (both unit, not parallel)."""
    b_perp = unit(b - (b @ a) * a)
    return math.cos(angle) * a + math.sin(angle) * b_perp


class Arm:
    """Upper-arm and forearm directions, and the hand: finger direction, palm normal, curls."""

    def __init__(self, upper, fore, fingers=None, palm=None, curl=0.3, index_curl=None):
        self.upper, self.fore = unit(upper), unit(fore)
        self.fingers = unit(fingers) if fingers is not None else self.fore
        palm = np.asarray(palm if palm is not None else FORWARD, dtype=np.float64)
        self.palm = unit(palm - (palm @ self.fingers) * self.fingers)
        self.curl = curl
        self.index_curl = curl if index_curl is None else index_curl


REST = {side: Arm(DOWN + 0.05 * OUT[side], DOWN + 0.05 * OUT[side], palm=-OUT[side]) for side in OUT}


def hand_world(side: str, arm: Arm) -> np.ndarray:
    """21 hand landmarks (metres, wrist at 0) from the finger direction, palm normal and curls."""
    f, n = arm.fingers, arm.palm
    a = np.cross(f, n) if side == "right" else np.cross(n, f)   # towards the thumb
    pts = np.zeros((21, 3))
    knuckles = {H.INDEX_FINGER_MCP: (0.090, 0.025), H.MIDDLE_FINGER_MCP: (0.092, 0.005),
                H.RING_FINGER_MCP: (0.086, -0.015), H.PINKY_MCP: (0.076, -0.034)}
    for mcp, (along, across) in knuckles.items():
        curl = arm.index_curl if mcp == H.INDEX_FINGER_MCP else arm.curl
        p = along * f + across * a
        pts[mcp] = p
        for k, length in enumerate((0.045, 0.028, 0.022), start=1):
            d = math.cos(k * curl * math.radians(85)) * f + math.sin(k * curl * math.radians(85)) * n
            p = p + length * d
            pts[mcp + k] = p
    thumb = unit(0.6 * f + a)
    for k, length in enumerate((0.03, 0.035, 0.03, 0.028), start=1):
        pts[k] = pts[k - 1] + length * thumb if k > 1 else 0.02 * f + 0.02 * a
    return pts


def pose_world(arms: Dict[str, Arm]) -> np.ndarray:
    """33 pose world landmarks (x, y, z, visibility)."""
    pts = np.zeros((33, 4))
    pts[:, 3] = 1.0
    head = {P.NOSE: (0, -0.70, -0.09), P.LEFT_EYE_INNER: (0.015, -0.73, -0.08), P.LEFT_EYE: (0.03, -0.73, -0.075),
            P.LEFT_EYE_OUTER: (0.045, -0.73, -0.07), P.RIGHT_EYE_INNER: (-0.015, -0.73, -0.08),
            P.RIGHT_EYE: (-0.03, -0.73, -0.075), P.RIGHT_EYE_OUTER: (-0.045, -0.73, -0.07),
            P.LEFT_EAR: (0.07, -0.71, 0.0), P.RIGHT_EAR: (-0.07, -0.71, 0.0), P.MOUTH_LEFT: (0.02, -0.66, -0.08),
            P.MOUTH_RIGHT: (-0.02, -0.66, -0.08), P.LEFT_HIP: (0.1, 0, 0), P.RIGHT_HIP: (-0.1, 0, 0),
            P.LEFT_KNEE: (0.1, 0.45, 0), P.RIGHT_KNEE: (-0.1, 0.45, 0), P.LEFT_ANKLE: (0.1, 0.88, 0.02),
            P.RIGHT_ANKLE: (-0.1, 0.88, 0.02), P.LEFT_HEEL: (0.1, 0.92, 0.05), P.RIGHT_HEEL: (-0.1, 0.92, 0.05),
            P.LEFT_FOOT_INDEX: (0.1, 0.93, -0.1), P.RIGHT_FOOT_INDEX: (-0.1, 0.93, -0.1)}
    for i, xyz in head.items():
        pts[i, :3] = xyz
    names = {"left": (P.LEFT_SHOULDER, P.LEFT_ELBOW, P.LEFT_WRIST, P.LEFT_PINKY, P.LEFT_INDEX, P.LEFT_THUMB),
             "right": (P.RIGHT_SHOULDER, P.RIGHT_ELBOW, P.RIGHT_WRIST, P.RIGHT_PINKY, P.RIGHT_INDEX, P.RIGHT_THUMB)}
    for side, arm in arms.items():
        sh, el, wr, pinky, index, thumb = names[side]
        pts[sh, :3] = SHOULDER[side]
        pts[el, :3] = pts[sh, :3] + UPPER_ARM * arm.upper
        pts[wr, :3] = pts[el, :3] + FOREARM * arm.fore
        hand = hand_world(side, arm)
        pts[pinky, :3] = pts[wr, :3] + hand[H.PINKY_MCP]
        pts[index, :3] = pts[wr, :3] + hand[H.INDEX_FINGER_MCP]
        pts[thumb, :3] = pts[wr, :3] + hand[H.THUMB_IP]
    return pts


def rotation(yaw_deg: float, roll_deg: float) -> np.ndarray:
    """The person turned by ``yaw`` about the vertical axis, then the camera rolled by ``roll``."""
    y, r = math.radians(yaw_deg), math.radians(roll_deg)
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return rz @ ry


def frame(arms: Dict[str, Arm], size: float, rot: np.ndarray, rng, hands=True, noise=0.005):
    world = pose_world(arms)
    world[:, :3] = (world[:, :3] * size) @ rot.T + rng.normal(0, noise, (33, 3))
    result = SimpleNamespace(pose_world_landmarks=world, image_size=(640, 480))
    for side in ("left", "right"):
        hw = (hand_world(side, arms[side]) * size) @ rot.T + rng.normal(0, noise / 2, (21, 3)) if hands else None
        setattr(result, f"{side}_hand_world_landmarks", hw)
        setattr(result, f"{side}_hand_landmarks", None)
    return result


# -- gesture tracks: arms(t) for t >= 0; the gesture is "made" from t = 0 -------------------------
def raised(side):
    return lambda t: {**REST, side: Arm(UP + 0.25 * OUT[side], UP + 0.05 * OUT[side], palm=FORWARD, curl=0.2)}


def both_raised(t):
    return {side: raised(side)(t)[side] for side in OUT}


def waving(side, hz, amplitude_deg=30.0):
    def arms(t):
        swing = math.radians(amplitude_deg) * math.sin(2 * math.pi * hz * t)
        fore = rotate_towards(UP, OUT[side], swing)
        return {**REST, side: Arm(OUT[side] + 0.3 * UP, fore, palm=FORWARD, curl=0.1)}
    return arms


def pointing(side, direction):
    d = unit(direction)
    return lambda t: {**REST, side: Arm(d, d, palm=np.cross(d, UP) if side == "left" else -np.cross(d, UP),
                                        curl=1.0, index_curl=0.0)}


def crossed(t):
    arms = {}
    for side in OUT:
        elbow_dir = unit(DOWN + 0.3 * FORWARD - 0.3 * OUT[side])
        arms[side] = Arm(elbow_dir, -OUT[side] + 0.6 * UP + 0.2 * FORWARD, palm=-UP, curl=0.6)
    return arms


def stop(side, palm=FORWARD, curl=0.0):
    return lambda t: {**REST, side: Arm(DOWN + 0.3 * FORWARD, UP + 0.15 * FORWARD, fingers=UP, palm=palm, curl=curl)}


def come_here(side, hz):
    def arms(t):
        curl = 0.5 - 0.5 * math.cos(2 * math.pi * hz * t)
        return {**REST, side: Arm(DOWN + 0.3 * FORWARD, UP + 0.4 * FORWARD, fingers=UP + FORWARD, palm=FORWARD,
                                  curl=curl)}
    return arms


def blend(a: Dict[str, Arm], b: Dict[str, Arm], w: float) -> Dict[str, Arm]:
    """Arms part way (``w`` 0..1) from ``a`` to ``b``: the speed at which a pose is taken."""
    if w >= 1.0:
        return b
    mix = lambda u, v: (1 - w) * u + w * v   # noqa: E731
    return {side: Arm(mix(a[side].upper, b[side].upper), mix(a[side].fore, b[side].fore),
                      mix(a[side].fingers, b[side].fingers), mix(a[side].palm, b[side].palm),
                      mix(a[side].curl, b[side].curl), mix(a[side].index_curl, b[side].index_curl)) for side in a}


def run(track: Callable[[float], Dict[str, Arm]], seconds=4.0, rest_s=1.0, size=1.0, yaw=0.0, roll=0.0,
        settings: Optional[GestureSettings] = None, seed=0, hands=True, fps=FPS, transition_s=0.0):
    """Rest for ``rest_s``, then move into the track over ``transition_s`` and follow it for
    ``seconds``; returns (frames, index of the first frame that leaves the rest pose)."""
    rng = np.random.default_rng(seed)
    rot = rotation(yaw, roll)
    rec = BodyGestureRecognizer(settings)
    out = []
    n_rest, n = int(rest_s * fps), int((rest_s + seconds) * fps)
    for i in range(n):
        t = i / fps - rest_s
        arms = REST if i < n_rest else blend(REST, track(t), (t + 1 / fps) / transition_s if transition_s else 1.0)
        out.append(rec.update(frame(arms, size, rot, rng, hands), i / fps))
    return out, n_rest


def onsets(frames) -> List[Tuple[int, BodyGesture, Optional[str]]]:
    return [(i, e.gesture, e.side) for i, f in enumerate(frames) for e in f.events if e.kind is EventKind.ONSET]


def latency(frames, start, gesture, side) -> Optional[int]:
    hits = [i - start for i, g, s in onsets(frames) if g == gesture and s == side]
    return hits[0] if hits else None


#: Sizes (child to tall adult), turns and camera rolls, speeds into the pose (transition_s), frame rates.
VARIANTS = [dict(size=1.0), dict(size=0.7, yaw=30.0, transition_s=0.4), dict(size=1.3, roll=-20.0, transition_s=1.0),
            dict(size=1.0, yaw=-35.0, roll=15.0, transition_s=0.2, fps=15.0)]
LATENCIES: Dict[str, List[int]] = {}
#: Latency from the first move to the onset, in frames of the track (30 or 15 fps), that the
#: README states for these tracks ("Body gestures over time": hand raised 5-23, waving (1-3 Hz)
#: 12-51, pointing 5-28, arms crossed 5-24, stop 9-34, come here (1-2.5 Hz) 12-47). The lower
#: end is the debouncer's minimum hold; the upper one a user waits for at most (23 frames at
#: 30 fps is 0.77 s; the 51 of a 1 Hz wave, one and a half waves).
LATENCY_FRAMES = {
    BodyGesture.LEFT_HAND_RAISED: (5, 23), BodyGesture.RIGHT_HAND_RAISED: (5, 23),
    BodyGesture.BOTH_HANDS_RAISED: (5, 23), BodyGesture.WAVING: (12, 51), BodyGesture.POINTING: (5, 28),
    BodyGesture.ARMS_CROSSED: (5, 24), BodyGesture.STOP: (9, 34), BodyGesture.COME_HERE: (12, 47)}


def _check_fires(name, track, gesture, side, seconds=4.0, allowed=()):
    """``gesture`` fires once per variant within its README latency, nothing outside
    ``allowed`` fires; records the latency."""
    low, high = LATENCY_FRAMES[gesture]
    late = []
    for variant in VARIANTS:
        frames, start = run(track, seconds=seconds, **variant)
        lat = latency(frames, start, gesture, side)
        assert lat is not None, f"{name} {variant}: {gesture.value} never fired; onsets {onsets(frames)}"
        if not low <= lat <= high:
            late.append(f"{name} {variant}: fired {lat} frames after the first move, the README states {low}-{high}")
        others = {(g, s) for _, g, s in onsets(frames)} - {(gesture, side)} - set(allowed)
        assert not others, f"{name} {variant}: also fired {others}"
        assert frames[-1].is_active(gesture, side), f"{name} {variant}: not held to the end"
        LATENCIES.setdefault(name, []).append(lat)
    print(f"\n{name}: latency in frames from the first move, per variant: {LATENCIES[name]} "
          f"(variants: {VARIANTS})")
    if late:
        raise LatencyOutsideReadme("\n".join(late))


class LatencyOutsideReadme(AssertionError):
    """A gesture fired, and nothing else did, but not within the latency the README states."""


@pytest.mark.parametrize("side", ["left", "right"])
def test_hand_raised_fires(side):
    gesture = BodyGesture.LEFT_HAND_RAISED if side == "left" else BodyGesture.RIGHT_HAND_RAISED
    _check_fires(f"{side}_hand_raised", raised(side), gesture, side)


def test_both_hands_raised_fires_and_not_one_hand():
    _check_fires("both_hands_raised", both_raised, BodyGesture.BOTH_HANDS_RAISED, "both")


# Known miss: at 1 Hz the wave fires at 52 frames (30 fps, size 1.0), one past the README's
# 51, which was measured before reversals were counted on a 3-sample median (commit b2e00f5,
# one sample of delay by construction). Only this latency is excused (raises=): any other
# failure of the test fails it.
_WAVE_1HZ_LATE = pytest.mark.xfail(strict=True, raises=LatencyOutsideReadme,
                                   reason="1 Hz wave: 52 frames measured, README states 12-51 (before the "
                                          "3-sample median, b2e00f5)")


@pytest.mark.parametrize("hz", [pytest.param(1.0, marks=_WAVE_1HZ_LATE), 1.8, 3.0])
@pytest.mark.parametrize("side", ["left", "right"])
def test_waving_fires(side, hz):
    # A waving hand is also a raised hand (ros4hri lists both).
    raised_key = (BodyGesture.LEFT_HAND_RAISED if side == "left" else BodyGesture.RIGHT_HAND_RAISED, side)
    _check_fires(f"waving_{side}_{hz}Hz", waving(side, hz), BodyGesture.WAVING, side, allowed=[raised_key])


@pytest.mark.parametrize("direction", ["forward", "side", "forward_down"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_pointing_fires_with_a_ray(side, direction):
    d = {"forward": FORWARD + 0.3 * OUT[side], "side": OUT[side] + 0.2 * FORWARD,
         "forward_down": FORWARD + 0.2 * OUT[side] + 0.5 * DOWN}[direction]
    _check_fires(f"pointing_{side}_{direction}", pointing(side, d), BodyGesture.POINTING, side)
    frames, _ = run(pointing(side, d), settings=GestureSettings(pointing_plane=(0.0, -1.0, 0.0, 0.9)))
    (ray,) = frames[-1].pointing
    assert ray.side == side and not ray.in_camera_frame
    assert abs(np.linalg.norm(ray.direction) - 1.0) < 1e-9
    # eye -> fingertip of the synthetic figure, within the ray's own uncertainty
    eye = (pose_world(REST)[P.LEFT_EYE, :3] + pose_world(REST)[P.RIGHT_EYE, :3]) / 2
    arm = pointing(side, d)(0.0)
    tip = pose_world(arm)[P.LEFT_WRIST if side == "left" else P.RIGHT_WRIST, :3] + hand_world(side, arm[side])[8]
    err = math.acos(float(np.clip(ray.direction @ unit(tip - eye), -1, 1)))
    assert err < ray.angular_uncertainty, (err, ray.angular_uncertainty)
    assert math.radians(10) <= ray.angular_uncertainty < math.radians(20)
    # floor plane y = 0.9 m (world frame: y down): the eye->fingertip line of a level arm
    # slopes down too, so it meets the floor, far ahead; pointing down meets it near
    hit = ray.plane_point
    assert hit is not None and abs(hit[1] - 0.9) < 1e-9 and (hit - ray.origin) @ ray.direction > 0
    distance = float(np.linalg.norm(hit - ray.origin))
    assert distance < 3.0 if direction == "forward_down" else distance > 4.0, distance
    frames, _ = run(pointing(side, d), settings=GestureSettings(pointing_plane=(0.0, 1.0, 0.0, 2.0)))
    assert frames[-1].pointing[0].plane_point is None   # a ceiling 2 m up: behind a downward ray


def test_pointing_ray_in_camera_frame():
    d = FORWARD + 0.3 * OUT["right"]
    rng = np.random.default_rng(1)
    rec = BodyGestureRecognizer()
    offset = np.array([0.2, -0.1, 2.5])     # the person 2.5 m ahead of the camera
    last = None
    for i in range(120):
        arms = pointing("right", d)(0.0) if i >= 30 else REST
        result = frame(arms, 1.0, np.eye(3), rng)
        last = rec.update(result, i / FPS, points_cam=result.pose_world_landmarks[:, :3] + offset)
    (ray,) = last.pointing
    assert ray.in_camera_frame
    eye_world = (last and (pose_world(REST)[P.LEFT_EYE, :3] + pose_world(REST)[P.RIGHT_EYE, :3]) / 2)
    assert np.linalg.norm(ray.origin - (eye_world + offset)) < 0.02


def test_camera_points_with_nan_keep_gestures_and_fall_back_to_world_rays():
    # holistic_ros.spatial leaves NaN where it cannot place a landmark
    d = FORWARD + 0.3 * OUT["right"]
    rng = np.random.default_rng(2)
    rec = BodyGestureRecognizer()
    for i in range(90):
        result = frame(pointing("right", d)(0.0) if i >= 15 else REST, 1.0, np.eye(3), rng)
        cam = result.pose_world_landmarks[:, :3] + [0.0, 0.0, 2.0]
        cam[P.LEFT_EYE] = np.nan
        f = rec.update(result, i / FPS, points_cam=cam)
        assert f.reset_reason is None
    (ray,) = f.pointing
    assert not ray.in_camera_frame and np.all(np.isfinite(ray.origin))


# The wired test's tolerances. Origin: the recogniser takes the eye midpoint as located,
# so it is the same point up to float32 rounding of the located landmarks (1e-6 m at a few
# metres); the fingertip it aims through is the located pose wrist plus the hand model's
# wrist-to-index-tip vector, while locate places the hand's own 21 points along their image
# rays at the located wrist's depth, so the two fingertips differ by the gap between the
# pose's and the hand's wrist, measured here, plus how far the hand's metric shape and its
# image rays disagree: 1 cm (the 5 mm landmark noise of either, added).
ORIGIN_TOL_M = 1e-5
SHAPE_TOL_M = 0.01


def test_wired_to_spatial_locate_on_a_real_frame(videos_dir):
    """holistic_ros.spatial.locate's camera-frame pose feeds the recogniser as it is: the
    camera-frame ray starts at the located eye midpoint and passes through the located index
    fingertip."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from parity import iter_video_rgb

    from holistic_ros import Holistic
    from holistic_ros.spatial.camera import PinholeCamera
    from holistic_ros.spatial.locate import locate

    # frame 120: the right arm held out towards the camera, the hand found (labels of the clip)
    rgb = list(iter_video_rgb(videos_dir / "mps_woman_thumbs_up_1280x720.mp4", 121))[-1]
    with Holistic(static_image_mode=True, providers=["CPUExecutionProvider"]) as holistic:
        result = holistic.process(rgb)
    assert result.right_hand_landmarks is not None and result.right_hand_world_landmarks is not None
    located = locate(result, PinholeCamera.from_field_of_view(math.radians(69.0), rgb.shape[1], rgb.shape[0]))
    assert located.pose_landmarks is not None and located.pose_landmarks.shape == (33, 3)
    assert located.right_hand_landmarks is not None
    # Pointing first (a synthetic track), so that the real frame, given while the gesture is
    # still held (its release time), gets a ray; the ray is built from that frame alone.
    rec = BodyGestureRecognizer()
    rng = np.random.default_rng(4)
    t = 0.0
    for i in range(60):
        t = i / FPS
        f = rec.update(frame(pointing("right", FORWARD + 0.3 * OUT["right"])(t), 1.0, np.eye(3), rng), t)
    assert f.is_active(BodyGesture.POINTING, "right")
    f = rec.update(result, t + 1 / FPS, points_cam=located.pose_landmarks)
    assert f.reset_reason is None and all(math.isfinite(v) for v in f.scores.values())
    (ray,) = f.pointing
    assert ray.side == "right" and ray.in_camera_frame
    eye = (located.pose_landmarks[P.LEFT_EYE].astype(np.float64) + located.pose_landmarks[P.RIGHT_EYE]) / 2
    assert np.linalg.norm(ray.origin - eye) < ORIGIN_TOL_M, (ray.origin, eye)
    tip = located.right_hand_landmarks[H.INDEX_FINGER_TIP].astype(np.float64)
    along = float((tip - ray.origin) @ ray.direction)
    off_ray = float(np.linalg.norm(tip - ray.origin - along * ray.direction))
    wrist_gap = float(np.linalg.norm(located.right_hand_landmarks[H.WRIST] - located.pose_landmarks[P.RIGHT_WRIST]))
    print(f"\nlocated fingertip {100 * off_ray:.2f} cm off the ray, {along:.2f} m along it; "
          f"pose and hand wrists {100 * wrist_gap:.2f} cm apart")
    assert along > 0 and off_ray < wrist_gap + SHAPE_TOL_M, (off_ray, wrist_gap)


def test_arms_crossed_fires():
    _check_fires("arms_crossed", crossed, BodyGesture.ARMS_CROSSED, "both")


@pytest.mark.parametrize("side", ["left", "right"])
def test_stop_fires(side):
    _check_fires(f"stop_{side}", stop(side), BodyGesture.STOP, side)


@pytest.mark.parametrize("hz", [1.0, 1.5, 2.5])
@pytest.mark.parametrize("side", ["left", "right"])
def test_come_here_fires(side, hz):
    _check_fires(f"come_here_{side}_{hz}Hz", come_here(side, hz), BodyGesture.COME_HERE, side)


# -- near misses ----------------------------------------------------------------------------------
def _fired(track, seconds=4.0, **kw):
    fired = set()
    for variant in VARIANTS:
        frames, _ = run(track, seconds=seconds, **{**variant, **kw})
        fired |= {(g, s) for _, g, s in onsets(frames)}
    return fired


def test_rest_fires_nothing():
    assert _fired(lambda t: REST, seconds=6.0) == set()


def test_hand_at_chin_is_not_raised():
    # forearm up, fist at the chin (a thumbs-up): wrist about level with the shoulder
    chin = lambda t: {**REST, "right": Arm(DOWN + 0.6 * FORWARD - 0.4 * OUT["right"], UP + 0.2 * FORWARD,
                                           palm=-OUT["right"], curl=1.0)}
    assert _fired(chin) == set()


def test_raised_still_hand_is_not_waving():
    assert (BodyGesture.WAVING, "right") not in _fired(raised("right"))


def test_one_back_and_forth_is_not_waving():
    def one_swipe(t):
        return waving("right", 1.0)(min(t, 0.75))   # out, back, and stop
    assert (BodyGesture.WAVING, "right") not in _fired(one_swipe)


def test_tremor_is_not_waving():
    assert (BodyGesture.WAVING, "right") not in _fired(waving("right", 4.0, amplitude_deg=2.0))


def test_swinging_a_lowered_arm_is_not_waving():
    def arm_swing(t):   # walking: the hanging arm swings forward and back
        swing = math.radians(25) * math.sin(2 * math.pi * 1.5 * t)
        d = rotate_towards(DOWN, FORWARD, swing)
        return {**REST, "right": Arm(d, d, palm=-OUT["right"])}
    assert _fired(arm_swing) == set()


def test_bent_or_hanging_or_raised_arm_is_not_pointing():
    bent = lambda t: {**REST, "right": Arm(DOWN + 0.4 * FORWARD, FORWARD, palm=DOWN, curl=1.0, index_curl=0.0)}
    up = lambda t: {**REST, "right": Arm(UP, UP, curl=1.0, index_curl=0.0)}
    for track in (bent, up, lambda t: REST):
        assert (BodyGesture.POINTING, "right") not in _fired(track)


def test_open_hand_reaching_out_is_not_pointing():
    reach = lambda t: {**REST, "right": Arm(FORWARD + 0.3 * DOWN, FORWARD + 0.2 * DOWN, palm=UP, curl=0.1)}
    assert (BodyGesture.POINTING, "right") not in _fired(reach)


def test_hands_clasped_at_the_midline_are_not_crossed():
    def clasped(t):
        arms = {}
        for side in OUT:
            arms[side] = Arm(DOWN + 0.3 * FORWARD, -OUT[side] * 0.55 + 0.5 * UP + 0.4 * FORWARD, palm=-UP)
        return arms
    frames, _ = run(clasped)
    lw = [f for f in frames][-1]
    assert (BodyGesture.ARMS_CROSSED, "both") not in _fired(clasped)
    assert lw.scores[(BodyGesture.ARMS_CROSSED, "both")] < 0.4


def test_back_of_hand_or_fist_is_not_stop():
    assert (BodyGesture.STOP, "right") not in _fired(stop("right", palm=-FORWARD))
    assert (BodyGesture.STOP, "right") not in _fired(stop("right", curl=1.0))


def test_single_curl_is_not_come_here():
    once = lambda t: come_here("right", 1.0)(min(t, 1.0))   # closes and opens once
    assert (BodyGesture.COME_HERE, "right") not in _fired(once)


def test_waving_is_not_stop_and_come_here_is_not_stop():
    for track in (waving("right", 1.8), come_here("right", 1.5)):
        assert (BodyGesture.STOP, "right") not in _fired(track)


# -- debouncing, resets, bad input --------------------------------------------------------------
def test_debouncing_hold_release_and_cooldown():
    s = GestureSettings(min_hold_s=0.5, min_release_s=0.3, cooldown_s=1.0)
    frames, start = run(raised("right"), settings=s)
    assert latency(frames, start, BodyGesture.RIGHT_HAND_RAISED, "right") >= int(0.5 * FPS)
    # up 1 s, down 0.5 s (past the release time), up again: the second onset waits for the
    # cooldown after the end, then the hold time
    def up_down_up(t):
        return raised("right")(t) if t < 1.0 or t > 1.5 else REST
    frames, _ = run(up_down_up, settings=s)
    kinds = [(e.kind, i) for i, f in enumerate(frames) for e in f.events]
    assert [k for k, _ in kinds] == [EventKind.ONSET, EventKind.END, EventKind.ONSET], kinds
    assert kinds[2][1] - kinds[1][1] >= int((s.cooldown_s + s.min_hold_s) * FPS), kinds
    # a one-frame drop does not end it (release time), a one-frame spike does not start it (hold)
    def flicker(t):
        return REST if abs(t - 1.0) < 0.5 / FPS else raised("right")(t)
    frames, _ = run(flicker)
    assert [e.kind for f in frames for e in f.events] == [EventKind.ONSET]
    spike = lambda t: raised("right")(t) if t < 1.0 / FPS else REST
    frames, _ = run(spike)
    assert not [e for f in frames for e in f.events]


def test_end_event_has_duration_and_confidence():
    frames, start = run(lambda t: raised("right")(t) if t < 2.0 else REST)
    (end,) = [e for f in frames for e in f.events if e.kind is EventKind.END]
    assert 1.8 < end.duration < 2.6 and 0.0 <= end.confidence < 0.4
    (on,) = [e for f in frames for e in f.events if e.kind is EventKind.ONSET]
    assert on.confidence > 0.8


def _waving_results(n=90):
    rng = np.random.default_rng(3)
    return [frame(REST if i < 15 else waving("right", 1.8)((i - 15) / FPS), 1.0, np.eye(3), rng) for i in range(n)]


def test_nan_landmarks_reset_without_raising():
    results = _waving_results()
    rec = BodyGestureRecognizer()
    for i, r in enumerate(results):
        f = rec.update(r, i / FPS)
    assert f.is_active(BodyGesture.WAVING, "right")
    bad = SimpleNamespace(**vars(results[-1]))
    bad.right_hand_world_landmarks = np.full((21, 3), np.nan)
    f = rec.update(bad, 90 / FPS)
    assert f.reset_reason == "nan landmarks" and not f.active
    assert any(e.kind is EventKind.END and e.gesture is BodyGesture.WAVING for e in f.events)
    # the wave must be seen again from scratch: not active on the next frame
    f = rec.update(results[-1], 91 / FPS)
    assert not f.is_active(BodyGesture.WAVING)
    bad.pose_world_landmarks = np.full((33, 4), np.nan)
    assert rec.update(bad, 92 / FPS).reset_reason == "nan landmarks"


@pytest.mark.parametrize("jump,reason", [(-1.0, "timestamp did not increase"), (0.0, "timestamp did not increase"),
                                         (5.0, "timestamp gap"), (math.nan, "timestamp not finite")])
def test_timestamp_jump_resets(jump, reason):
    results = _waving_results()
    rec = BodyGestureRecognizer()
    t = 0.0
    for i, r in enumerate(results):
        t = i / FPS
        f = rec.update(r, t)
    assert f.is_active(BodyGesture.WAVING, "right")
    f = rec.update(results[-1], t + jump)
    assert f.reset_reason == reason and not f.active
    assert [e.kind for e in f.events] == [EventKind.END] * len([e for e in f.events])
    assert {e.gesture for e in f.events} >= {BodyGesture.WAVING}


def test_absent_person_and_hands_do_not_raise():
    rec = BodyGestureRecognizer()
    empty = SimpleNamespace(pose_world_landmarks=None, left_hand_world_landmarks=None, right_hand_world_landmarks=None,
                            left_hand_landmarks=None, right_hand_landmarks=None, image_size=(640, 480))
    for i in range(10):
        assert not rec.update(empty, i / FPS).active
    frames, start = run(raised("right"), hands=False)
    assert latency(frames, start, BodyGesture.RIGHT_HAND_RAISED, "right") is not None


def test_wrong_shapes_get_a_clear_error():
    bad = SimpleNamespace(pose_world_landmarks=np.zeros((10, 3)))
    with pytest.raises(ValueError, match="pose_world_landmarks must be"):
        BodyGestureRecognizer().update(bad, 0.0)


@pytest.mark.parametrize("kwargs,field", [
    (dict(on_threshold=0.3, off_threshold=0.5), "on_threshold"), (dict(min_hold_s=-1.0), "min_hold_s"),
    (dict(raised_height=(0.5, 0.3)), "raised_height"), (dict(wave_reversals=1), "wave_reversals"),
    (dict(pointing_plane=(0.0, 0.0, 0.0, 1.0)), "pointing_plane"), (dict(enabled=frozenset({"dance"})), "enabled"),
    (dict(max_gap_s=math.nan), "max_gap_s")])
def test_settings_are_validated(kwargs, field):
    with pytest.raises(ValueError, match=f"GestureSettings.{field}"):
        GestureSettings(**kwargs)


def test_disabled_gesture_never_fires():
    frames, _ = run(raised("right"), settings=GestureSettings(enabled=frozenset({"waving"})))
    assert onsets(frames) == []


def test_intersect_plane():
    o, d = np.array([0.0, 0.0, 0.0]), unit([0.0, 1.0, 1.0])
    hit = intersect_plane(o, d, (0.0, 1.0, 0.0, -2.0))          # plane y = 2
    assert np.allclose(hit, [0.0, 2.0, 2.0])
    assert intersect_plane(o, d, (0.0, 1.0, 0.0, 2.0)) is None   # y = -2: behind
    assert intersect_plane(o, np.array([1.0, 0.0, 0.0]), (0.0, 1.0, 0.0, -2.0)) is None   # parallel


def test_a_one_frame_spike_of_the_pose_track_is_no_swing():
    """A track that jumps for one frame and back (a tracking glitch, seen on the reach clip
    where it made a reaching hand wave) counts no reversal; the same values held for three
    frames each, a real back-and-forth, do."""
    from holistic_ros.gestures.debounce import ReversalCounter

    spikes = ReversalCounter(min_swing=0.15, window_s=2.0)
    values = [0.0, 0.0, 0.3, 0.0, 0.0, 0.3, 0.0, 0.0, 0.3, 0.0, 0.0]
    assert max(spikes.update(v, i / 30.0) for i, v in enumerate(values)) == 0
    swings = ReversalCounter(min_swing=0.15, window_s=2.0)
    held = [v for v in (0.0, 0.3, 0.0, 0.3, 0.0) for _ in range(3)]
    assert max(swings.update(v, i / 30.0) for i, v in enumerate(held)) >= 3
