#!/usr/bin/env python3
"""False gesture onsets on footage where nobody gestures (issue 17's plausibility evidence).

Footage made from the shared media (nothing here was tuned on it):

* the clips' quiet spans (test/data/gesture_labels.json: frames in no body-gesture span and no
  hand-gesture span);
* every photo in which nobody makes a gesture of ours (the people photos but the one with
  crossed arms, and the photos without people), turned into a short sequence: a hand-held
  camera drifting over it (:func:`camera_motion`: slow pan, zoom and roll, so the pose, hand
  and palm trackers see a moving scene), as filmed, cropped to its centre and rotated by 90
  degrees.

Runs ``Holistic(recognize_gestures=True, hand_source=...)``, one
:class:`~holistic_ros.gestures.BodyGestureRecognizer` per person id and one
:class:`~holistic_ros.gestures.HandGestureEvents`, and counts onsets per minute::

    .venv/bin/python tools/quiet_footage.py [--seconds 3] [--hand-source both]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tools"))
import parity  # noqa: E402

LABELS = REPO / "test" / "data" / "gesture_labels.json"
FPS = 25.0
#: Photos in which somebody makes a gesture of ours (SOURCES.md): crossed arms, thumbs up, V sign.
GESTURE_PHOTOS = {"tfe_businessman_standing.jpg", "mps_hand_thumb_up.jpg", "mps_two_hands_thumbs_up.jpg",
                  "mps_thumbs_up_rgba.png", "tfe_hand_v_sign_3024x4032.jpg"}
#: Longest side of a made sequence's frames (a 12 MP photo would only be slow, not different).
MAX_SIDE = 960


def camera_motion(image: np.ndarray, n_frames: int, seed: int = 0) -> List[np.ndarray]:
    """A hand-held camera over a still scene: zoom 1 -> 1.15, a pan of a few percent and a roll
    of a few degrees, all smooth; same size as ``image`` (corners from outside are black)."""
    h, w = image.shape[:2]
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi, 3)
    frames = []
    for i in range(n_frames):
        s = i / max(n_frames - 1, 1)
        zoom = 1.0 + 0.15 * s
        angle = 4.0 * np.sin(2 * np.pi * 0.5 * s + phase[0])
        dx = 0.03 * w * np.sin(2 * np.pi * 0.7 * s + phase[1])
        dy = 0.03 * h * np.sin(2 * np.pi * 0.6 * s + phase[2])
        m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, zoom)
        m[:, 2] += (dx, dy)
        frames.append(cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT))
    return frames


def _fit(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    k = MAX_SIDE / max(h, w)
    return cv2.resize(image, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA) if k < 1 else image


def photo_variants(image: np.ndarray) -> Dict[str, np.ndarray]:
    h, w = image.shape[:2]
    crop = image[h // 6: h - h // 6, w // 6: w - w // 6]
    return {"as filmed": image, "centre crop": np.ascontiguousarray(crop),
            "rotated 90": np.ascontiguousarray(np.rot90(image))}


def quiet_sequences(seconds: float, photos: Sequence[str] = (), clips: bool = True) -> List[Tuple[str, List[np.ndarray]]]:
    """(name, frames) of every quiet sequence."""
    out = []
    n = int(round(seconds * FPS))
    for k, path in enumerate(parity.image_paths()):
        if path.name in GESTURE_PHOTOS or (photos and path.name not in photos):
            continue
        image = _fit(parity.load_image_rgb(path))
        for v, (variant, img) in enumerate(photo_variants(image).items()):
            out.append((f"{path.name} {variant}", camera_motion(img, n, seed=10 * k + v)))
    if clips:
        labels = json.loads(LABELS.read_text())["clips"]
        for name, clip in labels.items():
            busy = set()
            for span in clip["body_gestures"] + clip["hand_gestures"]:
                busy |= set(range(span["frames"][0], span["frames"][1] + 1))
            frames = list(parity.iter_video_rgb(parity.media_dir() / "videos" / name))
            quiet = [i for i in range(len(frames)) if i not in busy]
            # contiguous quiet runs, each its own sequence
            runs, start = [], None
            for a, b in zip([None] + quiet, quiet + [None]):
                if start is None:
                    start = b
                elif b is None or b != a + 1:
                    runs.append((start, a))
                    start = b
            out += [(f"{name} frames {a}-{b}", frames[a:b + 1]) for a, b in runs if b - a >= 10]
    return out


@dataclass
class QuietRun:
    name: str
    frames: int
    body_onsets: List[str] = field(default_factory=list)
    hand_onsets: List[str] = field(default_factory=list)


def count_onsets(name: str, frames: Sequence[np.ndarray], hand_source: str) -> QuietRun:
    from holistic_ros import Holistic
    from holistic_ros.gestures import (BodyGestureRecognizer, EventKind, HandGestureEvents, HandObservation,
                                       person_plausibility)

    run = QuietRun(name, len(frames))
    bodies: Dict[int, BodyGestureRecognizer] = {}
    hands = HandGestureEvents()
    with Holistic(recognize_gestures=True, hand_source=hand_source, providers=["CPUExecutionProvider"]) as holistic:
        for i, frame in enumerate(frames):
            t = i / FPS
            result = holistic.process(frame, timestamp=t)
            observations = []
            for person in result.people:
                rec = bodies.setdefault(person.person_id, BodyGestureRecognizer())
                run.body_onsets += [f"{e.gesture.value}/{e.side}@{i}" for e in rec.update(person, t).events
                                    if e.kind is EventKind.ONSET]
                plausible = person_plausibility(person).plausible
                for side in ("left", "right"):
                    g = getattr(person, f"{side}_hand_gesture")
                    if getattr(person, f"{side}_hand_landmarks") is not None:
                        observations.append(HandObservation(g.label if g else None,
                                                            getattr(person, f"{side}_hand_score") or 0.0, side,
                                                            person.person_id, None, plausible))
            observations += [HandObservation(h.gesture.label if h.gesture else None, h.score, h.side, None,
                                             h.track_id) for h in result.hands]
            events, _ = hands.update(observations, t)
            run.hand_onsets += [f"{e.label}/{e.side}@{i}" for e in events if e.kind is EventKind.ONSET]
    return run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="length of each photo sequence")
    ap.add_argument("--hand-source", default="both")
    args = ap.parse_args()
    runs = [count_onsets(name, frames, args.hand_source) for name, frames in quiet_sequences(args.seconds)]
    minutes = sum(r.frames for r in runs) / FPS / 60.0
    for r in runs:
        print(f"{r.name}: {r.frames} frames, body onsets {r.body_onsets or '-'}, hand onsets {r.hand_onsets or '-'}")
    body, hand = sum(len(r.body_onsets) for r in runs), sum(len(r.hand_onsets) for r in runs)
    print(f"{len(runs)} sequences, {minutes:.2f} min: body onsets {body} ({body / minutes:.2f}/min), "
          f"hand onsets {hand} ({hand / minutes:.2f}/min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
