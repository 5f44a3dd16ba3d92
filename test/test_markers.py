"""holistic_ros.ros.markers and holistic_ros.drawing.connections (pure functions)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from holistic_ros.drawing import connections
from holistic_ros.pipeline.result import HolisticResult

REPO_ROOT = Path(__file__).resolve().parent.parent
# MediaPipe's Python tables: from the oracle venv, else from an upstream checkout.
UPSTREAM_DIRS = [
    *sorted((REPO_ROOT / ".venv-oracle" / "lib").glob("python3*/site-packages/mediapipe/python/solutions")),
    Path("/work/cache/mp-src/mediapipe/python/solutions"),
]


def upstream_table(file_name: str, name: str):
    for folder in UPSTREAM_DIRS:
        path = folder / file_name
        if path.is_file():
            namespace = {}
            exec(compile(path.read_text(), str(path), "exec"), namespace)  # plain data, no imports
            return namespace[name]
    pytest.skip(f"MediaPipe's {file_name} not found (make oracle-venv installs it)")


@pytest.mark.parametrize("file_name,upstream,ours", [
    ("pose_connections.py", "POSE_CONNECTIONS", "POSE_CONNECTIONS"),
    ("hands_connections.py", "HAND_CONNECTIONS", "HAND_CONNECTIONS"),
    ("face_mesh_connections.py", "FACEMESH_CONTOURS", "FACE_CONTOURS"),
    ("face_mesh_connections.py", "FACEMESH_IRISES", "FACE_IRISES"),
    ("face_mesh_connections.py", "FACEMESH_NOSE", "FACE_NOSE"),
    ("face_mesh_connections.py", "FACEMESH_LIPS", "FACE_LIPS"),
    ("face_mesh_connections.py", "FACEMESH_FACE_OVAL", "FACE_OVAL"),
])
def test_connections_equal_mediapipe(file_name, upstream, ours):
    expected = upstream_table(file_name, upstream)
    assert connections.undirected(getattr(connections, ours)) == connections.undirected(expected)


def test_connection_counts():
    assert len(connections.POSE_CONNECTIONS) == 35
    assert len(connections.HAND_CONNECTIONS) == 21
    assert len(connections.FACE_CONTOURS) == 124
    assert max(i for e in connections.POSE_CONNECTIONS for i in e) == 32
    assert max(i for e in connections.HAND_CONNECTIONS for i in e) == 20


# ----------------------------------------------------------------------------- markers
markers = pytest.importorskip("holistic_ros.ros.markers", reason="visualization_msgs not installed")
from std_msgs.msg import Header  # noqa: E402
from visualization_msgs.msg import Marker  # noqa: E402

RNG = np.random.default_rng(5)


def full_result(face_points=468) -> HolisticResult:
    pose = RNG.random((33, 4), dtype=np.float32)
    world = (RNG.random((33, 4), dtype=np.float32) - 0.5)
    return HolisticResult(
        pose_landmarks=pose, pose_presence=np.ones(33, np.float32), pose_world_landmarks=world,
        face_landmarks=RNG.random((face_points, 3), dtype=np.float32),
        left_hand_landmarks=RNG.random((21, 3), dtype=np.float32),
        right_hand_landmarks=RNG.random((21, 3), dtype=np.float32),
        pose_score=1.0, face_score=1.0, left_hand_score=1.0, right_hand_score=1.0,
        image_size=(640, 480))


def header(frame_id="cam") -> Header:
    h = Header(frame_id=frame_id)
    h.stamp.sec = 42
    return h


def by_key(array):
    return {(m.ns, m.id): m for m in array.markers}


def test_each_part_in_its_namespace_with_stable_ids():
    settings = markers.MarkerSettings()
    first, shown = markers.build_markers(full_result(), header(), settings)
    second, _ = markers.build_markers(full_result(), header(), settings, shown)
    assert shown == frozenset(markers.PARTS)
    keys = {(ns, i) for ns in markers.PARTS for i in (markers.LINES_ID, markers.POINTS_ID)}
    assert set(by_key(first)) == keys == set(by_key(second))
    for m in first.markers:
        assert m.action == Marker.ADD
        assert m.header.stamp == header().stamp and m.header.frame_id == "cam"
    pose = by_key(first)
    assert pose[("pose", 0)].type == Marker.LINE_LIST
    assert len(pose[("pose", 0)].points) == 2 * len(connections.POSE_CONNECTIONS)
    assert pose[("pose", 1)].type == Marker.SPHERE_LIST and len(pose[("pose", 1)].points) == 33
    assert len(pose[("left_hand", 0)].points) == 2 * 21
    assert len(pose[("face", 0)].points) == 2 * len(connections.FACE_CONTOURS)


def test_refined_face_adds_irises():
    array, _ = markers.build_markers(full_result(478), header(), markers.MarkerSettings())
    lines = by_key(array)[("face", 0)]
    assert len(lines.points) == 2 * (len(connections.FACE_CONTOURS) + len(connections.FACE_IRISES))


def test_vanished_parts_are_deleted_once():
    settings = markers.MarkerSettings()
    _, shown = markers.build_markers(full_result(), header(), settings)
    result = full_result()
    no_hands = HolisticResult(pose_landmarks=result.pose_landmarks,
                              pose_world_landmarks=result.pose_world_landmarks,
                              face_landmarks=result.face_landmarks, image_size=(640, 480))
    array, shown = markers.build_markers(no_hands, header(), settings, shown)
    deleted = {(m.ns, m.id) for m in array.markers if m.action == Marker.DELETE}
    assert deleted == {("left_hand", 0), ("left_hand", 1), ("right_hand", 0), ("right_hand", 1)}
    assert shown == {"pose", "face"}
    array, shown = markers.build_markers(no_hands, header(), settings, shown)
    assert not any(m.action == Marker.DELETE for m in array.markers)
    array, shown = markers.build_markers(HolisticResult(image_size=(640, 480)), header(), settings, shown)
    assert {(m.ns, m.action) for m in array.markers} == {("pose", Marker.DELETE), ("face", Marker.DELETE)}
    assert shown == frozenset()


def test_world_mode_places_pose_world_landmarks_at_origin():
    result = full_result()
    settings = markers.MarkerSettings(world_origin=(1.0, 2.0, 3.0))
    points = markers.part_points(result, settings)
    np.testing.assert_allclose(points["pose"], result.pose_world_landmarks[:, :3] + [1, 2, 3],
                               rtol=1e-6)
    # hands hang from the pose wrists, the face from the nose
    np.testing.assert_allclose(points["left_hand"][0], points["pose"][15])
    np.testing.assert_allclose(points["right_hand"][0], points["pose"][16])
    np.testing.assert_allclose(points["face"][1], points["pose"][0])


def test_image_plane_mode():
    result = full_result()
    settings = markers.MarkerSettings(use_world_landmarks=False, image_scale=0.01,
                                      world_origin=(0.0, 0.0, 1.0))
    points = markers.part_points(result, settings)
    lm = result.pose_landmarks
    expected = np.stack([(lm[:, 0] - 0.5) * 640, (lm[:, 1] - 0.5) * 480, lm[:, 2] * 640], 1) * 0.01
    np.testing.assert_allclose(points["pose"], expected + [0, 0, 1], rtol=1e-5, atol=1e-6)


def test_frame_id_setting_and_fallbacks():
    array, _ = markers.build_markers(full_result(), header(""), markers.MarkerSettings(frame_id="world"))
    assert {m.header.frame_id for m in array.markers} == {"world"}
    array, _ = markers.build_markers(full_result(), header(""), markers.MarkerSettings())
    assert {m.header.frame_id for m in array.markers} == {markers.DEFAULT_FRAME_ID}


def test_face_styles():
    array, shown = markers.build_markers(full_result(), header(), markers.MarkerSettings(face_style="none"))
    assert "face" not in shown and not any(m.ns == "face" for m in array.markers)
    array, _ = markers.build_markers(full_result(), header(), markers.MarkerSettings(face_style="points"))
    face = {m.id: m for m in array.markers if m.ns == "face"}
    assert set(face) == {markers.POINTS_ID} and len(face[markers.POINTS_ID].points) == 468
    with pytest.raises(ValueError):
        markers.MarkerSettings(face_style="mesh")


def test_lifetime_and_sizes():
    settings = markers.MarkerSettings(lifetime=1.5, line_width=0.02, point_size=0.05)
    array, _ = markers.build_markers(full_result(), header(), settings)
    pose = by_key(array)
    assert (pose[("pose", 0)].lifetime.sec, pose[("pose", 0)].lifetime.nanosec) == (1, 500000000)
    assert pose[("pose", 0)].scale.x == pytest.approx(0.02)
    assert pose[("pose", 1)].scale.x == pytest.approx(0.05)


def test_delete_all():
    array = markers.delete_all_markers(header(), markers.MarkerSettings())
    assert [m.action for m in array.markers] == [Marker.DELETEALL]


def test_drawing_marks_the_image():
    from holistic_ros.drawing.annotate import draw_holistic

    image = np.zeros((480, 640, 3), np.uint8)
    assert draw_holistic(image, HolisticResult(image_size=(640, 480))).sum() == 0
    draw_holistic(image, full_result())
    assert image.sum() > 0
