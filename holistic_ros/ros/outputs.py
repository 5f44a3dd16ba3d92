"""Everything published about one processed frame, as (topic, message) pairs.

One function for the live node (:class:`holistic_ros.ros.node.HolisticNode`, which
publishes the pairs) and the offline bag tool (:mod:`holistic_ros.ros.bag`, which writes
them into a rosbag2), so both give the same messages for the same frame and state:
``holistic/people``, ``holistic/landmarks``, ``holistic/gesture_events``, TF on ``/tf``,
``holistic/segmentation``, ``holistic/markers`` and ``holistic/annotated``, in that order,
each with the input image's header.

The state that carries from frame to frame (the gesture recognisers per person, the
markers drawn last frame) belongs to the caller and is passed in; the markers drawn now
come back in :class:`FrameMessages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, FrozenSet, List, Optional, Tuple

import numpy as np

from holistic_ros.drawing.annotate import draw_people
from holistic_ros.gestures.person import FrameOutput, GestureTracks, assemble_frame
from holistic_ros.ros.image_conversion import mask_to_image_msg, rgb_to_image_msg
from holistic_ros.ros.markers import MarkerSettings, build_markers, hand_annotations, person_annotations
from holistic_ros.ros.messages import gesture_events_to_msgs, holistic_result_to_msg, people_to_msg
from holistic_ros.ros.tf import person_transforms

try:  # every ROS install has tf2_msgs; PyPI does not (make build adds a test-only copy)
    from tf2_msgs.msg import TFMessage
except ImportError:  # no TF output then
    TFMessage = None

#: Output topics, relative to the node's namespace (``/tf`` is absolute, as tf2 wants).
PEOPLE_TOPIC = "holistic/people"
LANDMARKS_TOPIC = "holistic/landmarks"
GESTURE_EVENTS_TOPIC = "holistic/gesture_events"
TF_TOPIC = "/tf"
SEGMENTATION_TOPIC = "holistic/segmentation"
MARKERS_TOPIC = "holistic/markers"
ANNOTATED_TOPIC = "holistic/annotated"


@dataclass(frozen=True)
class OutputOptions:
    """Which outputs a frame gives (the node's parameters of the same names)."""

    recognize_gestures: bool = True
    publish_tf: bool = True
    enable_segmentation: bool = False
    publish_markers: bool = True
    publish_annotated: bool = False
    markers: MarkerSettings = MarkerSettings()


@dataclass(frozen=True)
class FrameMessages:
    """The messages of one frame, in publishing order, and the state they leave behind."""

    messages: Tuple[Tuple[str, Any], ...]   # (topic, message)
    frame: FrameOutput                      # the people, located, with their gestures
    markers_shown: FrozenSet                # markers now drawn: pass back with the next frame


def frame_messages(result, rgb: np.ndarray, header, stamp: float, *, options: OutputOptions,
                   camera=None, depth=None, gestures: Optional[GestureTracks] = None,
                   markers_shown: FrozenSet = frozenset(), processing_time_ms: float = float("nan"),
                   on_error: Optional[Callable[[str], None]] = None) -> FrameMessages:
    """Every output message of one processed frame.

    ``result``: the pipeline's result for ``rgb`` ((H, W, 3) uint8, the image that was
    processed), taken at ``stamp`` seconds; ``header``: the input image's, copied into every
    message. ``camera``/``depth``: the camera model and depth image (metres) for metric 3D,
    or None. ``gestures``: the per-person gesture state, used only when
    ``options.recognize_gestures``. ``markers_shown``: what the previous frame drew.
    ``processing_time_ms`` goes into the messages' processing_time_ms fields (NaN: not
    measured). ``on_error(text)`` hears of a depth image the spatial layer refuses.
    """
    tracks = gestures if options.recognize_gestures else None
    frame = assemble_frame(result, stamp, camera=camera, depth=depth, gestures=tracks, on_error=on_error)
    messages: List[Tuple[str, Any]] = [
        (PEOPLE_TOPIC, people_to_msg(frame, header, processing_time_ms)),
        (LANDMARKS_TOPIC, holistic_result_to_msg(result, header, processing_time_ms)),
    ]
    messages.extend((GESTURE_EVENTS_TOPIC, event) for event in gesture_events_to_msgs(frame, header))
    if options.publish_tf and TFMessage is not None:
        transforms = person_transforms(frame, header)
        if transforms:
            messages.append((TF_TOPIC, TFMessage(transforms=transforms)))
    if options.enable_segmentation:
        mask = result.segmentation_mask
        if mask is None:  # no person: an empty mask, so every frame has one
            mask = np.zeros(rgb.shape[:2], dtype=np.float32)
        messages.append((SEGMENTATION_TOPIC, mask_to_image_msg(mask, header)))
    if options.publish_markers:
        markers, markers_shown = build_markers(frame, header, options.markers, markers_shown)
        if markers.markers:
            messages.append((MARKERS_TOPIC, markers))
    if options.publish_annotated:
        annotated = draw_people(rgb.copy(), person_annotations(frame), hands=hand_annotations(frame))
        messages.append((ANNOTATED_TOPIC, rgb_to_image_msg(annotated, header)))
    return FrameMessages(messages=tuple(messages), frame=frame, markers_shown=frozenset(markers_shown))

