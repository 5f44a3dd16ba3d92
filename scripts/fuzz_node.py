"""Fuzz holistic_node over real rclpy: bad images, depth, camera_info, stamps and parameters,
interleaved with good frames, against the node run as its own process.

The node (install/holistic_ros/lib/holistic_ros/holistic_node, the real pipeline, with
depth, camera_info, markers, annotated image, segmentation and REP-155 output on, so that
every input reaches every output path) is started as a process; this script is a second
ROS node that sends it, seeded:

- images: every size 0..4096 (width and height drawn apart; most small, some large), every
  encoding string of sensor_msgs/image_encodings.h and garbage ones, a wrong ``step``,
  truncated, oversized and empty data, either byte order;
- depth: every encoding, NaN / inf / negative / zero / huge values, sizes that are no
  scale of the image, stamped to match the next good frame so that they are used;
- camera_info: K zero, NaN, inf or negative, every distortion model name and garbage ones,
  a D of the wrong length or with NaN, a size of zero or unlike the image's;
- stamps: a good image whose stamp goes back, repeats, jumps ahead, is zero or the largest;
- parameters: every declared parameter set to every wrong type and to out-of-range values,
  unknown names, and rapid rebuilds (several pipeline options in a row, not waiting) while
  frames flow.

After each batch of one to five such messages comes a good frame (a person, a fresh
stamp): it must be answered on holistic/people within ``--answer-timeout`` seconds (else
the node hung), and the node process must still run (else it died). The node's resident
memory (VmRSS) is read at the start (after warm-up), every ``--rss-every`` messages, and at
the end, right after the parameters are put back to the start values. At each of those
``--rss-every`` points it is read twice: as the fuzz left it (``rss_mb_series``, with the
pipeline options then, ``rss_series_configurations``), then with the start values put back
(always a rebuild, so that the node has just released a pipeline's memory) and
:data:`BASELINE_FRAMES` good frames answered (``rss_mb_baseline``: the same pipeline at
every sample, so that growth over the run shows there and the working set of whatever
configuration the fuzz was in does not). ``--rebuild-rounds N``
measures memory instead (:func:`rebuild_cycles`: N rounds of pipeline rebuilds, RSS per round;
docs/ros.md, "Memory").

    .venv/bin/python scripts/fuzz_node.py --messages 10000 --seed 1 --report output/fuzz_report.json
    .venv/bin/python scripts/fuzz_node.py --rebuild-rounds 6 --report output/rebuild_rss.json

Run `make build` and `source install/setup.bash` first (``make test`` runs a short seeded
run through test/test_fuzz_node.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
PREFIX = ROOT / "install" / "holistic_ros"
NODE_EXE = PREFIX / "lib" / "holistic_ros" / "holistic_node"
DEFAULT_IMAGE = ROOT.parent / "shared" / "testdata" / "media" / "images" / "tfe_yoga_tree_pose.jpg"

#: sensor_msgs/image_encodings.hpp, every name.
IMAGE_ENCODINGS = (
    ["rgb8", "rgba8", "rgb16", "rgba16", "bgr8", "bgra8", "bgr16", "bgra16", "mono8", "mono16"]
    + [f"{bits}{kind}C{n}" for bits, kind in (("8", "U"), ("8", "S"), ("16", "U"), ("16", "S"), ("32", "S"),
                                               ("32", "F"), ("64", "F")) for n in (1, 2, 3, 4)]
    + [f"bayer_{p}{b}" for p in ("rggb", "bggr", "gbrg", "grbg") for b in (8, 16)]
    + ["yuv422", "yuv422_yuy2", "uyvy", "yuyv", "nv21", "nv24"])
#: Names that are no encoding at all, or one written oddly.
GARBAGE_STRINGS = ["", " ", "RGB8", "Rgb8", " rgb8", "rgb8 ", "rgb8\n", "rgb", "8UC", "jpeg", "png", "none",
                   "é", "rgb8é", "\u202e8bgr", "x" * 300, "32FC1;rm -rf /", "%s%n", "null", "16uc1", "32fc1"]
#: Bytes per pixel of the encodings we know (others: 1 to 8, drawn).
_BYTES = {"rgb8": 3, "bgr8": 3, "rgba8": 4, "bgra8": 4, "mono8": 1, "mono16": 2, "16UC1": 2, "32FC1": 4,
          "rgb16": 6, "bgr16": 6, "rgba16": 8, "bgra16": 8}
DISTORTION_MODELS = ["plumb_bob", "rational_polynomial", "equidistant", "fisheye", "", "PLUMB_BOB", "none",
                     "kannala_brandt", "x" * 200, "plumb bob", "é"]
#: Parameters that rebuild the pipeline, and start-up values they are put back to.
REBUILD_VALUES = {
    "model_complexity": [0, 1, 2], "max_num_people": [1, 2, 3], "refine_face_landmarks": [True, False],
    "enable_segmentation": [True, False], "static_image_mode": [True, False], "smooth_landmarks": [True, False],
    "recognize_gestures": [True, False], "skip_recrops": [True, False],
}
KINDS = ("image", "depth", "camera_info", "stamp", "parameter", "rebuild")
#: Good frames answered after the start values are put back, before a baseline RSS sample.
BASELINE_FRAMES = 2


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except FileNotFoundError:
        pass
    return float("nan")


class Fuzzer:
    """Drives one running holistic_node (``namespace``) from its own rclpy node."""

    def __init__(self, namespace: str, good_rgb: np.ndarray, seed: int, answer_timeout: float,
                 start_values: Dict[str, object], log: Callable[[str], None] = print):
        import rclpy
        from rclpy.executors import MultiThreadedExecutor
        from rclpy.parameter_client import AsyncParameterClient
        from rclpy.qos import QoSProfile
        from sensor_msgs.msg import CameraInfo, Image

        from holistic_ros.msg import HolisticPeople

        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.good_rgb = good_rgb
        self.answer_timeout = answer_timeout
        self.start_values = start_values
        self.log = log
        self.node = rclpy.create_node("fuzzer")
        reliable = QoSProfile(depth=5)
        self.image_pub = self.node.create_publisher(Image, f"{namespace}/image", reliable)
        self.depth_pub = self.node.create_publisher(Image, f"{namespace}/depth/image", reliable)
        self.info_pub = self.node.create_publisher(CameraInfo, f"{namespace}/camera_info", reliable)
        self.answered = set()
        self.lock = threading.Lock()
        self.node.create_subscription(HolisticPeople, f"{namespace}/holistic/people", self._on_people, 50)
        self.params = AsyncParameterClient(self.node, f"{namespace}/holistic")
        self.executor = MultiThreadedExecutor(num_threads=2)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()
        self.counts = Counter()
        self.taken = 0              # images the node's worker took (NODE_WRAPPER)
        self.not_taken = 0
        self.refused = Counter()
        self.python_memory: List[str] = []   # FUZZ-PYMEM lines (--tracemalloc)
        self.next_good = 0          # good frames are stamped 100000 s + n / 25
        self.pending_futures = []
        self.Image, self.CameraInfo = Image, CameraInfo

    # ------------------------------------------------------------------ plumbing
    def _on_people(self, msg) -> None:
        with self.lock:
            self.answered.add((msg.header.stamp.sec, msg.header.stamp.nanosec))

    def on_node_line(self, line: str) -> None:
        if line.startswith("FUZZ-TAKEN"):
            with self.lock:
                self.taken += 1
        elif line.startswith("FUZZ-PYMEM "):
            with self.lock:
                self.python_memory.append(line[len("FUZZ-PYMEM "):].strip())

    def send_image(self, msg, timeout: float = 10.0) -> None:
        """Publish an image and wait until the node's worker takes it."""
        with self.lock:
            before = self.taken
        self.image_pub.publish(msg)
        if not self.wait(lambda: self.taken > before, timeout):
            self.not_taken += 1

    def wait(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.005)
        return False

    def ready(self, process: subprocess.Popen, timeout: float = 120.0) -> None:
        ok = self.wait(lambda: process.poll() is not None or (
            self.image_pub.get_subscription_count() > 0 and self.depth_pub.get_subscription_count() > 0
            and self.info_pub.get_subscription_count() > 0 and self.params.services_are_ready()
            and self.node.count_publishers(self.image_pub.topic_name.rsplit("/", 1)[0] + "/holistic/people") > 0),
            timeout)
        if not ok or process.poll() is not None:
            raise RuntimeError("the node did not come up")

    @staticmethod
    def _stamp(seconds: float):
        from builtin_interfaces.msg import Time

        ns = int(round(seconds * 1e9))
        return Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)

    def _good_stamp(self, n: Optional[int] = None):
        return self._stamp(100_000.0 + (self.next_good if n is None else n) / 25.0)

    def good_image(self, stamp=None):
        from holistic_ros.ros.image_conversion import rgb_to_image_msg
        from std_msgs.msg import Header

        msg = rgb_to_image_msg(self.good_rgb, Header(frame_id="camera"))
        msg.header.stamp = stamp or self._good_stamp()
        return msg

    def good_frame(self, process) -> Optional[str]:
        """Send the next good frame and wait for its answer: None, or what went wrong."""
        stamp = self._good_stamp()
        self.next_good += 1
        self.image_pub.publish(self.good_image(stamp))
        key = (stamp.sec, stamp.nanosec)
        answered = self.wait(lambda: key in self.answered or process.poll() is not None, self.answer_timeout)
        if process.poll() is not None:
            return f"the node died (exit code {process.returncode})"
        if not answered:
            return f"no answer to a good frame within {self.answer_timeout:g} s (hang)"
        return None

    # ------------------------------------------------------------------ bad messages
    def _size(self) -> int:
        """0..4096, most small (the big ones cost seconds each)."""
        r = self.rng.random()
        if r < 0.1:
            return self.rng.choice([0, 1, 2, 3, 4095, 4096])
        if r < 0.8:
            return self.rng.randint(0, 96)
        if r < 0.97:
            return self.rng.randint(0, 1024)
        return self.rng.randint(0, 4096)

    def _encoding(self, encodings=IMAGE_ENCODINGS) -> str:
        return self.rng.choice(encodings) if self.rng.random() < 0.75 else self.rng.choice(GARBAGE_STRINGS)

    def _fill(self, msg, width: int, height: int, bpp: int) -> str:
        """Set step and data: right, or one of the ways they go wrong; returns which."""
        row = width * bpp
        how = self.rng.choice(["right", "right", "right", "step_short", "step_long", "step_zero", "step_huge",
                               "truncated", "oversized", "empty"])
        step = {"step_short": max(row - self.rng.randint(1, 8), 0), "step_long": row + self.rng.randint(1, 64),
                "step_zero": 0, "step_huge": 2**32 - 1}.get(how, row)
        size = step * height if how not in ("step_huge",) else row * height
        if how == "truncated":
            size = max(size - self.rng.randint(1, max(size, 1)), 0)
        elif how == "oversized":
            size += self.rng.randint(1, 4096)
        elif how == "empty":
            size = 0
        msg.step = int(step)
        msg.data = self.np_rng.integers(0, 256, size, dtype=np.uint8).tobytes() if size else b""
        return how

    def bad_image(self):
        msg = self.Image()
        msg.header.frame_id = "camera"
        msg.header.stamp = self._good_stamp(self.next_good - 0.5)
        msg.width, msg.height = self._size(), self._size()
        if msg.width * msg.height > 1600 * 1600:   # keep a 4096-wide image, not 50 MB of it
            msg.height = self.rng.randint(0, max(1, 1600 * 1600 // max(msg.width, 1)))
        msg.encoding = self._encoding()
        msg.is_bigendian = self.rng.randint(0, 1)
        how = self._fill(msg, msg.width, msg.height, _BYTES.get(msg.encoding, self.rng.randint(1, 8)))
        self.send_image(msg)
        return f"image:{how}"

    def bad_depth(self):
        """A depth image stamped for the next good frame (so that it is used)."""
        msg = self.Image()
        msg.header.frame_id = "camera"
        msg.header.stamp = self._good_stamp()
        msg.encoding = self.rng.choice(["16UC1", "32FC1", "mono16"] * 3 + IMAGE_ENCODINGS + GARBAGE_STRINGS)
        height, width = self.good_rgb.shape[:2]
        scale = self.rng.choice([1.0, 0.5, 2.0, None])
        if scale is None:    # no scale of the image
            msg.width, msg.height = self.rng.randint(0, 700), self.rng.randint(0, 700)
        else:
            msg.width, msg.height = int(width * scale), int(height * scale)
        bpp = _BYTES.get(msg.encoding, self.rng.randint(1, 8))
        values = self.rng.choice(["nan", "inf", "negative", "zero", "huge", "mixed", "normal"])
        if msg.encoding == "32FC1":
            pick = {"nan": np.nan, "inf": np.inf, "negative": -1.5, "zero": 0.0, "huge": 3e38, "normal": 2.0}
            array = (self.np_rng.choice([np.nan, np.inf, -np.inf, -2.0, 0.0, 1.5, 1e30], msg.width * msg.height)
                     if values == "mixed" else np.full(msg.width * msg.height, pick[values]))
            msg.data = array.astype("<f4").tobytes()
            msg.step = msg.width * 4
            how = values
            if self.rng.random() < 0.3:
                how = self._fill(msg, msg.width, msg.height, bpp)
        else:
            how = self._fill(msg, msg.width, msg.height, bpp)
        self.depth_pub.publish(msg)
        return f"depth:{msg.encoding if msg.encoding in ('16UC1', '32FC1', 'mono16') else 'other'}:{how}"

    def bad_camera_info(self):
        msg = self.CameraInfo()
        msg.header.frame_id = "camera"
        msg.header.stamp = self._good_stamp()
        height, width = self.good_rgb.shape[:2]
        how = self.rng.choice(["zero_k", "nan_k", "inf_k", "negative_k", "random_k", "model", "d_length",
                               "d_nan", "zero_size", "other_size", "huge_size"])
        k = [500.0, 0.0, width / 2, 0.0, 500.0, height / 2, 0.0, 0.0, 1.0]
        if how == "zero_k":
            k = [0.0] * 9
        elif how in ("nan_k", "inf_k", "negative_k"):
            bad = {"nan_k": math.nan, "inf_k": math.inf, "negative_k": -500.0}[how]
            for i in self.rng.sample([0, 2, 4, 5, 8], self.rng.randint(1, 3)):
                k[i] = bad
        elif how == "random_k":
            k = [self.rng.uniform(-1e6, 1e6) for _ in range(9)]
        msg.k = k
        msg.p = [k[0], k[1], k[2], 0.0, k[3], k[4], k[5], 0.0, 0.0, 0.0, 1.0, 0.0]
        msg.distortion_model = self.rng.choice(DISTORTION_MODELS) if how == "model" else "plumb_bob"
        length = self.rng.choice([0, 1, 3, 4, 5, 6, 8, 12, 14, 100]) if how in ("d_length", "model") else 5
        msg.d = [self.rng.uniform(-1, 1) for _ in range(length)]
        if how == "d_nan" and msg.d:
            msg.d[self.rng.randrange(len(msg.d))] = math.nan
        msg.width, msg.height = width, height
        if how == "zero_size":
            msg.width = msg.height = 0
        elif how == "other_size":
            msg.width, msg.height = self.rng.randint(1, 5000), self.rng.randint(1, 5000)
        elif how == "huge_size":
            msg.width, msg.height = 2**32 - 1, 2**32 - 1
        self.info_pub.publish(msg)
        return f"camera_info:{how}"

    def odd_stamp(self):
        """A good image whose stamp goes back, repeats, jumps, is zero or the largest."""
        how = self.rng.choice(["back", "repeat", "jump", "zero", "max", "tiny_step"])
        last = 100_000.0 + (self.next_good - 1) / 25.0
        seconds = {"back": last - self.rng.uniform(0.001, 1000.0), "repeat": last,
                   "jump": last + self.rng.uniform(1e5, 1e8), "zero": 0.0, "max": None,
                   "tiny_step": last + 1e-9}[how]
        if seconds is None:
            from builtin_interfaces.msg import Time
            stamp = Time(sec=2**31 - 1, nanosec=999_999_999)
        else:
            stamp = self._stamp(max(seconds, 0.0))
        self.send_image(self.good_image(stamp))
        return f"stamp:{how}"

    def _wrong_values(self, default) -> list:
        values = [True, 7, -3, 2**62, 1.5, -1e308, math.nan, math.inf, -math.inf, "", "text", "é" * 50,
                  [1, 2], [0.5, 2.5, 3.5], [math.nan] * 4, ["a", "b"], [True, False], [], None]
        if isinstance(default, bool):
            return values
        if isinstance(default, int):
            return values + [-1, 11, 16, 3, 100]
        if isinstance(default, float):
            return values + [-0.1, 1.01, 1e9, 0.0]
        return values

    def parameter(self):
        from rclpy.parameter import Parameter
        from holistic_ros.ros.node import PARAMETERS

        names = list(PARAMETERS) + ["no.such.parameter", "", "hri", "gestures"]
        name = self.rng.choice(names)
        default = PARAMETERS[name].declared_default if name in PARAMETERS else None
        value = self.rng.choice(self._wrong_values(default))
        param = Parameter(name) if value is None else Parameter(name, value=value)
        future = self.params.set_parameters([param])
        ok = self.wait(future.done, self.answer_timeout)
        if not ok:
            return "parameter:no reply", f"set_parameters({name}={value!r}) got no reply (hang)"
        results = future.result().results if future.result() is not None else []
        accepted = bool(results) and results[0].successful
        kind = "accepted" if accepted else "refused"
        self.refused[kind] += 1
        return f"parameter:{kind}", None

    def rebuild(self):
        """Several pipeline options in a row, good frames in between, not waiting for either."""
        from rclpy.parameter import Parameter

        for _ in range(self.rng.randint(2, 5)):
            name = self.rng.choice(list(REBUILD_VALUES))
            self.pending_futures.append(self.params.set_parameters(
                [Parameter(name, value=self.rng.choice(REBUILD_VALUES[name]))]))
            self.image_pub.publish(self.good_image(self._good_stamp(self.next_good - 0.5)))
        return "rebuild"

    def settle_parameters(self) -> Optional[str]:
        """Wait for every set_parameters sent by rebuilds; a missing reply is a hang."""
        for future in self.pending_futures:
            if not self.wait(future.done, self.answer_timeout):
                return "a set_parameters during rebuilds got no reply (hang)"
        self.pending_futures.clear()
        return None

    def restore(self, rebuild: bool = False) -> Optional[str]:
        """The start values back (rebuilds the pipeline as at the start). ``rebuild``: rebuild it
        even if the options are the start ones already (first ``skip_recrops`` the other way),
        so that the node has just freed a pipeline (holistic_ros.ros.node.release_memory), as
        after every other rebuild: the RSS samples are then taken in the same state."""
        from rclpy.parameter import Parameter

        if rebuild:
            future = self.params.set_parameters(
                [Parameter("skip_recrops", value=not self.start_values.get("skip_recrops", False))])
            if not self.wait(future.done, self.answer_timeout):
                return "a set_parameters before the RSS sample got no reply (hang)"
        from holistic_ros.ros.node import PARAMETERS

        params = [Parameter(name, value=value) for name, value in self.start_values.items()]
        params += [Parameter(name, value=p.declared_default) for name, p in PARAMETERS.items()
                   if name not in self.start_values and name not in read_only_parameters()]
        future = self.params.set_parameters_atomically(params)
        if not self.wait(future.done, self.answer_timeout):
            return "restoring the parameters got no reply (hang)"
        if not future.result().result.successful:
            return f"restoring the parameters was refused: {future.result().result.reason}"
        return None

    def pipeline_configuration(self) -> Dict[str, object]:
        """The node's pipeline options now (:data:`REBUILD_VALUES`' parameters), or {} without a reply."""
        names = list(REBUILD_VALUES)
        future = self.params.get_parameters(names)
        if not self.wait(future.done, self.answer_timeout) or future.result() is None:
            return {}
        from rclpy.parameter import parameter_value_to_python

        return {name: parameter_value_to_python(value) for name, value in zip(names, future.result().values)}

    def close(self):
        self.executor.shutdown(timeout_sec=5.0)
        self.thread.join(timeout=10.0)
        self.node.destroy_node()


def read_only_parameters() -> frozenset:
    """Parameters the node declares read-only (set at start-up only), from its schema."""
    from holistic_ros.pipeline.params import Applies
    from holistic_ros.ros.params import NODE_SCHEMA

    return NODE_SCHEMA.names(Applies.START_UP)

#: The node under test: everything on, so every input reaches every output.
NODE_VALUES = {
    "execution_provider": "cpu", "use_depth": True, "use_camera_info": True, "depth_wait": 0.02,
    "image_reliability": "reliable", "depth_reliability": "reliable", "camera_info_reliability": "reliable",
    "enable_segmentation": True, "publish_annotated": True, "publish_markers": True, "hri.enable": True,
}


#: The node as install/lib/holistic_ros/holistic_node runs it, and two lines on stdout for the
#: fuzzer: every error it reports, unthrottled (the node's log says an error at most every
#: 5 s), so that the report counts them all by kind; and every image its worker takes, so
#: that the fuzzer sends the next image only then (the node keeps the newest image only: a
#: bad image followed at once by another would never be looked at). With ``FUZZ_TRACEMALLOC``
#: (frames per traceback) in its environment it traces Python's allocations and, on SIGUSR2,
#: prints the memory Python objects hold and the five places whose share grew most since the
#: first SIGUSR2 (``--tracemalloc``).
NODE_WRAPPER = """
import faulthandler, os, signal, sys
from holistic_ros.ros import node as holistic_node

faulthandler.register(signal.SIGUSR1, all_threads=True)   # the fuzzer asks for every stack on a hang

if os.environ.get("FUZZ_TRACEMALLOC"):
    import tracemalloc
    tracemalloc.start(int(os.environ["FUZZ_TRACEMALLOC"]))
    _first = []

    def _python_memory(*_):
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        _first.append(_first[0] if _first else snapshot)
        del _first[1:]
        total = sum(stat.size for stat in snapshot.statistics("filename"))
        top = snapshot.compare_to(_first[0], "lineno")[:5]
        print("FUZZ-PYMEM %.2f " % (total / 2**20) + " | ".join(
            "%s:%d %+.0f KiB %+d" % (t.traceback[0].filename.rsplit("/", 2)[-1], t.traceback[0].lineno,
                                    t.size_diff / 1024, t.count_diff) for t in top), flush=True)
    signal.signal(signal.SIGUSR2, _python_memory)

def _error(self, text, _report=holistic_node.HolisticNode._error):
    _report(self, text)
    print("FUZZ-ERROR " + text.replace(chr(10), " "), flush=True)

def process_image(self, msg, compressed=False, _process=holistic_node.HolisticNode.process_image):
    print("FUZZ-TAKEN", flush=True)
    return _process(self, msg, compressed)

holistic_node.HolisticNode._error = _error
holistic_node.HolisticNode.process_image = process_image
sys.exit(holistic_node.main())
"""


def error_kinds(log_text: str) -> Dict[str, int]:
    """The node's errors by kind: their text with numbers and quoted values blanked."""
    import re

    kinds = Counter()
    for line in log_text.splitlines():
        if line.startswith("FUZZ-ERROR "):
            text = re.sub(r"'[^']*'", "'…'", line[len("FUZZ-ERROR "):])
            kinds[re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "N", text)[:160]] += 1
    return dict(kinds.most_common())


def _ros_value(value) -> str:
    return json.dumps(value) if isinstance(value, (bool, list)) else str(value)


def good_rgb_of(image: Path) -> np.ndarray:
    """The good frame: ``image`` scaled to 320 pixels on its long side, RGB."""
    import cv2

    bgr = cv2.imread(str(image), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(image)
    scale = 320.0 / max(bgr.shape[:2])
    return np.ascontiguousarray(cv2.cvtColor(cv2.resize(bgr, None, fx=scale, fy=scale,
                                                        interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB))


class NodeProcess:
    """holistic_node as its own process (:data:`NODE_WRAPPER`), its output read line by line,
    and a :class:`Fuzzer` talking to it once :meth:`connect` is called."""

    def __init__(self, namespace: str, node_values: Dict[str, object], tracemalloc_frames: int = 0):
        if not NODE_EXE.is_file():
            raise FileNotFoundError(f"{NODE_EXE}: run `make build` first")
        args = [sys.executable, "-c", NODE_WRAPPER, "--ros-args", "-r", f"__ns:={namespace}", "--log-level", "warn"]
        for name, value in node_values.items():
            args += ["-p", f"{name}:={_ros_value(value)}"]
        self.namespace = namespace
        self.log_lines: List[str] = []
        self.fuzzer: Optional[Fuzzer] = None
        # cwd: not the source tree, whose holistic_ros (without the built messages) would shadow the installed one
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=str(PREFIX),
                                        text=True, errors="replace", env=dict(
                                            os.environ, PYTHONUNBUFFERED="1",
                                            **({"FUZZ_TRACEMALLOC": str(tracemalloc_frames)}
                                               if tracemalloc_frames else {})))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.log_lines.append(line.rstrip("\n"))
            if self.fuzzer is not None:
                self.fuzzer.on_node_line(line)

    def connect(self, good_rgb: np.ndarray, seed: int, answer_timeout: float, start_values: Dict[str, object],
                log: Callable[[str], None]) -> "Fuzzer":
        """The fuzzer (a node in this process; rclpy.init first), once the node is up and has
        answered five good frames (models loaded, first frames through)."""
        self.fuzzer = Fuzzer(self.namespace, good_rgb, seed, answer_timeout, start_values, log)
        self.fuzzer.ready(self.process)
        for _ in range(5):
            failure = self.fuzzer.good_frame(self.process)
            if failure:
                raise RuntimeError(failure)
        return self.fuzzer

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)

    def stop(self) -> None:
        """SIGINT (the node's clean stop), SIGKILL if it does not go."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(timeout=10)


def run(messages: int, seed: int, namespace: str = "/fuzz", image: Path = DEFAULT_IMAGE, kinds=KINDS,
        rss_every: int = 1000, answer_timeout: float = 60.0, log: Callable[[str], None] = print,
        log_path: Optional[Path] = None, node_values: Optional[Dict[str, object]] = None,
        tracemalloc_frames: int = 0) -> dict:
    """The fuzz run; returns the report (a dict, JSON-ready). ``node_values``: parameters of the
    node instead of :data:`NODE_VALUES`'. ``tracemalloc_frames`` > 0: the node traces Python's
    allocations, read at each RSS sample (``python_mb_baseline``, ``python_memory``)."""
    import rclpy

    good_rgb = good_rgb_of(image)
    node_values = {**NODE_VALUES, **(node_values or {})}
    start_values = {k: v for k, v in node_values.items() if k not in read_only_parameters()}
    node = NodeProcess(namespace, node_values, tracemalloc_frames)
    process, log_lines = node.process, node.log_lines
    rclpy.init()
    fuzzer = None
    report = dict(seed=seed, messages_asked=messages, image=image.name, node_parameters=node_values)
    failure = None
    started = time.monotonic()
    try:
        fuzzer = node.connect(good_rgb, seed, answer_timeout, start_values, log)
        rss_start = rss_mb(process.pid)
        rss_series = [(0, round(rss_start, 1))]
        rss_baseline = [(0, round(rss_start, 1))]   # each sample: start values back, BASELINE_FRAMES answered
        configurations = [fuzzer.pipeline_configuration()]
        python_baseline = []

        def python_memory(at: int) -> None:
            """SIGUSR2: the node prints what Python holds (NODE_WRAPPER); after the RSS sample."""
            before = len(fuzzer.python_memory)
            process.send_signal(signal.SIGUSR2)
            if fuzzer.wait(lambda: len(fuzzer.python_memory) > before, answer_timeout):
                python_baseline.append((at, float(fuzzer.python_memory[-1].split()[0])))

        if tracemalloc_frames:
            python_memory(0)
        sent = good = 0
        weights = {kind: weight for kind, weight in
                   {"image": 40, "depth": 15, "camera_info": 15, "stamp": 10, "parameter": 15, "rebuild": 2}.items()
                   if kind in kinds}
        makers = {"image": fuzzer.bad_image, "depth": fuzzer.bad_depth, "camera_info": fuzzer.bad_camera_info,
                  "stamp": fuzzer.odd_stamp, "parameter": fuzzer.parameter, "rebuild": fuzzer.rebuild}
        while sent < messages and failure is None:
            for _ in range(fuzzer.rng.randint(1, 5)):
                kind = fuzzer.rng.choices(list(weights), weights=list(weights.values()))[0]
                outcome = makers[kind]()
                if isinstance(outcome, tuple):
                    outcome, failure = outcome
                fuzzer.counts[outcome] += 1
                sent += 1
                if failure:
                    break
            failure = failure or fuzzer.settle_parameters() or fuzzer.good_frame(process)
            good += 1
            sent += 1
            if failure is None and sent // rss_every > len(rss_series) - 1:
                rss_series.append((sent, round(rss_mb(process.pid), 1)))
                configurations.append(fuzzer.pipeline_configuration())
                failure = fuzzer.restore(rebuild=True)
                for _ in range(BASELINE_FRAMES):
                    failure = failure or fuzzer.good_frame(process)
                    good += 1
                    sent += 1
                rss_baseline.append((sent, round(rss_mb(process.pid), 1)))
                if tracemalloc_frames:
                    python_memory(sent)
                log(f"{sent} messages, {good} good frames answered, node RSS {rss_series[-1][1]:.0f} MB "
                    f"({configurations[-1]}), {rss_baseline[-1][1]:.0f} MB back on the start values, "
                    f"{time.monotonic() - started:.0f} s")
        if failure is None:
            failure = fuzzer.restore() or fuzzer.good_frame(process)
        rss_end = rss_mb(process.pid)
        report.update(
            messages_sent=sent, good_frames_answered=good - (failure is not None),
            kinds=dict(sorted(fuzzer.counts.items())), parameter_sets=dict(fuzzer.refused),
            images_not_taken=fuzzer.not_taken, node_alive=process.poll() is None, result="ok" if failure is None else "FAILED", failure=failure,
            rss_mb_start=round(rss_start, 1), rss_mb_end=round(rss_end, 1), rss_mb_series=rss_series,
            rss_series_configurations=configurations, rss_mb_baseline=rss_baseline,
            **(dict(python_mb_baseline=python_baseline, python_memory=fuzzer.python_memory)
               if tracemalloc_frames else {}),
            seconds=round(time.monotonic() - started, 1))
    finally:
        if fuzzer is not None:
            fuzzer.close()
        rclpy.try_shutdown()
        if failure and "hang" in failure and process.poll() is None:
            process.send_signal(signal.SIGUSR1)   # every thread's stack into the log
            time.sleep(3.0)
            report["hang_stacks"] = "\n".join(log_lines[-200:])
        lines_before_stop = len(log_lines)   # what the node said while fuzzed (not while stopping)
        node.stop()
    report["node_exit_code"] = process.returncode
    if log_path:
        Path(log_path).write_text("\n".join(line for line in log_lines if not line.startswith("FUZZ-TAKEN")) + "\n")
    text = "\n".join(line for line in log_lines[:lines_before_stop] if not line.startswith("FUZZ-TAKEN"))
    report["node_log_lines"] = len(text.splitlines())
    report["node_tracebacks"] = text.count("Traceback")
    report["node_errors"] = error_kinds(text)
    report["node_unexpected_errors"] = sum(n for kind, n in report["node_errors"].items()
                                           if kind.startswith("unexpected error"))
    return report


#: One round of rebuilds for :func:`rebuild_cycles`: the largest pipeline (three people, the
#: attention face model, segmentation from the node's start values), a middle one, and back to
#: the start values (one person; the frames' RSS is read there).
REBUILD_CYCLE = ({"max_num_people": 3, "refine_face_landmarks": True},
                 {"max_num_people": 2, "refine_face_landmarks": False, "enable_segmentation": False},
                 {"max_num_people": 1, "enable_segmentation": True})


def rebuild_cycles(cycles: int, namespace: str = "/rebuilds", image: Path = DEFAULT_IMAGE,
                   frames_per_configuration: int = 2, answer_timeout: float = 60.0,
                   log: Callable[[str], None] = print) -> dict:
    """The node (as :func:`run` starts it) taken ``cycles`` times round :data:`REBUILD_CYCLE`,
    each pipeline rebuild followed by good frames (each answered); the node's RSS is read at
    the start (after five frames) and at the end of each round, back on the start values.
    Returns ``rss_mb_start``, ``rss_mb_cycles`` and ``seconds``."""
    import rclpy
    from rclpy.parameter import Parameter

    node = NodeProcess(namespace, NODE_VALUES)
    rclpy.init()
    fuzzer = None
    started = time.monotonic()
    try:
        fuzzer = node.connect(good_rgb_of(image), 0, answer_timeout, {}, log)
        report = dict(rss_mb_start=round(node.rss_mb(), 1), rss_mb_cycles=[])
        for cycle in range(cycles):
            for values in REBUILD_CYCLE:
                future = fuzzer.params.set_parameters([Parameter(k, value=v) for k, v in values.items()])
                if not fuzzer.wait(future.done, answer_timeout):
                    raise RuntimeError(f"set_parameters({values}) got no reply")
                if not all(r.successful for r in future.result().results):
                    raise RuntimeError(f"set_parameters({values}) refused: {future.result().results}")
                for _ in range(frames_per_configuration):
                    failure = fuzzer.good_frame(node.process)
                    if failure:
                        raise RuntimeError(failure)
            report["rss_mb_cycles"].append(round(node.rss_mb(), 1))
            log(f"round {cycle + 1}: node RSS {report['rss_mb_cycles'][-1]:.0f} MB, "
                f"{time.monotonic() - started:.0f} s")
        report["seconds"] = round(time.monotonic() - started, 1)
        return report
    finally:
        if fuzzer is not None:
            fuzzer.close()
        rclpy.try_shutdown()
        node.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--answer-timeout", type=float, default=60.0)
    parser.add_argument("--rss-every", type=int, default=1000, help="messages between RSS readings")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=YAML",
                        help="a node parameter instead of the fuzz defaults (e.g. hri.enable=false)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="which kinds of bad messages (default: all)")
    parser.add_argument("--report", type=Path, default=ROOT / "output" / "fuzz_report.json")
    parser.add_argument("--tracemalloc", type=int, default=0, metavar="FRAMES",
                        help="the node traces Python's allocations (FRAMES per traceback; slower); "
                             "read at each RSS sample")
    parser.add_argument("--rebuild-rounds", type=int, default=0, metavar="N",
                        help="instead of fuzzing: N rounds of REBUILD_CYCLE, the node's RSS after each")
    args = parser.parse_args()
    args.report.parent.mkdir(parents=True, exist_ok=True)
    if args.rebuild_rounds:
        report = rebuild_cycles(args.rebuild_rounds, image=args.image, answer_timeout=args.answer_timeout,
                                log=lambda line: print(line, flush=True))
        args.report.write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps(report))
        return 0
    report = run(args.messages, args.seed, image=args.image, answer_timeout=args.answer_timeout,
                 kinds=tuple(args.kinds.split(",")), rss_every=args.rss_every,
                 node_values={k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in args.set)},
                 tracemalloc_frames=args.tracemalloc,
                 log_path=args.report.with_suffix(".node.log"), log=lambda line: print(line, flush=True))
    args.report.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0 if report.get("result") == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
