"""Hands of no body (``result.hands``) in 3D, pointing, markers, TF and the annotated image (issue 17).

Truth is built, not assumed: real close-range hands from the shared gesture photos (no body in
them, so the palm detector's hands are all lone hands), placed by a camera model whose truth is
known; depth is synthetic (a plane at a known distance, or depth rendered from a hand of known
3D through the same camera model).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from holistic_ros import Holistic
from holistic_ros.gestures import GestureSettings
from holistic_ros.gestures.person import GestureTracks, assemble_frame
from holistic_ros.gestures.pointing import index_finger_ray
from holistic_ros.pipeline.landmark_names import HandLandmark as H
from holistic_ros.pipeline.result import HolisticResult
from holistic_ros.spatial import DISTANCE_FROM_DEPTH, DISTANCE_FROM_HAND_MODEL, PinholeCamera, locate_hand

from conftest import load_rgb

CPU = ["CPUExecutionProvider"]
#: The four shared photos of a hand without a body (test_palm_hands.GESTURE_PHOTOS less the one
#: whose second hand the palm path does not find; each gives one lone hand).
PHOTOS = ("mps_hand_thumb_up.jpg", "mps_two_hands_thumbs_up.jpg", "mps_thumbs_up_rgba.png",
          "tfe_hand_v_sign_3024x4032.jpg")
#: Each located point is z_i * ray_i: it projects back onto its 2D landmark up to float32
#: rounding of the points (measured 6e-5 px at most on these photos).
REPROJECTION_PX = 0.01


@pytest.fixture(scope="module")
def lone_hands(images_dir: Path):
    """{photo: (rgb, HolisticResult)} with hand_source="both" (the node's default)."""
    out = {}
    with Holistic(static_image_mode=True, hand_source="both", recognize_gestures=True, providers=CPU) as h:
        for name in PHOTOS:
            rgb = load_rgb(images_dir / name)
            result = h.process(rgb)
            assert result.pose_landmarks is None and len(result.hands) == 1, name
            out[name] = (rgb, result)
    return out


def camera(size, hfov_deg: float = 60.0) -> PinholeCamera:
    return PinholeCamera.from_field_of_view(math.radians(hfov_deg), *size)


def locate(result, cam, depth=None):
    hand = result.hands[0]
    return locate_hand(hand.landmarks, hand.world_landmarks, hand.side, cam, result.image_size, depth=depth)


def reprojection_px(cam, result, points) -> float:
    uv = cam.pixels_from_normalized(result.hands[0].landmarks[:, :2])
    return float(np.max(np.abs(cam.project(points) - uv)))


def pair_distances(points) -> np.ndarray:
    i, j = np.triu_indices(len(points), 1)
    return np.linalg.norm(np.asarray(points, np.float64)[i] - np.asarray(points, np.float64)[j], axis=1)


def render_hand_depth(cam, truth, background_m: float, radius_m: float) -> np.ndarray:
    """float32 depth of ``truth`` (21, 3) seen through ``cam``: a disc of ``radius_m`` at each
    joint's depth, nearer discs drawn over farther ones (a z-buffer), a wall behind."""
    depth = np.full((cam.height, cam.width), background_m, np.float32)
    uv = cam.project(truth)
    for i in np.argsort(-truth[:, 2]):
        r = max(1, int(round(radius_m * cam.fx / truth[i, 2])))
        cv2.circle(depth, (int(round(uv[i, 0])), int(round(uv[i, 1]))), r, float(truth[i, 2]), -1)
    return depth


# ---------------------------------------------------------------------------- spatial
@pytest.mark.parametrize("hfov_deg", [60.0, 90.0])
def test_without_depth_the_hand_reprojects_and_keeps_its_metric_size(lone_hands, hfov_deg):
    for name, (_, result) in lone_hands.items():
        cam = camera(result.image_size, hfov_deg)
        loc = locate(result, cam)
        assert loc is not None and loc.distance_source == DISTANCE_FROM_HAND_MODEL and loc.distance_note == ""
        assert loc.points.shape == (21, 3) and np.all(loc.points[:, 2] > 0)
        assert reprojection_px(cam, result, loc.points) < REPROJECTION_PX, name
        # Metric: the hand is as large as the hand model's world landmarks (MediaPipe's metric hand).
        # 3% is 5 mm on a hand 18 cm long, less than one landmark's placement (measured 0.7% at
        # most, RMS over all pairs of the 21 points, on these photos at 60 and 90 degrees).
        size_ratio = (np.sqrt(np.mean(pair_distances(loc.points) ** 2))
                      / np.sqrt(np.mean(pair_distances(result.hands[0].world_landmarks) ** 2)))
        assert abs(size_ratio - 1.0) < 0.03, (name, size_ratio)
        # The hand's frame: at the wrist, x toward the middle knuckle.
        np.testing.assert_allclose(loc.pose.position, loc.points[H.WRIST], atol=1e-6)
        knuckle = loc.points[H.MIDDLE_FINGER_MCP] - loc.points[H.WRIST]
        assert float(loc.pose.x_axis @ knuckle) / float(np.linalg.norm(knuckle)) > 0.99


def test_without_depth_the_distance_scales_with_the_focal_length(lone_hands):
    """The distance is only as good as the camera model and MediaPipe's hand size: twice the focal
    length puts the hand twice as far (the body's figure: 1.91-2.09x, docs/spatial.md; the hand's
    measured 1.97-2.06x on these photos)."""
    for name, (_, result) in lone_hands.items():
        cam = camera(result.image_size)
        far = PinholeCamera(2 * cam.fx, 2 * cam.fy, cam.cx, cam.cy, cam.width, cam.height)
        ratio = locate(result, far).points[:, 2].mean() / locate(result, cam).points[:, 2].mean()
        assert 1.9 < ratio < 2.1, (name, ratio)


@pytest.mark.parametrize("wall_m", [0.5, 1.5])
def test_a_flat_wall_of_depth_places_the_hand_at_its_distance(lone_hands, wall_m):
    """Depth sets the distance: the hand keeps its own shape (the hand model's depth relative to
    its wrist), centred on the wall's depth; float32 metres and uint16 millimetres at half size alike."""
    for name, (_, result) in lone_hands.items():
        cam = camera(result.image_size)
        width, height = result.image_size
        world = result.hands[0].world_landmarks
        shape = world[:, 2] - world[:, 2].mean()
        for depth in (np.full((height, width), wall_m, np.float32),
                      np.full((height // 2, width // 2), int(wall_m * 1000), np.uint16)):
            loc = locate(result, cam, depth)
            assert loc.distance_source == DISTANCE_FROM_DEPTH, name
            # 1 mm: float32 rounding of the points and of the fitted offset
            assert abs(float(loc.points[:, 2].mean()) - wall_m) < 1e-3, name
            assert np.all(np.abs(loc.points[:, 2] - wall_m) <= np.abs(shape) + 1e-3), name
            assert reprojection_px(cam, result, loc.points) < REPROJECTION_PX, name


@pytest.mark.parametrize("scale", [0.8, 1.0, 1.25])
def test_depth_rendered_from_a_known_hand_puts_the_points_on_it(lone_hands, scale):
    """Truth: the located hand scaled by ``scale`` about the camera (a hand ``scale`` times
    MediaPipe's average, at ``scale`` times the distance: the same image), its depth rendered
    through the camera model as a disc per joint (a finger's width), a wall at 3 m behind.

    Each point within 1 cm of its truth (a depth camera sees a finger's skin, about half a
    finger's thickness -- 1 cm -- in front of the joint MediaPipe places; here nearer joints also
    cover some windows), plus what one offset cannot fit of a hand of another size: its depth
    relief is ``scale`` times the model's (measured: 2.4-7 mm at scale 1, at most 17 mm else)."""
    for name, (_, result) in lone_hands.items():
        cam = camera(result.image_size)
        truth = locate(result, cam).points.astype(np.float64) * scale
        depth = render_hand_depth(cam, truth, background_m=3.0, radius_m=0.010 * scale)
        loc = locate(result, cam, depth)
        assert loc.distance_source == DISTANCE_FROM_DEPTH, name
        relief = truth[:, 2] - truth[:, 2].mean()
        tolerance = 0.01 + abs(1.0 - 1.0 / scale) * float(np.max(np.abs(relief)))
        error = np.linalg.norm(loc.points - truth, axis=1)
        assert np.max(error) < tolerance, (name, float(np.max(error)), tolerance)
        assert reprojection_px(cam, result, loc.points) < REPROJECTION_PX, name


def test_bad_depth_and_bad_landmarks(lone_hands):
    _, result = lone_hands["mps_hand_thumb_up.jpg"]
    cam = camera(result.image_size)
    width, height = result.image_size
    with pytest.raises(ValueError, match="not a scale of the colour image"):
        locate(result, cam, np.full((height, width // 3), 1.0, np.float32))
    with pytest.raises(ValueError, match="dtype"):
        locate(result, cam, np.full((height, width), 1, np.int32))
    # Depth without a reading (holes everywhere): placed by the hand model, and said why.
    loc = locate(result, cam, np.zeros((height, width), np.uint16))
    assert loc.distance_source == DISTANCE_FROM_HAND_MODEL and "no valid depth" in loc.distance_note
    np.testing.assert_allclose(loc.points, locate(result, cam).points)
    hand = result.hands[0]
    nan = hand.landmarks.copy()
    nan[3] = np.nan
    assert locate_hand(nan, hand.world_landmarks, hand.side, cam, result.image_size) is None
    with pytest.raises(ValueError, match=r"\(21, >=2\) landmarks"):
        locate_hand(hand.landmarks[:20], hand.world_landmarks, hand.side, cam, result.image_size)


# ---------------------------------------------------------------------------- pointing
def curled_middle(values: np.ndarray) -> np.ndarray:
    """The same hand with its middle finger curled onto the palm (PIP, DIP and tip pulled from the
    knuckle toward the wrist): a V sign becomes a pointing hand."""
    out = np.array(values, copy=True)
    wrist, knuckle = out[H.WRIST], out[H.MIDDLE_FINGER_MCP]
    for i, f in ((H.MIDDLE_FINGER_PIP, 0.15), (H.MIDDLE_FINGER_DIP, 0.25), (H.MIDDLE_FINGER_TIP, 0.3)):
        out[i] = knuckle + f * (wrist - knuckle)
    return out


def test_a_lone_hand_points_with_its_index_finger_only_when_it_points(lone_hands):
    settings = replace(GestureSettings(), pointing_plane=(0.0, 1.0, 0.0, 0.5))   # a ceiling 0.5 m up (y down)
    for name, (_, result) in lone_hands.items():   # thumbs up and a V sign: no pointing
        loc = locate(result, camera(result.image_size))
        hand = result.hands[0]
        assert index_finger_ray(loc.points, hand.world_landmarks, hand.side, settings) is None, name
    _, result = lone_hands["tfe_hand_v_sign_3024x4032.jpg"]
    hand = result.hands[0]
    cam = camera(result.image_size)
    pointing = replace(hand, landmarks=curled_middle(hand.landmarks), world_landmarks=curled_middle(
        hand.world_landmarks))
    loc = locate_hand(pointing.landmarks, pointing.world_landmarks, pointing.side, cam, result.image_size)
    ray = index_finger_ray(loc.points, pointing.world_landmarks, pointing.side, settings)
    assert ray is not None and ray.in_camera_frame and ray.side == hand.side
    np.testing.assert_allclose(ray.origin, loc.points[H.INDEX_FINGER_MCP], atol=1e-6)
    finger = loc.points[H.INDEX_FINGER_TIP] - loc.points[H.INDEX_FINGER_MCP]
    np.testing.assert_allclose(ray.direction, finger / np.linalg.norm(finger), atol=1e-6)
    # A short baseline: more uncertain than the body rays' systematic prior alone.
    assert ray.angular_uncertainty > math.radians(settings.pointing_base_uncertainty_deg)
    # This hand points up (toward -y): the ray meets the ceiling, on the ray.
    assert ray.direction[1] < 0 and ray.plane_point is not None
    assert ray.plane_point[1] == pytest.approx(-0.5)
    along = ray.plane_point - ray.origin
    np.testing.assert_allclose(along / np.linalg.norm(along), ray.direction, atol=1e-9)


# ---------------------------------------------------------------------------- frame, markers, TF, image
def test_the_frame_locates_lone_hands_only_with_a_camera_and_reports_refused_depth(lone_hands):
    _, result = lone_hands["mps_hand_thumb_up.jpg"]
    cam = camera(result.image_size)
    assert assemble_frame(result, 0.0).hands_located == ()
    errors = []
    width, height = result.image_size
    frame = assemble_frame(result, 0.0, camera=cam, depth=np.ones((height, width // 3), np.float32),
                           gestures=GestureTracks(GestureSettings()), on_error=errors.append)
    assert len(frame.hands_located) == 1 and frame.hands_located[0].distance_source == DISTANCE_FROM_HAND_MODEL
    assert frame.hands_pointing == (None,)   # a thumbs up
    assert errors and "not a scale" in errors[0]


def _frame(result, cam=None):
    return assemble_frame(result, 0.0, camera=cam, gestures=GestureTracks(GestureSettings()))


def test_markers_draw_a_lone_hand_in_the_camera_frame_and_delete_it_when_its_track_ends(lone_hands):
    from conftest import require_messages

    require_messages()
    from std_msgs.msg import Header
    from visualization_msgs.msg import Marker

    from holistic_ros.ros.markers import MarkerSettings, build_markers, lone_hand_key
    from holistic_ros.ros.tf import person_transforms

    _, result = lone_hands["mps_hand_thumb_up.jpg"]
    track = result.hands[0].track_id
    header = Header(frame_id="camera_optical_frame")
    settings = MarkerSettings()
    frame = _frame(result, camera(result.image_size))
    array, drawn = build_markers(frame, header, settings)
    by_key = {(m.ns, m.id): m for m in array.markers}
    lines, points = by_key[lone_hand_key(track, "hand", "lines")], by_key[lone_hand_key(track, "hand", "points")]
    assert lines.type == Marker.LINE_LIST and points.type == Marker.SPHERE_LIST
    assert lines.header.frame_id == points.header.frame_id == "camera_optical_frame"
    located = frame.hands_located[0].points
    np.testing.assert_allclose([(p.x, p.y, p.z) for p in points.points], located, atol=1e-6)
    label = by_key[lone_hand_key(track, "label", "hand")]
    assert f"hand #{track}" in label.text and "Thumb_Up" in label.text
    assert not any(m.ns.startswith("person_") for m in array.markers)
    # TF: our hand frame, by track id, at the located wrist
    tf = {t.child_frame_id: t for t in person_transforms(frame, header)}
    assert list(tf) == [f"holistic_hand_{track}"]
    origin = tf[f"holistic_hand_{track}"].transform.translation
    np.testing.assert_allclose([origin.x, origin.y, origin.z], located[H.WRIST], atol=1e-6)
    # Without a camera model: drawn in the image plane, no TF.
    unlocated, _ = build_markers(_frame(result), header, settings)
    assert {(m.ns, m.id) for m in unlocated.markers} == set(drawn)
    assert person_transforms(_frame(result), header) == []
    # The track ends: every one of its markers is deleted.
    empty = _frame(HolisticResult(image_size=result.image_size))
    gone, now = build_markers(empty, header, settings, drawn)
    assert now == frozenset() and {(m.ns, m.id) for m in gone.markers} == set(drawn)
    assert all(m.action == Marker.DELETE for m in gone.markers)


def test_the_annotated_image_draws_a_lone_hand_with_its_track_id_and_gesture(lone_hands):
    from holistic_ros.drawing.annotate import HandAnnotation, draw_people, lone_hand_label

    rgb, result = lone_hands["mps_hand_thumb_up.jpg"]
    hand = result.hands[0]
    drawn = draw_people(rgb.copy(), (), hands=[HandAnnotation(hand.track_id, hand.side, hand.landmarks,
                                                              hand.gesture)])
    changed = np.any(drawn != rgb, axis=2)
    height, width = rgb.shape[:2]
    uv = np.round(hand.landmarks[:, :2] * [width, height]).astype(int)
    inside = (uv[:, 0] >= 0) & (uv[:, 0] < width) & (uv[:, 1] >= 0) & (uv[:, 1] < height)
    assert np.all(changed[uv[inside, 1], uv[inside, 0]])   # a dot on every landmark
    top = int(uv[:, 1].min())
    assert changed[:max(top, 1)].sum() > 200   # the labels above the hand
    # Without the gesture only the id is written: fewer label pixels.
    bare = draw_people(rgb.copy(), (), hands=[HandAnnotation(hand.track_id, hand.side, hand.landmarks)])
    assert np.any(bare != rgb, axis=2)[:max(top, 1)].sum() < changed[:max(top, 1)].sum()
    assert lone_hand_label(7) == "hand #7"


def test_a_pointing_lone_hand_reaches_the_message_and_the_markers_with_its_finger_ray(lone_hands):
    """HolisticPeople.hands[i].points / distance_source / pointing, and the finger's arrow."""
    from conftest import require_messages

    require_messages()
    from std_msgs.msg import Header
    from visualization_msgs.msg import Marker

    from holistic_ros.ros.markers import MarkerSettings, build_markers, lone_hand_key
    from holistic_ros.ros.messages import people_to_msg

    _, result = lone_hands["tfe_hand_v_sign_3024x4032.jpg"]
    hand = result.hands[0]
    pointing = replace(hand, landmarks=curled_middle(hand.landmarks),
                       world_landmarks=curled_middle(hand.world_landmarks))
    frame = _frame(replace(result, hands=(pointing,)), camera(result.image_size))
    ray = frame.hands_pointing[0]
    assert ray is not None
    header = Header(frame_id="camera_optical_frame")
    msg = people_to_msg(frame, header, 1.0).hands[0]
    assert msg.id == hand.track_id and msg.distance_source == "hand_model" and len(msg.points) == 21
    np.testing.assert_allclose([(p.x, p.y, p.z) for p in msg.points], frame.hands_located[0].points, atol=1e-6)
    assert len(msg.pointing) == 1 and msg.pointing[0].in_camera_frame
    np.testing.assert_allclose([msg.pointing[0].origin.x, msg.pointing[0].origin.y, msg.pointing[0].origin.z],
                               ray.origin, atol=1e-6)
    array, _ = build_markers(frame, header, MarkerSettings())
    arrow = {(m.ns, m.id): m for m in array.markers}[lone_hand_key(hand.track_id, "pointing", "finger")]
    assert arrow.type == Marker.ARROW
    np.testing.assert_allclose([arrow.points[0].x, arrow.points[0].y, arrow.points[0].z], ray.origin, atol=1e-6)
    # Without a camera model: not located, so no points, no source and no ray.
    bare = people_to_msg(_frame(replace(result, hands=(pointing,))), header, 1.0).hands[0]
    assert bare.points == [] and bare.distance_source == "" and bare.pointing == []


# ---------------------------------------------------------------------------- the node, over real rclpy
@pytest.mark.ros
@pytest.mark.slow
def test_node_publishes_lone_hands_in_3d_on_tf_in_markers_and_in_the_annotated_image(context, images_dir):
    """holistic_node (its default hand_source "both") with camera_info and a depth wall: a hand shown
    without a body comes out located by depth, with its TF frame, markers and label; when it is
    gone its markers are deleted; depth of a wrong size places it by the hand model and the node
    goes on."""
    from conftest import require_messages, wait_for

    require_messages()
    import tf2_msgs.msg
    from sensor_msgs.msg import CameraInfo
    from visualization_msgs.msg import Marker

    from holistic_ros.msg import HolisticPeople
    from holistic_ros.ros.image_conversion import array_to_image_msg, image_msg_to_rgb, rgb_to_image_msg
    from holistic_ros.ros.markers import lone_hand_namespace
    from test_node import header, start

    thumb = load_rgb(images_dir / "mps_hand_thumb_up.jpg")
    tiger = load_rgb(images_dir / "tfe_noperson_tiger.jpg")
    harness = start(context, {"static_image_mode": True, "use_camera_info": True, "use_depth": True,
                              "depth_wait": 2.0, "publish_annotated": True}, factory=None, namespace="lone")
    node, probe = harness.node, harness.probe
    people, tf = [], []
    probe.create_subscription(HolisticPeople, node._people_pub.topic_name, people.append, 50)
    probe.create_subscription(tf2_msgs.msg.TFMessage, "/tf", tf.append, 100)
    info_pub = probe.create_publisher(CameraInfo, node._info_sub.topic_name, 10)
    depth_pub = probe.create_publisher(type(rgb_to_image_msg(thumb[:1, :1], header(0))), node._depth_sub.topic_name, 10)
    wait_for(lambda: node._people_pub.get_subscription_count() > 0 and node._info_sub.get_publisher_count() > 0
             and node._depth_sub.get_publisher_count() > 0, "discovery of people, camera_info and depth")

    def send(sec, rgb, depth):
        height, width = rgb.shape[:2]
        cam = camera((width, height))
        info = CameraInfo(header=header(sec), width=width, height=height, distortion_model="plumb_bob")
        info.k = cam.k.reshape(-1).tolist()
        info.d = [0.0] * 5
        info_pub.publish(info)
        depth_pub.publish(array_to_image_msg(depth, header(sec), "16UC1"))
        wait_for(lambda: node._depth_buffer.match(header(sec).stamp.sec + 0.25) is not None
                 and node._info_buffer.match(header(sec).stamp.sec + 0.25) is not None, f"depth and info {sec}")
        harness.image_pub.publish(rgb_to_image_msg(rgb, header(sec)))
        found = []
        wait_for(lambda: bool(found.extend(m for m in list(people) if m.header.stamp.sec == sec) or found),
                 f"people stamped {sec}")
        return found[0], cam

    def markers_of(sec):
        return [m for a in harness.messages("markers") for m in a.markers if m.header.stamp.sec == sec]

    try:
        wall_m = 0.6
        height, width = thumb.shape[:2]
        msg, cam = send(3, thumb, np.full((height // 2, width // 2), int(wall_m * 1000), np.uint16))
        assert msg.people == [] and len(msg.hands) == 1
        hand = msg.hands[0]
        assert hand.distance_source == "depth" and len(hand.points) == 21 and hand.pointing == []
        points = np.array([(p.x, p.y, p.z) for p in hand.points])
        world = np.array([(p.x, p.y, p.z) for p in hand.world_landmarks])
        assert abs(points[:, 2].mean() - wall_m) < 1e-3   # as test_a_flat_wall_of_depth_...
        assert np.all(np.abs(points[:, 2] - wall_m) <= np.abs(world[:, 2] - world[:, 2].mean()) + 1e-3)
        uv = cam.pixels_from_normalized(np.array([(p.x, p.y) for p in hand.landmarks]))
        assert np.max(np.abs(cam.project(points) - uv)) < REPROJECTION_PX
        child = f"holistic_hand_{hand.id}"
        wait_for(lambda: any(t.child_frame_id == child for m in list(tf) for t in m.transforms), f"{child} on /tf")
        frame = next(t for m in list(tf) for t in m.transforms if t.child_frame_id == child)
        assert frame.header.stamp == header(3).stamp and frame.header.frame_id == header(3).frame_id
        origin = frame.transform.translation
        np.testing.assert_allclose([origin.x, origin.y, origin.z], points[H.WRIST], atol=1e-6)
        wait_for(lambda: any(m.ns == lone_hand_namespace(hand.id, "hand") for m in markers_of(3)), "hand markers")
        drawn = {(m.ns, m.id) for m in markers_of(3)}
        assert {lone_hand_namespace(hand.id, p) for p in ("hand", "label")} <= {ns for ns, _ in drawn}
        assert all(m.header.frame_id == header(3).frame_id for m in markers_of(3))
        wait_for(lambda: any(m.header.stamp.sec == 3 for m in harness.messages("annotated")), "annotated image")
        annotated = image_msg_to_rgb(next(m for m in harness.messages("annotated") if m.header.stamp.sec == 3))
        hand_px = np.round(uv).astype(int)
        assert np.all(np.any(annotated != thumb, axis=2)[hand_px[:, 1], hand_px[:, 0]])

        # The hand is gone: its markers are deleted, no hand frame is sent.
        th, tw = tiger.shape[:2]
        gone, _ = send(4, tiger, np.full((th, tw), 2000, np.uint16))
        assert gone.hands == []
        wait_for(lambda: bool(markers_of(4)), "markers of the empty frame")
        assert {(m.ns, m.id) for m in markers_of(4) if m.action == Marker.DELETE} == drawn

        # Depth of the wrong size: refused, the hand placed by the hand model, the node goes on.
        again, _ = send(5, thumb, np.full((height, width // 3), 600, np.uint16))
        assert len(again.hands) == 1 and again.hands[0].distance_source == "hand_model"
        assert len(again.hands[0].points) == 21
    finally:
        harness.close()
