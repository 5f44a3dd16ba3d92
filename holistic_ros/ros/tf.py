"""TF frames of each person: REP-155 ``body_<id>``, ``head_<id>``, ``face_<id>``,
``gaze_<id>``, and our hand frames, as ``geometry_msgs/TransformStamped``; and
``holistic_hand_<track id>`` for each located hand of no body (``HolisticPeople.hands``: its
track id, not a person id; the same hand frame as a person's hands).

Parent: the image's frame_id; stamp: the image's stamp (never now(): on a moving robot a
position stamped late is a position in the wrong place). The poses come from
:mod:`holistic_ros.spatial` (``Located3D``); this module only names and packs them.
``tf2_ros`` is not needed: the node publishes ``tf2_msgs/TFMessage`` on ``/tf`` itself.
"""

from __future__ import annotations

from typing import Dict, List

from geometry_msgs.msg import TransformStamped

#: Located3D pose field -> TF frame prefix. REP-155 names the first four; REP-155 has no hand
#: frames, so ours say whose they are.
FRAME_PREFIXES: Dict[str, str] = {
    "body_pose": "body",
    "head_pose": "head",
    "face_pose": "face",
    "gaze_pose": "gaze",
    "left_hand_pose": "holistic_left_hand",
    "right_hand_pose": "holistic_right_hand",
}


#: TF frame prefix of a hand of no body, followed by its hand track id.
LONE_HAND_PREFIX = "holistic_hand"


def frame_name(prefix: str, person_id: int) -> str:
    return f"{prefix}_{int(person_id)}"


def person_transforms(frame, header) -> List:
    """TransformStamped for every pose located this frame, for every person of ``frame``
    (:class:`holistic_ros.gestures.person.FrameOutput`)."""
    transforms = []
    for person in frame.people:
        located = person.located
        if located is None:
            continue
        for field, prefix in FRAME_PREFIXES.items():
            pose = getattr(located, field, None)
            if pose is None:
                continue
            transforms.append(transform_stamped(header, frame_name(prefix, person.person_id), pose))
    for hand, located in zip(getattr(frame, "hands", ()), getattr(frame, "hands_located", ())):
        if located is not None and located.pose is not None:
            transforms.append(transform_stamped(header, frame_name(LONE_HAND_PREFIX, hand.track_id), located.pose))
    return transforms


def transform_stamped(header, child_frame_id: str, pose) -> TransformStamped:
    """A ``Pose3D`` (position, quaternion x, y, z, w) as the transform from the image's frame
    to ``child_frame_id``, with the image's stamp."""
    t = TransformStamped()
    t.header.stamp = header.stamp
    t.header.frame_id = header.frame_id
    t.child_frame_id = child_frame_id
    t.transform.translation.x, t.transform.translation.y, t.transform.translation.z = (
        float(v) for v in pose.position)
    (t.transform.rotation.x, t.transform.rotation.y, t.transform.rotation.z,
     t.transform.rotation.w) = (float(v) for v in pose.quaternion)
    return t
