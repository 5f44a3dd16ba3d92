"""REP-155 (ros4hri) output: bodies, faces and their matches under ``/humans/``.

With ``hri.enable`` the node speaks REP-155 (ros-infrastructure/rep, ``rep-0155.rst``) with
the messages of ros4hri's ``hri_msgs`` (ros4hri/hri_msgs, 2.0 and 2.2), so that a ros4hri
stack (``hri_person_manager``, ``libhri``/``pyhri``, ``hri_rviz``) reads it as it reads
``hri_body_detect`` and ``hri_face_detect`` together:

* ``/humans/bodies/tracked`` and ``/humans/faces/tracked`` (``hri_msgs/IdsList``), every frame;
* per body ``/humans/bodies/<id>/``: ``roi`` (``hri_msgs/NormalizedRegionOfInterest2D``, what
  hri_msgs 2 and libhri use in place of the REP's ``sensor_msgs/RegionOfInterest``),
  ``cropped`` (``sensor_msgs/Image``), ``skeleton2d`` (``hri_msgs/Skeleton2D``), ``gesture``
  (``hri_msgs/Gesture``);
* per face ``/humans/faces/<id>/``: ``roi``, ``cropped`` and ``aligned`` (128 x 128, the REP's
  default ``/humans/faces/width`` and ``height``), ``landmarks`` (``hri_msgs/FacialLandmarks``);
* ``/humans/candidate_matches`` (``hri_msgs/IdsMatch``): face and body of one person,
  confidence 1.0, every frame both are seen;
* TF ``body_<body id>``, ``face_<face id>``, ``gaze_<face id>`` beside the node's own frames.

Ids: ``b<n>`` and ``f<n>`` for our person id ``n`` (:mod:`holistic_ros.pipeline.people`: stable
while tracked, never given to another person). Per-id publishers are created when an id
appears and destroyed when it leaves (:class:`HriOutput`).

The message contents are computed by pure functions on NumPy arrays (testable without ROS
messages); ``hri_msgs`` is imported here only, and the node runs without it.
"""

from __future__ import annotations

import threading
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np
from rclpy.event_handler import PublisherEventCallbacks
from rclpy.node import Node
from rclpy.qos import QoSProfile
from sensor_msgs.msg import Image

from holistic_ros.gestures.types import HRI_GESTURE_CODES
from holistic_ros.pipeline.face import MESH_LEFT_EYE_OUTER, MESH_RIGHT_EYE_OUTER
from holistic_ros.pipeline.face_refinement_indices import LEFT_IRIS_FIRST_INDEX, RIGHT_IRIS_FIRST_INDEX
from holistic_ros.pipeline.landmark_names import PoseLandmark as P
from holistic_ros.pipeline.people import body_box
from holistic_ros.pipeline.roi import (NormRect, crop_roi, rect_from_bounding_box, rect_from_rotated_extent,
                                       transform_rect)
from holistic_ros.ros.image_conversion import rgb_to_image_msg
from holistic_ros.ros.tf import transform_stamped

try:  # ros4hri; not on PyPI (make build builds a test-only copy)
    from hri_msgs import msg as hri_msgs
except ImportError:
    hri_msgs = None

#: REP-155 "Global Parameters": /humans/faces/width and /humans/faces/height default to 128.
FACE_CROP_SIZE = (128, 128)

# ------------------------------------------------------------------------------ ids
BODY_ID_PREFIX, FACE_ID_PREFIX = "b", "f"


def body_id(person_id: int) -> str:
    """REP-155 body id of our person id: ``b3`` (never reused, as person ids)."""
    return f"{BODY_ID_PREFIX}{int(person_id)}"


def face_id(person_id: int) -> str:
    return f"{FACE_ID_PREFIX}{int(person_id)}"


# ------------------------------------------------------------------------------ skeleton
#: Skeleton2D's 18 points (OpenPose COCO order, hri_msgs/msg/Skeleton2D.msg) from the 33
#: MediaPipe pose landmarks; NECK (1) has none: it is the shoulders' midpoint, as
#: OpenPose's neck and hri_body_detect's. "Left"/"right" are the subject's own in both.
SKELETON2D_FROM_POSE: Tuple[Optional[int], ...] = (
    P.NOSE, None, P.RIGHT_SHOULDER, P.RIGHT_ELBOW, P.RIGHT_WRIST, P.LEFT_SHOULDER, P.LEFT_ELBOW,
    P.LEFT_WRIST, P.RIGHT_HIP, P.RIGHT_KNEE, P.RIGHT_ANKLE, P.LEFT_HIP, P.LEFT_KNEE, P.LEFT_ANKLE,
    P.LEFT_EYE, P.RIGHT_EYE, P.LEFT_EAR, P.RIGHT_EAR)
SKELETON2D_NECK = 1


def skeleton2d_points(pose_landmarks: np.ndarray) -> np.ndarray:
    """(18, 3) x, y (normalised to the image, clipped to [0, 1] as hri_msgs asks) and c (the
    landmark's visibility) from (33, 4) pose landmarks. The neck is the shoulders' midpoint
    with the lower of their two visibilities."""
    pose = np.asarray(pose_landmarks, dtype=np.float64)
    points = np.zeros((len(SKELETON2D_FROM_POSE), 3))
    for i, index in enumerate(SKELETON2D_FROM_POSE):
        if index is not None:
            points[i] = pose[index, [0, 1, 3]]
    shoulders = pose[[P.LEFT_SHOULDER, P.RIGHT_SHOULDER]]
    points[SKELETON2D_NECK, :2] = shoulders[:, :2].mean(axis=0)
    points[SKELETON2D_NECK, 2] = shoulders[:, 3].min()
    points[:, :2] = np.clip(points[:, :2], 0.0, 1.0)
    points[:, 2] = np.clip(points[:, 2], 0.0, 1.0)
    return points


# ------------------------------------------------------------------------------ face landmarks
#: FacialLandmarks' points 0-67 (the dlib / OpenPose 68-point face, hri_msgs/msg/FacialLandmarks.msg)
#: as face mesh indices: the jaw on FACEMESH_FACE_OVAL, brows on FACEMESH_{RIGHT,LEFT}_EYEBROW, eyes
#: on FACEMESH_{RIGHT,LEFT}_EYE, lips on FACEMESH_LIPS (mediapipe/python/solutions/face_mesh_connections.py),
#: nose bridge and nostrils from the canonical mesh
#: (mediapipe/modules/face_geometry/data/canonical_face_model_uv_visualization.png). Subject's right
#: first, as dlib; test_hri.py checks each point's place on a real face.
FACIAL_LANDMARKS_FROM_MESH: Tuple[int, ...] = (
    # jaw 0-16: right ear (RIGHT_EAR, 0) round the chin (MENTON, 8) to the left ear (16)
    127, 234, 93, 132, 58, 136, 150, 176, 152, 400, 379, 365, 288, 361, 323, 454, 356,
    # right eyebrow 17-21 (outside to inside), left eyebrow 22-26 (inside to outside)
    70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
    # nose bridge 27-30 (SELLION to the tip), nostrils 31-35 (right to left)
    168, 197, 5, 4, 98, 97, 2, 326, 327,
    # right eye 36-41: outside, top 1, top 2, inside, bottom 2, bottom 1
    33, 160, 158, 133, 153, 144,
    # left eye 42-47: inside, top 1, top 2, outside, bottom 1, bottom 2
    362, 385, 387, 263, 373, 380,
    # outer lips 48-59: right corner, top to the left corner (54), bottom back
    61, 40, 37, 0, 267, 270, 291, 321, 314, 17, 84, 91,
    # inner lips 60-67: right corner, top, left corner (64), bottom back
    78, 81, 13, 311, 308, 402, 14, 178,
)
#: The eye contours (FACEMESH_RIGHT_EYE / FACEMESH_LEFT_EYE of face_mesh_connections.py): the
#: pupils of a 468-point mesh are their centres (the iris model, refine_face_landmarks, has them).
RIGHT_EYE_CONTOUR = (33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173)
LEFT_EYE_CONTOUR = (263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398)
RIGHT_PUPIL, LEFT_PUPIL = 68, 69
NUM_FACIAL_LANDMARKS = 70


def facial_landmarks_points(face_landmarks: np.ndarray, confidence: float) -> np.ndarray:
    """(70, 3) x, y (normalised, clipped to [0, 1]) and c for FacialLandmarks from the face mesh
    ((468, 3) or (478, 3) with the irises). Pupils: the iris centres where the mesh has them
    (mesh points 468 and 473), else the centre of each eye's contour (where the eye is, not
    where it looks). ``confidence``: the face model's score, for every point."""
    mesh = np.asarray(face_landmarks, dtype=np.float64)[:, :2]
    points = np.empty((NUM_FACIAL_LANDMARKS, 3))
    points[:len(FACIAL_LANDMARKS_FROM_MESH), :2] = mesh[list(FACIAL_LANDMARKS_FROM_MESH)]
    if len(mesh) > RIGHT_IRIS_FIRST_INDEX:
        # face_refinement_indices: MediaPipe's "left_iris" (468..) is the image's left, the subject's right.
        points[RIGHT_PUPIL, :2] = mesh[LEFT_IRIS_FIRST_INDEX]
        points[LEFT_PUPIL, :2] = mesh[RIGHT_IRIS_FIRST_INDEX]
    else:
        points[RIGHT_PUPIL, :2] = mesh[list(RIGHT_EYE_CONTOUR)].mean(axis=0)
        points[LEFT_PUPIL, :2] = mesh[list(LEFT_EYE_CONTOUR)].mean(axis=0)
    points[:, :2] = np.clip(points[:, :2], 0.0, 1.0)
    points[:, 2] = float(np.clip(confidence, 0.0, 1.0))
    return points


# ------------------------------------------------------------------------------ regions and crops
def clipped_box(box_norm: Iterable[float]) -> np.ndarray:
    """(xmin, ymin, xmax, ymax) normalised, clipped to the image."""
    return np.clip(np.asarray(list(box_norm), dtype=np.float64), 0.0, 1.0)


def face_box(face_landmarks: np.ndarray) -> np.ndarray:
    """The face mesh's extent (xmin, ymin, xmax, ymax), normalised, clipped to the image."""
    xy = np.asarray(face_landmarks, dtype=np.float64)[:, :2]
    return clipped_box(np.concatenate([xy.min(axis=0), xy.max(axis=0)]))


def body_roi_box(pose_landmarks: np.ndarray) -> np.ndarray:
    """The body's box (the visible landmarks', :func:`holistic_ros.pipeline.people.body_box`),
    clipped to the image."""
    return clipped_box(body_box(pose_landmarks))


def _crop_rgb(rgb: np.ndarray, rect: NormRect, size: Tuple[int, int]) -> np.ndarray:
    """``rect`` of ``rgb`` scaled into ``size`` (width, height), centred and 0-padded (the
    pipeline's crop, :func:`holistic_ros.pipeline.roi.crop_roi`, in uint8)."""
    crop = crop_roi(rgb, rect, size[0], size[1], keep_aspect_ratio=True, value_range=(0.0, 255.0),
                    border_zero=True)
    return np.clip(np.rint(crop.tensor[0]), 0, 255).astype(np.uint8)


def face_crop_rect(face_landmarks: np.ndarray, image_size: Tuple[int, int], aligned: bool = False) -> NormRect:
    """The square around the face mesh's extent (``image_size``: width, height); ``aligned``:
    turned so that the eye corners are level (the rotation of MediaPipe's face ROI,
    :func:`holistic_ros.pipeline.face.face_roi_from_landmarks`)."""
    points = np.asarray(face_landmarks)[:, :2]
    rect = rect_from_bounding_box(points, image_size, MESH_RIGHT_EYE_OUTER, MESH_LEFT_EYE_OUTER, 0.0)
    if aligned:   # the tight box in the turned frame, so that the face is centred and whole
        rect = rect_from_rotated_extent(points, image_size, rect.rotation)
    else:
        rect = NormRect(rect.x_center, rect.y_center, rect.width, rect.height, 0.0)
    return transform_rect(rect, image_size, square_long=True)


def face_crop(rgb: np.ndarray, face_landmarks: np.ndarray, size: Tuple[int, int] = FACE_CROP_SIZE,
              aligned: bool = False) -> np.ndarray:
    """The face as a (height, width, 3) uint8 image, scaled, centred and 0-padded (REP-155
    ``cropped``), or with the eyes level (REP-155 ``aligned``): :func:`face_crop_rect`."""
    return _crop_rgb(rgb, face_crop_rect(face_landmarks, (rgb.shape[1], rgb.shape[0]), aligned), size)


def body_crop(rgb: np.ndarray, box_norm: np.ndarray) -> Optional[np.ndarray]:
    """The body's box of ``rgb`` at the image's resolution, None when it has no pixel."""
    height, width = rgb.shape[:2]
    x0, y0 = int(np.floor(box_norm[0] * width)), int(np.floor(box_norm[1] * height))
    x1, y1 = int(np.ceil(box_norm[2] * width)), int(np.ceil(box_norm[3] * height))
    if x1 <= x0 or y1 <= y0:
        return None
    return np.ascontiguousarray(rgb[y0:y1, x0:x1])


# ------------------------------------------------------------------------------ gestures
#: MediaPipe's canned hand gestures (holistic_ros.pipeline.hand_gesture.CANNED_GESTURE_LABELS) ->
#: hri_msgs 2.2 Gesture constant names. hri_msgs 2.0 has none of them; "None" is no gesture.
HAND_GESTURE_NAMES = {"Closed_Fist": "CLOSED_FIST", "Open_Palm": "OPEN_PALM", "Pointing_Up": "POINTING_UP",
                      "Thumb_Down": "THUMB_DOWN", "Thumb_Up": "THUMB_UP", "Victory": "VICTORY",
                      "ILoveYou": "LOVE"}
#: hri_msgs 2.2 Gesture handedness constant names by side (the subject's own hand).
HANDEDNESS_NAMES = {"left": "LEFT", "right": "RIGHT"}


def gesture_of(person, gesture_type) -> Optional[Tuple[int, Optional[str]]]:
    """The one gesture to publish for ``person`` (:class:`holistic_ros.gestures.person.PersonFrame`):
    (code, side) or None.

    A held body gesture with an hri_msgs code (the most confident) comes first; else a hand's
    canned gesture (the higher score) where ``gesture_type`` (hri_msgs/Gesture) has its
    constant (hri_msgs 2.2). ``side``: the subject's "left", "right", or None."""
    if person.gestures is not None:
        held = [a for a in person.gestures.active if a.gesture in HRI_GESTURE_CODES]
        if held:
            best = max(held, key=lambda a: a.confidence)
            return HRI_GESTURE_CODES[best.gesture], best.side if best.side in HANDEDNESS_NAMES else None
    hands = []
    for side in ("left", "right"):
        gesture = getattr(person.result, f"{side}_hand_gesture", None)
        name = HAND_GESTURE_NAMES.get(getattr(gesture, "label", None))
        if name is not None and hasattr(gesture_type, name):
            hands.append((float(gesture.score), int(getattr(gesture_type, name)), side))
    if hands:
        _, code, side = max(hands)
        return code, side
    return None


# ------------------------------------------------------------------------------ messages
def available() -> bool:
    """Whether hri_msgs can be imported."""
    return hri_msgs is not None


def ids_list_msg(ids: Iterable[str], header):
    return hri_msgs.IdsList(header=header, ids=list(ids))


def roi_msg(box_norm: np.ndarray, confidence: float, header):
    xmin, ymin, xmax, ymax = (float(v) for v in box_norm)
    return hri_msgs.NormalizedRegionOfInterest2D(header=header, xmin=xmin, ymin=ymin, xmax=xmax, ymax=ymax,
                                                 c=float(np.clip(confidence, 0.0, 1.0)))


def _pois(points: np.ndarray) -> list:
    return [hri_msgs.NormalizedPointOfInterest2D(x=x, y=y, c=c) for x, y, c in points.tolist()]


def skeleton2d_msg(pose_landmarks: np.ndarray, header):
    return hri_msgs.Skeleton2D(header=header, skeleton=_pois(skeleton2d_points(pose_landmarks)))


def facial_landmarks_msg(face_landmarks: np.ndarray, confidence: float, image_size: Tuple[int, int], header):
    return hri_msgs.FacialLandmarks(header=header, landmarks=_pois(facial_landmarks_points(face_landmarks, confidence)),
                                    width=int(image_size[0]), height=int(image_size[1]))


def gesture_msg(code: int, side: Optional[str], header):
    msg = hri_msgs.Gesture(header=header, gesture=int(code))
    if hasattr(msg, "handedness"):  # hri_msgs 2.2
        name = HANDEDNESS_NAMES.get(side)
        msg.handedness = int(getattr(hri_msgs.Gesture, name)) if name else int(
            getattr(hri_msgs.Gesture, "INDEPENDENT", 0))
    return msg


def ids_match_msg(face: str, body: str, confidence: float = 1.0):
    return hri_msgs.IdsMatch(id1=face, id1_type=hri_msgs.IdsMatch.FACE, id2=body, id2_type=hri_msgs.IdsMatch.BODY,
                             confidence=float(confidence))


def hri_transforms(frame, header) -> List:
    """``body_<body id>``, ``face_<face id>``, ``gaze_<face id>`` of every located person."""
    transforms = []
    for person in frame.people:
        located = person.located
        if located is None:
            continue
        for pose, child in ((located.body_pose, f"body_{body_id(person.person_id)}"),
                            (located.face_pose, f"face_{face_id(person.person_id)}"),
                            (located.gaze_pose, f"gaze_{face_id(person.person_id)}")):
            if pose is not None:
                transforms.append(transform_stamped(header, child, pose))
    return transforms


# ------------------------------------------------------------------------------ publishers
BODY_TOPICS = ("roi", "cropped", "skeleton2d", "gesture")
FACE_TOPICS = ("roi", "cropped", "aligned", "landmarks")
#: Small messages: reliable, the last 10 (libhri subscribes with the system default QoS).
QOS = QoSProfile(depth=10)
#: Images: reliable, the newest only.
IMAGE_QOS = QoSProfile(depth=1)
#: Every publisher here may be destroyed while the executor spins (an id leaves, on the worker
#: thread; hri.enable turned off, in the parameter callback): without QoS event handlers
#: (rclpy's default adds incompatible-QoS and -type ones, waitables of the node) destroying
#: one cannot pull a waitable from under the executor's wait set, which killed the node's spin
#: with InvalidHandle ("destruction was requested"; found by scripts/fuzz_node.py).
NO_EVENTS = PublisherEventCallbacks(use_default_callbacks=False)


def _topic_types():
    return {"roi": hri_msgs.NormalizedRegionOfInterest2D, "cropped": Image, "aligned": Image,
            "skeleton2d": hri_msgs.Skeleton2D, "gesture": hri_msgs.Gesture, "landmarks": hri_msgs.FacialLandmarks}


class HriOutput:
    """The node's REP-155 publishers: the fixed ones while enabled, the per-id ones while
    their id is tracked. Thread-safe (frames are published from the node's worker thread,
    ``set_enabled`` from the parameter callback)."""

    def __init__(self, node, enabled: bool = False):
        self._node = node
        self._lock = threading.Lock()
        self._enabled = False
        self._fixed = None
        self._per_id: Dict[str, Dict[str, object]] = {}   # "/humans/bodies/b3" -> topic -> publisher
        self._warned = False
        self.set_enabled(enabled)

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        with self._lock:
            if enabled and hri_msgs is None:
                if not self._warned:
                    self._warned = True
                    self._node.get_logger().warning(
                        "hri.enable needs hri_msgs (ros4hri), which is not installed: no REP-155 output "
                        "(install ros-<distro>-hri-msgs)")
                enabled = False
            if enabled and self._fixed is None:
                from tf2_msgs.msg import TFMessage  # every ROS install has it

                # Plain publishers (Node.create_publisher), also under the lifecycle node: the
                # per-id ones come and go while it is active, and a LifecyclePublisher made
                # then would start deactivated; the node publishes here only while active.
                node = self._node
                self._fixed = dict(
                    bodies=Node.create_publisher(node, hri_msgs.IdsList, "/humans/bodies/tracked", QOS,
                                                 event_callbacks=NO_EVENTS),
                    faces=Node.create_publisher(node, hri_msgs.IdsList, "/humans/faces/tracked", QOS,
                                                event_callbacks=NO_EVENTS),
                    matches=Node.create_publisher(node, hri_msgs.IdsMatch, "/humans/candidate_matches", QOS,
                                                  event_callbacks=NO_EVENTS),
                    tf=Node.create_publisher(node, TFMessage, "/tf", 100, event_callbacks=NO_EVENTS))
                self._tf_message = TFMessage
            elif not enabled and self._fixed is not None:
                self._destroy_all()
            self._enabled = enabled

    def forget_everyone(self, header) -> None:
        """Nobody is tracked any more (the node stops taking images: deactivate, shutdown):
        empty ``tracked`` lists, so that a ros4hri client drops the ids it holds, and the
        per-id publishers destroyed. The fixed publishers stay for the next frames."""
        with self._lock:
            if not self._enabled:
                return
            for namespace in list(self._per_id):
                self._drop(namespace)
            self._fixed["bodies"].publish(ids_list_msg([], header))
            self._fixed["faces"].publish(ids_list_msg([], header))

    def close(self) -> None:
        with self._lock:
            if self._fixed is not None:
                self._destroy_all()
            self._enabled = False

    def publisher_count(self) -> int:
        """Publishers held now (fixed and per id), for tests of leaks."""
        with self._lock:
            return len(self._fixed or ()) + sum(len(p) for p in self._per_id.values())

    def _destroy_all(self) -> None:
        for namespace in list(self._per_id):
            self._drop(namespace)
        for publisher in self._fixed.values():
            self._node.destroy_publisher(publisher)
        self._fixed = None

    def _drop(self, namespace: str) -> None:
        for publisher in self._per_id.pop(namespace).values():
            self._node.destroy_publisher(publisher)

    def _publishers(self, namespace: str, topics: Tuple[str, ...]) -> Dict[str, object]:
        publishers = self._per_id.get(namespace)
        if publishers is None:
            types = _topic_types()
            publishers = self._per_id[namespace] = {
                topic: Node.create_publisher(self._node, types[topic], f"{namespace}/{topic}",
                                                   IMAGE_QOS if types[topic] is Image else QOS,
                                                   event_callbacks=NO_EVENTS)
                for topic in topics}
        return publishers

    def publish(self, frame, rgb: np.ndarray, header, publish_tf: bool = True) -> None:
        """Everything REP-155 about one frame (:class:`holistic_ros.gestures.person.FrameOutput`)
        of the image ``rgb``, with the image's header."""
        with self._lock:
            if not self._enabled:
                return
            bodies, faces, seen = [], [], set()
            for person in frame.people:
                result = person.result
                if result.pose_landmarks is None:
                    continue
                body = body_id(person.person_id)
                bodies.append(body)
                seen.add(f"/humans/bodies/{body}")
                self._publish_body(person, body, rgb, header)
                if result.face_landmarks is not None:
                    face = face_id(person.person_id)
                    faces.append(face)
                    seen.add(f"/humans/faces/{face}")
                    self._publish_face(person, face, rgb, header)
                    self._fixed["matches"].publish(ids_match_msg(face, body))
            for gone in set(self._per_id) - seen:
                self._drop(gone)
            self._fixed["bodies"].publish(ids_list_msg(bodies, header))
            self._fixed["faces"].publish(ids_list_msg(faces, header))
            if publish_tf:
                transforms = hri_transforms(frame, header)
                if transforms:
                    self._fixed["tf"].publish(self._tf_message(transforms=transforms))

    def _publish_body(self, person, body: str, rgb, header) -> None:
        result = person.result
        pubs = self._publishers(f"/humans/bodies/{body}", BODY_TOPICS)
        box = body_roi_box(result.pose_landmarks)
        pubs["roi"].publish(roi_msg(box, result.pose_score if result.pose_score is not None else 1.0, header))
        pubs["skeleton2d"].publish(skeleton2d_msg(result.pose_landmarks, header))
        if pubs["cropped"].get_subscription_count() > 0:   # a crop per frame only when someone reads it
            crop = body_crop(rgb, box)
            if crop is not None:
                pubs["cropped"].publish(rgb_to_image_msg(crop, header))
        gesture = gesture_of(person, hri_msgs.Gesture)
        if gesture is not None:
            pubs["gesture"].publish(gesture_msg(*gesture, header))

    def _publish_face(self, person, face: str, rgb, header) -> None:
        result = person.result
        pubs = self._publishers(f"/humans/faces/{face}", FACE_TOPICS)
        score = result.face_score if result.face_score is not None else 1.0
        pubs["roi"].publish(roi_msg(face_box(result.face_landmarks), score, header))
        pubs["landmarks"].publish(facial_landmarks_msg(result.face_landmarks, score,
                                                       (rgb.shape[1], rgb.shape[0]), header))
        for topic, aligned in (("cropped", False), ("aligned", True)):
            if pubs[topic].get_subscription_count() > 0:
                pubs[topic].publish(rgb_to_image_msg(face_crop(rgb, result.face_landmarks, aligned=aligned), header))
