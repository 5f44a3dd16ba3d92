"""HolisticResult -> holistic_ros/HolisticLandmarks: pure functions, testable alone.

Field meanings, units and frames are documented in msg/Landmark.msg and
msg/HolisticLandmarks.msg.
"""

from __future__ import annotations

from typing import List, Optional

import numpy as np

from holistic_ros.msg import HolisticLandmarks, Landmark
from holistic_ros.pipeline.result import HolisticResult

NAN = float("nan")


def landmarks_to_msgs(landmarks: Optional[np.ndarray],
                      presence: Optional[np.ndarray] = None) -> List[Landmark]:
    """(N, 3) or (N, 4) array -> N Landmark messages; [] for None.

    Column 3, when there, is visibility. Visibility and presence that the array does not
    carry are NaN ("not estimated").
    """
    if landmarks is None:
        return []
    values = np.asarray(landmarks, dtype=np.float64)
    n = values.shape[0]
    visibility = values[:, 3] if values.shape[1] > 3 else np.full(n, NAN)
    present = np.asarray(presence, dtype=np.float64) if presence is not None else np.full(n, NAN)
    return [Landmark(x=x, y=y, z=z, visibility=v, presence=p)
            for (x, y, z), v, p in zip(values[:, :3].tolist(), visibility.tolist(), present.tolist())]


def _score(value: Optional[float]) -> float:
    return NAN if value is None else float(value)


def holistic_result_to_msg(result: HolisticResult, header,
                           processing_time_ms: Optional[float] = None) -> HolisticLandmarks:
    """Build the message for one frame; ``header`` is the input image's, copied unchanged."""
    width, height = result.image_size
    if processing_time_ms is None:
        processing_time_ms = float(sum(result.stage_ms.values())) if result.stage_ms else NAN
    msg = HolisticLandmarks()
    msg.header = header
    msg.image_width = int(width)
    msg.image_height = int(height)

    msg.pose_found = result.pose_landmarks is not None
    msg.pose_score = _score(result.pose_score)
    msg.pose_landmarks = landmarks_to_msgs(result.pose_landmarks, result.pose_presence)
    msg.pose_world_landmarks = landmarks_to_msgs(result.pose_world_landmarks, result.pose_presence)

    msg.face_found = result.face_landmarks is not None
    msg.face_score = _score(result.face_score)
    msg.face_landmarks = landmarks_to_msgs(result.face_landmarks)

    msg.left_hand_found = result.left_hand_landmarks is not None
    msg.left_hand_score = _score(result.left_hand_score)
    msg.left_hand_landmarks = landmarks_to_msgs(result.left_hand_landmarks)

    msg.right_hand_found = result.right_hand_landmarks is not None
    msg.right_hand_score = _score(result.right_hand_score)
    msg.right_hand_landmarks = landmarks_to_msgs(result.right_hand_landmarks)

    msg.processing_time_ms = float(processing_time_ms)
    return msg


def landmarks_from_msgs(landmarks: List[Landmark]) -> Optional[np.ndarray]:
    """Landmark[] -> (N, 5) float32 array of x, y, z, visibility, presence; None if empty.

    The inverse of :func:`landmarks_to_msgs`, for consumers and tests.
    """
    if not landmarks:
        return None
    return np.array([(m.x, m.y, m.z, m.visibility, m.presence) for m in landmarks],
                    dtype=np.float32)
