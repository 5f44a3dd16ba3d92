"""What is known about one person in one frame: the core's result, its 3D, its gestures.

The node builds one :class:`PersonFrame` per person and frame (:func:`assemble_frame`,
no ROS); the message conversion, the markers, TF and the annotated image
(:mod:`holistic_ros.ros`) all read it, so none of them recomputes another's work.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any, Optional, Sequence, Tuple

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
    never reused, so the state of a person who left is dropped with them.

    Thread-safe: one thread recognises frames (:meth:`update`; in the node, the one that
    publishes them) while another may :meth:`reset` it (a parameter change); a lock orders
    the two, so a frame is recognised wholly before or wholly after a reset."""

    def __init__(self, settings=None):
        self.settings = settings
        self._by_id: dict = {}
        self._lock = threading.Lock()

    def update(self, people: Sequence[Tuple[int, Any, Any]], timestamp: float) -> list:
        """The gesture frames of one frame's people, each ``(person_id, result, points_cam)``;
        the state of everyone else is dropped."""
        with self._lock:
            frames = []
            for person_id, result, points_cam in people:
                recognizer = self._by_id.get(person_id)
                if recognizer is None:
                    recognizer = self._by_id[person_id] = BodyGestureRecognizer(self.settings)
                frames.append(recognizer.update(result, timestamp, points_cam=points_cam))
            self._by_id = {person_id: self._by_id[person_id] for person_id, _, _ in people}
            return frames

    def reset(self, settings=None) -> None:
        with self._lock:
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
        located = None
        if camera is not None:
            try:
                located = locate(person, camera, depth=depth)
            except ValueError as error:
                if on_error is not None:
                    on_error(f"depth ignored: {error}")
                located = locate(person, camera)
        people.append(PersonFrame(person_id=int(getattr(person, "person_id", 0)), result=person, located=located))
    if gestures is not None:
        frames = gestures.update([(p.person_id, p.result, None if p.located is None else p.located.pose_landmarks)
                                  for p in people], timestamp)
        people = [replace(p, gestures=frame) for p, frame in zip(people, frames)]
    width, height = result.image_size
    return FrameOutput(people=tuple(people), image_size=(int(width), int(height)), located=camera is not None)
