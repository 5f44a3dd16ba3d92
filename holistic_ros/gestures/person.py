"""What is known about one person in one frame: the core's result, its 3D, its gestures.

The node builds one :class:`PersonFrame` per person and frame (:func:`assemble_frame`,
no ROS); the message conversion, the markers, TF and the annotated image
(:mod:`holistic_ros.ros`) all read it, so none of them recomputes another's work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Tuple

from holistic_ros.spatial import locate

from .recognizer import BodyGestureRecognizer


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
    never reused, so the state of a person who left is dropped with them."""

    def __init__(self, settings=None):
        self.settings = settings
        self._by_id: dict = {}

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
    if gestures is not None:
        gestures.keep_only(p.person_id for p in people)
    width, height = result.image_size
    return FrameOutput(people=tuple(people), image_size=(int(width), int(height)), located=camera is not None)
