"""Model files, their manifest, and ONNX Runtime sessions.

The ONNX models are produced from MediaPipe's TFLite files by
``tools/convert_models.py`` and listed in ``models/manifest.json`` with their
sha256. Every load checks the file against the manifest, so a missing,
truncated or foreign file fails here with a message that names it and says
how to rebuild it, not later with a shape error.

Execution providers are chosen in one place (:func:`resolve_providers`).
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

LOG = logging.getLogger("holistic_ros")

MANIFEST_NAME = "manifest.json"
REBUILD_HINT = ("Rebuild the models with `make models` (or "
                "`python tools/convert_models.py --output-dir <models dir>`), "
                "or reinstall holistic_ros.")

#: Manifest suffix of a pose landmark model converted without its segmentation output.
NO_SEGMENTATION_SUFFIX = "_no_segmentation"

#: The symbolic batch dimension of the dynamic-batch models (tools/convert_models.py BATCH_DIM).
BATCH_DIM = "N"

#: Pose landmark model per model_complexity (modules/pose_landmark/pose_landmark_model_loader.pbtxt).
POSE_LANDMARK_MODELS = {0: "pose_landmark_lite", 1: "pose_landmark_full", 2: "pose_landmark_heavy"}

# Where MediaPipe publishes the lite and heavy pose models, which the 0.10.21
# wheel does not ship (mediapipe/python/solutions/download_utils.py).
_POSE_MODEL_SOURCE = ("https://storage.googleapis.com/mediapipe-assets/"
                      "{name}.tflite")


class ModelError(RuntimeError):
    """A model file is missing, corrupt, or not the one the manifest lists."""


def default_models_dir() -> Path:
    """The installed models (pip or colcon), else the source tree's models/."""
    env = os.environ.get("HOLISTIC_ROS_MODELS_DIR")
    if env:
        return Path(env)
    package = Path(__file__).resolve().parent.parent   # holistic_ros/
    # Installed: holistic_ros/models/ (pip and colcon put them there); source tree: <repo>/models/.
    for candidate in (package / "models", package.parent / "models"):
        if (candidate / MANIFEST_NAME).is_file():
            return candidate
    return package / "models"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelEntry:
    name: str
    path: Path
    sha256: str


class ModelStore:
    """The models directory and its manifest."""

    def __init__(self, models_dir: Optional[os.PathLike] = None):
        self.models_dir = Path(models_dir) if models_dir else default_models_dir()
        manifest_path = self.models_dir / MANIFEST_NAME
        if not manifest_path.is_file():
            raise ModelError(f"No model manifest at {manifest_path}. {REBUILD_HINT}")
        try:
            self.manifest = json.loads(manifest_path.read_text())
            self._entries: Dict[str, Mapping] = dict(self.manifest["models"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"Model manifest {manifest_path} is unreadable ({exc}). {REBUILD_HINT}") from exc
        self._verified: Dict[str, ModelEntry] = {}

    def has(self, name: str) -> bool:
        return name in self._entries

    def entry(self, name: str) -> ModelEntry:
        """The checked path of model ``name``; raises :class:`ModelError` with a fix."""
        if name in self._verified:
            return self._verified[name]
        if name not in self._entries:
            if name in ("pose_landmark_lite", "pose_landmark_heavy"):
                raise ModelError(
                    f"{name} is not in {self.models_dir}: model_complexity "
                    f"{ {v: k for k, v in POSE_LANDMARK_MODELS.items()}[name] } needs it, and the "
                    f"mediapipe 0.10.21 wheel does not ship it. Download {name}.tflite from "
                    f"{_POSE_MODEL_SOURCE.format(name=name)} into a folder DIR, then run "
                    f"`python tools/convert_models.py --extra-tflite-dir DIR --output-dir "
                    f"{self.models_dir}` and pass that models directory.")
            raise ModelError(f"Model {name!r} is not listed in {self.models_dir / MANIFEST_NAME}. {REBUILD_HINT}")
        info = self._entries[name]
        path = self.models_dir / info["file"]
        if not path.is_file():
            raise ModelError(f"Model file {path} is missing. {REBUILD_HINT}")
        actual = _sha256(path)
        if actual != info["sha256"]:
            raise ModelError(
                f"Model file {path} is corrupt or not the converted MediaPipe model: sha256 "
                f"{actual} does not match the manifest's {info['sha256']}. {REBUILD_HINT}")
        entry = ModelEntry(name, path, actual)
        self._verified[name] = entry
        return entry


#: Providers that run on an NVIDIA GPU (they take a ``device_id``).
GPU_PROVIDERS = ("CUDAExecutionProvider", "TensorrtExecutionProvider")


def provider_name(provider) -> str:
    """The name of a provider entry: a name, or a (name, options) pair."""
    return provider[0] if isinstance(provider, (tuple, list)) else str(provider)


#: Device nodes an NVIDIA driver creates (desktop / server GPUs, and Jetson's integrated GPU).
_GPU_DEVICE_PATTERNS = ("/dev/nvidia[0-9]*", "/dev/nvhost-gpu", "/dev/nvgpu/igpu0")

# Warnings said once per process: a CPU-only user who builds Holistic many times (a
# benchmark, a node rebuilding its pipeline) is told about a missing GPU once.
_SAID: set = set()
_SAID_LOCK = threading.Lock()


def warn_once(message: str, *args) -> None:
    """``LOG.warning`` the first time this exact message is given in this process."""
    text = message % args if args else message
    with _SAID_LOCK:
        if text in _SAID:
            return
        _SAID.add(text)
    LOG.warning(text)


def gpu_present() -> bool:
    """Whether this machine looks like it has an NVIDIA GPU (a driver device node exists)."""
    return any(glob.glob(pattern) for pattern in _GPU_DEVICE_PATTERNS)


def resolve_providers(providers: Optional[Sequence] = None, device_id: int = 0) -> List:
    """Execution providers to ask ONNX Runtime for.

    ``None`` means: CUDA when this onnxruntime build has it and the machine has a
    GPU, then CPU (``onnxruntime-gpu`` lists CUDA even where no GPU is; trying it
    there only costs start-up time and a warning). A list is taken as given,
    filtered to what the build offers (CPU is always kept last). TensorRT is used
    only when asked for by name.
    """
    import onnxruntime as ort

    available = ort.get_available_providers()
    if providers is None:
        wanted: List = ["CUDAExecutionProvider"] if gpu_present() else []
    else:
        wanted = list(providers)
    chosen: List = []
    for p in wanted:
        name = provider_name(p)
        if name == "CPUExecutionProvider":
            continue
        if name not in available:
            warn_once("Execution provider %s is not in this onnxruntime build (%s); skipping it.",
                      name, ", ".join(available))
            continue
        if isinstance(p, (tuple, list)):
            chosen.append(tuple(p))
        elif name in GPU_PROVIDERS:
            chosen.append((name, {"device_id": int(device_id)}))
        else:
            chosen.append(name)
    chosen.append("CPUExecutionProvider")
    return chosen


def create_sessions(entries: Mapping[str, ModelEntry], providers: Sequence,
                    intra_op_threads: int = 0,
                    fixed_batch: Optional[Mapping[str, int]] = None) -> Dict[str, "ModelSession"]:
    """One session per model. If an accelerator provider cannot start (no GPU,
    or its CUDA/cuDNN libraries are missing), say so once and build every
    session on the CPU instead of letting ONNX Runtime print an error per model.
    ``fixed_batch``: model name -> batch size it is fixed to (see :class:`ModelSession`)."""
    import onnxruntime as ort

    fixed_batch = dict(fixed_batch or {})
    sessions: Dict[str, ModelSession] = {}
    wanted = [provider_name(p) for p in providers]
    accelerators = [p for p in wanted if p != "CPUExecutionProvider"]
    for name, entry in entries.items():
        if accelerators and not sessions:
            ort.set_default_logger_severity(4)  # quiet the provider bridge's per-session errors
            try:
                first = ModelSession(entry, providers, intra_op_threads, fixed_batch.get(name))
            finally:
                ort.set_default_logger_severity(2)
            active = first.providers
            missing = [p for p in accelerators if p not in active]
            if missing:
                warn_once("%s could not start (no GPU, or its CUDA/cuDNN libraries are "
                          "missing: pip install 'onnxruntime-gpu[cuda,cudnn]'); running on %s.",
                          ", ".join(missing), ", ".join(active))
                providers = [p for p in providers if provider_name(p) in active]
                accelerators = []
            sessions[name] = first
            continue
        sessions[name] = ModelSession(entry, providers, intra_op_threads, fixed_batch.get(name))
    return sessions


class ModelSession:
    """One ONNX Runtime session with cached input and output names.

    ``fixed_batch`` fixes a dynamic-batch model's batch dimension (a free
    dimension override): with static shapes ONNX Runtime picks the kernels it
    picks for the static graph, so one crop gives bit-identical outputs (the
    pose model's segmentation head differs by ~5e-3 otherwise; models/manifest.json
    ``batch1_symbolic_max_diff``).
    """

    def __init__(self, entry: ModelEntry, providers: Sequence, intra_op_threads: int = 0,
                 fixed_batch: Optional[int] = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # provider fallbacks are reported once by Holistic
        if intra_op_threads:
            options.intra_op_num_threads = intra_op_threads
        # Seven sessions run one after another each frame: threads left spinning
        # by one would steal the cores from the next.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if fixed_batch is not None:
            options.add_free_dimension_override_by_name(BATCH_DIM, int(fixed_batch))
        try:
            self.session = ort.InferenceSession(str(entry.path), sess_options=options,
                                                providers=list(providers))
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"ONNX Runtime could not load {entry.path}: {exc}. {REBUILD_HINT}") from exc
        self.name = entry.name
        self.input_name = self.session.get_inputs()[0].name
        self.input_shape: Tuple = tuple(self.session.get_inputs()[0].shape)
        self.output_names = [o.name for o in self.session.get_outputs()]

    @property
    def providers(self) -> List[str]:
        return self.session.get_providers()

    def run(self, tensor) -> Dict[str, np.ndarray]:
        """Outputs by name, on the host. ``tensor`` is a NumPy array, or an
        ``OrtValue`` already on the session's device (a crop made there by
        :class:`holistic_ros.pipeline.device_crop.DeviceCropper`), which is bound as it is."""
        if isinstance(tensor, np.ndarray):
            outputs = self.session.run(self.output_names, {self.input_name: tensor})
            return dict(zip(self.output_names, outputs))
        binding = self.session.io_binding()
        binding.bind_ortvalue_input(self.input_name, tensor)
        for name in self.output_names:
            binding.bind_output(name, "cpu")   # landmarks and scores are small
        self.session.run_with_iobinding(binding)
        return dict(zip(self.output_names, binding.copy_outputs_to_cpu()))
