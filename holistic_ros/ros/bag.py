"""``bag``: a rosbag2 in, a rosbag2 out, every frame, deterministically.

    ros2 run holistic_ros bag IN OUT [--image-topic T] [--params-file F] [-p name:=value] ...

Reads the images of a rosbag2 (MCAP or sqlite3; raw or compressed; with depth and
camera_info when there are), runs every one of them through the pipeline in header-stamp
order with the node's own parameters, and writes what the live node would publish
(:func:`holistic_ros.ros.outputs.frame_messages`, shared with the node) into a new rosbag2
(MCAP by default). Each output message is logged at its image's stamp, so ``ros2 bag play
OUT`` shows in RViz what the live node would have shown. No ROS install is needed: the bag
files are read and written by ``rosbags``; the messages are built and serialised by the
node's own code and rclpy's serialiser (PyPI's ROS wheels). docs/bag.md says why.

Determinism: the same bag and parameters give the same payloads byte for byte; the only
wall-clock field of the messages, ``processing_time_ms``, is written as NaN ("not
measured").
"""

from __future__ import annotations

import argparse
import math
import signal
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from rclpy.serialization import deserialize_message, serialize_message
from sensor_msgs.msg import CameraInfo, CompressedImage, Image

from holistic_ros.gestures.person import GestureTracks
from holistic_ros.ros import outputs
from holistic_ros.ros.camera_info import camera_from_info
from holistic_ros.ros.image_conversion import (
    ImageConversionError, compressed_msg_to_rgb, depth_msg_to_array, image_converter)
from holistic_ros.ros.sync import StampBuffer
from holistic_ros.spatial import PinholeCamera

# ------------------------------------------------------------------------ parameters
#: The node's name: the key of its section in a parameters file (``holistic: ros__parameters:``).
NODE_NAME = "holistic"


def _schema():
    """The node's parameter schema: the one place the bag tool learns them from, so both read a
    parameters file alike (and check values alike)."""
    from holistic_ros.ros.params import NODE_SCHEMA

    return NODE_SCHEMA


class BagError(Exception):
    """A problem that stops the tool before or instead of processing; the text says why."""


def _flatten(section: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    """Nested YAML mappings -> dotted names, as ROS reads a parameters file."""
    flat = {}
    for key, value in section.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def read_params_file(path: Path, node_name: str = NODE_NAME) -> Dict[str, Any]:
    """The parameters a ROS parameters file gives the node ``node_name``: its ``/**`` section,
    then its own (``holistic``, ``/holistic`` or ``/<namespace>/holistic``), which wins."""
    import yaml

    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise BagError(f"cannot read parameters file {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise BagError(f"parameters file {path} is not YAML: {error}") from None
    if not isinstance(document, dict):
        raise BagError(f"parameters file {path} is not a ROS parameters file (no node sections)")
    keys = [k for k in document if k == "/**"]
    keys += [k for k in document if str(k).strip("/").split("/")[-1] == node_name]
    if not keys:
        raise BagError(f"parameters file {path} has no section for node '{node_name}' or '/**' "
                       f"(it has: {', '.join(map(str, document))})")
    values: Dict[str, Any] = {}
    for key in keys:
        section = document[key]
        if not isinstance(section, dict) or not isinstance(section.get("ros__parameters"), dict):
            raise BagError(f"parameters file {path}: section '{key}' has no ros__parameters")
        values.update(_flatten(section["ros__parameters"]))
    return values


def parse_override(text: str) -> Tuple[str, Any]:
    """``name:=value`` (as ``--ros-args -p``), the value read as YAML."""
    import yaml

    name, sep, value = text.partition(":=")
    if not sep or not name:
        raise BagError(f"-p takes name:=value, not '{text}'")
    try:
        return name.strip(), yaml.safe_load(value)
    except yaml.YAMLError as error:
        raise BagError(f"-p {text}: value is not YAML: {error}") from None


def _as_declared(param, value: Any) -> Any:
    """``value`` as rclpy takes it for ``param``'s type: an integer given for a double (or a
    double array) is widened, as a parameters file may write ``2`` for ``2.0``; anything else is
    left for the schema's check to refuse."""
    def number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    if param.type == "double" and number(value):
        return float(value)
    if param.type == "double_array" and isinstance(value, list) and all(number(v) for v in value):
        return [float(v) for v in value]
    return value


def parameter_values(params_file: Optional[Path] = None, overrides: Sequence[Tuple[str, Any]] = (),
                     warn: Callable[[str], None] = print) -> Dict[str, Any]:
    """The node's parameter values: defaults, then the file, then ``overrides``; checked like
    the node checks them (type, range, choices). Names the node does not declare are
    reported through ``warn`` and ignored, as the node ignores them."""
    schema = _schema()
    values = schema.defaults()
    given = dict(read_params_file(params_file)) if params_file is not None else {}
    given.update(overrides)
    for name, value in given.items():
        if name not in schema:
            warn(f"bag: ignoring parameter '{name}': holistic_node does not declare it")
            continue
        values[name] = _as_declared(schema[name], value)
        problem = schema[name].check(values[name])
        if problem:
            raise BagError(f"invalid parameter: {problem}")
    problem = schema.check(values)
    if problem:
        raise BagError(f"invalid parameter: {problem}")
    return values


def _require_libraries() -> None:
    """The bag libraries from PyPI (requirements/runtime.txt), or a clear error."""
    missing = []
    for module in ("rosbags", "tqdm", "mcap"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise BagError(f"missing Python packages: pip install {' '.join(missing)} (requirements/runtime.txt)")


# ------------------------------------------------------------------------ input bag
IMAGE_TYPE = "sensor_msgs/msg/Image"
COMPRESSED_TYPE = "sensor_msgs/msg/CompressedImage"
CAMERA_INFO_TYPE = "sensor_msgs/msg/CameraInfo"
IMAGE_TYPES = (IMAGE_TYPE, COMPRESSED_TYPE)


@dataclass(frozen=True)
class Topic:
    """One topic of the input bag."""

    name: str
    msgtype: str
    count: int
    msgdef: str = ""          # the definition text (ros2msg), for copying the topic through
    digest: str = ""          # RIHS01 type hash where the bag has it


def header_stamp_ns(raw: bytes) -> int:
    """The header stamp (ns) of a serialised message whose first field is a std_msgs/Header
    (Image, CompressedImage, CameraInfo): the int32 sec and uint32 nanosec right after the
    4-byte CDR encapsulation header (byte 1: 0 big-endian, 1 little-endian)."""
    if len(raw) < 12:
        raise ValueError(f"message of {len(raw)} bytes is too short for a header")
    sec, nanosec = struct.unpack_from("<iI" if raw[1] & 1 else ">iI", raw, 4)
    return sec * 1_000_000_000 + nanosec


class InputBag:
    """A rosbag2 to read: a folder with metadata.yaml, or one .mcap or .db3 file (also a
    recording's folder without metadata.yaml, and an MCAP cut short by a crash).

    :meth:`messages` stops at the first part it cannot read and records why in
    :attr:`damage`: what came before is kept."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.damage: Optional[str] = None
        self._reader = None          # rosbags Reader
        self._stream_file = None     # an MCAP without its summary: read with mcap's stream reader
        if not self.path.exists():
            raise BagError(f"input bag {self.path} does not exist")
        target = self._storage_file() if self.path.is_dir() and not (self.path / "metadata.yaml").exists() \
            else self.path
        from rosbags.rosbag2 import Reader

        try:
            reader = Reader(target)
            reader.open()
        except Exception as error:  # ReaderError, sqlite errors, unreadable YAML, ...
            mcap = _lone_mcap(target)
            if mcap is not None:
                self._stream_file = mcap
                self.damage = f"{mcap.name} has no index or footer ({error}); read as far as it goes"
                self.topics = self._scan_stream()
                return
            raise BagError(f"{self.path} is not a readable rosbag2: {error}") from None
        self._reader = reader
        self.topics = {}
        for name, info in reader.topics.items():
            connection = info.connections[0]
            self.topics[name] = Topic(name=name, msgtype=info.msgtype or connection.msgtype, count=info.msgcount,
                                      msgdef=connection.msgdef.data, digest=connection.digest or "")

    def _storage_file(self) -> Path:
        files = sorted(p for p in self.path.iterdir() if p.suffix in (".mcap", ".db3"))
        if len(files) != 1:
            raise BagError(f"{self.path} is not a rosbag2: no metadata.yaml, and "
                           + (f"{len(files)} storage files" if files else "no .mcap or .db3 file") + " in it")
        return files[0]

    # -- an MCAP without summary (a recording killed before it closed the file)
    def _stream_records(self) -> Iterator[Any]:
        from mcap.stream_reader import StreamReader

        with open(self._stream_file, "rb") as f:
            try:
                yield from StreamReader(f, skip_magic=False).records
            except Exception as error:  # EndOfFile, a cut chunk, a bad CRC: the rest is lost
                self.damage = f"{self._stream_file.name} ends early ({type(error).__name__}: {error})"

    def _scan_stream(self) -> Dict[str, Topic]:
        from mcap.records import Channel, Message, Schema

        schemas, channels, counts = {}, {}, {}
        for record in self._stream_records():
            if isinstance(record, Schema):
                schemas[record.id] = record
            elif isinstance(record, Channel):
                channels[record.id] = record
            elif isinstance(record, Message):
                counts[record.channel_id] = counts.get(record.channel_id, 0) + 1
        topics = {}
        for cid, channel in channels.items():
            schema = schemas.get(channel.schema_id)
            topics[channel.topic] = Topic(
                name=channel.topic, msgtype=schema.name if schema else "", count=counts.get(cid, 0),
                msgdef=schema.data.decode("utf-8", "replace") if schema else "")
        self._stream_channels = {cid: ch.topic for cid, ch in channels.items()}
        return topics

    def image_topics(self) -> List[str]:
        return sorted(name for name, t in self.topics.items() if t.msgtype in IMAGE_TYPES)

    def messages(self, topics: Sequence[str]) -> Iterator[Tuple[str, int, bytes]]:
        """(topic, log time ns, serialised message) of ``topics`` in the bag's order."""
        wanted = set(topics)
        if self._stream_file is not None:
            from mcap.records import Channel, Message

            channels = {}
            for record in self._stream_records():
                if isinstance(record, Channel):
                    channels[record.id] = record.topic
                elif isinstance(record, Message) and channels.get(record.channel_id) in wanted:
                    yield channels[record.channel_id], record.log_time, record.data
            return
        connections = [c for c in self._reader.connections if c.topic in wanted]
        if not connections:
            return
        try:
            for connection, log_ns, raw in self._reader.messages(connections=connections):
                yield connection.topic, log_ns, raw
        except Exception as error:  # a truncated or damaged storage file: keep what was read
            self.damage = f"reading stopped early ({type(error).__name__}: {error})"

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def _lone_mcap(path: Path) -> Optional[Path]:
    """The MCAP file that ``path`` is or (a bag folder) holds alone, when it starts like one."""
    if path.is_dir():
        files = sorted(path.glob("*.mcap"))
        path = files[0] if len(files) == 1 else path
    if not path.is_file() or path.suffix != ".mcap":
        return None
    with open(path, "rb") as f:
        return path if f.read(8) == b"\x89MCAP0\r\n" else None


@dataclass(frozen=True)
class InputTopics:
    image: str
    compressed: bool
    depth: Optional[str] = None
    camera_info: Optional[str] = None


def _looks_like_depth(name: str) -> bool:
    return "depth" in name.lower()


def choose_topics(bag: InputBag, values: Dict[str, Any], image: Optional[str] = None,
                  depth: Optional[str] = None, camera_info: Optional[str] = None,
                  warn: Callable[[str], None] = print) -> InputTopics:
    """The image, depth and camera_info topics: those named, else found by type when there is
    only one (an Image topic whose name says depth is taken for depth, not for the image).
    Depth is read when named or when ``use_depth`` is set; camera_info unless
    ``use_camera_info`` is false."""
    topics = bag.topics
    listing = ", ".join(f"{t} ({topics[t].msgtype.rsplit('/', 1)[-1]}, {topics[t].count})"
                        for t in bag.image_topics()) or "none"

    def named(name: str, types: Tuple[str, ...], what: str) -> str:
        if name not in topics:
            raise BagError(f"{what} topic {name} is not in {bag.path}; its image topics: {listing}")
        if topics[name].msgtype not in types:
            raise BagError(f"{what} topic {name} is {topics[name].msgtype}, not {' or '.join(types)}")
        return name

    if depth is not None:
        depth = named(depth, (IMAGE_TYPE,), "depth")
    if image is not None:
        image = named(image, IMAGE_TYPES, "image")
    else:
        candidates = [t for t in bag.image_topics() if t != depth and not _looks_like_depth(t)]
        if len(candidates) != 1:
            raise BagError(("no image topic" if not candidates else "several image topics") + f" in {bag.path} "
                           f"(image topics: {listing}); name one with --image-topic")
        image = candidates[0]
    if depth is None and values["use_depth"]:
        found = [t for t in bag.image_topics() if t != image and topics[t].msgtype == IMAGE_TYPE
                 and _looks_like_depth(t)]
        if len(found) == 1:
            depth = found[0]
        else:
            warn("bag: use_depth is set but " + ("no" if not found else "more than one") + " depth image topic "
                 f"(image topics: {listing}); name one with --depth-topic. Going on without depth.")
    if camera_info is not None:
        camera_info = named(camera_info, (CAMERA_INFO_TYPE,), "camera_info")
    elif values["use_camera_info"]:
        infos = sorted(t for t, info in topics.items() if info.msgtype == CAMERA_INFO_TYPE)
        base = image[:-len("/compressed")] if image.endswith("/compressed") else image
        sibling = base.rsplit("/", 1)[0] + "/camera_info"     # /ns/image_raw -> /ns/camera_info
        if len(infos) == 1:
            camera_info = infos[0]
        elif sibling in infos:
            camera_info = sibling
        elif infos:
            raise BagError(f"several camera_info topics ({', '.join(infos)}); name one with --camera-info-topic")
    return InputTopics(image=image, compressed=topics[image].msgtype == COMPRESSED_TYPE, depth=depth,
                       camera_info=camera_info)


def stamp_order(items: Sequence[Tuple[str, int]], slop_ns: int) -> List[Tuple[int, int, int]]:
    """The order in which to handle messages of a bag, from (kind, stamp ns) per message in
    the bag's order ("image", "depth" or "info"): images by stamp; a depth or camera_info
    message before any image within ``slop_ns`` after it (so each image's matches are in
    when its turn comes). Returns (bag index, ready-after index, stamp ns) per message, in
    that order: a message's turn is known once the bag has been read up to ready-after, so a
    bag can be streamed, holding only the messages that arrived ahead of their turn."""
    keys = sorted((stamp + (slop_ns if kind == "image" else 0), 1 if kind == "image" else 0, i)
                  for i, (kind, stamp) in enumerate(items))
    order, seen = [], -1
    for sort_stamp, _, i in keys:
        seen = max(seen, i)
        order.append((i, seen, items[i][1]))
    return order


# ------------------------------------------------------------------------ output bag
#: Output message types, by topic (those of :mod:`holistic_ros.ros.outputs`).
def _output_types() -> Dict[str, str]:
    return {outputs.PEOPLE_TOPIC: "holistic_ros/msg/HolisticPeople",
            outputs.LANDMARKS_TOPIC: "holistic_ros/msg/HolisticLandmarks",
            outputs.GESTURE_EVENTS_TOPIC: "holistic_ros/msg/GestureEvent",
            outputs.TF_TOPIC: "tf2_msgs/msg/TFMessage",
            outputs.SEGMENTATION_TOPIC: IMAGE_TYPE,
            outputs.MARKERS_TOPIC: "visualization_msgs/msg/MarkerArray",
            outputs.ANNOTATED_TOPIC: IMAGE_TYPE}


def message_dir() -> Path:
    """Our msg/*.msg: installed in share/holistic_ros/msg, or the source tree's msg/."""
    try:
        from ament_index_python.packages import get_package_share_directory

        installed = Path(get_package_share_directory("holistic_ros")) / "msg"
        if installed.is_dir():
            return installed
    except Exception:  # not installed with colcon: the source tree
        pass
    return Path(__file__).resolve().parents[2] / "msg"


def typestore():
    """rosbags' Jazzy typestore with our messages (msg/*.msg) registered."""
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore

    store = get_typestore(Stores.ROS2_JAZZY)
    types = {}
    for path in sorted(message_dir().glob("*.msg")):
        types.update(get_types_from_msg(path.read_text(encoding="utf-8"), f"holistic_ros/msg/{path.stem}"))
    if not types:
        raise BagError(f"no message definitions found in {message_dir()}")
    store.register(types)
    return store


def resolve(topic: str, namespace: str) -> str:
    """A node's topic name as a bag stores it: absolute, under ``namespace``."""
    if topic.startswith("/"):
        return topic
    ns = "/" + namespace.strip("/") if namespace.strip("/") else ""
    return f"{ns}/{topic}"


class OutputBag:
    """The rosbag2 written: one connection per topic, raw CDR in.

    ``path`` is a bag folder (metadata.yaml and the storage file), or, ending in ``.mcap``,
    one MCAP file (which ``ros2 bag play``, rosbags and MCAP readers open alone): the bag
    is then written in the folder of the same name without ``.mcap`` and its MCAP moved
    into place on :meth:`close`."""

    def __init__(self, path: Path, storage: str, store, compress: bool = False):
        from rosbags.rosbag2 import CompressionFormat, CompressionMode, StoragePlugin, Writer

        self.path = Path(path)
        single = self.path.suffix == ".mcap"
        if single and storage != "mcap":
            raise BagError(f"output {path} ends in .mcap: use --storage mcap or a folder name")
        # The folder is named as the file, so that the bag's own metadata (in the MCAP) names it.
        folder = self.path.with_suffix("") if single else self.path
        for existing in {self.path, folder}:
            if existing.exists():
                raise BagError(f"output {existing} exists already; remove it or choose another path"
                               + (f" ({folder} is needed while writing {self.path})" if existing == folder != self.path
                                  else ""))
        self._folder = folder
        self._single = single
        self.store = store
        plugin = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}[storage]
        self._writer = Writer(folder, version=Writer.VERSION_LATEST, storage_plugin=plugin)
        if compress:   # zstd chunks inside the MCAP, or zstd messages in sqlite3 (what ros2 bag record does)
            self._writer.set_compression(CompressionMode.STORAGE if storage == "mcap" else CompressionMode.MESSAGE,
                                         CompressionFormat.ZSTD)
        self._writer.open()
        self._connections: Dict[str, Any] = {}
        self.written = 0

    def add(self, topic: str, msgtype: str, msgdef: str = "", digest: str = "") -> None:
        if topic in self._connections:
            if self._connections[topic].msgtype != msgtype:
                raise BagError(f"topic {topic} would hold two types, {self._connections[topic].msgtype} and {msgtype}")
            return
        if msgtype in self.store.fielddefs:
            connection = self._writer.add_connection(topic, msgtype, typestore=self.store)
        elif msgdef and digest:
            connection = self._writer.add_connection(topic, msgtype, msgdef=msgdef, rihs01=digest)
        else:
            from rosbags.typesys import get_types_from_msg

            self.store.register(get_types_from_msg(msgdef, msgtype))
            connection = self._writer.add_connection(topic, msgtype, typestore=self.store)
        self._connections[topic] = connection

    def write(self, topic: str, log_ns: int, raw: bytes) -> None:
        """A serialised message, as it is (copied through)."""
        self._writer.write(self._connections[topic], log_ns, raw)
        self.written += 1

    def write_message(self, topic: str, log_ns: int, message: Any) -> None:
        """An rclpy message, in canonical CDR (:func:`canonical_cdr`)."""
        self.write(topic, log_ns, canonical_cdr(message, self._connections[topic].msgtype, self.store))

    def close(self) -> None:
        if self._writer is None:
            return
        self._writer.close()
        self._writer = None
        if self._single:
            (self._folder / f"{self._folder.name}.mcap").replace(self.path)
            (self._folder / "metadata.yaml").unlink()
            self._folder.rmdir()


def canonical_cdr(message: Any, msgtype: str, store) -> bytes:
    """An rclpy message as CDR with zeroed padding: rclpy's serialiser (the node's messages,
    as built) leaves the alignment padding after a string uninitialised, so the same message
    can give other bytes on another call; rosbags, re-serialising it, writes zeros. The
    values are untouched."""
    return bytes(store.serialize_cdr(store.deserialize_cdr(serialize_message(message), msgtype), msgtype))


# ------------------------------------------------------------------------ processing
@dataclass
class Report:
    """What a run did; :meth:`lines` says it."""

    frames: int = 0                 # images in the input
    processed: int = 0
    skipped: Dict[str, int] = field(default_factory=dict)   # reason -> frames
    with_depth: int = 0
    with_camera: int = 0
    messages_written: int = 0
    copied: int = 0
    damage: Optional[str] = None
    interrupted: bool = False
    seconds: float = 0.0
    problems: Dict[str, int] = field(default_factory=dict)  # warnings about frames still processed

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def problem(self, text: str) -> None:
        self.problems[text] = self.problems.get(text, 0) + 1

    def lines(self, output: Path) -> List[str]:
        rate = self.processed / self.seconds if self.seconds > 0 else float("nan")
        lines = [f"bag: {self.processed} of {self.frames} frames processed in {self.seconds:.1f} s "
                 f"({rate:.1f} frames/s); {self.messages_written} messages written to {output}"
                 + (f" ({self.copied} copied through)" if self.copied else "")]
        lines.append(f"bag: {self.with_camera} frames with a camera model, {self.with_depth} with depth")
        for reason, count in sorted(self.skipped.items()):
            lines.append(f"bag: skipped {count} frame(s): {reason}")
        for text, count in sorted(self.problems.items()):
            lines.append(f"bag: {count} frame(s): {text}")
        if self.damage:
            lines.append(f"bag: the input is damaged: {self.damage}; everything before it was processed")
        if self.interrupted:
            lines.append(f"bag: interrupted: {output} is a complete bag of the frames processed so far")
        return lines


class _StopFlag:
    """SIGINT/SIGTERM: finish the frame in hand, then stop and close the output. A second
    Ctrl-C raises KeyboardInterrupt (the output is still closed)."""

    def __init__(self):
        self.set = False
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():   # signals reach the main thread only
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, _frame):
        if self.set:
            raise KeyboardInterrupt
        self.set = True

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        return False


@dataclass(frozen=True)
class BagOptions:
    storage: str = "mcap"            # of the output: mcap or sqlite3
    namespace: str = ""              # the node's namespace: output topics go under it
    copy_topics: Tuple[str, ...] = ()   # input topics copied through unchanged; ("*",): all
    compress: bool = False           # zstd-compress the output
    progress: bool = True


def run(input_path: Path, output_path: Path, values: Dict[str, Any], *, image_topic: Optional[str] = None,
        depth_topic: Optional[str] = None, camera_info_topic: Optional[str] = None,
        options: BagOptions = BagOptions(), pipeline_factory: Optional[Callable[..., Any]] = None,
        warn: Callable[[str], None] = print) -> Report:
    """Process every image of ``input_path`` into a new bag at ``output_path``; returns what
    was done. Raises :class:`BagError` when it cannot start; once the output is open it is
    always closed, whatever happens."""
    from holistic_ros.ros.node import _default_pipeline_factory, pipeline_kwargs

    _require_libraries()
    bag = InputBag(input_path)
    try:
        topics = choose_topics(bag, values, image_topic, depth_topic, camera_info_topic, warn=warn)
        copy = sorted(bag.topics) if "*" in options.copy_topics else list(options.copy_topics)
        for name in copy:
            if name not in bag.topics:
                raise BagError(f"topic {name} to copy is not in {bag.path} (topics: {', '.join(sorted(bag.topics))})")
        if outputs.TFMessage is None and values["publish_tf"]:
            warn("bag: tf2_msgs is not installed: no /tf in the output")
        factory = pipeline_factory or _default_pipeline_factory
        try:
            pipeline = factory(**pipeline_kwargs(values))
        except Exception as error:  # ModelError, bad providers
            raise BagError(f"cannot build the pipeline: {error}") from None
        out = OutputBag(output_path, options.storage, typestore(), compress=options.compress)
        try:
            return _process(bag, out, topics, copy, values, options, pipeline, warn)
        finally:
            out.close()
            pipeline.close()
    finally:
        bag.close()


def _process(bag: InputBag, out: OutputBag, topics: InputTopics, copy: List[str], values: Dict[str, Any],
             options: BagOptions, pipeline, warn) -> Report:
    from holistic_ros.ros.node import gesture_settings, marker_settings

    report = Report()
    started = time.perf_counter()
    output_options = outputs.OutputOptions(
        recognize_gestures=bool(values["recognize_gestures"]), publish_tf=bool(values["publish_tf"]),
        enable_segmentation=bool(values["enable_segmentation"]), publish_markers=bool(values["publish_markers"]),
        publish_annotated=bool(values["publish_annotated"]), markers=marker_settings(values))
    types = _output_types()
    wanted = [outputs.PEOPLE_TOPIC, outputs.LANDMARKS_TOPIC, outputs.GESTURE_EVENTS_TOPIC]
    wanted += [outputs.TF_TOPIC] if output_options.publish_tf and outputs.TFMessage is not None else []
    wanted += [outputs.SEGMENTATION_TOPIC] if output_options.enable_segmentation else []
    wanted += [outputs.MARKERS_TOPIC] if output_options.publish_markers else []
    wanted += [outputs.ANNOTATED_TOPIC] if output_options.publish_annotated else []
    names = {topic: resolve(topic, options.namespace) for topic in types}
    for topic in wanted:
        out.add(names[topic], types[topic])
    for name in copy:
        t = bag.topics[name]
        out.add(name, t.msgtype, t.msgdef, t.digest)

    # Pass 1: the stamps, to handle every image in stamp order whatever the bag's order.
    kinds = {topics.image: "image"}
    if topics.depth:
        kinds[topics.depth] = "depth"
    if topics.camera_info:
        kinds[topics.camera_info] = "info"
    items: List[Tuple[str, int]] = []
    for topic, log_ns, raw in bag.messages(list(kinds)):
        try:
            stamp = header_stamp_ns(raw)
        except ValueError:
            stamp = 0
        items.append((kinds[topic], stamp if stamp > 0 else log_ns))   # unstamped: its log time, as the node
    first_pass_damage = bag.damage
    slop_ns = int(round(float(values["sync_slop"]) * 1e9))
    order = stamp_order(items, slop_ns)
    report.frames = sum(1 for kind, _ in items if kind == "image")

    convert = image_converter()
    tracks = GestureTracks(gesture_settings(values))
    depth_buffer = StampBuffer(queue_size=50, slop=float(values["sync_slop"]))
    info_buffer = StampBuffer(queue_size=50, slop=float(values["sync_slop"]))
    fov = float(values["field_of_view"])
    state = {"markers": frozenset()}

    def camera_for(stamp: float, width: int, height: int):
        info = info_buffer.match(stamp)
        if info is None and info_buffer.latest() is not None:
            info = info_buffer.latest()[1]      # intrinsics rarely change, as the node
        if info is not None:
            try:
                return camera_from_info(info, width, height)
            except ValueError as error:
                report.problem(f"camera_info ignored: {error}")
        if fov > 0.0:
            return PinholeCamera.from_field_of_view(math.radians(fov), width, height)
        return None

    def handle_image(raw: bytes, stamp_ns: int) -> None:
        msg = deserialize_message(raw, CompressedImage if topics.compressed else Image)
        try:
            rgb = compressed_msg_to_rgb(msg) if topics.compressed else convert(msg)
        except ImageConversionError as error:
            report.skip(f"image not readable ({error})")
            return
        stamp = stamp_ns * 1e-9
        camera = camera_for(stamp, rgb.shape[1], rgb.shape[0])
        depth = None
        if camera is not None and topics.depth:
            depth_msg = depth_buffer.match(stamp)
            if depth_msg is None:
                report.problem("no depth image within sync_slop: placed without depth")
            else:
                try:
                    depth = depth_msg_to_array(depth_msg)
                except ImageConversionError as error:
                    report.problem(f"depth image ignored: {error}")
        try:
            result = pipeline.process(rgb, timestamp=stamp)
        except (ValueError, RuntimeError) as error:
            report.skip(f"image rejected by the pipeline ({error})")
            return
        frame = outputs.frame_messages(result, rgb, msg.header, stamp, options=output_options, camera=camera,
                                       depth=depth, gestures=tracks, markers_shown=state["markers"],
                                       processing_time_ms=float("nan"), on_error=report.problem)
        state["markers"] = frame.markers_shown
        for topic, message in frame.messages:
            out.write_message(names[topic], stamp_ns, message)
        report.processed += 1
        report.with_camera += camera is not None
        report.with_depth += depth is not None

    progress = _progress(report.frames, options.progress)
    copy_set = set(copy)
    read_topics = sorted(set(kinds) | copy_set)
    pending: Dict[int, bytes] = {}
    next_turn = 0
    index = -1
    with _StopFlag() as stop:
        try:
            for topic, log_ns, raw in bag.messages(read_topics):
                if topic in copy_set:
                    out.write(topic, log_ns, raw)
                    report.copied += 1
                if topic not in kinds:
                    continue
                index += 1
                if index >= len(items):    # more than the first pass saw: the bag changed under us
                    break
                pending[index] = raw
                while next_turn < len(order) and order[next_turn][1] <= index:
                    i, _, stamp_ns = order[next_turn]
                    next_turn += 1
                    message = pending.pop(i)
                    kind = items[i][0]
                    if kind == "image":
                        handle_image(message, stamp_ns)
                        progress.update(1)
                    elif kind == "depth":
                        depth_buffer.add(stamp_ns * 1e-9, deserialize_message(message, Image))
                    else:
                        info_buffer.add(stamp_ns * 1e-9, deserialize_message(message, CameraInfo))
                    if stop.set:
                        break
                if stop.set:
                    report.interrupted = True
                    break
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            progress.close()
    report.damage = bag.damage or first_pass_damage
    report.messages_written = out.written
    report.seconds = time.perf_counter() - started
    return report


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="frame", desc="holistic", disable=not enabled, file=sys.stderr,
                dynamic_ncols=True, smoothing=0.1)


# ------------------------------------------------------------------------ command line
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bag", description="Run MediaPipe Holistic over every image of a rosbag2 and write the node's "
                                "outputs into a new rosbag2 (docs/bag.md).")
    parser.add_argument("input", type=Path, help="input rosbag2: a folder with metadata.yaml, or an .mcap or .db3 file")
    parser.add_argument("output", type=Path, help="output rosbag2 folder (must not exist)")
    parser.add_argument("--image-topic", help="the image topic (Image or CompressedImage); default: the only one")
    parser.add_argument("--depth-topic", help="a depth image topic registered to the image (16UC1 mm or 32FC1 m); "
                                              "default with use_depth: the only Image topic named *depth*")
    parser.add_argument("--camera-info-topic", help="the camera_info topic; default: the only one, or the "
                                                    "image's sibling camera_info")
    parser.add_argument("--params-file", type=Path, help="a ROS parameters file (config/holistic.yaml's format)")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME:=VALUE",
                        help="set one parameter, after the file (repeatable)")
    parser.add_argument("--namespace", default="", help="the node's namespace: outputs go to /NS/holistic/...")
    parser.add_argument("--copy", action="append", default=[], metavar="TOPIC",
                        help="copy an input topic through unchanged (repeatable)")
    parser.add_argument("--copy-all", action="store_true", help="copy every input topic through unchanged")
    parser.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap", help="output storage (default mcap)")
    parser.add_argument("--compress", action="store_true", help="zstd-compress the output (MCAP chunks, or "
                                                                "sqlite3 messages)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _warn(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Exit status: 0 every frame read; 1 could not start; 2 bad arguments; 3 the input was
    damaged (what could be read was processed); 130 interrupted (the output is complete)."""
    args = _parser().parse_args(argv)
    try:
        overrides = [parse_override(text) for text in args.param]
        values = parameter_values(args.params_file, overrides, warn=_warn)
        options = BagOptions(storage=args.storage, namespace=args.namespace, compress=args.compress,
                             copy_topics=("*",) if args.copy_all else tuple(args.copy),
                             progress=not args.no_progress)
        report = run(args.input, args.output, values, image_topic=args.image_topic, depth_topic=args.depth_topic,
                     camera_info_topic=args.camera_info_topic, options=options, warn=_warn)
    except BagError as error:
        _warn(f"bag: {error}")
        return 1
    except KeyboardInterrupt:   # before the first frame (reading the stamps): the output is closed
        _warn("bag: interrupted before the first frame")
        return 130
    for line in report.lines(args.output):
        _warn(line)
    if report.interrupted:
        return 130
    return 3 if report.damage else 0


if __name__ == "__main__":
    sys.exit(main())
