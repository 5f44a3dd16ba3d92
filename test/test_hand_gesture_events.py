"""Hand gestures over time (issue 17): per hand track, canned labels -> onset/end events,
and no gesture on a body that is not plausibly a person."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from holistic_ros.gestures import (EventKind, GestureSettings, HandGestureEvents, HandObservation,
                                   person_plausibility)
from holistic_ros.pipeline.landmark_names import PoseLandmark as P

FPS = 25.0


def run(labels, hand_track_id=1, presence=0.95, plausible=True, settings=None):
    rec = HandGestureEvents(settings)
    events = []
    for i, label in enumerate(labels):
        obs = [] if label is False else [HandObservation(label, presence, "right", None, hand_track_id, plausible)]
        ev, _ = rec.update(obs, i / FPS)
        events += [(i, e) for e in ev]
    return events


def test_thumb_up_held_one_second_is_one_onset_and_one_end():
    labels = ["None"] * 10 + ["Thumb_Up"] * 25 + ["None"] * 20
    events = run(labels)
    assert [(e.kind, e.label) for _, e in events] == [(EventKind.ONSET, "Thumb_Up"), (EventKind.END, "Thumb_Up")]
    onset, end = events[0][1], events[1][1]
    assert onset.hand_track_id == 1 and onset.side == "right" and onset.person_id is None
    # min_hold_s 0.25 after the label holds; end min_release_s 0.25 after it goes
    assert 0.2 <= onset.timestamp - 10 / FPS <= 0.4
    assert 0.8 <= end.duration <= 1.2


def test_one_frame_flips_are_removed():
    rng = np.random.default_rng(0)
    labels = ["Thumb_Up"] * 50
    for i in rng.choice(np.arange(5, 45), 8, replace=False):   # single-frame flips, never adjacent twice
        labels[i] = "Pointing_Up" if i % 2 else "None"
    for i in range(1, 49):
        if labels[i] != "Thumb_Up" and labels[i - 1] != "Thumb_Up":
            labels[i] = "Thumb_Up"
    events = run(labels + ["None"] * 15)
    assert [(e.kind, e.label) for _, e in events] == [(EventKind.ONSET, "Thumb_Up"), (EventKind.END, "Thumb_Up")]
    # a lone one-frame label never fires
    assert run(["None"] * 5 + ["Victory"] + ["None"] * 20) == []


def test_background_absent_implausible_and_unsure_hands_never_fire():
    held = ["Open_Palm"] * 40
    assert run(["None"] * 40) == []
    assert run(held, plausible=False) == []
    assert run(held, presence=0.3) == []
    assert run([False] * 40) == []


def test_tracks_are_separate_and_a_lost_track_ends_its_gesture():
    rec = HandGestureEvents()
    events = []
    for i in range(60):
        obs = [HandObservation("Victory", 0.9, "left", 3, None)]
        if i < 30:
            obs.append(HandObservation("Thumb_Up", 0.9, None, None, 7))
        ev, active = rec.update(obs, i / FPS)
        events += ev
    kinds = [(e.kind, e.label, e.person_id, e.hand_track_id) for e in events]
    assert (EventKind.ONSET, "Victory", 3, None) in kinds
    assert (EventKind.ONSET, "Thumb_Up", None, 7) in kinds
    assert (EventKind.END, "Thumb_Up", None, 7) in kinds
    assert [(a.label, a.person_id) for a in active] == [("Victory", 3)]


def test_time_going_back_ends_everything():
    rec = HandGestureEvents()
    for i in range(20):
        rec.update([HandObservation("Thumb_Up", 0.9, "right", None, 1)], i / FPS)
    events, active = rec.update([HandObservation("Thumb_Up", 0.9, "right", None, 1)], 0.0)
    assert [e.kind for e in events] == [EventKind.END] and not active
    events, _ = rec.update([], float("nan"))
    assert events == ()


def test_cooldown_from_the_body_gesture_settings():
    settings = GestureSettings(cooldown_s=2.0)
    labels = ["Thumb_Up"] * 20 + ["None"] * 10 + ["Thumb_Up"] * 20 + ["None"] * 20
    onsets = [e for _, e in run(labels, settings=settings) if e.kind is EventKind.ONSET]
    assert len(onsets) == 1
    onsets = [e for _, e in run(labels) if e.kind is EventKind.ONSET]
    assert len(onsets) == 2


def _person(**overrides):
    world = np.zeros((33, 4))
    world[:, 3] = 1.0
    pts = {P.LEFT_SHOULDER: (0.18, -0.5, 0), P.RIGHT_SHOULDER: (-0.18, -0.5, 0), P.LEFT_HIP: (0.1, 0, 0),
           P.RIGHT_HIP: (-0.1, 0, 0), P.LEFT_ELBOW: (0.2, -0.22, 0), P.RIGHT_ELBOW: (-0.2, -0.22, 0),
           P.LEFT_WRIST: (0.2, 0.04, 0), P.RIGHT_WRIST: (-0.2, 0.04, 0)}
    for i, p in pts.items():
        world[i, :3] = p
    fields = dict(pose_world_landmarks=world, pose_score=0.99, face_landmarks=np.zeros((468, 3)),
                  left_hand_landmarks=None, right_hand_landmarks=None, left_hand_world_landmarks=None,
                  right_hand_world_landmarks=None)
    fields.update(overrides)
    return SimpleNamespace(**fields)


def test_person_plausibility():
    assert person_plausibility(_person()).plausible
    assert not person_plausibility(_person(pose_score=0.2)).plausible
    assert not person_plausibility(_person(face_landmarks=None)).plausible
    assert person_plausibility(_person(face_landmarks=None, right_hand_landmarks=np.zeros((21, 3)))).plausible
    long_arm = _person()
    long_arm.pose_world_landmarks[P.LEFT_ELBOW, :3] = (0.9, -0.5, 0)    # a 0.72 m upper arm
    result = person_plausibility(long_arm)
    assert not result.plausible and any("upper arm" in r for r in result.reasons)
    assert not person_plausibility(_person(pose_world_landmarks=None)).plausible
