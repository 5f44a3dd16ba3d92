"""holistic_ros.ros.markers, holistic_ros.drawing.connections and .annotate (pure functions)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from conftest import import_or_skip, skip_or_fail

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
    skip_or_fail(f"MediaPipe's {file_name} not found (make oracle-venv installs it)")


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


# ----------------------------------------------------------------------------- annotated image
from holistic_ros.drawing import annotate  # noqa: E402
from holistic_ros.pipeline.hand_gesture import HandGesture  # noqa: E402

RNG = np.random.default_rng(5)


def full_result(face_points=468, size=(640, 480), **fields) -> HolisticResult:
    pose = RNG.random((33, 4), dtype=np.float32)
    world = (RNG.random((33, 4), dtype=np.float32) - 0.5)
    values = dict(
        pose_landmarks=pose, pose_presence=np.ones(33, np.float32), pose_world_landmarks=world,
        face_landmarks=RNG.random((face_points, 3), dtype=np.float32),
        left_hand_landmarks=RNG.random((21, 3), dtype=np.float32),
        right_hand_landmarks=RNG.random((21, 3), dtype=np.float32),
        pose_score=1.0, face_score=1.0, left_hand_score=1.0, right_hand_score=1.0,
        image_size=size)
    values.update(fields)
    return HolisticResult(**values)


def standing_result(centre_x=0.5, size=(640, 480), **fields) -> HolisticResult:
    """A plausible upright body: world landmarks 1:1 with the image landmarks at 1 mm a pixel."""
    width, height = size
    rng = np.random.default_rng(int(centre_x * 1000))
    pose = np.zeros((33, 4), np.float32)
    pose[:, 0] = centre_x + (rng.random(33) - 0.5) * 0.2
    pose[:, 1] = 0.2 + rng.random(33) * 0.6
    pose[:11, 1] = 0.15 + rng.random(11) * 0.1          # head points at the top
    pose[[23, 24], 1] = 0.7
    pose[:, 3] = 1.0
    pixels = pose[:, :2] * np.array([width, height], np.float32)
    hips = pixels[[23, 24]].mean(axis=0)
    world = np.zeros((33, 4), np.float32)
    world[:, :2] = (pixels - hips) * 0.001
    world[:, 3] = 1.0
    left = np.column_stack([pose[15, 0] + rng.random(21) * 0.02, pose[15, 1] + rng.random(21) * 0.02,
                            np.zeros(21)]).astype(np.float32)
    right = np.column_stack([pose[16, 0] + rng.random(21) * 0.02, pose[16, 1] + rng.random(21) * 0.02,
                             np.zeros(21)]).astype(np.float32)
    values = dict(pose_landmarks=pose, pose_presence=np.ones(33, np.float32), pose_world_landmarks=world,
                  left_hand_landmarks=left, right_hand_landmarks=right, image_size=size)
    values.update(fields)
    return HolisticResult(**values)


def test_person_colors_are_stable_and_distinct():
    assert annotate.person_color(3) == annotate.person_color(3 + len(annotate.PERSON_COLORS))
    colors = [annotate.person_color(i) for i in range(len(annotate.PERSON_COLORS))]
    assert len(set(colors)) == len(colors)


def test_drawing_marks_the_image():
    image = np.zeros((480, 640, 3), np.uint8)
    assert annotate.draw_holistic(image, HolisticResult(image_size=(640, 480))).sum() == 0
    annotate.draw_holistic(image, full_result())
    assert image.sum() > 0


def _pixels_of(image: np.ndarray, color) -> np.ndarray:
    """(N, 2) x, y of the pixels of exactly this RGB colour."""
    ys, xs = np.nonzero(np.all(image == np.array(color, np.uint8), axis=2))
    return np.column_stack([xs, ys])


def test_draw_people_labels_each_person_in_its_colour():
    image = np.zeros((480, 640, 3), np.uint8)
    a = standing_result(0.25, left_hand_gesture=HandGesture("Thumb_Up", 0.93))
    b = standing_result(0.75, right_hand_gesture=HandGesture("None", 0.99))
    people = [annotate.PersonAnnotation(4, a, body_gestures=(("waving (left)", 0.8),)),
              annotate.PersonAnnotation(7, b)]
    annotate.draw_people(image, people)
    for person in people:
        xy = _pixels_of(image, annotate.person_color(person.person_id))
        assert len(xy) > 50, person.person_id
        # the colour is on the person's own half of the image, not the other's
        centre = person.result.pose_landmarks[0, 0] * 640
        assert np.all(np.abs(xy[:, 0] - centre) < 200)

    # Text boxes are black rectangles; render each expected label alone and compare crops.
    def label_box(text, anchor, color):
        blank = np.full((480, 640, 3), 255, np.uint8)
        x0, y0, x1, y1 = annotate.put_label(blank, text, anchor, color)
        return (x0, y0, x1, y1), blank[y0:y1, x0:x1]

    head = annotate.head_anchor_px(a, 640, 480)
    (x0, y0, x1, y1), expected = label_box("#4", head, annotate.person_color(4))
    np.testing.assert_array_equal(image[y0:y1, x0:x1], expected)
    # the body gesture stacked above the id
    (gx0, gy0, gx1, gy1), expected = label_box("waving (left) 0.80", ((x0 + x1) / 2, y0), annotate.person_color(4))
    assert gy1 <= y0
    np.testing.assert_array_equal(image[gy0:gy1, gx0:gx1], expected)
    hand = annotate.hand_anchor_px(a.left_hand_landmarks, 640, 480)
    (hx0, hy0, hx1, hy1), expected = label_box("Thumb_Up 0.93", hand, annotate.person_color(4))
    np.testing.assert_array_equal(image[hy0:hy1, hx0:hx1], expected)
    # MediaPipe's "None" gesture is not written: nothing above person 7's right hand but the skeleton
    assert annotate.hand_gesture_texts(b) == {}


def test_draw_people_without_anything_found_leaves_the_image():
    image = np.zeros((120, 160, 3), np.uint8)
    annotate.draw_people(image, [annotate.PersonAnnotation(1, HolisticResult(image_size=(160, 120)))])
    assert image.sum() == 0


def test_labels_at_one_place_do_not_cover_each_other():
    """Two hands' labels at the same spot (Holistic can hang a second hand on one held out)
    are both readable: the second moves clear of the first."""
    image = np.zeros((200, 300, 3), np.uint8)
    taken: list = []
    first = annotate.put_label(image, "Thumb_Up 0.81", (150.0, 120.0), (255, 128, 0), taken=taken)
    second = annotate.put_label(image, "Pointing_Up 0.70", (150.0, 120.0), (255, 128, 0), taken=taken)
    assert second[3] <= first[1]                    # stacked above, no overlap
    assert taken == [first, second]
    alone = annotate.put_label(np.zeros_like(image), "Pointing_Up 0.70", (150.0, 120.0), (255, 128, 0))
    assert alone[1] > second[1]                     # without the first it would have covered it


def test_labels_stay_inside_the_image():
    image = np.zeros((100, 100, 3), np.uint8)
    x0, y0, x1, y1 = annotate.put_label(image, "a long label 0.99", (-50.0, -50.0), (255, 255, 255))
    assert x0 >= 0 and y0 >= 0 and y1 <= 100


def test_body_gesture_labels():
    from holistic_ros.gestures import ActiveGesture, BodyGesture, GestureFrame

    frame = GestureFrame(timestamp=1.0, active=(
        ActiveGesture(BodyGesture.WAVING, "left", 0.8, 0.5),
        ActiveGesture(BodyGesture.LEFT_HAND_RAISED, "left", 0.7, 0.2),
        ActiveGesture(BodyGesture.ARMS_CROSSED, "both", 0.6, 0.1)))
    assert annotate.body_gesture_labels(frame) == (("waving (left)", 0.8), ("left_hand_raised", 0.7),
                                                   ("arms_crossed", 0.6))
    assert annotate.body_gesture_labels(None) == ()


# ----------------------------------------------------------------------------- markers
markers = import_or_skip("holistic_ros.ros.markers", "visualization_msgs not installed: make venv")
from std_msgs.msg import Header  # noqa: E402
from visualization_msgs.msg import Marker  # noqa: E402

from holistic_ros.gestures import ActiveGesture, BodyGesture, GestureFrame, PointingRay  # noqa: E402
from holistic_ros.gestures.person import FrameOutput, PersonFrame  # noqa: E402
from holistic_ros.spatial import Located3D  # noqa: E402


def header(frame_id="cam") -> Header:
    h = Header(frame_id=frame_id)
    h.stamp.sec = 42
    return h


def by_key(array):
    return {(m.ns, m.id): m for m in array.markers}


def frame_of(*people, located=False) -> FrameOutput:
    return FrameOutput(people=tuple(people), image_size=(640, 480), located=located)


def xyz(points) -> np.ndarray:
    return np.array([(p.x, p.y, p.z) for p in points])


def ns(person_id, part):
    return f"person_{person_id}/{part}"


def part_keys(person_id, parts=markers.PARTS):
    return {(ns(person_id, part), markers.marker_id(person_id, part, what))
            for part in parts for what in ("lines", "points")}


def test_each_part_in_its_namespace_with_stable_ids():
    settings = markers.MarkerSettings()
    first, drawn = markers.build_markers(full_result(), header(), settings)   # a bare result: person 0
    second, _ = markers.build_markers(frame_of(PersonFrame(0, full_result())), header(), settings, drawn)
    keys = part_keys(0) | {(ns(0, "label"), markers.marker_id(0, "label", "head"))}
    assert drawn == keys == set(by_key(first)) == set(by_key(second))
    for m in first.markers:
        assert m.action == Marker.ADD
        assert m.header.stamp == header().stamp and m.header.frame_id == "cam"
    pose = by_key(first)
    lines = pose[(ns(0, "pose"), markers.marker_id(0, "pose", "lines"))]
    dots = pose[(ns(0, "pose"), markers.marker_id(0, "pose", "points"))]
    assert lines.type == Marker.LINE_LIST and len(lines.points) == 2 * len(connections.POSE_CONNECTIONS)
    assert dots.type == Marker.SPHERE_LIST and len(dots.points) == 33
    assert len(pose[(ns(0, "left_hand"), markers.marker_id(0, "left_hand", "lines"))].points) == 2 * 21
    assert len(pose[(ns(0, "face"), markers.marker_id(0, "face", "lines"))].points) == 2 * len(
        connections.FACE_CONTOURS)
    assert pose[(ns(0, "label"), markers.marker_id(0, "label", "head"))].text == "#0"


def test_people_get_their_own_namespace_colour_and_ids():
    settings = markers.MarkerSettings()
    frame = frame_of(PersonFrame(3, standing_result(0.3)), PersonFrame(12, standing_result(0.7)))
    array, drawn = markers.build_markers(frame, header(), settings)
    again, drawn_again = markers.build_markers(frame, header(), settings, drawn)
    assert drawn == drawn_again and not any(m.action == Marker.DELETE for m in again.markers)
    for person_id in (3, 12):
        mine = [m for m in array.markers if m.ns.startswith(f"person_{person_id}/")]
        assert {(m.ns, m.id) for m in mine} >= part_keys(person_id, ("pose", "left_hand", "right_hand"))
        assert all(person_id * 100 <= m.id < person_id * 100 + 100 for m in mine)
        pose = [m for m in mine if m.ns == ns(person_id, "pose")]
        r, g, b = (c / 255 for c in annotate.person_color(person_id))
        assert all((m.color.r, m.color.g, m.color.b) == pytest.approx((r, g, b)) for m in pose)
    assert len({(m.ns, m.id) for m in array.markers}) == len(array.markers)   # no key twice


def test_a_person_who_leaves_is_deleted_once():
    settings = markers.MarkerSettings()
    both = frame_of(PersonFrame(1, full_result()), PersonFrame(2, full_result()))
    _, drawn = markers.build_markers(both, header(), settings)
    array, drawn = markers.build_markers(frame_of(PersonFrame(1, full_result())), header(), settings, drawn)
    deleted = {(m.ns, m.id) for m in array.markers if m.action == Marker.DELETE}
    assert deleted == part_keys(2) | {(ns(2, "label"), markers.marker_id(2, "label", "head"))}
    assert all(m.ns.startswith("person_1/") for m in array.markers if m.action == Marker.ADD)
    array, drawn = markers.build_markers(frame_of(PersonFrame(1, full_result())), header(), settings, drawn)
    assert not any(m.action == Marker.DELETE for m in array.markers)
    array, drawn = markers.build_markers(frame_of(), header(), settings, drawn)
    assert drawn == frozenset()
    assert {m.ns.split("/")[0] for m in array.markers} == {"person_1"}
    assert all(m.action == Marker.DELETE for m in array.markers)


def test_refined_face_adds_irises():
    array, _ = markers.build_markers(full_result(478), header(), markers.MarkerSettings())
    lines = by_key(array)[(ns(0, "face"), markers.marker_id(0, "face", "lines"))]
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
    assert deleted == part_keys(0, ("left_hand", "right_hand"))
    array, shown = markers.build_markers(no_hands, header(), settings, shown)
    assert not any(m.action == Marker.DELETE for m in array.markers)
    array, shown = markers.build_markers(HolisticResult(image_size=(640, 480)), header(), settings, shown)
    assert {m.ns for m in array.markers if m.action == Marker.DELETE} == {
        ns(0, "pose"), ns(0, "face"), ns(0, "label")}
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


def test_world_mode_puts_several_people_side_by_side():
    """Without a camera model the first person's hips are at world_origin, the next one's
    shifted by the pixel distance between their hips at their metres per pixel (1 mm here)."""
    settings = markers.MarkerSettings(world_origin=(0.0, 0.0, 2.0))
    a, b = standing_result(0.3), standing_result(0.7)
    array, _ = markers.build_markers(frame_of(PersonFrame(1, a), PersonFrame(2, b)), header(), settings)
    keys = by_key(array)
    pose_a = xyz(keys[(ns(1, "pose"), markers.marker_id(1, "pose", "points"))].points)
    pose_b = xyz(keys[(ns(2, "pose"), markers.marker_id(2, "pose", "points"))].points)
    np.testing.assert_allclose(pose_a, a.pose_world_landmarks[:, :3] + [0, 0, 2], atol=1e-6)
    hips_px = [(r.pose_landmarks[[23, 24], :2].mean(0) * [640, 480]) for r in (a, b)]
    shift = (hips_px[1] - hips_px[0]) * 0.001
    np.testing.assert_allclose(pose_b, b.pose_world_landmarks[:, :3] + [shift[0], shift[1], 2], atol=1e-5)
    assert abs(shift[0]) > 0.2


def test_image_plane_mode():
    result = full_result()
    settings = markers.MarkerSettings(use_world_landmarks=False, image_scale=0.01,
                                      world_origin=(0.0, 0.0, 1.0))
    points = markers.part_points(result, settings)
    lm = result.pose_landmarks
    expected = np.stack([(lm[:, 0] - 0.5) * 640, (lm[:, 1] - 0.5) * 480, lm[:, 2] * 640], 1) * 0.01
    np.testing.assert_allclose(points["pose"], expected + [0, 0, 1], rtol=1e-5, atol=1e-6)


def located_of(result: HolisticResult, depth=2.5, **fields) -> Located3D:
    """Camera-frame points: the world landmarks pushed ``depth`` metres ahead."""
    shift = np.array([0.1, -0.2, depth])
    pose = result.pose_world_landmarks[:, :3] + shift
    hand = lambda lm: None if lm is None else (lm[:, :3] - lm[0, :3]) * 0.2 + pose[15]  # noqa: E731
    values = dict(pose_landmarks=pose.astype(np.float32), left_hand_landmarks=hand(result.left_hand_landmarks),
                  right_hand_landmarks=hand(result.right_hand_landmarks), body_translation=shift)
    values.update(fields)
    return Located3D(**values)


def test_located_people_are_drawn_at_their_camera_frame_positions():
    result = standing_result(0.4)
    located = located_of(result)
    settings = markers.MarkerSettings(frame_id="world", world_origin=(5.0, 5.0, 5.0))
    frame = frame_of(PersonFrame(2, result, located=located), located=True)
    array, _ = markers.build_markers(frame, header("camera_color_optical_frame"), settings)
    keys = by_key(array)
    # the image's frame, whatever markers.frame_id says: located points are in it
    assert {m.header.frame_id for m in array.markers} == {"camera_color_optical_frame"}
    np.testing.assert_allclose(xyz(keys[(ns(2, "pose"), 201)].points), located.pose_landmarks, atol=1e-6)
    np.testing.assert_allclose(xyz(keys[(ns(2, "left_hand"), 205)].points), located.left_hand_landmarks,
                               atol=1e-6)


def test_points_without_a_position_are_left_out():
    result = standing_result(0.4)
    pose = located_of(result).pose_landmarks.copy()
    pose[13] = np.nan   # left elbow: its two connections go too
    located = located_of(result, pose_landmarks=pose)
    array, _ = markers.build_markers(frame_of(PersonFrame(0, result, located=located), located=True),
                                     header(), markers.MarkerSettings())
    keys = by_key(array)
    dots = xyz(keys[(ns(0, "pose"), 1)].points)
    lines = xyz(keys[(ns(0, "pose"), 0)].points)
    assert len(dots) == 32 and np.all(np.isfinite(dots))
    elbow_edges = sum(1 for a, b in connections.POSE_CONNECTIONS if 13 in (a, b))
    assert len(lines) == 2 * (len(connections.POSE_CONNECTIONS) - elbow_edges) and np.all(np.isfinite(lines))


def test_pointing_ray_is_an_arrow_of_the_set_length():
    result = standing_result(0.4)
    located = located_of(result)
    direction = np.array([0.6, 0.0, -0.8])
    ray = PointingRay("right", origin=np.array([0.1, -0.5, 2.4]), direction=direction,
                      angular_uncertainty=0.2, in_camera_frame=True, plane_point=np.array([1.0, -0.5, 1.2]))
    gestures = GestureFrame(timestamp=1.0, pointing=(ray,),
                            active=(ActiveGesture(BodyGesture.POINTING, "right", 0.9, 0.5),))
    settings = markers.MarkerSettings(pointing_length=1.5)
    frame = frame_of(PersonFrame(1, result, located=located, gestures=gestures), located=True)
    array, drawn = markers.build_markers(frame, header(), settings)
    keys = by_key(array)
    arrow = keys[(ns(1, "pointing"), markers.marker_id(1, "pointing", "right"))]
    assert arrow.type == Marker.ARROW
    np.testing.assert_allclose(xyz(arrow.points), [ray.origin, ray.origin + direction * 1.5], atol=1e-9)
    target = keys[(ns(1, "pointing"), markers.marker_id(1, "pointing", "right_target"))]
    assert target.type == Marker.SPHERE
    assert (target.pose.position.x, target.pose.position.y, target.pose.position.z) == pytest.approx((1, -0.5, 1.2))
    label = keys[(ns(1, "label"), markers.marker_id(1, "label", "head"))]
    assert label.text == "pointing (right) 0.90\n#1"
    # the arm goes down: arrow and label go
    array, _ = markers.build_markers(frame_of(PersonFrame(1, result, located=located), located=True),
                                     header(), settings, drawn)
    deleted = {(m.ns, m.id) for m in array.markers if m.action == Marker.DELETE}
    assert deleted == {(ns(1, "pointing"), 109), (ns(1, "pointing"), 111)}
    assert by_key(array)[(ns(1, "label"), 114)].text == "#1"


def test_world_frame_ray_follows_the_body_placement():
    result = standing_result(0.4)
    ray = PointingRay("left", origin=np.array([0.0, -0.5, 0.1]), direction=np.array([1.0, 0.0, 0.0]),
                      angular_uncertainty=0.2, in_camera_frame=False)
    gestures = GestureFrame(timestamp=1.0, pointing=(ray,))
    settings = markers.MarkerSettings(world_origin=(0.0, 0.0, 2.0), pointing_length=1.0)
    array, _ = markers.build_markers(frame_of(PersonFrame(0, result, gestures=gestures)), header(), settings)
    arrow = by_key(array)[(ns(0, "pointing"), 8)]
    np.testing.assert_allclose(xyz(arrow.points), [[0, -0.5, 2.1], [1, -0.5, 2.1]], atol=1e-9)
    # located: through the body model's translation
    located = located_of(result)
    array, _ = markers.build_markers(frame_of(PersonFrame(0, result, located=located, gestures=gestures),
                                              located=True), header(), settings)
    arrow = by_key(array)[(ns(0, "pointing"), 8)]
    np.testing.assert_allclose(xyz(arrow.points)[0], ray.origin + located.body_translation, atol=1e-9)
    # image-plane mode cannot place a metric ray: none
    flat = markers.MarkerSettings(use_world_landmarks=False)
    array, _ = markers.build_markers(frame_of(PersonFrame(0, result, gestures=gestures)), header(), flat)
    assert not any(m.ns == ns(0, "pointing") for m in array.markers)


def test_hand_gesture_text_above_the_hand():
    result = standing_result(0.4, left_hand_gesture=HandGesture("Victory", 0.871),
                             right_hand_gesture=HandGesture("None", 0.9))
    located = located_of(result)
    settings = markers.MarkerSettings(text_size=0.05, label_offset=0.1)
    array, drawn = markers.build_markers(frame_of(PersonFrame(5, result, located=located), located=True),
                                         header(), settings)
    keys = by_key(array)
    text = keys[(ns(5, "gestures"), markers.marker_id(5, "gestures", "left_hand"))]
    assert text.type == Marker.TEXT_VIEW_FACING and text.text == "Victory 0.87"
    assert text.scale.z == pytest.approx(0.05)
    hand = located.left_hand_landmarks
    p = text.pose.position
    assert p.y == pytest.approx(hand[:, 1].min() - 0.1 - 0.025)   # optical frame: up is -y
    assert (p.x, p.z) == pytest.approx(tuple(hand[:, [0, 2]].mean(axis=0)))
    # MediaPipe's "None" is no gesture: no text over the right hand
    assert (ns(5, "gestures"), markers.marker_id(5, "gestures", "right_hand")) not in keys
    # the label above the head stays above the head's highest point
    label = keys[(ns(5, "label"), markers.marker_id(5, "label", "head"))]
    assert label.pose.position.y < located.pose_landmarks[:11, 1].min()


def test_frame_id_setting_and_fallbacks():
    array, _ = markers.build_markers(full_result(), header(""), markers.MarkerSettings(frame_id="world"))
    assert {m.header.frame_id for m in array.markers} == {"world"}
    array, _ = markers.build_markers(full_result(), header(""), markers.MarkerSettings())
    assert {m.header.frame_id for m in array.markers} == {markers.DEFAULT_FRAME_ID}


def test_face_styles():
    array, shown = markers.build_markers(full_result(), header(), markers.MarkerSettings(face_style="none"))
    assert not any(m.ns == ns(0, "face") for m in array.markers)
    array, _ = markers.build_markers(full_result(), header(), markers.MarkerSettings(face_style="points"))
    face = {m.id: m for m in array.markers if m.ns == ns(0, "face")}
    assert set(face) == {markers.marker_id(0, "face", "points")} and len(face[3].points) == 468
    with pytest.raises(ValueError):
        markers.MarkerSettings(face_style="mesh")
    with pytest.raises(ValueError, match="pointing_length"):
        markers.MarkerSettings(pointing_length=0.0)


def test_lifetime_and_sizes():
    settings = markers.MarkerSettings(lifetime=1.5, line_width=0.02, point_size=0.05)
    array, _ = markers.build_markers(full_result(), header(), settings)
    pose = by_key(array)
    assert (pose[(ns(0, "pose"), 0)].lifetime.sec, pose[(ns(0, "pose"), 0)].lifetime.nanosec) == (1, 500000000)
    assert pose[(ns(0, "pose"), 0)].scale.x == pytest.approx(0.02)
    assert pose[(ns(0, "pose"), 1)].scale.x == pytest.approx(0.05)


def test_delete_all():
    array = markers.delete_all_markers(header(), markers.MarkerSettings())
    assert [m.action for m in array.markers] == [Marker.DELETEALL]


def test_person_annotations_carry_gesture_labels():
    gestures = GestureFrame(timestamp=1.0, active=(ActiveGesture(BodyGesture.STOP, "right", 0.75, 0.5),))
    result = full_result()
    (annotation,) = markers.person_annotations(frame_of(PersonFrame(9, result, gestures=gestures)))
    assert (annotation.person_id, annotation.result, tuple(annotation.body_gestures)) == (
        9, result, (("stop (right)", 0.75),))


def test_real_image_located_markers_lie_on_the_landmark_rays(images_dir):
    """Real models on a real photo: with a camera model the pose markers are the located points,
    in the image's frame, and each projects back onto its 2D landmark."""
    from conftest import load_rgb
    from holistic_ros import Holistic
    from holistic_ros.spatial import PinholeCamera, locate

    rgb = load_rgb(images_dir / "tfe_yoga_tree_pose.jpg")
    height, width = rgb.shape[:2]
    with Holistic(static_image_mode=True, providers=["CPUExecutionProvider"]) as holistic:
        result = holistic.process(rgb)
    assert result.pose_landmarks is not None
    cam = PinholeCamera.from_field_of_view(math.radians(69.0), width, height)
    located = locate(result, cam)
    frame = FrameOutput(people=(PersonFrame(0, result, located=located),), image_size=(width, height),
                        located=True)
    array, _ = markers.build_markers(frame, header("camera_color_optical_frame"), markers.MarkerSettings())
    dots = by_key(array)[(ns(0, "pose"), 1)]
    assert dots.header.frame_id == "camera_color_optical_frame"
    points = xyz(dots.points)
    finite = np.all(np.isfinite(located.pose_landmarks), axis=1)
    np.testing.assert_allclose(points, located.pose_landmarks[finite], atol=1e-5)
    pixels = cam.project(points)
    expected = cam.pixels_from_normalized(result.pose_landmarks[finite, :2])
    assert np.max(np.linalg.norm(pixels - expected, axis=1)) < 2.0
    assert 0.5 < np.median(points[:, 2]) < 10.0

