"""What is known about one person in one frame: the core's result, its 3D, its gestures.

The node builds one :class:`PersonFrame` per person and frame (:func:`assemble_frame`,
no ROS); the message conversion, the markers, TF and the annotated image
(:mod:`holistic_ros.ros`) all read it, so none of them recomputes another's work.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any, Optional, Sequence, Tuple

from holistic_ros.spatial import locate, locate_hand

from .hand_events import HandGestureEvents, HandObservation
from .plausibility import person_plausibility
from .pointing import index_finger_ray
from .recognizer import BodyGestureRecognizer
from .settings import GestureSettings


@dataclass(frozen=True)
class PersonFrame:
    """One person in one frame.

    ``result``: the person's :class:`holistic_ros.pipeline.result.HolisticResult` (its
    ``person_id`` names the person). ``located``: the camera-frame 3D
    (:class:`holistic_ros.spatial.Located3D`), None without a camera model.
    ``gestures``: the debounced body gestures of this frame
    (:class:`holistic_ros.gestures` output), None when gesture recognition is off.
    """

    person_id: int
    result: Any
    located: Optional[Any] = None
    gestures: Optional[Any] = None


@dataclass(frozen=True)
class FrameOutput:
    """All the people of one frame, most prominent first."""

    people: Tuple[PersonFrame, ...]
    image_size: Tuple[int, int]   # (width, height) pixels
    #: True when positions are real camera-frame metres (a camera model was available).
    located: bool = False
    #: Hands that belong to no body (``result.hands``: TrackedHand), hand_source palm or both.
    hands: Tuple[Any, ...] = ()
    #: This frame's hand gesture onsets and ends (HandGestureEvent), when gestures are on.
    hand_events: Tuple[Any, ...] = ()
    #: Per hand of ``hands``: its camera-frame 3D (:class:`holistic_ros.spatial.LocatedHand`), None
    #: where not located (no camera model, or a degenerate fit); empty without a camera model.
    hands_located: Tuple[Any, ...] = ()
    #: Per hand of ``hands``: its index finger's ray (PointingRay) where located and pointing,
    #: else None (:func:`holistic_ros.gestures.pointing.index_finger_ray`); empty when gestures are off.
    hands_pointing: Tuple[Any, ...] = ()


def people_of(result) -> Tuple[Any, ...]:
    """The people of a pipeline result, most prominent first: ``result.people``; a result
    made without that list (not by the pipeline) is its own one person when it holds a pose."""
    people = tuple(getattr(result, "people", ()) or ())
    if people:
        return people
    return (result,) if result.pose_landmarks is not None else ()


class GestureTracks:
    """One :class:`holistic_ros.gestures.BodyGestureRecognizer` per person id.

    A person's temporal state (waving, debouncing) must never mix with another's; ids are
    never reused, so the state of a person who left is dropped with them.

    Thread-safe: one thread recognises frames (:meth:`update`; in the node, the one that
    publishes them) while another may :meth:`reset` it (a parameter change); a lock orders
    the two, so a frame is recognised wholly before or wholly after a reset."""

    def __init__(self, settings=None):
        self.settings = settings
        self._by_id: dict = {}
        self._lock = threading.Lock()
        #: Hand gestures over time, per hand track (every person's hands and the lone ones).
        self.hands = HandGestureEvents(settings)

    def update(self, people: Sequence[Tuple[int, Any, Any]], timestamp: float,
               hands: Sequence[HandObservation] = ()) -> Tuple[list, tuple]:
        """One frame: the gesture frames of its people, each ``(person_id, result, points_cam)``,
        and the hand gesture events of its hands; the state of everyone else is dropped. One
        lock covers the frame, so a parameter reset lands wholly before or after it."""
        with self._lock:
            frames = []
            for person_id, result, points_cam in people:
                recognizer = self._by_id.get(person_id)
                if recognizer is None:
                    recognizer = self._by_id[person_id] = BodyGestureRecognizer(self.settings)
                frames.append(recognizer.update(result, timestamp, points_cam=points_cam))
            self._by_id = {person_id: self._by_id[person_id] for person_id, _, _ in people}
            hand_events, _ = self.hands.update(hands, timestamp)
            return frames, hand_events

    def reset(self, settings=None) -> None:
        with self._lock:
            if settings is not None:
                self.settings = settings
            self._by_id.clear()
            self.hands = HandGestureEvents(self.settings)


def assemble_frame(result, timestamp: float, camera=None, depth=None, gestures: Optional[GestureTracks] = None,
                   on_error=None) -> FrameOutput:
    """Locate every person of ``result`` in the camera frame (when ``camera`` is given, with
    ``depth`` when given) and run their body gestures (when ``gestures`` is given).

    A depth image the spatial layer refuses (wrong size) is reported through
    ``on_error(text)`` and that person is located from the body model instead: the frame's
    other outputs go on."""
    people = []
    for person in people_of(result):
        located = None
        if camera is not None:
            try:
                located = locate(person, camera, depth=depth)
            except ValueError as error:
                if on_error is not None:
                    on_error(f"depth ignored: {error}")
                located = locate(person, camera)
        people.append(PersonFrame(person_id=int(getattr(person, "person_id", 0)), result=person, located=located))
    lone = tuple(getattr(result, "hands", ()) or ())
    lone_located = () if camera is None else tuple(
        _locate_lone_hand(hand, camera, depth, result.image_size, on_error) for hand in lone)
    hand_events = ()
    lone_pointing = ()
    if gestures is not None:
        frames, hand_events = gestures.update(
            [(p.person_id, p.result, None if p.located is None else p.located.pose_landmarks) for p in people],
            timestamp, hand_observations(people, lone))
        people = [replace(p, gestures=frame) for p, frame in zip(people, frames)]
        settings = gestures.settings or GestureSettings()
        lone_pointing = tuple(
            None if located is None else index_finger_ray(located.points, hand.world_landmarks, hand.side, settings)
            for hand, located in zip(lone, lone_located or (None,) * len(lone)))
    width, height = result.image_size
    return FrameOutput(people=tuple(people), image_size=(int(width), int(height)), located=camera is not None,
                       hands=lone, hand_events=hand_events, hands_located=lone_located,
                       hands_pointing=lone_pointing)


def _locate_lone_hand(hand, camera, depth, image_size, on_error):
    """:func:`holistic_ros.spatial.locate_hand` of a hand of no body; a depth image it refuses
    is reported (``on_error``) and the hand placed without it, as a person is."""
    try:
        return locate_hand(hand.landmarks, hand.world_landmarks, hand.side, camera, image_size, depth=depth)
    except ValueError as error:
        if depth is None:
            raise
        if on_error is not None:
            on_error(f"depth ignored for a hand: {error}")
        return locate_hand(hand.landmarks, hand.world_landmarks, hand.side, camera, image_size)


def hand_observations(people, lone_hands) -> list:
    """What the hand gesture layer reads of a frame: every person's hands (not read on a body
    that is not plausibly a person) and the hands of no body."""
    out = []
    for person in people:
        result = person.result
        plausible = person_plausibility(result).plausible
        for side in ("left", "right"):
            if getattr(result, f"{side}_hand_landmarks", None) is None:
                continue
            g = getattr(result, f"{side}_hand_gesture", None)
            out.append(HandObservation(g.label if g is not None else None,
                                       getattr(result, f"{side}_hand_score", None) or 0.0, side,
                                       person.person_id, None, plausible))
    out += [HandObservation(h.gesture.label if h.gesture is not None else None, h.score, h.side, None, h.track_id)
            for h in lone_hands]
    return out
