"""The ROS 2 adapter: the node, message conversion, markers, TF, image conversion and the
``video_source`` and ``recorder`` tools, with their shared ``main``.

The only layer of holistic_ros that imports rclpy or ROS message packages.
"""
