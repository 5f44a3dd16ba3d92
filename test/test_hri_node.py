"""REP-155 output of holistic_node over real rclpy (``hri.enable``).

- With a fake pipeline whose people come and go: off by default; per-id topics created
  when an id appears and destroyed when it leaves; publishers flat over hundreds of people
  (no leak); switched on and off at run time; the node runs without hri_msgs.
- Evidence (slow, the real core): a clip of two people (the woman clip beside a mirrored,
  time-shifted copy, as test_multi_person.py makes it) read by :class:`HriClient`, a client
  that knows only hri_msgs and reads the topics as libhri / pyhri do: two bodies and two
  faces tracked, matched into two persons by /humans/candidate_matches, skeleton points
  within 1% of the node's pose, and the person who leaves gone from ``tracked``.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Dict, List, Optional, Set

import numpy as np
import pytest

from conftest import Spinner, require_messages, wait_for

require_messages()
hri_msgs = pytest.importorskip("hri_msgs.msg", reason="hri_msgs not built: run `make build` (it builds "
                               "../shared/vendor/hri_msgs test-only)")
pytestmark = pytest.mark.ros

import rclpy  # noqa: E402
from rclpy.event_handler import SubscriptionEventCallbacks  # noqa: E402
from rclpy.executors import MultiThreadedExecutor, SingleThreadedExecutor  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from std_msgs.msg import Header  # noqa: E402

from holistic_ros.pipeline.result import HolisticResult  # noqa: E402
from holistic_ros.ros import hri  # noqa: E402
from holistic_ros.ros.image_conversion import rgb_to_image_msg  # noqa: E402
from holistic_ros.ros.node import HolisticNode  # noqa: E402



def stamp_header(i: int, fps: float = 25.0) -> Header:
    header = Header(frame_id="camera_optical_frame")
    ns = int(round((1 + i / fps) * 1e9))
    header.stamp.sec, header.stamp.nanosec = ns // 1_000_000_000, ns % 1_000_000_000
    return header



def _soon(predicate, timeout: float = 5.0) -> bool:
    """Whether ``predicate`` holds within ``timeout`` s (delivery, not a performance bound)."""
    try:
        wait_for(predicate, "", timeout)
        return True
    except AssertionError:
        return False


# ------------------------------------------------------------------------------ an outside client
class HriClient:
    """What a ros4hri application sees, written as libhri / pyhri read the topics: it knows
    only hri_msgs (and sensor_msgs, tf2_msgs), nothing of holistic_ros.

    It follows ``/humans/{bodies,faces}/tracked``, subscribes to each id's topics when the
    id appears and unsubscribes when it leaves, and fuses ``/humans/candidate_matches``
    into persons."""

    def __init__(self, context):
        from tf2_msgs.msg import TFMessage

        self.node = rclpy.create_node("hri_client", context=context)
        self.lock = threading.Lock()
        self.tracked: Dict[str, List[tuple]] = {"bodies": [], "faces": []}   # (stamp ns, ids)
        self.subscriptions: Dict[str, Dict[str, list]] = {"bodies": {}, "faces": {}}   # kind -> id -> subs
        self.skeletons: Dict[tuple, list] = {}                               # (body id, stamp ns) -> points
        self.face_landmarks: Dict[str, int] = {}                             # face id -> messages
        self.matches: Set[tuple] = set()                                     # (face id, body id)
        self.tf_frames: Set[str] = set()
        self.rois: Dict[str, object] = {}                                    # id -> last roi
        self.crops: Dict[str, tuple] = {}                                    # id -> (width, height, encoding)
        for kind in ("bodies", "faces"):
            self.node.create_subscription(hri_msgs.IdsList, f"/humans/{kind}/tracked",
                                          lambda msg, kind=kind: self._on_tracked(kind, msg), 10)
        self.node.create_subscription(hri_msgs.IdsMatch, "/humans/candidate_matches", self._on_match, 50)
        self.node.create_subscription(TFMessage, "/tf", self._on_tf, 100)

    @staticmethod
    def _ns(stamp) -> int:
        return stamp.sec * 1_000_000_000 + stamp.nanosec

    def _on_tracked(self, kind: str, msg) -> None:
        with self.lock:
            self.tracked[kind].append((self._ns(msg.header.stamp), list(msg.ids)))
            mine = self.subscriptions[kind]
            for gone in set(mine) - set(msg.ids):
                for sub in mine.pop(gone):
                    self.node.destroy_subscription(sub)
            for new in set(msg.ids) - set(mine):
                mine[new] = self._subscribe(kind, new)

    def _subscribe(self, kind: str, id_: str) -> list:
        # Subscriptions made and destroyed in callbacks while the executor spins: without QoS
        # event handlers, which rclpy cannot take out of a wait set being built (as libhri's
        # per-id subscriptions, made from its own callbacks).
        ns, events = f"/humans/{kind}/{id_}", SubscriptionEventCallbacks(use_default_callbacks=False)

        def sub(msg_type, topic, callback, depth=10):
            return self.node.create_subscription(msg_type, f"{ns}/{topic}", callback, depth,
                                                 event_callbacks=events)

        subs = [sub(hri_msgs.NormalizedRegionOfInterest2D, "roi", lambda m: self._keep(self.rois, id_, m)),
                sub(Image, "cropped", lambda m: self._keep(self.crops, id_, (m.width, m.height, m.encoding)), 1)]
        if kind == "bodies":
            subs.append(sub(hri_msgs.Skeleton2D, "skeleton2d", lambda m: self._keep_skeleton(id_, m)))
        else:
            subs.append(sub(hri_msgs.FacialLandmarks, "landmarks", lambda m: self._count_landmarks(id_)))
        return subs

    def _keep(self, where: dict, id_: str, value) -> None:
        with self.lock:
            where[id_] = value

    def _keep_skeleton(self, body: str, msg) -> None:
        with self.lock:
            self.skeletons[body, self._ns(msg.header.stamp)] = [(p.x, p.y, p.c) for p in msg.skeleton]

    def _count_landmarks(self, face: str) -> None:
        with self.lock:
            self.face_landmarks[face] = self.face_landmarks.get(face, 0) + 1

    def _on_match(self, msg) -> None:
        if msg.id1_type == msg.FACE and msg.id2_type == msg.BODY and msg.confidence == 1.0:
            with self.lock:
                self.matches.add((msg.id1, msg.id2))

    def _on_tf(self, msg) -> None:
        with self.lock:
            self.tf_frames.update(t.child_frame_id for t in msg.transforms)

    def persons(self, faces, bodies) -> List[Set[str]]:
        """Faces and bodies tracked now, grouped by the candidate matches."""
        with self.lock:
            groups = []
            for face, body in self.matches:
                if face in faces and body in bodies:
                    groups.append({face, body})
            return groups

    def last_tracked(self, kind: str, stamp_ns: Optional[int] = None):
        with self.lock:
            for stamp, ids in reversed(self.tracked[kind]):
                if stamp_ns is None or stamp == stamp_ns:
                    return ids
        return None


# ------------------------------------------------------------------------------ fake people
class FakePeople:
    """A pipeline whose people are written into the image: row 0, pixel i holds person i's
    id in red (0: nobody) and in green whether its face is seen."""

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.providers = ["FakeExecutionProvider"]

    def process(self, rgb, timestamp=None):
        height, width = rgb.shape[:2]
        people = []
        for i in range(4):
            person_id, face = int(rgb[0, i, 0]), bool(rgb[0, i, 1])
            if not person_id:
                continue
            rng = np.random.default_rng(person_id)
            pose = np.zeros((33, 4), np.float32)
            pose[:, :2] = rng.uniform(0.1, 0.9, (33, 2))
            pose[:, 3] = 0.9
            people.append(HolisticResult(
                pose_landmarks=pose, pose_presence=np.ones(33, np.float32), pose_score=0.9,
                face_landmarks=rng.uniform(0.3, 0.6, (468, 3)).astype(np.float32) if face else None,
                face_score=0.8 if face else None, image_size=(width, height), person_id=person_id))
        if not people:
            return HolisticResult(image_size=(width, height))
        first = people[0]
        return HolisticResult(**{**first.__dict__, "people": tuple(people)})

    def set_thresholds(self, **kwargs):
        pass

    def close(self):
        pass


def people_image(people) -> Image:
    """An image message whose FakePeople are ``people``: [(id, face seen), ...]."""
    rgb = np.full((48, 64, 3), 40, np.uint8)
    rgb[0, :4] = 0
    for i, (person_id, face) in enumerate(people):
        rgb[0, i, 0], rgb[0, i, 1] = person_id, int(face)
    return rgb


class Running:
    """A HolisticNode and an HriClient spun by one executor in a background thread."""

    def __init__(self, context, overrides, factory=FakePeople, namespace="h"):
        params = [Parameter(k, value=v) for k, v in overrides.items()]
        self.node = HolisticNode(pipeline_factory=factory, context=context, namespace=namespace,
                                 parameter_overrides=params)
        self.client = HriClient(context)
        self.executor = MultiThreadedExecutor(num_threads=2, context=context)
        self.executor.add_node(self.node)
        self.executor.add_node(self.client.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def frame(self, i: int, rgb: np.ndarray) -> Header:
        """Process one frame as the worker does and wait until the client has its tracked lists."""
        header = stamp_header(i)
        self.node.process_image(rgb_to_image_msg(rgb, header))
        ns = header.stamp.sec * 1_000_000_000 + header.stamp.nanosec
        wait_for(lambda: self.client.last_tracked("bodies", ns) is not None
                 and self.client.last_tracked("faces", ns) is not None, f"tracked lists of frame {i}")
        return header

    def publishers(self) -> Set[str]:
        return {name for name, _ in self.node.get_publisher_names_and_types_by_node(
            self.node.get_name(), self.node.get_namespace())}

    def close(self):
        self.executor.shutdown(timeout_sec=5.0)
        self.thread.join(timeout=10.0)
        self.client.node.destroy_node()
        self.node.destroy_node()


def test_hri_output_is_off_by_default(context):
    running = Running(context, {})
    try:
        running.node.process_image(rgb_to_image_msg(people_image([(1, True)]), stamp_header(0)))
        assert not any(name.startswith("/humans") for name in running.publishers())
        assert running.node.get_parameter("hri.enable").value is False
    finally:
        running.close()


def test_per_id_topics_come_and_go_with_the_people_and_publishers_do_not_leak(context):
    running = Running(context, {"hri.enable": True})
    try:
        wait_for(lambda: running.node.count_subscribers("/humans/bodies/tracked") > 0
                 and running.node.count_subscribers("/humans/faces/tracked") > 0, "client discovery")
        running.frame(0, people_image([(1, True), (2, False)]))
        assert running.client.last_tracked("bodies") == ["b1", "b2"]
        assert running.client.last_tracked("faces") == ["f1"]
        topics = running.publishers()
        for expected in ("/humans/bodies/b1/roi", "/humans/bodies/b1/cropped", "/humans/bodies/b1/skeleton2d",
                         "/humans/bodies/b1/gesture", "/humans/bodies/b2/skeleton2d", "/humans/faces/f1/roi",
                         "/humans/faces/f1/cropped", "/humans/faces/f1/aligned", "/humans/faces/f1/landmarks",
                         "/humans/bodies/tracked", "/humans/faces/tracked", "/humans/candidate_matches"):
            assert expected in topics, expected
        assert "/humans/faces/f2/roi" not in topics
        wait_for(lambda: ("f1", "b1") in running.client.matches, "the candidate match f1-b1")
        baseline = (len(list(running.node.publishers)), running.node._hri.publisher_count())

        # 120 frames, two people at a time, each staying 10 or 25 frames, faces seen on and off.
        for i in range(1, 121):
            a, b = 1 + i // 10, 100 + i // 25
            running.frame(i, people_image([(a, True), (b, i % 3 != 0)]))
            bodies = running.client.last_tracked("bodies")
            assert bodies == [f"b{a}", f"b{b}"], (i, bodies)
        # The people of frame 0 have left: gone from tracked and their topics destroyed.
        wait_for(lambda: not any(t.startswith(("/humans/bodies/b1/", "/humans/bodies/b2/", "/humans/faces/f1/"))
                                 for t in running.publishers()), "the topics of the people who left to go")
        assert running.client.last_tracked("faces") == ["f13"]     # b104 has no face on frame 120
        assert (len(list(running.node.publishers)), running.node._hri.publisher_count()) == baseline
        # Everyone leaves: empty lists, only the fixed publishers remain.
        running.frame(121, people_image([]))
        assert running.client.last_tracked("bodies") == [] and running.client.last_tracked("faces") == []
        assert running.node._hri.publisher_count() == 4   # bodies, faces, candidate_matches, /tf
        wait_for(lambda: not any(t.startswith(("/humans/bodies/b", "/humans/faces/f")) for t in running.publishers()),
                 "every per-id topic to go")
    finally:
        running.close()


def test_hri_enable_switches_at_run_time(context):
    running = Running(context, {})
    try:
        assert running.node.set_parameters([Parameter("hri.enable", value=True)])[0].successful
        wait_for(lambda: running.node.count_subscribers("/humans/bodies/tracked") > 0, "client discovery")
        running.frame(0, people_image([(5, True)]))
        assert running.client.last_tracked("faces") == ["f5"]
        assert running.node.set_parameters([Parameter("hri.enable", value=False)])[0].successful
        assert running.node._hri.publisher_count() == 0
        wait_for(lambda: not any(name.startswith("/humans") for name in running.publishers()),
                 "the /humans publishers to leave the graph")
        running.node.process_image(rgb_to_image_msg(people_image([(5, True)]), stamp_header(1)))  # still runs
    finally:
        running.close()


def test_hri_enable_toggled_over_the_parameter_service_while_frames_flow_keeps_the_node_spinning(context):
    """hri.enable off destroys publishers inside the parameter service's callback, and people
    leaving destroy theirs on the worker thread, both while the executor spins. The node spun
    as its executable spins it (run_node: spin_once in a loop) must survive: rclpy's default
    QoS event handlers of those publishers once killed that loop with InvalidHandle (found by
    scripts/fuzz_node.py; a race, so this run goes through the path without being sure to
    hit the window)."""
    from rclpy.parameter_client import AsyncParameterClient

    node = HolisticNode(pipeline_factory=FakePeople, context=context, namespace="toggle",
                        parameter_overrides=[Parameter("hri.enable", value=True)])
    client = rclpy.create_node("toggler", context=context)
    executors = [SingleThreadedExecutor(context=context) for _ in (node, client)]
    for executor, n in zip(executors, (node, client)):
        executor.add_node(n)
    spinners = [Spinner(executor) for executor in executors]

    def errors():   # what run_node would die of
        return [error for spinner in spinners for error in spinner.errors]

    try:
        params = AsyncParameterClient(client, node.get_fully_qualified_name())
        wait_for(params.services_are_ready, "parameter services")
        for i in range(30):
            future = params.set_parameters([Parameter("hri.enable", value=bool(i % 2))])
            for j in range(3):   # people come and go meanwhile
                node.process_image(rgb_to_image_msg(people_image([(1 + 3 * i + j, True)]), stamp_header(3 * i + j)))
            wait_for(lambda: future.done() or errors(), "set_parameters reply")
            assert not errors(), errors()
            assert future.result().results[0].successful
        assert not errors() and all(spinner.thread.is_alive() for spinner in spinners)
    finally:
        for spinner in spinners:
            spinner.close()
        client.destroy_node()
        node.destroy_node()


def test_the_managed_node_speaks_rep155_only_while_active(context):
    """holistic_lifecycle_node with hri.enable: /humans/... from frames only while active;
    deactivate stops it and empties ``tracked`` (a ros4hri client forgets the ids) with the
    per-id topics gone; cleanup destroys every REP-155 publisher (the node's publishers as
    they were unconfigured); configured and activated again, it speaks again."""
    from holistic_ros.ros.lifecycle import HolisticLifecycleNode

    node = HolisticLifecycleNode(pipeline_factory=FakePeople, context=context, namespace="hl",
                                 parameter_overrides=[Parameter("hri.enable", value=True)])
    client = HriClient(context)
    images = client.node.create_publisher(Image, "/hl/image", 10)
    # One thread, as the node's own process spins it (holistic_ros.ros.main), and the
    # transitions run on it, as `ros2 lifecycle set`'s service call does there. Called from
    # the test's thread while another thread builds the executor's wait set, a transition
    # that destroys a subscription or publisher (deactivate, cleanup) can pull its QoS event
    # handlers from under that wait set: rclpy's spin then dies with InvalidHandle
    # ("destruction was requested"): 3 runs in 13 with two layout evaluations beside it.
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    executor.add_node(client.node)
    spinner = Spinner(executor)

    def transition(trigger) -> None:
        task = executor.create_task(trigger)
        wait_for(task.done, f"{trigger.__name__} on the executor")
        task.result()

    def publishers() -> Set[str]:
        return {name for name, _ in node.get_publisher_names_and_types_by_node(node.get_name(),
                                                                               node.get_namespace())}

    def answered(i: int, people) -> List[str]:
        """Send frame ``i`` until its tracked bodies arrive (images are not kept for late joiners)."""
        header = stamp_header(i)
        ns = header.stamp.sec * 1_000_000_000 + header.stamp.nanosec
        for _ in range(20):
            images.publish(rgb_to_image_msg(people_image(people), header))
            if _soon(lambda: client.last_tracked("bodies", ns) is not None, timeout=3.0):
                return client.last_tracked("bodies", ns)
        raise AssertionError(f"frame {i} not answered on /humans/bodies/tracked")

    def stamps() -> Set[int]:
        with client.lock:
            return {stamp for stamp, _ in client.tracked["bodies"]}

    try:
        unconfigured = publishers()
        assert not any(name.startswith("/humans") for name in unconfigured)
        start_count = len(list(node.publishers))

        transition(node.trigger_configure)   # inactive: the REP-155 publishers exist, no image is taken
        assert "/humans/bodies/tracked" in publishers()
        wait_for(lambda: node.count_subscribers("/humans/bodies/tracked") > 0, "client discovery")
        inactive_frame = stamp_header(0)
        images.publish(rgb_to_image_msg(people_image([(1, True)]), inactive_frame))

        transition(node.trigger_activate)
        assert answered(1, [(1, True), (2, False)]) == ["b1", "b2"]
        wait_for(lambda: client.last_tracked("faces") == ["f1"], "f1 tracked")
        assert "/humans/bodies/b2/skeleton2d" in publishers()

        transition(node.trigger_deactivate)   # stops: empty tracked lists, the per-id topics go
        wait_for(lambda: client.last_tracked("bodies") == [] and client.last_tracked("faces") == [],
                 "empty tracked lists")
        assert not any(name.startswith(("/humans/bodies/b", "/humans/faces/f")) for name in publishers())
        assert node._hri.publisher_count() == 4   # bodies, faces, candidate_matches, /tf
        wait_for(lambda: images.get_subscription_count() == 0, "the image subscription to go")
        deactivated_frame = stamp_header(2)
        images.publish(rgb_to_image_msg(people_image([(1, True)]), deactivated_frame))

        transition(node.trigger_activate)   # back
        assert answered(3, [(1, True)]) == ["b1"]
        never = {h.stamp.sec * 1_000_000_000 + h.stamp.nanosec for h in (inactive_frame, deactivated_frame)}
        assert not stamps() & never   # no frame sent while not active was ever answered

        transition(node.trigger_deactivate)
        transition(node.trigger_cleanup)   # unconfigured: every REP-155 publisher destroyed
        assert node._hri is None
        wait_for(lambda: not any(name.startswith("/humans") for name in publishers()),
                 "the /humans publishers to leave the graph")
        assert len(list(node.publishers)) == start_count

        transition(node.trigger_configure)   # and again from the start
        transition(node.trigger_activate)
        assert answered(4, [(7, True)]) == ["b7"]
        wait_for(lambda: "/humans/faces/f7/landmarks" in publishers(), "f7's topics")
    finally:
        spinner.close()
        client.node.destroy_node()
        node.destroy_node()
    assert node._hri is None   # shutdown: every REP-155 publisher destroyed


def test_without_hri_msgs_the_node_runs_and_says_once_what_hri_enable_needs(monkeypatch):
    said = []
    logger = SimpleNamespace(warning=said.append)
    node = SimpleNamespace(get_logger=lambda: logger)
    monkeypatch.setattr(hri, "hri_msgs", None)
    output = hri.HriOutput(node, enabled=True)
    output.set_enabled(True)
    output.publish(SimpleNamespace(people=()), np.zeros((4, 4, 3), np.uint8), Header())
    assert not output.enabled and output.publisher_count() == 0
    assert len(said) == 1 and "hri.enable needs hri_msgs" in said[0]


# ------------------------------------------------------------------------------ evidence, real core
@pytest.fixture(scope="module")
def core_available():
    try:
        from holistic_ros import Holistic
        Holistic(static_image_mode=True).close()
    except Exception as error:  # models not converted yet, ...
        pytest.skip(f"pipeline core cannot start: {error} (run `make models`)")


@pytest.mark.slow
def test_two_people_as_a_ros4hri_client_sees_them(context, core_available, videos_dir):
    from holistic_ros.msg import HolisticPeople
    from holistic_ros.ros.messages import landmarks_from_msgs
    from test_multi_person import _apart_two_people

    from holistic_ros.pipeline import people as pp

    together, alone = 24, 10
    canvases = _apart_two_people(videos_dir, count=together + alone)
    half = canvases[0].shape[1] // 2
    for canvas in canvases[together:]:   # the person on the right walks out
        canvas[:, half:] = 0
    running = Running(context, {"hri.enable": True, "max_num_people": 2, "execution_provider": "cpu",
                                "field_of_view": 60.0}, factory=None, namespace="two")
    ours = {}
    running.client.node.create_subscription(
        HolisticPeople, "/two/holistic/people",
        lambda m: ours.__setitem__(m.header.stamp.sec * 1_000_000_000 + m.header.stamp.nanosec, m), 50)
    try:
        wait_for(lambda: running.node.count_subscribers("/humans/bodies/tracked") > 0
                 and running.node.count_subscribers("/two/holistic/people") > 0, "discovery")
        both = []
        for i, canvas in enumerate(canvases[:together]):
            running.frame(i, canvas)
            bodies, faces = running.client.last_tracked("bodies"), running.client.last_tracked("faces")
            # IdsMatch has no header: its messages may come after the tracked lists (another topic).
            matched = _soon(lambda: len(running.client.persons(set(faces), set(bodies))) == 2)
            both.append(len(bodies) == 2 and len(faces) == 2 and matched)
        print(f"two bodies, two faces, two persons on {sum(both)}/{together} frames")
        # Issue 18's criterion (test_multi_person.py's for this clip): both people found on
        # >= 95% of frames, counted from the first frame that can report them: newcomers are
        # tentative on the frames before (pipeline/people.py NEWCOMER_CONFIRM_FRAMES; the
        # issue itself counts from frame 10).
        reportable = both[pp.NEWCOMER_CONFIRM_FRAMES - 1:]
        assert sum(reportable) >= 0.95 * len(reportable)
        bodies = running.client.last_tracked("bodies")
        assert all(b.startswith("b") and b[1:].isdigit() for b in bodies)
        persons = running.client.persons(set(running.client.last_tracked("faces")), set(bodies))
        assert sorted(sorted(p) for p in persons) == sorted(sorted([f"f{b[1:]}", b]) for b in bodies)
        wait_for(lambda: {f"body_{b}" for b in bodies} | {f"face_f{b[1:]}" for b in bodies}
                 <= running.client.tf_frames, "TF body_<id> and face_<id> of both")
        faces = [f"f{b[1:]}" for b in bodies]
        wait_for(lambda: set(bodies + faces) <= set(running.client.crops), "cropped images of both")
        for face in faces:   # REP-155's default /humans/faces/width and height
            assert running.client.crops[face] == (128, 128, "rgb8")
        for id_ in bodies + faces:
            roi = running.client.rois[id_]
            assert 0.0 <= roi.xmin < roi.xmax <= 1.0 and 0.0 <= roi.ymin < roi.ymax <= 1.0 and roi.c > 0.5

        # Skeleton points against the node's own pose (holistic/people) of the same frame:
        # within 1% of the image (the criterion), over the points inside the image.
        wait_for(lambda: len(running.client.skeletons) >= together, "skeletons")
        compared, worst = 0, 0.0
        with running.client.lock:
            skeletons = dict(running.client.skeletons)
        for (body, stamp), points in skeletons.items():
            person = next(p for p in ours[stamp].people if p.id == int(body[1:]))
            pose = landmarks_from_msgs(person.pose_landmarks)
            points = np.array(points)
            expected = np.array([pose[i, :2] if i is not None else
                                 pose[[11, 12], :2].mean(axis=0) for i in hri.SKELETON2D_FROM_POSE])
            inside = np.all((expected >= 0) & (expected <= 1), axis=1)
            worst = max(worst, float(np.abs(points[inside, :2] - expected[inside]).max()))
            compared += 1
        print(f"{compared} skeletons compared, worst point {100 * worst:.4f}% of the image")
        assert compared >= together and worst <= 0.01

        # The person on the right leaves: gone from tracked (bodies and faces), its topics too.
        right = [b for b in bodies if np.median([x for x, _, _ in skeletons[next(
            k for k in skeletons if k[0] == b)]]) > 0.5][0]
        for i, canvas in enumerate(canvases[together:], start=together):
            running.frame(i, canvas)
        bodies_now, faces_now = running.client.last_tracked("bodies"), running.client.last_tracked("faces")
        print(f"after the right person ({right}) left: bodies {bodies_now}, faces {faces_now}")
        assert right not in bodies_now and f"f{right[1:]}" not in faces_now
        assert len(bodies_now) == 1 and len(faces_now) == 1
        wait_for(lambda: running.client.node.count_publishers(f"/humans/bodies/{right}/skeleton2d") == 0,
                 "the leaver's topics to go")
    finally:
        running.close()
