"""Start holistic_node with config/holistic.yaml (and, optionally, a video source).

    ros2 launch holistic_ros holistic.launch.py image:=/camera/image_raw use_gpu:=true
    ros2 launch holistic_ros holistic.launch.py video:=/path/to/clip.mp4

Arguments: image (input topic), config (parameters file), use_gpu (auto | true | false),
compressed (subscribe to <image>/compressed), video (file, image folder or camera index
for the package's video_source; empty: none), namespace.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

PACKAGE = "holistic_ros"
FASTDDS_PROFILE = "fastdds_large_images.xml"
TRUE = ("true", "1", "yes", "on")
FALSE = ("false", "0", "no", "off")


def _launch_setup(context, *args, **kwargs):
    image = LaunchConfiguration("image").perform(context)
    config = LaunchConfiguration("config").perform(context)
    use_gpu = LaunchConfiguration("use_gpu").perform(context).strip().lower()
    compressed = LaunchConfiguration("compressed").perform(context).strip().lower() in TRUE
    video = LaunchConfiguration("video").perform(context)
    namespace = LaunchConfiguration("namespace").perform(context)

    overrides = {}
    if use_gpu in TRUE:
        overrides["execution_provider"] = "cuda"
    elif use_gpu in FALSE:
        overrides["execution_provider"] = "cpu"
    elif use_gpu != "auto":
        raise ValueError(f"use_gpu must be auto, true or false, not '{use_gpu}'")
    if compressed:
        overrides["image_transport"] = "compressed"
    # Fast DDS profile for images larger than its 512 KB shared-memory segment
    # (see config/fastdds_large_images.xml); a profile the user set wins.
    env = {}
    if not (os.environ.get("FASTRTPS_DEFAULT_PROFILES_FILE") or os.environ.get("FASTDDS_DEFAULT_PROFILES_FILE")):
        env["FASTRTPS_DEFAULT_PROFILES_FILE"] = os.path.join(
            get_package_share_directory(PACKAGE), "config", FASTDDS_PROFILE)

    actions = [
        Node(
            package=PACKAGE,
            executable="holistic_node",
            name="holistic",
            namespace=namespace,
            output="screen",
            parameters=[config, overrides] if overrides else [config],
            remappings=[("image", image), ("image/compressed", image + "/compressed")],
            additional_env=env,
        )
    ]
    if video:
        actions.append(Node(
            package=PACKAGE,
            executable="video_source",
            name="video_source",
            namespace=namespace,
            output="screen",
            parameters=[{"source": video, "loop": True}],
            remappings=[("image", image)],
            additional_env=env,
        ))
    return actions


def generate_launch_description():
    default_config = os.path.join(get_package_share_directory(PACKAGE), "config", "holistic.yaml")
    return LaunchDescription([
        DeclareLaunchArgument("image", default_value="/camera/image_raw",
                              description="Input image topic (sensor_msgs/Image)"),
        DeclareLaunchArgument("config", default_value=default_config,
                              description="Parameters file of holistic_node"),
        DeclareLaunchArgument("use_gpu", default_value="auto",
                              description="auto: CUDA if usable, else CPU; true: CUDA; false: CPU"),
        DeclareLaunchArgument("compressed", default_value="false",
                              description="Subscribe to <image>/compressed instead"),
        DeclareLaunchArgument("video", default_value="",
                              description="Also start video_source on this file, folder or camera"),
        DeclareLaunchArgument("namespace", default_value="", description="Namespace of the nodes"),
        OpaqueFunction(function=_launch_setup),
    ])
