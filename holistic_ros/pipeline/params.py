"""The parameter schema: every setting a user can change, declared once, as data.

In the spirit of ROS 2's ``generate_parameter_library``, kept in Python: each layer lists its
settings as :class:`Param` entries (name, default, description, range or choices, when a change
applies) in a :class:`ParamGroup`, next to the code that uses them:

* the core's options here (:data:`HOLISTIC_OPTIONS`, :data:`RUNTIME_OPTIONS`), keywords of
  :class:`~holistic_ros.Holistic`;
* the body gesture layer's in :mod:`holistic_ros.gestures.settings` (``GestureSettings`` takes
  its defaults from them);
* the markers' in :mod:`holistic_ros.ros.markers` (``MarkerSettings`` likewise);
* the node's own (topics, QoS, metric 3D) in :mod:`holistic_ros.ros.params`, which puts them all
  together as the node's schema.

From that one source the node declares its parameters (with ROS descriptors), checks values
(type, range, choices, array length, and each group's own cross-checks) and maps them onto the
core's options, and ``make params`` (``tools/gen_params.py``) writes ``config/holistic.yaml``
and the README's parameter table; ``test/test_params.py`` fails when they differ from it.

A parameter's type is its default's: ``bool``, ``int``, ``float``, ``str`` or a list of floats
(a ROS double array). Imports no ROS.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, Optional, Sequence, Tuple

from .hand_sources import HAND_SOURCES

_SAME = object()   # Param.node_default when the node declares the core's default


class Applies(enum.Enum):
    """When a changed value takes effect."""

    RUN_TIME = "run time"          # the next image uses it
    REBUILD = "rebuilds"           # a new pipeline is built with it (the old one runs until then)
    START_UP = "start-up only"     # read when the node starts; read-only afterwards


@dataclass(frozen=True)
class Param:
    """One setting. ``default`` is the parameter's value (as in config/holistic.yaml);
    the code it configures gets ``to_core(value)`` (:meth:`core_value`)."""

    name: str
    default: Any
    description: str
    applies: Applies
    #: (low, high), inclusive, for numbers.
    range: Optional[Tuple[float, float]] = None
    #: The allowed strings.
    choices: Tuple[str, ...] = ()
    #: For float arrays: how many values, each finite.
    length: Optional[int] = None
    #: The keyword or dataclass field it sets; None: the name after its last dot.
    field: Optional[str] = None
    #: Parameter value -> the value the code takes; None: the value as its type (lists: tuples).
    to_core: Optional[Callable[[Any], Any]] = None
    #: The node's default where it differs from the core's (e.g. gestures on in the node).
    node_default: Any = _SAME

    def __post_init__(self):
        kind = self.type        # raises on an unsupported default
        if self.range is not None and kind not in ("integer", "double"):
            raise ValueError(f"schema: {self.name} has a range but is a {kind}")
        if self.choices and kind != "string":
            raise ValueError(f"schema: {self.name} has choices but is a {kind}")
        if (kind == "double_array") != (self.length is not None):
            raise ValueError(f"schema: {self.name}: an array needs a length, and only an array has one")
        for value in (self.default, self.declared_default):
            problem = self.check(value)
            if problem:
                raise ValueError(f"schema: default of {problem}")

    @property
    def type(self) -> str:
        """The ROS parameter type, from the default: bool, integer, double, string, double_array."""
        value = self.default
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, int):
            return "integer"
        if isinstance(value, float):
            return "double"
        if isinstance(value, str):
            return "string"
        if isinstance(value, (list, tuple)) and all(isinstance(v, float) for v in value):
            return "double_array"
        raise ValueError(f"schema: {self.name}: unsupported default {value!r}")

    @property
    def key(self) -> str:
        return self.field or self.name.rsplit(".", 1)[-1]

    @property
    def declared_default(self) -> Any:
        """The default the node declares."""
        return self.default if self.node_default is _SAME else self.node_default

    @property
    def core_default(self) -> Any:
        """The default of the code it configures (a dataclass field's default)."""
        return self.core_value(self.default)

    def core_value(self, value: Any) -> Any:
        if self.to_core is not None:
            return self.to_core(value)
        return {"bool": bool, "integer": int, "double": float, "string": str,
                "double_array": lambda v: tuple(float(x) for x in v)}[self.type](value)

    def check(self, value: Any) -> Optional[str]:
        """None when ``value`` fits this parameter, else the reason ("<name> must ...")."""
        kind = self.type
        if kind == "double_array":
            try:
                values = [float(v) for v in value]
            except (TypeError, ValueError):
                return f"{self.name} needs {self.length} finite values, got {value!r}"
            if len(values) != self.length or not all(math.isfinite(v) for v in values):
                return f"{self.name} needs {self.length} finite values, got {values}"
            return None
        expected = {"bool": (bool,), "integer": (int,), "double": (float, int), "string": (str,)}[kind]
        if not isinstance(value, expected) or (kind != "bool" and isinstance(value, bool)):
            article = "an" if kind[0] in "aeiou" else "a"
            return f"{self.name} must be {article} {kind}, not {value!r}"
        if self.choices and value not in self.choices:
            return f"{self.name} must be one of {', '.join(self.choices)}, not '{value}'"
        if kind == "double" and not math.isfinite(value):
            return f"{self.name} must be finite, not {value!r}"
        if self.range is not None and not self.range[0] <= value <= self.range[1]:
            return f"{self.name} must be in [{self.range[0]:g}, {self.range[1]:g}], not {value!r}"
        return None

    @property
    def constraint(self) -> str:
        """The range, choices or length in words ("" when none)."""
        if self.choices:
            return ", ".join(self.choices)
        if self.range is not None:
            return f"{self.range[0]:g}..{self.range[1]:g}"
        if self.length is not None:
            return f"{self.length} finite values"
        return ""


@dataclass(frozen=True)
class ParamGroup:
    """The settings of one layer, in order. ``build(**kwargs)`` (optional) makes the object they
    configure and raises ValueError on a combination that does not hold (e.g. off < on)."""

    title: str
    params: Tuple[Param, ...]
    build: Optional[Callable[..., Any]] = None

    def __iter__(self) -> Iterator[Param]:
        return iter(self.params)

    def __getitem__(self, name: str) -> Param:
        for p in self.params:
            if p.name == name or p.key == name:
                return p
        raise KeyError(name)

    def default(self, name: str) -> Any:
        """The core's default of one parameter: what a dataclass field declares."""
        return self[name].core_default

    def prefixed(self, prefix: str, build: Any = _SAME) -> "ParamGroup":
        """The same group with ``<prefix>.`` before each name (a ROS parameter namespace)."""
        return ParamGroup(self.title, tuple(dataclasses.replace(p, name=f"{prefix}.{p.name}", field=p.key)
                                            for p in self.params),
                          self.build if build is _SAME else build)

    def kwargs(self, values: Dict[str, Any], applies: Optional[Applies] = None) -> Dict[str, Any]:
        """The code's keywords from parameter values (those that apply ``applies``, or all)."""
        return {p.key: p.core_value(values[p.name]) for p in self.params
                if applies is None or p.applies is applies}

    def make(self, values: Dict[str, Any]) -> Any:
        return self.build(**self.kwargs(values))


class Schema:
    """Groups in their order; the parameters by name."""

    def __init__(self, groups: Sequence[ParamGroup]):
        self.groups = tuple(groups)
        self.params: Dict[str, Param] = {}
        for p in (p for g in self.groups for p in g):
            if p.name in self.params:
                raise ValueError(f"schema: {p.name} is declared twice")
            self.params[p.name] = p

    def __iter__(self) -> Iterator[Param]:
        return iter(self.params.values())

    def __contains__(self, name: str) -> bool:
        return name in self.params

    def __getitem__(self, name: str) -> Param:
        return self.params[name]

    def defaults(self) -> Dict[str, Any]:
        """Every parameter's value as the node declares it."""
        return {p.name: p.declared_default for p in self}

    def names(self, applies: Applies) -> frozenset:
        return frozenset(p.name for p in self if p.applies is applies)

    def check(self, values: Dict[str, Any]) -> Optional[str]:
        """None when every value fits, else the first reason: each parameter's own check, then
        each group's ``build`` (the cross-checks of the code it configures)."""
        for p in self:
            problem = p.check(values[p.name])
            if problem:
                return problem
        for group in self.groups:
            if group.build is not None:
                try:
                    group.make(values)
                except ValueError as error:
                    return str(error)
        return None


# --------------------------------------------------------------------------- the core's options
EXECUTION_PROVIDERS = ("auto", "cpu", "cuda", "tensorrt")


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


_RUN, _REBUILD = Applies.RUN_TIME, Applies.REBUILD

#: MediaPipe Holistic's options (mediapipe/python/solutions/holistic.py) and ours; keywords of
#: Holistic(). Holistic's own signature defaults are checked against these (test/test_params.py).
HOLISTIC_OPTIONS = ParamGroup("MediaPipe Holistic options", (
    Param("static_image_mode", False, "Run the detectors on every image instead of tracking.", _REBUILD),
    Param("model_complexity", 1, "Pose landmark model: 0 lite, 1 full, 2 heavy.", _REBUILD, range=(0, 2)),
    Param("smooth_landmarks", True, "Filter landmarks across frames to reduce jitter.", _REBUILD),
    Param("enable_segmentation", False, "Compute the person mask and publish holistic/segmentation.",
          _REBUILD),
    Param("smooth_segmentation", True, "Filter the mask across frames.", _REBUILD),
    Param("refine_face_landmarks", False, "Refine eyes and lips and add 10 iris landmarks, 478 in all.",
          _REBUILD),
    Param("min_detection_confidence", 0.5, "Minimum detector score for a person to count as found.",
          _RUN, range=(0.0, 1.0)),
    Param("min_tracking_confidence", 0.5, "Minimum landmark score to keep tracking instead of detecting "
          "again.", _RUN, range=(0.0, 1.0)),
    Param("skip_recrops", False, "Skip the face and hand re-crop models on frames where tracking looks "
          "sure to hold (about 1.5 fewer model runs per frame, hands further from MediaPipe); false runs "
          "them every frame, as MediaPipe does.", _REBUILD),
    Param("max_num_people", 1, "Most people tracked at once; 1 is MediaPipe Holistic unchanged.", _REBUILD,
          range=(1, 10)),
    Param("max_detailed_people", 0, "Several people: how many of them (the most prominent: size, facing "
          "the camera, centre; with hysteresis) get face and hands every frame; the others get the pose only, "
          "whatever hand_source is, and are marked detailed: false (docs/people.md). 0: everyone, "
          "no trade.", _REBUILD, range=(0, 10)),
    Param("recognize_gestures", False, "MediaPipe's canned hand gestures per hand (two small models) and, "
          "in the node, the body gestures over time with events on holistic/gesture_events.", _REBUILD,
          node_default=True),
    # The node's default is what gesture control needs: hands found with or without a body.
    Param("hand_source", "pose", "Where hands come from: pose (MediaPipe Holistic, from each body's wrist), "
          "palm (MediaPipe's palm detector and hand tracking, as its GestureRecognizer; hands without a body "
          "too) or both (every hand either finds, once).", _REBUILD, choices=HAND_SOURCES, node_default="both"),
))

#: Where the models run; keywords of Holistic() too.
RUNTIME_OPTIONS = ParamGroup("ONNX Runtime", (
    Param("execution_provider", "auto", "ONNX Runtime execution provider: auto (CUDA if usable, else "
          "CPU), cpu, cuda or tensorrt.", _REBUILD, choices=EXECUTION_PROVIDERS, field="providers",
          to_core=providers_for),
    Param("device_id", 0, "GPU index for cuda and tensorrt.", _REBUILD, range=(0, 15)),
    Param("models_dir", "", "Folder with the ONNX models and manifest.json; empty: the installed models.",
          _REBUILD, to_core=lambda v: v or None),
))

