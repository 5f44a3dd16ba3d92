"""Shared test set-up: markers, a private ROS domain, test media, built messages.

Markers: ``ros`` (starts nodes over real rclpy and Fast DDS), ``parity`` (compares with
MediaPipe through .venv-oracle), ``slow``. ``make test`` runs them all.

A test whose prerequisite is missing (the oracle venv, the shared media, the colcon
build, a model, an installable package) calls :func:`skip_or_fail`: it skips, saying
what to do, unless ``HOLISTIC_ROS_REQUIRE_ALL=1`` (set by ``.ci/run``), where it fails,
so CI cannot pass by skipping. Only :func:`skip_for_hardware` skips there too: what
this machine cannot have (cv_bridge, which PyPI does not carry; a GPU).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# The shared test media; HOLISTIC_ROS_MEDIA overrides (as in tools/parity.py media_dir).
MEDIA_DIR = Path(os.environ.get("HOLISTIC_ROS_MEDIA") or (REPO_ROOT / ".." / "shared" / "testdata" / "media")).resolve()
#: Set by .ci/run: a missing prerequisite fails the test instead of skipping it.
REQUIRE_ALL = os.environ.get("HOLISTIC_ROS_REQUIRE_ALL", "") == "1"


def skip_or_fail(reason: str, allow_module_level: bool = False):
    """Skip for a missing prerequisite, or fail under ``HOLISTIC_ROS_REQUIRE_ALL=1``.

    ``reason`` says what is missing and how to get it. At module level (``allow_module_level``)
    the failure is a collection error, which fails the run as well."""
    if REQUIRE_ALL:
        pytest.fail(f"HOLISTIC_ROS_REQUIRE_ALL=1, so this is a failure, not a skip: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=allow_module_level)


def skip_for_hardware(reason: str, allow_module_level: bool = False):
    """Skip for what this machine cannot have even in CI: a GPU, or cv_bridge (not on
    PyPI). The reason must name it; these are the only skips a CI run shows."""
    pytest.skip(reason, allow_module_level=allow_module_level)


def require_oracle() -> Path:
    """The MediaPipe oracle's interpreter (``tools/parity.py`` ORACLE_PYTHON: .venv-oracle,
    or HOLISTIC_ROS_ORACLE_PYTHON); skips, or fails under REQUIRE_ALL, when it is missing."""
    tools = str(REPO_ROOT / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    import parity

    if not parity.oracle_available():
        skip_or_fail(f"MediaPipe oracle venv missing ({parity.ORACLE_PYTHON}); run `make oracle-venv`")
    return parity.ORACLE_PYTHON


def import_or_skip(module: str, reason: str = ""):
    """``pytest.importorskip`` through :func:`skip_or_fail` (module level allowed)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        skip_or_fail(f"could not import {module}: {exc}" + (f" ({reason})" if reason else ""),
                     allow_module_level=True)

# ROS traffic of the tests stays on this machine and in a domain of this test run, so
# parallel runs (and other ROS users) do not see each other. Set before rclpy starts.
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
# Under pytest-xdist (`make test` runs two workers) each worker gets a domain of its own,
# consecutive from one drawn for the run: the workers' nodes share names and topics.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _WORKER.startswith("gw"):
    _run_base = int(hashlib.sha1(os.environ.get("PYTEST_XDIST_TESTRUNUID", "").encode()).hexdigest(), 16)
    os.environ["ROS_DOMAIN_ID"] = str(1 + (_run_base + int(_WORKER[2:])) % 100)
else:
    os.environ["ROS_DOMAIN_ID"] = str(1 + os.getpid() % 100)
# Images of ~1 MB between processes: shared memory instead of UDP fragments
# (config/fastdds_large_images.xml). Nodes started by the tests inherit it.
os.environ.setdefault("FASTRTPS_DEFAULT_PROFILES_FILE",
                      str(REPO_ROOT / "config" / "fastdds_large_images.xml"))


def _attach_built_messages() -> None:
    """Let ``holistic_ros.msg`` resolve when the source tree shadows the installed package.

    Tests import the core from the source tree (``python -m pytest`` puts the repo root
    first on sys.path), while the generated message modules exist only in the colcon
    install (``source install/setup.bash``). Adding the installed package folder to the
    package's search path makes both importable.
    """
    try:
        import holistic_ros
    except ImportError:
        return
    if importlib.util.find_spec("holistic_ros.msg") is not None:
        return
    for entry in sys.path:
        candidate = Path(entry or ".") / "holistic_ros"
        if (candidate / "msg" / "__init__.py").is_file():
            holistic_ros.__path__.append(str(candidate))
            return


_attach_built_messages()


def pytest_configure(config):
    config.addinivalue_line("markers", "ros: starts ROS 2 nodes over real rclpy and Fast DDS")
    config.addinivalue_line("markers", "parity: compares with MediaPipe (needs .venv-oracle)")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


#: The files that take longest (`make test`'s --durations, and the oracle's first runs on a
#: fresh machine in test_parity_mediapipe), longest first. They are collected first, so that
#: `make test`'s two workers (pytest-xdist, --dist loadfile, whole files in collection
#: order) start them while the short files fill the other worker, instead of one worker
#: ending on a ten-minute file alone.
LONG_FILES_FIRST = ("test_parity_mediapipe.py", "test_people_layouts.py", "test_ros2_launch.py",
                    "test_hri_node.py", "test_people_crossing.py", "test_node_concurrency.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONG_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest in order


def messages_available() -> bool:
    try:
        return importlib.util.find_spec("holistic_ros.msg") is not None
    except ImportError:
        return False


def require_messages() -> None:
    """Skip the calling test module, saying what to do, when the package has not
    been built with colcon."""
    if not messages_available():
        skip_or_fail("holistic_ros.msg not importable: run `make build` and "
                     "`source install/setup.bash` (make test does both)", allow_module_level=True)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def media_dir() -> Path:
    """../shared/testdata/media next to the repository; skips when it is absent."""
    if not MEDIA_DIR.is_dir():
        skip_or_fail(f"test media not found at {MEDIA_DIR} (expected ../shared/testdata/media "
                     "next to the repository, or HOLISTIC_ROS_MEDIA)")
    return MEDIA_DIR


def _media_folder(media_dir: Path, name: str) -> Path:
    path = media_dir / name
    if not path.is_dir():
        skip_or_fail(f"test {name} not found at {path}")
    return path


@pytest.fixture(scope="session")
def images_dir(media_dir: Path) -> Path:
    return _media_folder(media_dir, "images")


@pytest.fixture(scope="session")
def videos_dir(media_dir: Path) -> Path:
    return _media_folder(media_dir, "videos")


@pytest.fixture(scope="session")
def install_prefix() -> Path:
    """install/holistic_ros from `make build`; skips when the package was not built."""
    prefix = REPO_ROOT / "install" / "holistic_ros"
    if not (prefix / "lib" / "holistic_ros").is_dir():
        skip_or_fail(f"{prefix} not built: run `make build`")
    return prefix


def load_rgb(path: Path):
    """An image file as (H, W, 3) uint8 RGB."""
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(path)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


@pytest.fixture
def context():
    """A private rclpy Context for one test's nodes (rclpy imported only by tests that use it)."""
    import rclpy
    from rclpy.context import Context

    ctx = Context()
    rclpy.init(context=ctx)
    yield ctx
    rclpy.try_shutdown(context=ctx)


#: Upper bound on waiting for a message or a state of a node under test; not a performance
#: threshold (a slow machine waits longer, a broken node fails at the bound).
WAIT_S = 60.0


def wait_for(predicate, what: str, timeout: float = WAIT_S) -> None:
    """Poll ``predicate`` until it holds; fail saying ``what`` was awaited after ``timeout`` s."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class Spinner:
    """Spins ``executor`` on its own thread with ``spin_once`` in a loop, as the node's
    executable spins it (holistic_ros.ros.main: one thread), until :meth:`close`. ``errors``:
    what the loop died of (what the node's process would die of; also raised in the thread)."""

    def __init__(self, executor):
        import threading

        self.executor = executor
        self.errors: list = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._spin, daemon=True)
        self.thread.start()

    def _spin(self) -> None:
        try:
            while not self._stop.is_set():
                self.executor.spin_once(timeout_sec=0.05)
        except Exception as error:
            self.errors.append(error)
            raise

    def close(self) -> None:
        """Stop the loop, then shut the executor down once its thread is done: the shutdown
        destroys a guard condition that a ``spin_once`` in flight may still trigger
        (InvalidHandle in the thread, 1 run in 8 under load)."""
        self._stop.set()
        self.thread.join(timeout=10.0)
        self.executor.shutdown(timeout_sec=5.0)


class MessageLog:
    """For a test's probe node: ``_keep(into)`` is a subscription callback appending each
    message to the list ``into`` under ``self.lock``; ``count()`` the ``self.people`` received."""

    def _keep(self, into: list):
        def callback(msg):
            with self.lock:
                into.append(msg)
        return callback

    def count(self) -> int:
        with self.lock:
            return len(self.people)


@pytest.fixture()
def models_copy(tmp_path):
    """A copy of the shipped models folder, for tests that remove or corrupt a model."""
    from holistic_ros.pipeline.models import default_models_dir
    dst = tmp_path / "models"
    shutil.copytree(default_models_dir(), dst)
    return dst


# --- synthetic bodies (unit tests of the several-people policy) -------------------------
_BODY_TEMPLATE = None


def synthetic_body(cx: float, cy: float, height: float = 0.4):
    """A fixed 33-point body (x, y, z, visibility 1) centred at (cx, cy), ``height`` tall
    (image-normalised): the same random shape for every test that calls it."""
    import numpy as np

    global _BODY_TEMPLATE
    if _BODY_TEMPLATE is None:
        _BODY_TEMPLATE = np.random.default_rng(7).uniform(-0.5, 0.5, size=(33, 2)) * np.array([0.5, 1.0])
    lm = np.zeros((33, 4))
    lm[:, :2] = _BODY_TEMPLATE * height + (cx, cy)
    lm[:, 3] = 1.0
    return lm
