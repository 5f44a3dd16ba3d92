"""Body gestures of one person over time, from Holistic's landmarks.

Each frame, every gesture gets a score in [0, 1] from the pose's world landmarks (metres,
camera-aligned axes) and, for the hand-shape gestures, the hands' world landmarks; motion
gestures (waving, come here) count reversals over a time window. A :class:`Debouncer` per
gesture and side turns the scores into onset/end events. Everything is measured in a body
frame (up: hips to shoulders; left: right shoulder to left shoulder; forward: out of the
chest) and in torso lengths, so it holds whatever the person's size, distance, lean or
turn.

How the gestures are told apart:

* hand raised: the wrist above its shoulder by more than the nose is (a raised hand), so a
  hand at the chin or ear does not count; left / right / both are exclusive.
* waving: the wrist, relative to its elbow, swinging sideways with at least
  ``wave_reversals`` reversals of ``wave_min_swing`` in ``wave_window_s``, at about shoulder
  height or above. It may coexist with a raised hand (ros4hri lists both).
* pointing: the arm straight (elbow angle) and lifted clear of the body, but not straight up.
* arms crossed: each wrist past the body's midline on the other side, between hips and shoulders.
* stop: an open hand (fingers extended), fingers up, palm facing the camera, forearm raised
  but the hand below a raised hand's height, wrist held still (a waving hand is not still, so
  stop and waving exclude each other), fingers not opening and closing (that is come here).
* every gesture: only on a body that is plausibly a person (pose score, human proportions, a
  face or a hand found), and only with the parts it reads in view (the face for raised hands,
  waving and pointing; that side's hand for pointing, stop and come here):
  :mod:`~holistic_ros.gestures.plausibility`.
* come here: the fingers curling and opening repeatedly (reversals of the mean finger
  extension) with the wrist still. Told apart from stop and waving on synthetic tracks;
  no labelled real footage of it exists here, so its real-world reliability is unmeasured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..pipeline.landmark_names import HandLandmark, PoseLandmark
from .debounce import Debouncer, ReversalCounter, SchmittCounter, TimedHistory
from .plausibility import parts_missing, person_plausibility
from .pointing import angle_between, angular_uncertainty, eye_and_fingertip, intersect_plane
from .settings import GestureSettings
from .types import (BODY_SIDE, PER_SIDE, ActiveGesture, BodyGesture, EventKind, GestureEvent, GestureFrame,
                    PointingRay, Side)

SIDES = ("left", "right")
_P = PoseLandmark
ARM = {"left": (_P.LEFT_SHOULDER, _P.LEFT_ELBOW, _P.LEFT_WRIST),
       "right": (_P.RIGHT_SHOULDER, _P.RIGHT_ELBOW, _P.RIGHT_WRIST)}
#: Pose landmarks the layer reads; NaN in any of them resets the temporal state.
USED_POSE = sorted({int(i) for arm in ARM.values() for i in arm}
                   | {int(_P.LEFT_HIP), int(_P.RIGHT_HIP), int(_P.LEFT_EYE), int(_P.RIGHT_EYE),
                      int(_P.LEFT_INDEX), int(_P.RIGHT_INDEX)})
_H = HandLandmark
FINGERS = ((_H.INDEX_FINGER_MCP, _H.INDEX_FINGER_TIP), (_H.MIDDLE_FINGER_MCP, _H.MIDDLE_FINGER_TIP),
           (_H.RING_FINGER_MCP, _H.RING_FINGER_TIP), (_H.PINKY_MCP, _H.PINKY_TIP))
#: Direction to the camera in camera-aligned axes (x right, y down, z away from the camera).
TOWARDS_CAMERA = np.array([0.0, 0.0, -1.0])


def ramp(value: float, low_high: Tuple[float, float]) -> float:
    """0 at or below ``low``, 1 at or above ``high``, linear between."""
    low, high = low_high
    return float(min(1.0, max(0.0, (value - low) / (high - low))))


@dataclass(frozen=True)
class BodyFrame:
    """The person's body axes in the pose world frame, and the torso length (m)."""

    hip_mid: np.ndarray
    shoulder_mid: np.ndarray
    up: np.ndarray
    left: np.ndarray
    forward: np.ndarray
    torso: float

    @staticmethod
    def from_pose(world: np.ndarray) -> Optional["BodyFrame"]:
        hip_mid = (world[_P.LEFT_HIP, :3] + world[_P.RIGHT_HIP, :3]) / 2.0
        shoulder_mid = (world[_P.LEFT_SHOULDER, :3] + world[_P.RIGHT_SHOULDER, :3]) / 2.0
        up = shoulder_mid - hip_mid
        torso = float(np.linalg.norm(up))
        if torso < 1e-6:
            return None
        up = up / torso
        left = world[_P.LEFT_SHOULDER, :3] - world[_P.RIGHT_SHOULDER, :3]
        left = left - (left @ up) * up
        n = float(np.linalg.norm(left))
        if n < 1e-6:
            return None
        left = left / n
        return BodyFrame(hip_mid, shoulder_mid, up, left, np.cross(left, up), torso)


def elbow_angle(world: np.ndarray, side: str) -> float:
    shoulder, elbow, wrist = (world[i, :3] for i in ARM[side])
    return angle_between(shoulder - elbow, wrist - elbow)


def finger_extension(hand: np.ndarray, fingers=FINGERS) -> float:
    """Mean over ``fingers`` of |tip - wrist| / |knuckle - wrist| (about 1 curled, 2 straight)."""
    wrist = hand[_H.WRIST, :3]
    ratios = []
    for mcp, tip in fingers:
        base = float(np.linalg.norm(hand[mcp, :3] - wrist))
        if base > 0:
            ratios.append(float(np.linalg.norm(hand[tip, :3] - wrist)) / base)
    return float(np.mean(ratios)) if ratios else 0.0


def palm_normal(hand: np.ndarray, side: str) -> np.ndarray:
    """Unit normal out of the palm (camera-aligned axes), for the subject's ``side`` hand.

    index-knuckle x pinky-knuckle (from the wrist) leaves a right palm; a left hand is its
    mirror image, so the order flips.
    """
    wrist = hand[_H.WRIST, :3]
    a, b = hand[_H.INDEX_FINGER_MCP, :3] - wrist, hand[_H.PINKY_MCP, :3] - wrist
    n = np.cross(a, b) if side == "right" else np.cross(b, a)
    norm = float(np.linalg.norm(n))
    return n / norm if norm > 0 else n


def hand_points(result, side: str) -> Optional[np.ndarray]:
    """The hand's landmarks (21, 3) in units equal on all three axes (x right, y down, z away),
    or None: its world landmarks (metres) when given, else its image landmarks scaled to pixels
    (MediaPipe's hand z is on the scale of x). Only ratios and directions are taken from them
    (finger extension, palm normal, knuckle direction), so the unit does not matter."""
    world = getattr(result, f"{side}_hand_world_landmarks", None)
    if world is not None:
        return np.asarray(world, dtype=np.float64)[:, :3]
    image = getattr(result, f"{side}_hand_landmarks", None)
    if image is None:
        return None
    w, h = getattr(result, "image_size", (1, 1)) or (1, 1)
    return np.asarray(image, dtype=np.float64)[:, :3] * np.array([w, h, w], dtype=np.float64)


class _SideState:
    """Temporal state of one arm and hand."""

    def __init__(self, s: GestureSettings):
        self.wave = ReversalCounter(s.wave_min_swing, s.wave_window_s)
        self.curl = SchmittCounter(s.finger_extension, s.come_here_window_s)
        self.wrist = TimedHistory(0.3)   # wrist positions for its speed
        self.direction = TimedHistory(s.pointing_jitter_window_s)

    def reset(self) -> None:
        for part in (self.wave, self.curl, self.wrist, self.direction):
            part.reset()


class BodyGestureRecognizer:
    """Body gestures of one person, over time: ``update(result, timestamp) -> GestureFrame``.

    ``result`` is a :class:`holistic_ros.HolisticResult` (or anything with its fields);
    ``timestamp`` in seconds; ``points_cam`` (33, 3) metres in the camera frame (from
    :mod:`holistic_ros.spatial`) puts the pointing rays in the camera frame. Bad values do not
    raise: NaN landmarks, or a timestamp that goes back, is not finite or jumps by more than
    ``max_gap_s``, reset the temporal state (active gestures end with an event). Arrays of the
    wrong shape (a caller's mistake, not a bad frame) raise ValueError.
    """

    def __init__(self, settings: Optional[GestureSettings] = None):
        self.settings = settings or GestureSettings()
        self._keys: List[Tuple[BodyGesture, Side]] = (
            [(g, side) for g in PER_SIDE for side in SIDES] + [(g, BODY_SIDE[g]) for g in BODY_SIDE])
        self._debouncers: Dict[Tuple[BodyGesture, Side], Debouncer] = {k: Debouncer(self.settings)
                                                                       for k in self._keys}
        self._sides = {side: _SideState(self.settings) for side in SIDES}
        self._last_t: Optional[float] = None

    def reset(self) -> None:
        """Forget all temporal state (no events)."""
        for d in self._debouncers.values():
            d.reset()
        for st in self._sides.values():
            st.reset()
        self._last_t = None

    # -- per frame -------------------------------------------------------------------------
    def update(self, result, timestamp: float, points_cam: Optional[np.ndarray] = None) -> GestureFrame:
        t = float(timestamp) if timestamp is not None else math.nan
        events: List[GestureEvent] = []
        reason = None
        if not math.isfinite(t):
            reason = "timestamp not finite"
        elif self._last_t is not None and t <= self._last_t:
            reason = "timestamp did not increase"
        elif self._last_t is not None and t - self._last_t > self.settings.max_gap_s:
            reason = "timestamp gap"
        world = getattr(result, "pose_world_landmarks", None)
        hands = {side: hand_points(result, side) for side in SIDES}
        self._check_shapes(world, hands, points_cam)
        if reason is None and not self._finite(world, hands, points_cam):
            reason = "nan landmarks"
        if reason is not None:
            events = self._reset_with_events(t if math.isfinite(t) else (self._last_t or 0.0))
            if not math.isfinite(t) or not self._finite(world, hands, points_cam):
                self._last_t = None   # this frame is unusable: start over with the next
                return GestureFrame(timestamp=t, events=tuple(events), reset_reason=reason)
        self._last_t = t

        scores = self._scores(world, hands, t)
        if world is not None and not person_plausibility(result).plausible:
            # not plausibly a person (plausibility.py): the motion state runs on, nothing scores
            scores = {key: 0.0 for key in scores}
        # a gesture whose parts are not in view (its face, its hand) does not score
        scores = {key: 0.0 if parts_missing(result, key[0].value, key[1]) else value for key, value in scores.items()}
        active: List[ActiveGesture] = []
        for key in self._keys:
            gesture, side = key
            score = scores.get(key, 0.0) if gesture.value in self.settings.enabled else 0.0
            scores[key] = score
            deb = self._debouncers[key]
            was_on = deb.onset_time
            kind = deb.update(score, t)
            if kind is EventKind.ONSET:
                events.append(GestureEvent(kind, gesture, side, t, deb.confidence))
            elif kind is EventKind.END:
                events.append(GestureEvent(kind, gesture, side, t, deb.confidence, t - (was_on or t)))
            if deb.active:
                active.append(ActiveGesture(gesture, side, deb.confidence, deb.onset_time))
        for side in SIDES:   # a new pointing starts its jitter window afresh
            if not self._debouncers[(BodyGesture.POINTING, side)].active:
                self._sides[side].direction.reset()
        rays = tuple(ray for side in SIDES
                     if self._debouncers[(BodyGesture.POINTING, side)].active
                     for ray in [self._ray(world, getattr(result, f"{side}_hand_world_landmarks", None), points_cam,
                                           side, t)] if ray is not None)
        return GestureFrame(timestamp=t, active=tuple(active), events=tuple(events), scores=MappingProxyType(scores),
                            pointing=rays, reset_reason=reason)

    @staticmethod
    def _check_shapes(world, hands, points_cam) -> None:
        for name, value, shape in (("pose_world_landmarks", world, (33, 3)), ("points_cam", points_cam, (33, 3)),
                                   ("left hand landmarks", hands["left"], (21, 3)),
                                   ("right hand landmarks", hands["right"], (21, 3))):
            if value is None:
                continue
            a = np.asarray(value)
            if a.ndim != 2 or a.shape[0] != shape[0] or a.shape[1] < shape[1]:
                raise ValueError(f"BodyGestureRecognizer.update: {name} must be ({shape[0]}, >={shape[1]}), "
                                 f"got {a.shape}; pass a HolisticResult and camera points of shape (33, 3)")

    @staticmethod
    def _finite(world, hands, points_cam) -> bool:
        # points_cam is not checked: holistic_ros.spatial gives NaN where it could not place a
        # landmark; a ray then stays in the world frame (_ray) instead of resetting gestures.
        if world is not None and not np.all(np.isfinite(np.asarray(world)[USED_POSE, :3])):
            return False
        return all(h is None or np.all(np.isfinite(h)) for h in hands.values())

    def _reset_with_events(self, t: float) -> List[GestureEvent]:
        events = [GestureEvent(EventKind.END, g, side, t, d.confidence, max(0.0, t - (d.onset_time or t)))
                  for (g, side), d in self._debouncers.items() if d.active]
        self.reset()
        return events

    # -- scores ------------------------------------------------------------------------------
    def _scores(self, world, hands, t: float) -> Dict[Tuple[BodyGesture, Side], float]:
        s = self.settings
        scores: Dict[Tuple[BodyGesture, Side], float] = {}
        body = BodyFrame.from_pose(np.asarray(world, dtype=np.float64)) if world is not None else None
        if body is None:
            for st in self._sides.values():
                st.reset()
            return scores
        w = np.asarray(world, dtype=np.float64)[:, :3]
        vis = (np.asarray(world, dtype=np.float64)[:, 3] if np.asarray(world).shape[1] > 3
               else np.ones(len(w)))
        T = body.torso
        raised = {}
        visible = {side: ramp(float(min(vis[i] for i in ARM[side])), s.visibility) for side in SIDES}
        for side in SIDES:
            st = self._sides[side]
            shoulder, elbow, wrist = (w[i] for i in ARM[side])
            height = float((wrist - shoulder) @ body.up) / T
            raised[side] = ramp(height, s.raised_height)

            # waving: sideways swing of the wrist about the elbow, in the body frame
            sideways = float((wrist - elbow) @ body.left) / T
            reversals = st.wave.update(sideways, t)
            wave = min(1.0, max(0.0, (reversals - (s.wave_reversals - 2)) / 2.0))
            scores[(BodyGesture.WAVING, side)] = wave * ramp(height, s.wave_height)

            # pointing: straight arm, lifted clear of the body, not straight up
            direction = wrist - shoulder
            scores[(BodyGesture.POINTING, side)] = min(
                ramp(math.degrees(elbow_angle(w, side)), s.point_elbow_deg),
                ramp(math.degrees(angle_between(direction, -body.up)), s.point_from_down_deg),
                ramp(math.degrees(angle_between(direction, body.up)), s.point_from_up_deg))

            # wrist speed in the body frame (torso lengths per second)
            rel = np.array([(wrist - body.shoulder_mid) @ a for a in (body.left, body.up, body.forward)]) / T
            st.wrist.add(t, rel)
            (t0, p0) = st.wrist.items[0]
            speed = float(np.linalg.norm(rel - p0)) / (t - t0) if t > t0 else 0.0
            still = 1.0 - ramp(speed, (0.5 * s.stop_max_speed, s.stop_max_speed))

            hand = hands[side]
            if hand is None:   # no hand shape: pointing from the arm alone, no stop or come here
                st.curl.reset()
                continue
            extension = finger_extension(hand)
            # a pointing hand: index straight, the other fingers curled
            index_ext = finger_extension(hand, fingers=FINGERS[:1])
            others_ext = finger_extension(hand, fingers=FINGERS[1:])
            key = (BodyGesture.POINTING, side)
            scores[key] = min(scores[key], ramp(index_ext, s.finger_extension),
                              1.0 - ramp(others_ext, s.finger_extension))
            forearm_up = ramp(float((wrist - elbow) @ body.up) / T, s.stop_forearm_up)
            knuckles = hand[_H.MIDDLE_FINGER_MCP] - hand[_H.WRIST]
            fingers_up = ramp(float(knuckles @ body.up) / max(float(np.linalg.norm(knuckles)), 1e-9), (0.5, 0.8))
            facing = ramp(float(palm_normal(hand, side) @ TOWARDS_CAMERA), s.palm_facing_cos)
            not_waving = 1.0 - wave
            curls = st.curl.update(extension, t)   # open <-> curled changes, not jitter in between
            curling = min(1.0, max(0.0, (curls - (s.come_here_reversals - 2)) / 2.0))
            # a stop is held: fingers that opened and closed again in the window are beckoning
            not_curling = 1.0 - ramp(float(curls), (1.0, 2.0))
            # a palm held above the head is a raised hand (the two exclude each other)
            scores[(BodyGesture.STOP, side)] = min(ramp(extension, s.finger_extension), fingers_up, facing,
                                                    forearm_up, still, not_waving, not_curling, 1.0 - raised[side])
            scores[(BodyGesture.COME_HERE, side)] = min(curling, forearm_up, still, not_waving)

        for key in list(scores):   # an arm the pose model cannot see scores nothing
            if key[1] in visible:
                scores[key] *= visible[key[1]]
        raised = {side: raised[side] * visible[side] for side in SIDES}
        scores[(BodyGesture.BOTH_HANDS_RAISED, "both")] = min(raised["left"], raised["right"])
        scores[(BodyGesture.LEFT_HAND_RAISED, "left")] = min(raised["left"], 1.0 - raised["right"])
        scores[(BodyGesture.RIGHT_HAND_RAISED, "right")] = min(raised["right"], 1.0 - raised["left"])

        # arms crossed: each wrist past the midline on the other side, at torso height
        lw, rw = w[_P.LEFT_WRIST], w[_P.RIGHT_WRIST]
        past_l = -float((lw - body.shoulder_mid) @ body.left) / T   # left wrist towards the right side
        past_r = float((rw - body.shoulder_mid) @ body.left) / T
        scores[(BodyGesture.ARMS_CROSSED, "both")] = min(
            ramp(past_l, (0.0, s.crossed_overlap)), ramp(past_r, (0.0, s.crossed_overlap)),
            self._band(float((lw - body.hip_mid) @ body.up) / T, s.crossed_height),
            self._band(float((rw - body.hip_mid) @ body.up) / T, s.crossed_height),
            visible["left"], visible["right"])
        return scores

    @staticmethod
    def _band(value: float, low_high: Tuple[float, float], margin: float = 0.1) -> float:
        """1 inside [low, high], falling to 0 over ``margin`` outside."""
        low, high = low_high
        return float(min(1.0, max(0.0, min(value - low + margin, high + margin - value) / margin)))

    # -- pointing ray ----------------------------------------------------------------------------
    def _ray(self, world, hand_world, points_cam, side: str, t: float) -> Optional[PointingRay]:
        s = self.settings
        hand_world = None if hand_world is None else np.asarray(hand_world, dtype=np.float64)
        in_camera = False
        if points_cam is not None:
            eye, tip = eye_and_fingertip(np.asarray(points_cam, dtype=np.float64), side, hand_world)
            in_camera = bool(np.all(np.isfinite(eye)) and np.all(np.isfinite(tip)))
        if not in_camera:
            eye, tip = eye_and_fingertip(np.asarray(world, dtype=np.float64), side, hand_world)
        v = tip - eye
        baseline = float(np.linalg.norm(v))
        if baseline < 1e-6:
            return None
        direction = v / baseline
        st = self._sides[side]
        st.direction.add(t, direction)
        dirs = np.array([d for _, d in st.direction.items])
        mean = dirs.mean(axis=0)
        jitter = 0.0
        if len(dirs) > 1 and np.linalg.norm(mean) > 0:
            jitter = math.sqrt(float(np.mean([angle_between(d, mean) ** 2 for d in dirs])))
        uncertainty = angular_uncertainty(baseline, s.pointing_landmark_noise_m, jitter,
                                          math.radians(s.pointing_base_uncertainty_deg))
        hit = intersect_plane(eye, direction, s.pointing_plane) if s.pointing_plane is not None else None
        return PointingRay(side, eye, direction, uncertainty, in_camera, hit)
