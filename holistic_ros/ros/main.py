"""The shared ``main()`` of the package's executables (ROS adapter side)."""

from __future__ import annotations

import ctypes
import os
import signal
import threading
from typing import Callable, Optional

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

#: The signals that stop a node: Ctrl-C (a terminal sends it to the whole process group,
#: so the node gets it from the terminal and again from ``ros2 launch``) and SIGTERM
#: (``ros2 launch`` after its SIGINT timeout, service managers, ``docker stop``).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: Seconds ``spin_once`` waits for work: how soon a stop signal is acted on.
SPIN_PERIOD_S = 0.1
#: glibc's ``mallopt`` parameter ``M_ARENA_MAX`` (malloc.h) and the number of malloc arenas
#: the node's process keeps. glibc gives each thread that meets a locked heap an arena of
#: its own, up to 8 per core (ONNX Runtime's pools, the executor, Fast DDS's threads): a
#: freed block stays in its arena and the arenas fragment apart. With 2 arenas the 2,000-message
#: fuzz (docs/rep155.md, "Fuzzing the node") peaked at 515 MB where it peaked at 706 MB, and
#: ended at 362 MB where it ended at 566 MB. ``MALLOC_ARENA_MAX`` in the environment wins.
M_ARENA_MAX = -8
MALLOC_ARENAS = 2
#: glibc's ``mallopt`` parameter ``M_MMAP_THRESHOLD`` (malloc.h) and the value the node fixes
#: it at: glibc's own starting value, 128 KiB. Left alone, glibc raises the threshold to the
#: size of each mmapped block freed, up to 32 MB: after one large image (the fuzz's 4096-wide
#: ones, a big camera's frames) blocks of up to that size come from the heaps, where freed
#: ones stay among live blocks and fragment them. Fixed, every block of 128 KiB or more
#: (images, masks, model tensors) is mapped on its own and given back when freed. Over the
#: 1,000-message fuzz, RSS back on the start pipeline (docs/rep155.md, "Fuzzing the node")
#: went 321 ... 344 MB (+23) where it went 329 ... 388 MB (+59; peak between samples 362 MB
#: where it was 418 MB). ``MALLOC_MMAP_THRESHOLD_`` in the environment wins.
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 128 * 1024


def _mallopt(option: int, value: int, environment_variable: str) -> bool:
    """glibc's ``mallopt(option, value)`` for this process; nothing where the environment
    variable that sets it is set (glibc read it) or the C library has no ``mallopt`` (musl,
    macOS). Returns whether it was set."""
    if environment_variable in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(option, value) == 1


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process (call before threads start: arenas already
    made stay), unless ``MALLOC_ARENA_MAX`` is set. Returns whether the cap was set."""
    return _mallopt(M_ARENA_MAX, arenas, "MALLOC_ARENA_MAX")


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Fix glibc's mmap threshold for this process (no more raising it after large blocks),
    unless ``MALLOC_MMAP_THRESHOLD_`` is set. Returns whether it was set."""
    return _mallopt(M_MMAP_THRESHOLD, threshold, "MALLOC_MMAP_THRESHOLD_")


def run_node(make_node: Callable[[], Node], logger_name: str, args=None,
             on_exit: Optional[Callable[[Node], int]] = None) -> int:
    """Start ROS, build the node, spin it until it reports ``done`` (if it has
    that attribute), SIGINT / SIGTERM or shutdown, then clean up.

    A stop signal only asks the loop to end: nothing is raised in the middle of a
    callback or of ``destroy_node``, and ROS keeps running until the node is
    destroyed, so the node finishes and publishes the work it has in hand (rclpy's
    own handler would shut the context down first: publishing then fails). Further
    signals while stopping are ignored.

    A node that cannot be built (a model or parameter error) is logged with the
    reason and gives exit code 1. ``on_exit(node)``, called before the node is
    destroyed, may return the exit code.
    """
    limit_malloc_arenas()
    fix_mmap_threshold()
    stop = threading.Event()
    for number in STOP_SIGNALS:
        signal.signal(number, lambda *_: stop.set())
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    try:
        node = make_node()
    except Exception as error:  # ModelError, invalid parameters, unreadable source: say why and stop
        rclpy.logging.get_logger(logger_name).fatal(f"cannot start: {error}")
        rclpy.try_shutdown()
        return 1
    code = 0
    try:
        while rclpy.ok() and not stop.is_set() and not getattr(node, "done", False):
            rclpy.spin_once(node, timeout_sec=SPIN_PERIOD_S)
    except ExternalShutdownException:
        pass
    finally:
        if on_exit is not None:
            code = on_exit(node)
        node.destroy_node()
        rclpy.try_shutdown()
    return code
