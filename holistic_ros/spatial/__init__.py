"""Metric 3D of the person in the camera frame: camera model, depth fusion, body frames.

Pure Python (NumPy, OpenCV); no ROS. The ROS layer turns :class:`Located3D` into
messages and TF frames.

    from holistic_ros.spatial import PinholeCamera, locate
    cam = PinholeCamera.from_k(info.k, info.d, info.width, info.height, info.distortion_model)
    loc = locate(result, cam, depth=depth_image)   # uint16 mm or float32 m, or None
    loc.pose_landmarks   # (33, 3) metres, x right, y down, z ahead
"""

from __future__ import annotations

from .camera import DISTORTION_MODELS, PinholeCamera
from .depth import DepthRange
from .frames import Pose3D
from .locate import (DISTANCE_FROM_BODY_MODEL, DISTANCE_FROM_DEPTH, DISTANCE_FROM_HAND_MODEL, MEASURED, MODEL,
                     NONE, Located3D, LocatedHand, LocateOptions, PointSource, locate, locate_hand,
                     solve_translation)

__all__ = [
    "DISTANCE_FROM_BODY_MODEL",
    "DISTANCE_FROM_DEPTH",
    "DISTANCE_FROM_HAND_MODEL",
    "DISTORTION_MODELS",
    "DepthRange",
    "Located3D",
    "LocatedHand",
    "LocateOptions",
    "MEASURED",
    "MODEL",
    "NONE",
    "PinholeCamera",
    "PointSource",
    "Pose3D",
    "locate",
    "locate_hand",
    "solve_translation",
]
