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


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process (call before threads start: arenas already
    made stay). Nothing where ``MALLOC_ARENA_MAX`` is set (glibc read it) or the C library
    has no ``mallopt`` (musl, macOS). Returns whether the cap was set."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(M_ARENA_MAX, arenas) == 1


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
