"""holistic_ros: MediaPipe Holistic on ONNX Runtime, with a ROS 2 node.

The pipeline core (this package's top level) imports no ROS:

    from holistic_ros import Holistic
    with Holistic() as holistic:
        result = holistic.process(rgb)

The ROS 2 adapter is :mod:`holistic_ros.node`.
"""

from .holistic import Holistic, HolisticOptions
from .models import ModelError
from .result import HolisticResult

__all__ = ["Holistic", "HolisticOptions", "HolisticResult", "ModelError"]
