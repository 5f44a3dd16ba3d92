"""What the node knows about one person in one frame, handed to every ROS output.

The node builds one :class:`PersonFrame` per person and frame; the message conversion
(:mod:`.messages`), the markers (:mod:`.markers`), TF (:mod:`.tf`) and the annotated
image all read it, so none of them recomputes another's work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Tuple


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
