"""holistic_ros: MediaPipe Holistic on ONNX Runtime, with a ROS 2 node.

The core imports no ROS:

    from holistic_ros import Holistic
    with Holistic() as holistic:
        result = holistic.process(rgb)

Layers, each importing only those before it:

* :mod:`holistic_ros.pipeline`: the MediaPipe cascade (``Holistic``, ``HolisticResult``).
* :mod:`holistic_ros.spatial`: camera model, depth fusion, landmarks in metres.
* :mod:`holistic_ros.gestures`: body gestures over time, pointing rays, debounced events.
* :mod:`holistic_ros.drawing`: landmark connection tables and image annotation.
* :mod:`holistic_ros.ros`: the ROS 2 adapter (node, messages, markers, TF, tools);
  the only layer that imports rclpy or ROS message packages.
"""

from .pipeline import Holistic, HolisticOptions, HolisticResult, ModelError

__all__ = ["Holistic", "HolisticOptions", "HolisticResult", "ModelError"]
