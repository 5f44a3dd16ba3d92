"""holistic_lifecycle_node (holistic_ros/ros/lifecycle.py) over real rclpy: the managed node's
transitions driven through its lifecycle services, and what it publishes in each state.

The node runs in this process (its own Context) with the fake pipeline of test_node.py,
next to a probe node that calls ``<node>/change_state`` and ``<node>/get_state`` (the
services ``ros2 lifecycle`` and lifecycle managers call), publishes images and counts the
node's outputs. The same over ``ros2 launch ... lifecycle:=true`` and ``ros2 lifecycle set``
is in test_ros2_launch.py. Also here: the plain node's stop publishes the frame in hand.
"""

from __future__ import annotations

import threading
import time

import pytest

from conftest import MessageLog, Spinner, WAIT_S, require_messages, wait_for

require_messages()
pytestmark = pytest.mark.ros

import rclpy  # noqa: E402
from lifecycle_msgs.msg import Transition  # noqa: E402
from lifecycle_msgs.srv import ChangeState, GetState  # noqa: E402
from rclpy.executors import MultiThreadedExecutor, SingleThreadedExecutor  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from rclpy.parameter_client import AsyncParameterClient  # noqa: E402
from rclpy.qos import QoSProfile  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

from holistic_ros.msg import HolisticLandmarks, HolisticPeople  # noqa: E402
from holistic_ros.ros.lifecycle import HolisticLifecycleNode  # noqa: E402
from holistic_ros.ros.node import HolisticNode  # noqa: E402
from test_node import FakePipeline, image_msg  # noqa: E402

NS = "/lc"


class Managed(MessageLog):
    """A lifecycle node and a probe, spun by one executor; the probe drives the transitions."""

    def __init__(self, context, overrides=None):
        FakePipeline.instances.clear()
        params = [Parameter(k, value=v) for k, v in (overrides or {}).items()]
        self.node = HolisticLifecycleNode(pipeline_factory=FakePipeline, context=context, namespace=NS,
                                          parameter_overrides=params)
        self.probe = rclpy.create_node("lifecycle_probe", context=context)
        self.lock = threading.Lock()
        self.people, self.landmarks = [], []
        keep = QoSProfile(depth=100)
        self.probe.create_subscription(HolisticPeople, f"{NS}/holistic/people", self._keep(self.people), keep)
        self.probe.create_subscription(HolisticLandmarks, f"{NS}/holistic/landmarks",
                                       self._keep(self.landmarks), keep)
        self.image_pub = self.probe.create_publisher(Image, f"{NS}/image", 10)
        self.change = self.probe.create_client(ChangeState, f"{NS}/holistic/change_state")
        self.get = self.probe.create_client(GetState, f"{NS}/holistic/get_state")
        self.params = AsyncParameterClient(self.probe, f"{NS}/holistic")
        # One thread, as the node's own process spins it (holistic_ros.ros.main): a transition
        # (a change_state service call) then runs on the thread that builds the wait set. With
        # two, deactivate or cleanup destroying a subscription or publisher on one thread could
        # pull its QoS event handlers from under the wait set being built on the other, and
        # rclpy's spin died with InvalidHandle (1 run in 6 here under load).
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(self.node)
        executor.add_node(self.probe)
        self.spinner = Spinner(executor)
        wait_for(lambda: self.change.service_is_ready() and self.get.service_is_ready(), "lifecycle services")

    def state(self) -> str:
        future = self.get.call_async(GetState.Request())
        wait_for(future.done, "get_state")
        return future.result().current_state.label

    def transition(self, transition_id: int) -> bool:
        future = self.change.call_async(ChangeState.Request(transition=Transition(id=transition_id)))
        wait_for(future.done, f"change_state {transition_id}")
        return future.result().success

    def set_param(self, name: str, value):
        wait_for(self.params.services_are_ready, "parameter services")
        future = self.params.set_parameters([Parameter(name, value=value)])
        wait_for(future.done, "set_parameters")
        return future.result().results[0]

    def answered(self, sec: int) -> bool:
        """Publish an image stamped ``sec`` until the node's people message for it arrives."""
        def arrived():
            with self.lock:
                return any(m.header.stamp.sec == sec for m in self.people)
        for _ in range(20):   # best effort: send again until one is answered
            self.image_pub.publish(image_msg(sec))
            try:
                wait_for(arrived, f"people stamped {sec}", timeout=3.0)
                return True
            except AssertionError:
                continue
        return False

    def close(self):
        self.spinner.close()
        self.probe.destroy_node()
        self.node.destroy_node()



@pytest.fixture
def managed(context):
    harness = Managed(context)
    yield harness
    harness.close()


def _topic_has(probe, topic: str, publishers: bool) -> int:
    return (probe.count_publishers if publishers else probe.count_subscribers)(topic)


def test_transitions_and_what_each_state_publishes(managed):
    m = managed
    # unconfigured: parameters declared and settable (checked), nothing loaded, nothing published
    assert m.state() == "unconfigured"
    assert FakePipeline.instances == []
    assert not m.set_param("min_detection_confidence", 1.5).successful          # out of range
    assert "markers.face" in m.set_param("markers.face", "bogus").reason          # not a choice
    assert m.set_param("min_detection_confidence", 0.7).successful
    assert _topic_has(m.probe, f"{NS}/holistic/people", True) == 0
    assert _topic_has(m.probe, f"{NS}/image", False) == 0

    # configure: the models load with the parameters set before; publishers, no subscription
    assert m.transition(Transition.TRANSITION_CONFIGURE)
    assert m.state() == "inactive"
    (pipeline,) = FakePipeline.instances
    assert pipeline.kwargs["min_detection_confidence"] == pytest.approx(0.7)
    wait_for(lambda: _topic_has(m.probe, f"{NS}/holistic/people", True) == 1, "the people publisher")
    assert _topic_has(m.probe, f"{NS}/image", False) == 0
    m.image_pub.publish(image_msg(1))
    assert m.count() == 0 and pipeline.timestamps == []

    # activate: subscribes and publishes
    assert m.transition(Transition.TRANSITION_ACTIVATE)
    assert m.state() == "active"
    assert m.answered(2)
    wait_for(lambda: any(msg.header.stamp.sec == 2 for msg in list(m.landmarks)), "landmarks stamped 2")

    # deactivate: stops processing, keeps the models
    assert m.transition(Transition.TRANSITION_DEACTIVATE)
    assert m.state() == "inactive"
    wait_for(lambda: _topic_has(m.probe, f"{NS}/image", False) == 0, "the image subscription to go")
    seen, frames = m.count(), len(pipeline.timestamps)
    m.image_pub.publish(image_msg(3))
    assert len(pipeline.timestamps) == frames and not pipeline.closed
    # ... and activate again: the same models, answering again
    assert m.transition(Transition.TRANSITION_ACTIVATE)
    assert m.answered(4)
    assert FakePipeline.instances == [pipeline]
    assert not any(p.header.stamp.sec == 3 for p in m.people[:seen])

    # cleanup (from inactive): frees the models, destroys the publishers
    assert m.transition(Transition.TRANSITION_DEACTIVATE)
    assert m.transition(Transition.TRANSITION_CLEANUP)
    assert m.state() == "unconfigured"
    assert pipeline.closed
    wait_for(lambda: _topic_has(m.probe, f"{NS}/holistic/people", True) == 0, "the publishers to go")

    # configure again loads new models
    assert m.transition(Transition.TRANSITION_CONFIGURE)
    assert len(FakePipeline.instances) == 2 and not FakePipeline.instances[1].closed


def test_configure_fails_on_a_bad_parameter_or_model_and_stays_unconfigured(managed):
    m = managed
    assert m.set_param("models_dir", "/nonexistent").successful   # checked when configure loads it
    assert not m.transition(Transition.TRANSITION_CONFIGURE)
    assert m.state() == "unconfigured"
    wait_for(lambda: _topic_has(m.probe, f"{NS}/holistic/people", True) == 0, "the publishers to go")
    assert m.set_param("models_dir", "").successful
    assert m.transition(Transition.TRANSITION_CONFIGURE)
    assert m.state() == "inactive"


@pytest.mark.parametrize("reach", ["unconfigured", "inactive", "active"])
def test_shutdown_from_every_state(managed, reach):
    m = managed
    steps = {"unconfigured": [], "inactive": [Transition.TRANSITION_CONFIGURE],
             "active": [Transition.TRANSITION_CONFIGURE, Transition.TRANSITION_ACTIVATE]}[reach]
    for step in steps:
        assert m.transition(step)
    assert m.state() == reach
    if reach == "active":
        assert m.answered(5)
    shutdown = {"unconfigured": Transition.TRANSITION_UNCONFIGURED_SHUTDOWN,
                "inactive": Transition.TRANSITION_INACTIVE_SHUTDOWN,
                "active": Transition.TRANSITION_ACTIVE_SHUTDOWN}[reach]
    assert m.transition(shutdown)
    assert m.state() == "finalized"
    assert all(p.closed for p in FakePipeline.instances)
    assert _topic_has(m.probe, f"{NS}/image", False) == 0


def test_destroying_an_active_lifecycle_node_shuts_it_down(context):
    m = Managed(context)
    try:
        assert m.transition(Transition.TRANSITION_CONFIGURE) and m.transition(Transition.TRANSITION_ACTIVATE)
        assert m.answered(6)
    finally:
        m.close()
    assert m.node.lifecycle_state() == "finalized"
    assert FakePipeline.instances[0].closed


@pytest.mark.parametrize("kind", ["plain", "lifecycle"])
def test_stopping_publishes_the_frame_in_hand(context, kind):
    """destroy_node (what Ctrl-C runs) while the pipeline is in the middle of a frame: the
    frame is finished and published before the node goes; a frame waiting behind it is not
    processed (newest-frame-wins drops it, as it would have been dropped anyway)."""
    FakePipeline.instances.clear()
    node_class = HolisticNode if kind == "plain" else HolisticLifecycleNode
    node = node_class(pipeline_factory=FakePipeline, context=context, namespace="/stop")
    if kind == "lifecycle":
        node.trigger_configure()
        node.trigger_activate()
    probe = rclpy.create_node("stop_probe", context=context)
    people = []
    probe.create_subscription(HolisticPeople, "/stop/holistic/people", people.append, QoSProfile(depth=10))
    image_pub = probe.create_publisher(Image, "/stop/image", 10)
    executor = MultiThreadedExecutor(num_threads=2, context=context)
    executor.add_node(node)
    executor.add_node(probe)
    thread = threading.Thread(target=executor.spin, daemon=True)
    thread.start()
    pipeline = FakePipeline.instances[0]
    pipeline.block, pipeline.entered = threading.Event(), threading.Event()
    try:
        wait_for(lambda: image_pub.get_subscription_count() > 0
                 and node._people_pub.get_subscription_count() > 0, "discovery")
        image_pub.publish(image_msg(10))
        wait_for(lambda: node._stats.total_received == 1, "the frame to reach the node")
        # Received is not yet in hand: a frame arriving before the worker takes it would
        # replace it (newest wins; 1 run in 6 here under load published frame 11, not 10).
        wait_for(pipeline.entered.is_set, "the frame in hand")
        image_pub.publish(image_msg(11))
        wait_for(lambda: node._stats.total_received == 2, "a second frame, waiting")
        executor.remove_node(node)
        stopping = threading.Thread(target=node.destroy_node)
        stopping.start()
        time.sleep(0.2)   # destroy_node waits for the frame in hand (the pipeline is blocked)
        assert stopping.is_alive()
        pipeline.block.set()
        stopping.join(timeout=WAIT_S)
        assert not stopping.is_alive()
        wait_for(lambda: len(people) == 1, "the frame in hand, published")
        assert people[0].header.stamp.sec == 10
        assert node._stats.total_processed == 1 and node._stats.total_dropped == 1
        assert pipeline.closed
    finally:
        pipeline.block.set()
        executor.shutdown(timeout_sec=5.0)
        thread.join(timeout=10.0)
        probe.destroy_node()


def test_switching_markers_off_while_a_frame_draws_them_leaves_none_after_the_deleteall(context, monkeypatch):
    """publish_markers set to false (the executor's thread) while a frame is drawing its markers
    (the worker's): the DELETEALL comes after that frame's markers, so RViz shows none. Before
    the markers lock, the switch could land between the frame reading publish_markers and
    publishing its markers: the DELETEALL went first and the frame's markers stayed drawn."""
    from visualization_msgs.msg import Marker

    from holistic_ros.ros import node as node_module

    FakePipeline.instances.clear()
    node = HolisticNode(pipeline_factory=FakePipeline, context=context, namespace="/markrace",
                        parameter_overrides=[Parameter("publish_markers", value=True)])
    published = []   # what the markers publisher sent, in order: "delete" or "draw"
    real_publish = node._markers_pub.publish

    def record(msg):
        published.append("delete" if any(m.action == Marker.DELETEALL for m in msg.markers) else "draw")
        real_publish(msg)

    node._markers_pub.publish = record
    switch = threading.Thread(target=lambda: node.set_parameters([Parameter("publish_markers", value=False)]))
    real_frame_messages = node_module.frame_messages

    def frame_messages_then_switch(*args, **kwargs):
        out = real_frame_messages(*args, **kwargs)   # this frame's markers are drawn, not yet published
        if not switch.is_alive() and switch.ident is None:
            switch.start()
            # Give the switch the time to finish if nothing holds it back (without the lock it
            # takes milliseconds); with the lock it waits for this frame, whatever this wait.
            switch.join(timeout=1.0)
        return out

    monkeypatch.setattr(node_module, "frame_messages", frame_messages_then_switch)
    try:
        node.process_image(image_msg(40))
        switch.join(timeout=WAIT_S)
        assert not switch.is_alive()
        assert node.get_parameter("publish_markers").value is False
        node.process_image(image_msg(41))   # markers off: nothing more
        assert published == ["draw", "delete"], published
    finally:
        node.destroy_node()
