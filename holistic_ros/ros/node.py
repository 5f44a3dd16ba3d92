"""ROS 2 node ``holistic_node``: camera images in, MediaPipe Holistic landmarks out.

A thin adapter around :class:`holistic_ros.Holistic`:

* parameters (config/holistic.yaml) with descriptors and ranges; thresholds, marker and
  publish switches change at run time, pipeline options rebuild the pipeline;
* subscribes ``image`` (sensor_msgs/Image) or ``image/compressed``, depth 1; a worker
  thread always takes the newest frame and counts the ones it skips; optionally
  ``depth/image`` and ``camera_info``, matched to the image by stamp (:mod:`.sync`);
* publishes ``holistic/people`` (every person, with camera-frame 3D and gestures),
  ``holistic/landmarks`` (the most prominent person), ``holistic/gesture_events``,
  ``holistic/segmentation``, ``holistic/markers``, ``holistic/annotated``, TF on ``/tf``
  and ``diagnostics``, each with the input image's header.

Metric 3D comes from :mod:`holistic_ros.spatial`, gestures from
:mod:`holistic_ros.gestures`; message building lives in :mod:`.messages`,
:mod:`.markers` and :mod:`.tf`, image conversion in :mod:`.image_conversion`.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections import deque
from typing import Any, Callable, Dict, List, Optional

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import (
    FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult)
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from rclpy.time import Time
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Header
from visualization_msgs.msg import MarkerArray

from holistic_ros.drawing.annotate import draw_people
from holistic_ros.pipeline.hand_sources import HAND_SOURCES, validate_hand_source
from holistic_ros.ros.image_conversion import (
    ImageConversionError, compressed_msg_to_rgb, depth_msg_to_array, image_converter, mask_to_image_msg,
    rgb_to_image_msg)
from holistic_ros.ros.markers import (FACE_STYLES, MarkerSettings, build_markers, delete_all_markers,
                                      person_annotations)
from holistic_ros.msg import GestureEvent, HolisticLandmarks, HolisticPeople
from holistic_ros.ros.main import run_node
from holistic_ros.ros.messages import gesture_events_to_msgs, holistic_result_to_msg, people_to_msg
from holistic_ros.ros.person import GestureTracks, assemble_frame
from holistic_ros.ros.sync import StampBuffer
from holistic_ros.ros.tf import person_transforms

#: ``execution_provider`` parameter -> ONNX Runtime providers (None: the core's automatic choice).
EXECUTION_PROVIDERS = ("auto", "cpu", "cuda", "tensorrt")
TRANSPORTS = ("raw", "compressed")
RELIABILITIES = ("best_effort", "reliable")

#: Options passed to Holistic(); changing one of these rebuilds the pipeline.
PIPELINE_PARAMETERS = (
    "static_image_mode", "model_complexity", "smooth_landmarks", "enable_segmentation",
    "smooth_segmentation", "refine_face_landmarks", "skip_recrops", "execution_provider", "device_id",
    "models_dir", "max_num_people", "recognize_gestures", "hand_source")
THRESHOLD_PARAMETERS = ("min_detection_confidence", "min_tracking_confidence")

#: Seconds between repeats of the same kind of error in the log.
ERROR_LOG_PERIOD_S = 5.0


def _range_float(low: float, high: float) -> List[FloatingPointRange]:
    return [FloatingPointRange(from_value=float(low), to_value=float(high), step=0.0)]


def _range_int(low: int, high: int) -> List[IntegerRange]:
    return [IntegerRange(from_value=int(low), to_value=int(high), step=1)]


# name -> (default, description, extra ParameterDescriptor fields)
PARAMETERS: Dict[str, tuple] = {
    # MediaPipe Holistic options (mediapipe/python/solutions/holistic.py)
    "static_image_mode": (False, "Run detection on every image instead of tracking (rebuilds).", {}),
    "model_complexity": (1, "Pose landmark model: 0 lite, 1 full, 2 heavy (rebuilds).",
                         {"integer_range": _range_int(0, 2)}),
    "smooth_landmarks": (True, "Filter landmarks across frames to reduce jitter (rebuilds).", {}),
    "enable_segmentation": (False, "Compute the person mask and publish holistic/segmentation "
                                   "(rebuilds).", {}),
    "smooth_segmentation": (True, "Filter the mask across frames (rebuilds).", {}),
    "refine_face_landmarks": (False, "Refine eyes and lips and add 10 iris landmarks, 478 in all "
                                     "(rebuilds).", {}),
    "min_detection_confidence": (0.5, "Minimum detector score for a person to count as found "
                                      "(run time).", {"floating_point_range": _range_float(0, 1)}),
    "min_tracking_confidence": (0.5, "Minimum landmark score to keep tracking instead of "
                                     "detecting again (run time).",
                                {"floating_point_range": _range_float(0, 1)}),
    "skip_recrops": (False, "Skip the face and hand re-crop models on frames where tracking looks "
                            "sure to hold (fewer models per frame, hands further from MediaPipe); "
                            "false: run them every frame, as MediaPipe does (rebuilds).", {}),
    "max_num_people": (1, "Most people tracked at once; 1 is MediaPipe Holistic unchanged (rebuilds).",
                       {"integer_range": _range_int(1, 10)}),
    "recognize_gestures": (True, "MediaPipe's canned hand gestures per hand (two small models) and the "
                                 "body gestures over time, with events on holistic/gesture_events "
                                 "(rebuilds).", {}),
    "hand_source": ("both", "Where hands come from: pose (MediaPipe Holistic, from each body's wrist), "
                            "palm (MediaPipe's palm detector and hand tracking, as its GestureRecognizer; "
                            "hands without a body too) or both (every hand either finds, once) (rebuilds).",
                    {"additional_constraints": "one of " + ", ".join(HAND_SOURCES)}),
    # ONNX Runtime
    "execution_provider": ("auto", "ONNX Runtime execution provider: auto (CUDA if usable, else "
                                   "CPU), cpu, cuda, tensorrt (rebuilds).",
                           {"additional_constraints": "one of " + ", ".join(EXECUTION_PROVIDERS)}),
    "device_id": (0, "GPU index for cuda and tensorrt (rebuilds).",
                  {"integer_range": _range_int(0, 15)}),
    "models_dir": ("", "Folder with the ONNX models and manifest.json; empty: the installed "
                       "models (rebuilds).", {}),
    # Topics
    "image_transport": ("raw", "raw: subscribe to image (sensor_msgs/Image); compressed: "
                               "image/compressed (sensor_msgs/CompressedImage).",
                        {"read_only": True, "additional_constraints": "raw or compressed"}),
    "publish_annotated": (False, "Publish holistic/annotated, the input with landmarks drawn "
                                 "(run time).", {}),
    "publish_markers": (True, "Publish holistic/markers for RViz (run time).", {}),
    "pipelined": (False, "Overlap a frame's face and hands with the next frame's pose "
                         "(Holistic.submit): more frames per second on the CPU, more latency.",
                  {"read_only": True}),
    "diagnostics_period": (1.0, "Seconds between diagnostics messages.",
                           {"floating_point_range": _range_float(0.1, 60.0), "read_only": True}),
    "image_reliability": ("best_effort", "QoS reliability of the image subscription: best_effort "
                                         "(connects to any publisher) or reliable (lost fragments of "
                                         "large images are sent again; the publisher must be reliable).",
                          {"read_only": True, "additional_constraints": "best_effort or reliable"}),
    # Metric 3D: camera model, depth, TF
    "use_camera_info": (True, "Subscribe to camera_info and give camera-frame 3D and TF.",
                        {"read_only": True}),
    "use_depth": (False, "Subscribe to depth/image (16UC1 mm or 32FC1 m, registered to the image, any "
                         "scale of its size) and place people by depth.", {"read_only": True}),
    "depth_reliability": ("best_effort", "QoS reliability of the depth subscription.",
                          {"read_only": True, "additional_constraints": "best_effort or reliable"}),
    "camera_info_reliability": ("best_effort", "QoS reliability of the camera_info subscription.",
                                {"read_only": True, "additional_constraints": "best_effort or reliable"}),
    "sync_slop": (0.05, "Seconds by which depth or camera_info stamps may differ from the image's "
                        "and still match (message_filters' ApproximateTime slop).",
                  {"floating_point_range": _range_float(0.0, 1.0)}),
    "depth_wait": (0.1, "Seconds a frame waits for its depth image before it goes on without.",
                   {"floating_point_range": _range_float(0.0, 5.0)}),
    "field_of_view": (0.0, "Horizontal field of view in degrees, standing in for camera_info when "
                           "none arrives (a guess: distances scale with it); 0: none.",
                      {"floating_point_range": _range_float(0.0, 179.0)}),
    "publish_tf": (True, "Publish body_<id>, head_<id>, face_<id>, gaze_<id> and "
                         "holistic_{left,right}_hand_<id> on /tf (run time).", {}),
    # Gestures (run time; see holistic_ros/gestures/settings.py)
    "gestures.on_threshold": (0.6, "Score at which a gesture starts its onset (hysteresis, upper).",
                              {"floating_point_range": _range_float(0.0, 1.0)}),
    "gestures.off_threshold": (0.4, "Score under which a gesture starts to end (hysteresis, lower).",
                               {"floating_point_range": _range_float(0.0, 1.0)}),
    "gestures.min_hold_s": (0.25, "Seconds a gesture must hold before its onset event.",
                            {"floating_point_range": _range_float(0.0, 10.0)}),
    "gestures.min_release_s": (0.25, "Seconds under the off threshold before the end event.",
                               {"floating_point_range": _range_float(0.0, 10.0)}),
    "gestures.cooldown_s": (0.5, "Seconds after an end before the same gesture can start again.",
                            {"floating_point_range": _range_float(0.0, 60.0)}),
    "gestures.pointing_plane": ([0.0, 0.0, 0.0, 0.0], "Plane n.p + d = 0 as [nx, ny, nz, d] in the "
                                                     "camera frame (metres), e.g. the floor; pointing "
                                                     "rays report where they meet it. All zero: none.",
                                {"additional_constraints": "4 finite values"}),
    # Markers (run time)
    "markers.frame_id": ("", "Frame of the fallback markers of people without a camera model (an "
                             "optical frame: x right, y down, z forward); empty: the image's "
                             "frame_id. People located in metres are always drawn in the image's frame.",
                         {}),
    "markers.use_world_landmarks": (True, "3D markers from the pose world landmarks (metres); "
                                          "false: image-plane coordinates.", {}),
    "markers.world_origin": ([0.0, 0.0, 2.0], "x, y, z in metres where the hips' midpoint "
                                              "(or the image centre) is placed in the frame.",
                             {"additional_constraints": "3 finite values"}),
    "markers.image_scale": (0.002, "Metres per pixel in image-plane mode.",
                            {"floating_point_range": _range_float(1e-5, 1.0)}),
    "markers.face": ("contours", "Face markers: contours, points (all mesh points) or none.",
                     {"additional_constraints": "one of " + ", ".join(FACE_STYLES)}),
    "markers.line_width": (0.01, "Line width in metres.",
                           {"floating_point_range": _range_float(0.0005, 0.2)}),
    "markers.point_size": (0.02, "Landmark sphere diameter in metres.",
                           {"floating_point_range": _range_float(0.0005, 0.5)}),
    "markers.lifetime": (0.0, "Seconds a marker stays without an update; 0: forever.",
                         {"floating_point_range": _range_float(0.0, 60.0)}),
    "markers.pointing_length": (1.0, "Length in metres of the pointing arrow.",
                                {"floating_point_range": _range_float(0.01, 20.0)}),
    "markers.text_size": (0.06, "Height in metres of the gesture and id labels.",
                          {"floating_point_range": _range_float(0.005, 1.0)}),
    "markers.label_offset": (0.08, "Metres between the top of a hand or head and its label.",
                             {"floating_point_range": _range_float(0.0, 1.0)}),
}

_CHOICES = {"execution_provider": EXECUTION_PROVIDERS, "image_transport": TRANSPORTS,
            "markers.face": FACE_STYLES, "image_reliability": RELIABILITIES,
            "depth_reliability": RELIABILITIES, "camera_info_reliability": RELIABILITIES}


def providers_for(execution_provider: str) -> Optional[list]:
    """ONNX Runtime provider names for the ``execution_provider`` parameter (None: automatic).

    The GPU index goes to the core separately (``device_id``), which attaches it to
    CUDA and TensorRT.
    """
    choices = {
        "auto": None,
        "cpu": ["CPUExecutionProvider"],
        "cuda": ["CUDAExecutionProvider", "CPUExecutionProvider"],
        "tensorrt": ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"],
    }
    if execution_provider not in choices:
        raise ValueError(f"execution_provider must be one of {EXECUTION_PROVIDERS}")
    return choices[execution_provider]


def pipeline_kwargs(values: Dict[str, Any]) -> Dict[str, Any]:
    """Holistic() keyword arguments from parameter values."""
    return dict(
        static_image_mode=bool(values["static_image_mode"]),
        model_complexity=int(values["model_complexity"]),
        smooth_landmarks=bool(values["smooth_landmarks"]),
        enable_segmentation=bool(values["enable_segmentation"]),
        smooth_segmentation=bool(values["smooth_segmentation"]),
        refine_face_landmarks=bool(values["refine_face_landmarks"]),
        skip_recrops=bool(values["skip_recrops"]),
        min_detection_confidence=float(values["min_detection_confidence"]),
        min_tracking_confidence=float(values["min_tracking_confidence"]),
        providers=providers_for(values["execution_provider"]),
        device_id=int(values["device_id"]),
        models_dir=values["models_dir"] or None,
        recognize_gestures=bool(values["recognize_gestures"]),
        hand_source=validate_hand_source(str(values["hand_source"])),
        # Only asked for when more than one: a pipeline without the option is the same thing.
        **({"max_num_people": int(values["max_num_people"])} if int(values["max_num_people"]) > 1 else {}),
    )


def gesture_settings(values: Dict[str, Any]):
    """The body gesture layer's settings from parameter values (raises ValueError with the reason)."""
    from holistic_ros.gestures import GestureSettings

    plane = [float(v) for v in values["gestures.pointing_plane"]]
    return GestureSettings(
        on_threshold=float(values["gestures.on_threshold"]),
        off_threshold=float(values["gestures.off_threshold"]),
        min_hold_s=float(values["gestures.min_hold_s"]),
        min_release_s=float(values["gestures.min_release_s"]),
        cooldown_s=float(values["gestures.cooldown_s"]),
        pointing_plane=tuple(plane) if any(plane) else None)


def _qos_keep(reliability: str, depth: int) -> QoSProfile:
    """Like :func:`_qos`, keeping the last ``depth`` messages (depth and camera_info are
    buffered until the matching image is processed)."""
    qos = _qos(reliability)
    qos.depth = depth
    return qos


def _qos(reliability: str) -> QoSProfile:
    """Depth 1 (a frame that arrives while another waits replaces it, as MediaPipe's
    FlowLimiter), volatile, with the reliability asked for."""
    return QoSProfile(depth=1, durability=qos_profile_sensor_data.durability,
                      history=qos_profile_sensor_data.history,
                      reliability=(ReliabilityPolicy.RELIABLE if reliability == "reliable"
                                   else ReliabilityPolicy.BEST_EFFORT))


def marker_settings(values: Dict[str, Any]) -> MarkerSettings:
    return MarkerSettings(
        frame_id=values["markers.frame_id"],
        use_world_landmarks=bool(values["markers.use_world_landmarks"]),
        world_origin=tuple(float(v) for v in values["markers.world_origin"]),
        image_scale=float(values["markers.image_scale"]),
        face_style=values["markers.face"],
        line_width=float(values["markers.line_width"]),
        point_size=float(values["markers.point_size"]),
        lifetime=float(values["markers.lifetime"]),
        pointing_length=float(values["markers.pointing_length"]),
        text_size=float(values["markers.text_size"]),
        label_offset=float(values["markers.label_offset"]),
    )


def _default_pipeline_factory(**kwargs):
    from holistic_ros import Holistic  # the core; imported here so tests can inject a fake
    return Holistic(**kwargs)


class _Stats:
    """Counters for diagnostics, over the last period and in total (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = 0
        self.processed = 0
        self.dropped = 0
        self.errors = 0
        self.total_received = 0
        self.total_processed = 0
        self.total_dropped = 0
        self.total_errors = 0
        self.processing_ms = deque(maxlen=100)
        self.latency_ms = deque(maxlen=100)
        self.last_error = ""

    def take_window(self):
        with self.lock:
            window = (self.received, self.processed, self.dropped, self.errors)
            self.received = self.processed = self.dropped = self.errors = 0
            return window


class HolisticNode(Node):
    """See the module docstring. ``pipeline_factory(**kwargs)`` builds the pipeline."""

    def __init__(self, node_name: str = "holistic",
                 pipeline_factory: Optional[Callable[..., Any]] = None, **node_kwargs):
        super().__init__(node_name, **node_kwargs)
        self._factory = pipeline_factory or _default_pipeline_factory
        for name, (default, description, extra) in PARAMETERS.items():
            self.declare_parameter(name, default, ParameterDescriptor(description=description, **extra))
        self._values = {name: self.get_parameter(name).value for name in PARAMETERS}
        problem = self._check_values(self._values)
        if problem:
            raise ValueError(f"invalid parameter: {problem}")
        self._markers = marker_settings(self._values)
        self._publish_markers = bool(self._values["publish_markers"])
        self._publish_annotated = bool(self._values["publish_annotated"])
        self._markers_shown = frozenset()
        self._last_frame_id = ""   # of the last image, for the DELETEALL marker

        self._pipeline_lock = threading.Lock()
        self._pipeline = self._factory(**pipeline_kwargs(self._values))
        self.get_logger().info(
            f"pipeline ready: model_complexity={self._values['model_complexity']}, "
            f"providers={list(getattr(self._pipeline, 'providers', []))}")
        self._last_stamp: Optional[float] = None
        self._pipelined = bool(self._values["pipelined"])
        self._in_flight = None          # pipelined mode: the frame whose face and hands still run

        self._gesture_settings = gesture_settings(self._values)
        self._gesture_tracks = GestureTracks(self._gesture_settings)
        self._said_once = set()

        self._people_pub = self.create_publisher(HolisticPeople, "holistic/people", 10)
        self._landmarks_pub = self.create_publisher(HolisticLandmarks, "holistic/landmarks", 10)
        # Events are edges: reliable and kept for late joiners' last few, so none is lost.
        self._events_pub = self.create_publisher(GestureEvent, "holistic/gesture_events",
                                                 QoSProfile(depth=50))
        self._tf_pub = self._make_tf_publisher()
        self._mask_pub = self.create_publisher(Image, "holistic/segmentation", 10)
        self._markers_pub = self.create_publisher(MarkerArray, "holistic/markers", 10)
        self._annotated_pub = self.create_publisher(Image, "holistic/annotated", 10)
        self._diagnostics_pub = self.create_publisher(DiagnosticArray, "diagnostics", 10)

        self._stats = _Stats()
        self._frame_cond = threading.Condition()
        self._pending = None            # (msg, compressed, receive time) waiting for the worker
        self._running = True
        self._convert = image_converter()
        self._worker = threading.Thread(target=self._work, name="holistic_worker", daemon=True)
        self._worker.start()

        qos = _qos(self._values["image_reliability"])
        # Depth and camera_info wait in stamp-ordered buffers until an image claims them.
        self._depth_buffer = self._info_buffer = None
        if self._values["use_depth"]:
            self._depth_buffer = StampBuffer(queue_size=10, slop=float(self._values["sync_slop"]))
            self._depth_sub = self.create_subscription(
                Image, "depth/image", lambda m: self._depth_buffer.add(self._stamp_seconds(m.header), m),
                _qos_keep(self._values["depth_reliability"], 5))
        if self._values["use_camera_info"]:
            self._info_buffer = StampBuffer(queue_size=10, slop=float(self._values["sync_slop"]))
            self._info_sub = self.create_subscription(
                CameraInfo, "camera_info", lambda m: self._info_buffer.add(self._stamp_seconds(m.header), m),
                _qos_keep(self._values["camera_info_reliability"], 5))
        if self._values["image_transport"] == "compressed":
            self._sub = self.create_subscription(
                CompressedImage, "image/compressed", lambda m: self._on_image(m, True), qos)
        else:
            self._sub = self.create_subscription(Image, "image", lambda m: self._on_image(m, False), qos)
        self._diag_period = float(self._values["diagnostics_period"])
        self._diag_time = time.monotonic()
        self._diag_timer = self.create_timer(self._diag_period, self._publish_diagnostics)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.get_logger().info(f"subscribed to {self._sub.topic_name}")

    # ---------------------------------------------------------------- parameters
    @staticmethod
    def _check_values(values: Dict[str, Any]) -> Optional[str]:
        for name, choices in _CHOICES.items():
            if values[name] not in choices:
                return f"{name} must be one of {', '.join(choices)}, not '{values[name]}'"
        origin = values["markers.world_origin"]
        if len(origin) != 3 or not all(math.isfinite(v) for v in origin):
            return f"markers.world_origin needs 3 finite values, got {list(origin)}"
        plane = values["gestures.pointing_plane"]
        if len(plane) != 4 or not all(math.isfinite(v) for v in plane):
            return f"gestures.pointing_plane needs 4 finite values [nx, ny, nz, d], got {list(plane)}"
        try:
            gesture_settings(values)
        except ValueError as error:
            return str(error)
        return None

    def _on_set_parameters(self, params: List[Parameter]) -> SetParametersResult:
        values = dict(self._values)
        values.update({p.name: p.value for p in params if p.name in PARAMETERS})
        problem = self._check_values(values)
        if problem:
            return SetParametersResult(successful=False, reason=problem)
        changed = {name for name in PARAMETERS if values[name] != self._values[name]}
        if changed & set(PIPELINE_PARAMETERS):
            try:
                new_pipeline = self._factory(**pipeline_kwargs(values))
            except Exception as error:  # ModelError, bad providers, ...: keep the old pipeline
                return SetParametersResult(successful=False, reason=f"pipeline rebuild failed: {error}")
            with self._pipeline_lock:
                old, self._pipeline = self._pipeline, new_pipeline
                self._last_stamp = None
            old.close()
            self.get_logger().info(
                f"pipeline rebuilt for {sorted(changed & set(PIPELINE_PARAMETERS))}, providers="
                f"{list(getattr(new_pipeline, 'providers', []))}")
        elif changed & set(THRESHOLD_PARAMETERS):
            with self._pipeline_lock:
                self._pipeline.set_thresholds(
                    min_detection_confidence=float(values["min_detection_confidence"]),
                    min_tracking_confidence=float(values["min_tracking_confidence"]))
        self._markers = marker_settings(values)
        new_gestures = gesture_settings(values)
        if new_gestures != self._gesture_settings:
            self._gesture_settings = new_gestures
            self._gesture_tracks.reset(new_gestures)
        if self._depth_buffer is not None:
            self._depth_buffer.slop = float(values["sync_slop"])
        if self._info_buffer is not None:
            self._info_buffer.slop = float(values["sync_slop"])
        self._publish_annotated = bool(values["publish_annotated"])
        if self._publish_markers and not values["publish_markers"]:
            header = Header(stamp=self.get_clock().now().to_msg(),
                            frame_id=self._last_frame_id)
            self._markers_pub.publish(delete_all_markers(header, self._markers))
            self._markers_shown = frozenset()
        self._publish_markers = bool(values["publish_markers"])
        self._values = values
        if changed:
            self.get_logger().info(f"parameters changed: {sorted(changed)}")
        return SetParametersResult(successful=True)

    # ---------------------------------------------------------------- frames
    def _on_image(self, msg, compressed: bool) -> None:
        with self._frame_cond:
            with self._stats.lock:
                self._stats.received += 1
                self._stats.total_received += 1
                if self._pending is not None:
                    self._stats.dropped += 1
                    self._stats.total_dropped += 1
            self._pending = (msg, compressed)
            self._frame_cond.notify()

    def _work(self) -> None:
        while True:
            with self._frame_cond:
                while self._pending is None and self._running:
                    self._frame_cond.wait()
                if not self._running:
                    return
                msg, compressed = self._pending
                self._pending = None
            try:
                self.process_image(msg, compressed)
            except Exception as error:  # never let the worker die
                self._error(f"unexpected error processing a frame: {error!r}")

    def _error(self, text: str) -> None:
        with self._stats.lock:
            self._stats.errors += 1
            self._stats.total_errors += 1
            self._stats.last_error = text
        self.get_logger().error(text, throttle_duration_sec=ERROR_LOG_PERIOD_S)

    def _stamp_seconds(self, header) -> float:
        stamp = Time.from_msg(header.stamp).nanoseconds * 1e-9
        if stamp == 0.0:  # unstamped images: use the arrival time
            stamp = self.get_clock().now().nanoseconds * 1e-9
        return stamp

    def _say_once(self, key: str, text: str) -> None:
        """A warning said once in the node's life (a missing input is a set-up matter)."""
        if key not in self._said_once:
            self._said_once.add(key)
            self.get_logger().warning(text)

    def _make_tf_publisher(self):
        """A ``/tf`` publisher of tf2_msgs/TFMessage, or None when tf2_msgs is not installed
        (every ROS install has it; PyPI does not)."""
        try:
            from tf2_msgs.msg import TFMessage
        except ImportError:
            self.get_logger().warning("tf2_msgs is not installed: no TF frames will be published")
            return None
        self._tf_message = TFMessage
        return self.create_publisher(TFMessage, "/tf", 100)

    def _camera_for(self, stamp: float, width: int, height: int):
        """The camera model for an image: its camera_info (matched by stamp, else the latest
        one), else the field_of_view parameter, else None (no camera-frame 3D)."""
        from holistic_ros.spatial import PinholeCamera

        if self._info_buffer is not None:
            info = self._info_buffer.match(stamp)
            if info is None:
                latest = self._info_buffer.latest()
                if latest is not None:
                    gap = abs(latest[0] - stamp)
                    self._say_once("info_stamp", f"camera_info stamps do not match the images' within "
                                                 f"sync_slop ({gap:.3f} s apart); using the latest "
                                                 "camera_info (intrinsics rarely change)")
                    info = latest[1]
            if info is not None:
                try:
                    camera = PinholeCamera.from_k(info.k, info.d, info.width or width, info.height or height,
                                                  info.distortion_model or "plumb_bob")
                    return camera if (camera.width, camera.height) == (width, height) else \
                        camera.scaled_to(width, height)
                except ValueError as error:
                    self._error(f"camera_info ignored: {error}")
        fov = float(self._values["field_of_view"])
        if fov > 0.0:
            self._say_once("fov", f"no camera_info: camera-frame 3D from field_of_view={fov:g} deg, a guess; "
                                  "distances scale with it")
            return PinholeCamera.from_field_of_view(math.radians(fov), width, height)
        self._say_once("no_camera", "no camera_info received (use_camera_info, or remap camera_info) and no "
                                    "field_of_view: no camera-frame 3D, no TF; markers hang at "
                                    "markers.world_origin")
        return None

    def _depth_for(self, stamp: float):
        """The depth image matched to the image's stamp, as an array, or None."""
        if self._depth_buffer is None:
            return None
        msg = self._depth_buffer.wait_for(stamp, float(self._values["depth_wait"]))
        if msg is None:
            gap = self._depth_buffer.nearest_gap(stamp)
            self._error("no depth image within sync_slop of the image stamp "
                        + ("(none received yet on depth/image)" if gap is None
                           else f"(nearest {gap:.3f} s away)") + "; this frame is placed without depth")
            return None
        try:
            return depth_msg_to_array(msg)
        except ImageConversionError as error:
            self._error(f"depth image ignored: {error}")
            return None

    def process_image(self, msg, compressed: bool = False) -> None:
        """Convert, run the pipeline, publish. Public so tests can drive it synchronously."""
        try:
            rgb = compressed_msg_to_rgb(msg) if compressed else self._convert(msg)
        except ImageConversionError as error:
            self._error(f"dropped image from {self._sub.topic_name}: {error}")
            return
        header = msg.header
        stamp = self._stamp_seconds(header)
        camera = self._camera_for(stamp, rgb.shape[1], rgb.shape[0])
        depth = self._depth_for(stamp) if camera is not None else None
        with self._pipeline_lock:
            if self._last_stamp is not None and stamp <= self._last_stamp:
                self.get_logger().info(
                    f"image stamp went back from {self._last_stamp:.3f} to {stamp:.3f} s: "
                    "tracking and smoothing restart", throttle_duration_sec=ERROR_LOG_PERIOD_S)
            self._last_stamp = stamp
            start = time.perf_counter()
            submit = getattr(self._pipeline, "submit", None) if self._pipelined else None
            try:
                if submit is None:
                    result = self._pipeline.process(rgb, timestamp=stamp)
                else:
                    future = submit(rgb, timestamp=stamp)
            except ValueError as error:
                self._error(f"image rejected by the pipeline: {error}")
                return
            except RuntimeError as error:
                self._error(f"pipeline error: {error}")
                return
        inputs = (rgb, header, stamp, camera, depth, start)
        if submit is None:
            self._publish_outputs(result, *inputs)
            return
        # This frame's face and hands now run in the background; its outputs are
        # published when they finish, in frame order. Wait for the frame before
        # it, so that at most two frames are in flight and none queue up.
        future.add_done_callback(lambda done: self._publish_future(done, inputs))
        previous, self._in_flight = self._in_flight, future
        if previous is not None:
            previous.exception()

    def _publish_future(self, future, inputs) -> None:
        error = future.exception()
        if error is not None:
            self._error(f"pipeline error: {error}")
            return
        try:
            self._publish_outputs(future.result(), *inputs)
        except Exception as error:  # a callback must not raise into the pipeline's thread
            self._error(f"unexpected error publishing a frame: {error!r}")

    def _publish_outputs(self, result, rgb, header, stamp: float, camera, depth, start: float) -> None:
        """Everything about one frame, with the image's header."""
        elapsed_ms = (time.perf_counter() - start) * 1e3
        gestures = self._gesture_tracks if self._values["recognize_gestures"] else None
        frame = assemble_frame(result, stamp, camera=camera, depth=depth, gestures=gestures, on_error=self._error)
        self._people_pub.publish(people_to_msg(frame, header, elapsed_ms))
        self._landmarks_pub.publish(holistic_result_to_msg(result, header, elapsed_ms))
        for event in gesture_events_to_msgs(frame, header):
            self._events_pub.publish(event)
        if self._tf_pub is not None and self._values["publish_tf"]:
            transforms = person_transforms(frame, header)
            if transforms:
                self._tf_pub.publish(self._tf_message(transforms=transforms))
        if self._values["enable_segmentation"]:
            mask = result.segmentation_mask
            if mask is None:  # no person: an empty mask, so every frame has one
                mask = np.zeros(rgb.shape[:2], dtype=np.float32)
            self._mask_pub.publish(mask_to_image_msg(mask, header))
        self._last_frame_id = header.frame_id
        if self._publish_markers:
            markers, self._markers_shown = build_markers(frame, header, self._markers, self._markers_shown)
            if markers.markers:
                self._markers_pub.publish(markers)
        if self._publish_annotated:
            self._annotated_pub.publish(rgb_to_image_msg(draw_people(rgb.copy(), person_annotations(frame)), header))
        now_ns = self.get_clock().now().nanoseconds
        with self._stats.lock:
            self._stats.processed += 1
            self._stats.total_processed += 1
            self._stats.processing_ms.append(elapsed_ms)
            if header.stamp.sec or header.stamp.nanosec:
                self._stats.latency_ms.append((now_ns - Time.from_msg(header.stamp).nanoseconds) * 1e-6)

    # ---------------------------------------------------------------- diagnostics
    def _publish_diagnostics(self) -> None:
        now = time.monotonic()
        period = max(now - self._diag_time, 1e-6)
        self._diag_time = now
        received, processed, dropped, errors = self._stats.take_window()
        with self._stats.lock:
            proc = list(self._stats.processing_ms)
            lat = list(self._stats.latency_ms)
            totals = (self._stats.total_received, self._stats.total_processed,
                      self._stats.total_dropped, self._stats.total_errors)
            last_error = self._stats.last_error
        providers = list(getattr(self._pipeline, "providers", []))
        status = DiagnosticStatus()
        status.name = f"{self.get_name()}: holistic pipeline"
        status.hardware_id = providers[0] if providers else "unknown"
        if errors:
            status.level, status.message = DiagnosticStatus.WARN, f"{errors} bad frame(s): {last_error}"
        elif received == 0:
            status.level, status.message = DiagnosticStatus.OK, "waiting for images"
        else:
            status.level, status.message = DiagnosticStatus.OK, "processing"
        values = {
            "input_rate_hz": f"{received / period:.2f}",
            "processing_rate_hz": f"{processed / period:.2f}",
            "processing_time_ms": f"{np.mean(proc):.1f}" if proc else "nan",
            "latency_ms": f"{np.mean(lat):.1f}" if lat else "nan",
            "dropped_frames": str(dropped),
            "errors": str(errors),
            "total_received": str(totals[0]),
            "total_processed": str(totals[1]),
            "total_dropped": str(totals[2]),
            "total_errors": str(totals[3]),
            "execution_providers": ",".join(providers),
            "model_complexity": str(self._values["model_complexity"]),
        }
        status.values = [KeyValue(key=k, value=v) for k, v in values.items()]
        array = DiagnosticArray()
        array.header.stamp = self.get_clock().now().to_msg()
        array.status = [status]
        self._diagnostics_pub.publish(array)

    def destroy_node(self) -> None:
        with self._frame_cond:
            self._running = False
            self._frame_cond.notify()
        if self._worker.is_alive() and threading.current_thread() is not self._worker:
            self._worker.join(timeout=10.0)
        with self._pipeline_lock:
            self._pipeline.close()
        super().destroy_node()


def main(args=None) -> int:
    return run_node(HolisticNode, "holistic", args)


if __name__ == "__main__":
    sys.exit(main())
