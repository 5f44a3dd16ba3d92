"""The MediaPipe Holistic cascade on ONNX Runtime: models and sessions, ROI maths, the
stages (pose detection and landmarks, face, hands, segmentation), tracking, filters,
device crops, and the :class:`Holistic` class that wires them.

The lowest layer: it imports nothing else of holistic_ros, and no ROS.
"""

from .holistic import Holistic, HolisticOptions
from .models import ModelError
from .result import HolisticResult

__all__ = ["Holistic", "HolisticOptions", "HolisticResult", "ModelError"]
