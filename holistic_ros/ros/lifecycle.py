"""ROS 2 node ``holistic_lifecycle_node``: holistic_node as a managed (lifecycle) node.

The same node as :class:`holistic_ros.ros.node.HolisticNode` (same parameters, topics and
messages: the work is :class:`~holistic_ros.ros.node.HolisticNodeSteps`), driven by the
ROS 2 lifecycle state machine (``ros2 lifecycle set /holistic configure`` ..., or a
lifecycle manager), as ros4hri's and yolo_ros' nodes are:

* unconfigured (start): parameters are declared and may be set; nothing is loaded;
* configure: checks the parameters and loads the models (fails, staying unconfigured,
  with the reason in the log, when a parameter or a model is wrong); makes the publishers;
* activate: subscribes to the inputs and publishes (the publishers are lifecycle
  publishers: they publish only while active);
* deactivate: stops taking images, finishes and publishes the frame in hand; keeps the
  models, so activate is quick again;
* cleanup: closes the pipeline (frees the models) and destroys the publishers;
* shutdown, from any state: as deactivate then cleanup. Destroying the node (Ctrl-C,
  SIGTERM) goes through shutdown.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Optional

from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn

from holistic_ros.ros.main import run_node
from holistic_ros.ros.node import HolisticNodeSteps

#: States from which the shutdown transition exists (not "finalized").
_LIVE_STATES = ("unconfigured", "inactive", "active")


class HolisticLifecycleNode(HolisticNodeSteps, LifecycleNode):
    """See the module docstring. ``pipeline_factory(**kwargs)`` builds the pipeline."""

    def __init__(self, node_name: str = "holistic",
                 pipeline_factory: Optional[Callable[..., Any]] = None, **node_kwargs):
        LifecycleNode.__init__(self, node_name, **node_kwargs)
        self._declare(pipeline_factory)

    def _output_publisher(self, msg_type, topic: str, qos):
        return self.create_lifecycle_publisher(msg_type, topic, qos)

    def _destroy_output_publisher(self, publisher) -> None:
        self.destroy_lifecycle_publisher(publisher)

    # ---------------------------------------------------------------- transitions
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            self._configure()
        except Exception as error:  # invalid parameter, ModelError, ...: stay unconfigured, say why
            self.get_logger().error(f"configure failed: {error}")
            self._cleanup()
            return TransitionCallbackReturn.FAILURE
        return super().on_configure(state)

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        result = super().on_activate(state)   # the publishers first, then the inputs
        if result == TransitionCallbackReturn.SUCCESS:
            self._activate()
        return result

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._deactivate()                    # the frame in hand is published first
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._cleanup()
        return super().on_cleanup(state)

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._deactivate()
        self._cleanup()
        return super().on_shutdown(state)

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._deactivate()
        self._cleanup()
        return super().on_error(state)    # success: back to unconfigured

    def lifecycle_state(self) -> str:
        """The current state's label (unconfigured, inactive, active, finalized)."""
        return self._state_machine.current_state[1]

    def destroy_node(self) -> None:
        if self.lifecycle_state() in _LIVE_STATES:
            self.trigger_shutdown()
        self._deactivate()
        self._cleanup()
        super().destroy_node()


def main(args=None) -> int:
    return run_node(HolisticLifecycleNode, "holistic", args)


if __name__ == "__main__":
    sys.exit(main())
