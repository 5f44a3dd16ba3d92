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

import ctypes
import gc
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
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from rclpy.time import Time
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Header
from visualization_msgs.msg import MarkerArray

from holistic_ros.gestures import GestureSettings
from holistic_ros.gestures.person import GestureTracks
from holistic_ros.pipeline.params import Applies, Param, providers_for  # noqa: F401 (providers_for: API)
from holistic_ros.ros.image_conversion import (
    ImageConversionError, compressed_msg_to_rgb, depth_msg_to_array, image_converter)
from holistic_ros.ros.markers import MarkerSettings, delete_all_markers
from holistic_ros.msg import GestureEvent, HolisticLandmarks, HolisticPeople
from holistic_ros.ros.hri import HriOutput
from holistic_ros.ros.main import run_node
from holistic_ros.ros.camera_info import camera_from_info
from holistic_ros.ros.outputs import (
    ANNOTATED_TOPIC, GESTURE_EVENTS_TOPIC, LANDMARKS_TOPIC, MARKERS_TOPIC, PEOPLE_TOPIC, SEGMENTATION_TOPIC,
    TF_TOPIC, OutputOptions, frame_messages)
from holistic_ros.ros.params import CORE_OPTIONS, GESTURES, MARKERS, NODE_SCHEMA
from holistic_ros.ros.sync import StampBuffer

#: Every parameter, declared once by the layer it configures (holistic_ros/ros/params.py says how
#: to add one): name -> Param (default, description, range or choices, when a change applies).
PARAMETERS: Dict[str, Param] = NODE_SCHEMA.params
#: Options passed to Holistic(); changing one of these rebuilds the pipeline ...
PIPELINE_PARAMETERS = frozenset(p.name for p in CORE_OPTIONS if p.applies is Applies.REBUILD)
#: ... and these (the thresholds) are set on the running one.
THRESHOLD_PARAMETERS = frozenset(p.name for p in CORE_OPTIONS if p.applies is Applies.RUN_TIME)

#: Seconds between repeats of the same kind of error in the log.
ERROR_LOG_PERIOD_S = 5.0
#: Seconds a stopping node waits, in all, for its subscribers to acknowledge the last outputs
#: (reliable publishers), so that what it published reaches them before it goes.
ACK_WAIT_S = 0.5


def _descriptor(p: Param) -> ParameterDescriptor:
    """The ROS descriptor of a schema entry: description, range or choices, read-only."""
    extra: Dict[str, Any] = {}
    if p.range is not None and p.type == "integer":
        extra["integer_range"] = [IntegerRange(from_value=int(p.range[0]), to_value=int(p.range[1]), step=1)]
    elif p.range is not None:
        extra["floating_point_range"] = [FloatingPointRange(from_value=float(p.range[0]),
                                                            to_value=float(p.range[1]), step=0.0)]
    if p.choices:
        extra["additional_constraints"] = "one of " + ", ".join(p.choices)
    elif p.length is not None:
        extra["additional_constraints"] = p.constraint
    return ParameterDescriptor(description=f"{p.description} ({p.applies.value})",
                               read_only=p.applies is Applies.START_UP, **extra)


def pipeline_kwargs(values: Dict[str, Any]) -> Dict[str, Any]:
    """Holistic() keyword arguments from parameter values."""
    return CORE_OPTIONS.kwargs(values)


def gesture_settings(values: Dict[str, Any]) -> GestureSettings:
    """The body gesture layer's settings from parameter values (raises ValueError with the reason)."""
    return GESTURES.make(values)


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
    return MARKERS.make(values)


def _find_malloc_trim() -> Optional[Callable[[int], int]]:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_MALLOC_TRIM = _find_malloc_trim()


def release_memory() -> None:
    """Free a closed pipeline's memory now, and give it back to the system.

    A closed :class:`holistic_ros.Holistic` was not freed when its last reference went: its
    tracking state held reference cycles (a person's track and its pose, the closure that
    makes a person's branches), so its ONNX Runtime sessions lived on until Python's cycle
    collector happened to run a full collection. ``Holistic.close()`` now breaks those cycles
    (its sessions go at once); the collection stays for whatever else a pipeline, its
    threads and its last frames leave in cycles. Measured on the node (docs/ros.md, "Memory"):
    after a round of four rebuilds 4 pipelines (33 sessions) were alive where 1 is used, and
    over six rounds of three rebuilds RSS rose from 297 to 1668 MB. ``gc.collect()`` frees
    them at once (300 to 450 MB); what they free stays in glibc's heaps among live blocks, and
    ``malloc_trim(0)`` gives the free pages of every heap back to the system (296 to 412 MB).
    Called after a pipeline is closed: a rebuild, a cleanup."""
    gc.collect()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


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


class HolisticNodeSteps:
    """What holistic_node does, in the steps of a managed node's life (ROS 2's "Managed
    nodes" design; rclpy.lifecycle), mixed into an rclpy ``Node`` or ``LifecycleNode``:

    * ``_declare`` (construction): the parameters, with descriptors; nothing else runs;
    * ``_configure``: check the parameters, create the publishers, load the models;
    * ``_activate``: the worker thread, the subscriptions and the diagnostics timer;
    * ``_deactivate``: stop taking images; the frame in hand (and, pipelined, the frame in
      flight) is finished and published; the models stay loaded;
    * ``_cleanup``: close the pipeline (frees the models) and destroy the publishers.

    :class:`HolisticNode` runs the first three in its constructor and the last two when
    destroyed; :class:`holistic_ros.ros.lifecycle.HolisticLifecycleNode` runs them from its
    transitions. ``_deactivate`` and ``_cleanup`` may run in any state.
    """

    #: The attributes holding the node's output publishers (made by _configure).
    OUTPUT_PUBLISHERS = ("_people_pub", "_landmarks_pub", "_events_pub", "_tf_pub", "_mask_pub",
                         "_markers_pub", "_annotated_pub", "_diagnostics_pub")
    #: The attributes holding the node's subscriptions (made by _activate).
    SUBSCRIPTIONS = ("_sub", "_depth_sub", "_info_sub")

    def _declare(self, pipeline_factory: Optional[Callable[..., Any]]) -> None:
        self._factory = pipeline_factory or _default_pipeline_factory
        for p in NODE_SCHEMA:
            self.declare_parameter(p.name, p.declared_default, _descriptor(p))
        self._values: Optional[Dict[str, Any]] = None   # checked values; None until configured
        self._pipeline_lock = threading.Lock()
        self._pipeline = None
        self._last_stamp: Optional[float] = None
        self._pipelined = False
        self._in_flight = None          # pipelined mode: (future, published event) of the last frame
        self._said_once = set()
        self._stats = _Stats()
        self._frame_cond = threading.Condition()
        self._pending = None            # (msg, compressed) waiting for the worker
        self._running = False
        self._worker: Optional[threading.Thread] = None
        self._convert = image_converter()
        self._depth_buffer = self._info_buffer = None
        self._diag_timer = None
        self._diag_period = self._diag_time = 0.0
        # from the parameters, by _configure (and changed by _on_set_parameters)
        self._markers: Optional[MarkerSettings] = None
        self._publish_markers = self._publish_annotated = False
        self._markers_shown = frozenset()
        self._last_frame_id = ""
        # Orders a frame's markers with a switch of publish_markers: a frame that was drawing
        # markers publishes them before the DELETEALL of switching off, never after it.
        self._markers_lock = threading.Lock()
        self._gesture_settings = None
        self._gesture_tracks: Optional[GestureTracks] = None
        self._tf_message = None
        self._hri: Optional[HriOutput] = None   # REP-155 output, made by _configure
        for name in self.OUTPUT_PUBLISHERS + self.SUBSCRIPTIONS:
            setattr(self, name, None)
        self.add_on_set_parameters_callback(self._on_set_parameters)

    def _parameter_values(self) -> Dict[str, Any]:
        return {name: self.get_parameter(name).value for name in PARAMETERS}

    def _output_publisher(self, msg_type, topic: str, qos):
        """A publisher of the node's outputs (the lifecycle node's publish only while active)."""
        return self.create_publisher(msg_type, topic, qos)

    def _destroy_output_publisher(self, publisher) -> None:
        self.destroy_publisher(publisher)

    def _configure(self) -> None:
        """Check the parameters (ValueError says which is wrong), make the publishers, load the models."""
        values = self._parameter_values()
        problem = self._check_values(values)
        if problem:
            raise ValueError(f"invalid parameter: {problem}")
        self._markers = marker_settings(values)
        self._publish_markers = bool(values["publish_markers"])
        self._publish_annotated = bool(values["publish_annotated"])
        self._markers_shown = frozenset()
        self._last_frame_id = ""   # of the last image, for the DELETEALL marker

        # The publishers first: subscribers discover them while the models load, so that they
        # hear the first frame too.
        self._people_pub = self._output_publisher(HolisticPeople, "holistic/people", 10)
        self._landmarks_pub = self._output_publisher(HolisticLandmarks, "holistic/landmarks", 10)
        # Events are edges: reliable and kept for late joiners' last few, so none is lost.
        self._events_pub = self._output_publisher(GestureEvent, "holistic/gesture_events",
                                                  QoSProfile(depth=50))
        self._tf_pub = self._make_tf_publisher()
        self._mask_pub = self._output_publisher(Image, "holistic/segmentation", 10)
        self._markers_pub = self._output_publisher(MarkerArray, "holistic/markers", 10)
        self._annotated_pub = self._output_publisher(Image, "holistic/annotated", 10)
        self._diagnostics_pub = self._output_publisher(DiagnosticArray, "diagnostics", 10)
        self._hri = HriOutput(self, bool(values["hri.enable"]))

        pipeline = self._factory(**pipeline_kwargs(values))
        with self._pipeline_lock:
            self._pipeline = pipeline
            self._last_stamp = None
        self.get_logger().info(
            f"pipeline ready: model_complexity={values['model_complexity']}, "
            f"providers={list(getattr(pipeline, 'providers', []))}")
        self._pipelined = bool(values["pipelined"])
        self._in_flight = None

        self._gesture_settings = gesture_settings(values)
        # Updated by the thread that publishes a frame (with pipelined, the core's branch
        # thread), reset by parameter changes (the executor's): GestureTracks' lock orders them.
        self._gesture_tracks = GestureTracks(self._gesture_settings)

        self._values = values

    def _activate(self) -> None:
        """Start the worker, subscribe to the inputs, publish diagnostics."""
        with self._frame_cond:
            self._pending = None
            self._running = True
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
        self.get_logger().info(f"subscribed to {self._sub.topic_name}")

    def _deactivate(self) -> None:
        """Stop taking images. The frame being processed is finished and its outputs published
        (pipelined: the frame in flight too); a frame still waiting is dropped. Then the
        subscriptions and the diagnostics timer go. Logs how many frames were processed."""
        worker = self._worker
        if worker is None:
            return
        with self._frame_cond:
            self._running = False
            self._frame_cond.notify()
        if worker is not threading.current_thread():
            worker.join()
        self._worker = None
        in_flight, self._in_flight = self._in_flight, None
        if in_flight is not None:
            in_flight[1].wait()   # set once the frame's outputs are out (or its error logged)
        if self._hri is not None and self.context.ok():   # REP-155: nobody tracked while no image is taken
            self._hri.forget_everyone(Header(stamp=self.get_clock().now().to_msg(), frame_id=self._last_frame_id))
        deadline = time.monotonic() + ACK_WAIT_S
        for name in self.OUTPUT_PUBLISHERS:
            publisher = getattr(self, name)
            if publisher is not None:
                left = max(0.0, deadline - time.monotonic())
                publisher.wait_for_all_acked(Duration(nanoseconds=int(left * 1e9)))
        self._destroy_named(self.SUBSCRIPTIONS, self.destroy_subscription)
        if self._diag_timer is not None:
            self.destroy_timer(self._diag_timer)
            self._diag_timer = None
        with self._frame_cond:
            dropped, self._pending = self._pending is not None, None
        with self._stats.lock:
            self._stats.dropped += dropped
            self._stats.total_dropped += dropped
            totals = (self._stats.total_received, self._stats.total_processed, self._stats.total_dropped)
        last = "" if self._last_stamp is None else f", the last stamped {self._last_stamp:.3f} s"
        self.get_logger().info(f"stopped taking images: {totals[1]} frames processed and published{last} "
                               f"({totals[0]} received, {totals[2]} skipped)")

    def _destroy_named(self, names, destroy) -> None:
        """``destroy`` each entity held in the attributes ``names``, and set them to None."""
        for name in names:
            entity = getattr(self, name)
            if entity is not None:
                destroy(entity)
                setattr(self, name, None)

    def _cleanup(self) -> None:
        """Close the pipeline (frees the models) and destroy the publishers."""
        with self._pipeline_lock:
            pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            pipeline.close()
            del pipeline
            release_memory()
        self._destroy_named(self.OUTPUT_PUBLISHERS, self._destroy_output_publisher)
        if self._hri is not None:
            self._hri.close()
            self._hri = None
        self._values = None

    # ---------------------------------------------------------------- parameters
    @staticmethod
    def _check_values(values: Dict[str, Any]) -> Optional[str]:
        """Type, range, choices and array length of each value, then each layer's own checks."""
        return NODE_SCHEMA.check(values)

    def _on_set_parameters(self, params: List[Parameter]) -> SetParametersResult:
        configured = self._values is not None
        values = dict(self._values if configured else self._parameter_values())
        values.update({p.name: p.value for p in params if p.name in PARAMETERS})
        problem = self._check_values(values)
        if problem:
            return SetParametersResult(successful=False, reason=problem)
        if not configured:   # a lifecycle node not yet configured: configure applies them
            return SetParametersResult(successful=True)
        changed = {name for name in PARAMETERS if values[name] != self._values[name]}
        if changed & PIPELINE_PARAMETERS:
            try:
                new_pipeline = self._factory(**pipeline_kwargs(values))
            except Exception as error:  # ModelError, bad providers, ...: keep the old pipeline
                return SetParametersResult(successful=False, reason=f"pipeline rebuild failed: {error}")
            with self._pipeline_lock:
                old, self._pipeline = self._pipeline, new_pipeline
                self._last_stamp = None
            old.close()
            del old
            release_memory()
            self.get_logger().info(
                f"pipeline rebuilt for {sorted(changed & PIPELINE_PARAMETERS)}, providers="
                f"{list(getattr(new_pipeline, 'providers', []))}")
        elif changed & THRESHOLD_PARAMETERS:
            with self._pipeline_lock:
                self._pipeline.set_thresholds(**CORE_OPTIONS.kwargs(values, Applies.RUN_TIME))
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
        with self._markers_lock:   # after the frame drawing markers now, before the next one
            if self._publish_markers and not values["publish_markers"]:
                header = Header(stamp=self.get_clock().now().to_msg(),
                                frame_id=self._last_frame_id)
                self._markers_pub.publish(delete_all_markers(header, self._markers))
                self._markers_shown = frozenset()
            self._publish_markers = bool(values["publish_markers"])
        self._hri.set_enabled(bool(values["hri.enable"]))
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
        return self._output_publisher(TFMessage, "/tf", 100)

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
                    return camera_from_info(info, width, height)
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
        published = threading.Event()   # what shutdown waits for

        def publish(done) -> None:
            try:
                self._publish_future(done, inputs)
            finally:
                published.set()

        future.add_done_callback(publish)
        previous, self._in_flight = self._in_flight, (future, published)
        if previous is not None:
            previous[0].exception()

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
        """Everything about one frame, with the image's header (built by :func:`.outputs.frame_messages`,
        which the bag tool shares)."""
        elapsed_ms = (time.perf_counter() - start) * 1e3
        publishers = {PEOPLE_TOPIC: self._people_pub, LANDMARKS_TOPIC: self._landmarks_pub,
                      GESTURE_EVENTS_TOPIC: self._events_pub, TF_TOPIC: self._tf_pub,
                      SEGMENTATION_TOPIC: self._mask_pub, MARKERS_TOPIC: self._markers_pub,
                      ANNOTATED_TOPIC: self._annotated_pub}
        with self._markers_lock:   # publish_markers read, markers drawn and published: one step
            options = OutputOptions(
                recognize_gestures=bool(self._values["recognize_gestures"]),
                publish_tf=bool(self._values["publish_tf"]),
                enable_segmentation=bool(self._values["enable_segmentation"]),
                publish_markers=self._publish_markers, publish_annotated=self._publish_annotated,
                markers=self._markers)
            out = frame_messages(result, rgb, header, stamp, options=options, camera=camera, depth=depth,
                                 gestures=self._gesture_tracks, markers_shown=self._markers_shown,
                                 processing_time_ms=elapsed_ms, on_error=self._error)
            self._markers_shown = out.markers_shown
            for topic, msg in out.messages:
                publisher = publishers[topic]
                if publisher is not None:   # no /tf publisher without tf2_msgs
                    publisher.publish(msg)
        self._hri.publish(out.frame, rgb, header, publish_tf=bool(self._values["publish_tf"]))
        self._last_frame_id = header.frame_id
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



class HolisticNode(HolisticNodeSteps, Node):
    """See the module docstring. ``pipeline_factory(**kwargs)`` builds the pipeline.

    Starts configured and active (the models load in the constructor, which raises
    ValueError for invalid parameters); ``destroy_node`` stops it cleanly.
    """

    def __init__(self, node_name: str = "holistic",
                 pipeline_factory: Optional[Callable[..., Any]] = None, **node_kwargs):
        Node.__init__(self, node_name, **node_kwargs)
        self._declare(pipeline_factory)
        self._configure()
        self._activate()

    def destroy_node(self) -> None:
        self._deactivate()
        self._cleanup()
        super().destroy_node()


def main(args=None) -> int:
    return run_node(HolisticNode, "holistic", args)


if __name__ == "__main__":
    sys.exit(main())
