"""What the node knows about one person in one frame, handed to every ROS output.

The node builds one :class:`PersonFrame` per person and frame; the message conversion
(:mod:`.messages`), the markers (:mod:`.markers`), TF (:mod:`.tf`) and the annotated
image all read it, so none of them recomputes another's work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Tuple

from holistic_ros.gestures import (BodyGestureRecognizer, HandGestureEvents, HandObservation,
                                   person_plausibility)
from holistic_ros.spatial import locate


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


def people_of(result) -> Tuple[Any, ...]:
    """The people of a pipeline result, most prominent first.

    ``result.people`` where the pipeline gives it (several people); else the result itself
    when it holds a pose (one person), else nobody."""
    people = tuple(getattr(result, "people", ()) or ())
    if people:
        return people
    return (result,) if result.pose_landmarks is not None else ()


class GestureTracks:
    """One :class:`holistic_ros.gestures.BodyGestureRecognizer` per person id.

    A person's temporal state (waving, debouncing) must never mix with another's; ids are
    never reused, so the state of a person who left is dropped with them."""

    def __init__(self, settings=None):
        self.settings = settings
        self._by_id: dict = {}
        #: Hand gestures over time, per hand track (every person's hands and the lone ones).
        self.hands = HandGestureEvents(settings)

    def update(self, person_id: int, result, timestamp: float, points_cam=None):
        recognizer = self._by_id.get(person_id)
        if recognizer is None:
            recognizer = self._by_id[person_id] = BodyGestureRecognizer(self.settings)
        return recognizer.update(result, timestamp, points_cam=points_cam)

    def keep_only(self, person_ids) -> None:
        for gone in set(self._by_id) - set(person_ids):
            del self._by_id[gone]

    def reset(self, settings=None) -> None:
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
        person_id = int(getattr(person, "person_id", 0))
        located = None
        if camera is not None:
            try:
                located = locate(person, camera, depth=depth)
            except ValueError as error:
                if on_error is not None:
                    on_error(f"depth ignored: {error}")
                located = locate(person, camera)
        frame = None
        if gestures is not None:
            points = None if located is None else located.pose_landmarks
            frame = gestures.update(person_id, person, timestamp, points_cam=points)
        people.append(PersonFrame(person_id=person_id, result=person, located=located, gestures=frame))
    lone = tuple(getattr(result, "hands", ()) or ())
    hand_events = ()
    if gestures is not None:
        gestures.keep_only(p.person_id for p in people)
        hand_events, _ = gestures.hands.update(hand_observations(people, lone), timestamp)
    width, height = result.image_size
    return FrameOutput(people=tuple(people), image_size=(int(width), int(height)), located=camera is not None,
                       hands=lone, hand_events=hand_events)


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
