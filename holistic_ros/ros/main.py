"""The shared ``main()`` of the package's executables (ROS adapter side)."""

from __future__ import annotations

from typing import Callable, Optional

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node


def run_node(make_node: Callable[[], Node], logger_name: str, args=None,
             on_exit: Optional[Callable[[Node], int]] = None) -> int:
    """Start ROS, build the node, spin it until it reports ``done`` (if it has
    that attribute), Ctrl-C or shutdown, then clean up.

    A node that cannot be built (a model or parameter error) is logged with the
    reason and gives exit code 1. ``on_exit(node)``, called before the node is
    destroyed, may return the exit code.
    """
    rclpy.init(args=args)
    try:
        node = make_node()
    except Exception as error:  # ModelError, invalid parameters, unreadable source: say why and stop
        rclpy.logging.get_logger(logger_name).fatal(f"cannot start: {error}")
        rclpy.try_shutdown()
        return 1
    code = 0
    try:
        while rclpy.ok() and not getattr(node, "done", False):
            rclpy.spin_once(node, timeout_sec=0.1)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if on_exit is not None:
            code = on_exit(node)
        node.destroy_node()
        rclpy.try_shutdown()
    return code
