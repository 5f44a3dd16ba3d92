"""Start holistic_node with config/holistic.yaml (and, optionally, a video source and RViz).

    ros2 launch holistic_ros holistic.launch.py image:=/camera/image_raw use_gpu:=true
    ros2 launch holistic_ros holistic.launch.py video:=/path/to/clip.mp4 field_of_view:=60
    ros2 launch holistic_ros holistic.launch.py lifecycle:=true   # then: ros2 lifecycle set /holistic configure
    ros2 launch holistic_ros holistic.launch.py image:=/camera/camera/color/image_raw \
        depth:=/camera/camera/aligned_depth_to_color/image_raw rviz:=true

Arguments: image (input topic), config (parameters file), use_gpu (auto | true | false),
compressed (subscribe to <image>/compressed), video (file, image folder or camera index
for the package's video_source; empty: none), field_of_view (horizontal degrees of the
ideal camera model published with the video, so that its people get camera-frame 3D and
TF; 0: none), wait_for_subscribers (with video: start the video only once its image
topic has this many subscribers, holistic_node being one; e.g. 2 with a recorder; 0: at
once), lifecycle (true: the managed node holistic_lifecycle_node instead of
holistic_node; it starts unconfigured), namespace,
camera_info (the camera's CameraInfo topic; empty: the one next to the image, as
image_transport pairs them; none: no camera_info), depth (registered depth image topic;
empty: no depth), rviz (true: start rviz2 with rviz_config, and publish the annotated
image it shows), rviz_config (default the installed config/holistic.rviz), fixed_frame
(RViz's fixed frame; empty: the config's, camera_color_optical_frame).
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import LifecycleNode, Node

PACKAGE = "holistic_ros"
FASTDDS_PROFILE = "fastdds_large_images.xml"
TRUE = ("true", "1", "yes", "on")
FALSE = ("false", "0", "no", "off")
#: camera_info:=none (or false / off): the node does not subscribe to camera_info.
NO_TOPIC = ("none",) + FALSE
RVIZ_CONFIG = "holistic.rviz"
#: The fixed frame of config/holistic.rviz: the frame of video_source's images under RViz.
RVIZ_FIXED_FRAME = "camera_color_optical_frame"
#: field_of_view's default: scripts/demo.py's (make demo), a webcam-like horizontal angle.
DEMO_FIELD_OF_VIEW = "60.0"
#: The largest field_of_view video_source and holistic_node accept (their parameter ranges).
MAX_FIELD_OF_VIEW = 179.0


def camera_info_topic(image: str, camera_info: str) -> str:
    """The camera_info topic: the given one, or, when empty, the image topic's sibling
    (``/camera/image_raw`` -> ``/camera/camera_info``), where camera drivers publish it and
    image_transport's camera subscribers look for it. "" when camera_info is switched off."""
    camera_info = camera_info.strip()
    if camera_info.lower() in NO_TOPIC:
        return ""
    if camera_info:
        return camera_info
    parent = image.rstrip("/").rpartition("/")[0]
    return f"{parent}/camera_info" if parent or image.startswith("/") else "camera_info"


def _flag(context, name: str) -> bool:
    value = LaunchConfiguration(name).perform(context).strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError(f"{name} must be true or false, not '{value}'")


def _degrees(context, name: str) -> float:
    text = LaunchConfiguration(name).perform(context).strip()
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number of degrees, not '{text}'") from None
    if not 0.0 <= value <= MAX_FIELD_OF_VIEW:
        raise ValueError(f"{name} must be in [0, {MAX_FIELD_OF_VIEW:g}] degrees, not {value:g}")
    return value


def _count(context, name: str) -> int:
    text = LaunchConfiguration(name).perform(context).strip()
    if not text.isdigit():
        raise ValueError(f"{name} must be a whole number >= 0, not '{text}'")
    return int(text)


def _launch_setup(context, *args, **kwargs):
    image = LaunchConfiguration("image").perform(context)
    config = LaunchConfiguration("config").perform(context)
    use_gpu = LaunchConfiguration("use_gpu").perform(context).strip().lower()
    compressed = LaunchConfiguration("compressed").perform(context).strip().lower() in TRUE
    video = LaunchConfiguration("video").perform(context)
    namespace = LaunchConfiguration("namespace").perform(context)
    info_topic = camera_info_topic(image, LaunchConfiguration("camera_info").perform(context))
    depth = LaunchConfiguration("depth").perform(context).strip()
    rviz = _flag(context, "rviz")
    rviz_config = LaunchConfiguration("rviz_config").perform(context)
    fixed_frame = LaunchConfiguration("fixed_frame").perform(context).strip()
    lifecycle = _flag(context, "lifecycle")
    field_of_view = _degrees(context, "field_of_view")
    wait_for_subscribers = _count(context, "wait_for_subscribers")

    # use_depth / use_camera_info follow the topics: an empty one is not subscribed to at all.
    overrides = {"use_depth": bool(depth), "use_camera_info": bool(info_topic)}
    if use_gpu in TRUE:
        overrides["execution_provider"] = "cuda"
    elif use_gpu in FALSE:
        overrides["execution_provider"] = "cpu"
    elif use_gpu != "auto":
        raise ValueError(f"use_gpu must be auto, true or false, not '{use_gpu}'")
    if compressed:
        overrides["image_transport"] = "compressed"
    if rviz:
        overrides["publish_annotated"] = True   # the config's Image display shows it
    if video and not info_topic:   # no camera_info subscription: the node's own stand-in for it
        overrides["field_of_view"] = field_of_view
    remappings = [("image", image), ("image/compressed", image + "/compressed")]
    if info_topic:
        remappings.append(("camera_info", info_topic))
    if depth:
        remappings.append(("depth/image", depth))
    # Fast DDS profile for images larger than its 512 KB shared-memory segment
    # (see config/fastdds_large_images.xml); a profile the user set wins.
    env = {}
    if not (os.environ.get("FASTRTPS_DEFAULT_PROFILES_FILE") or os.environ.get("FASTDDS_DEFAULT_PROFILES_FILE")):
        env["FASTRTPS_DEFAULT_PROFILES_FILE"] = os.path.join(
            get_package_share_directory(PACKAGE), "config", FASTDDS_PROFILE)

    # The managed node (launch_ros' LifecycleNode: it follows the node's transitions) or the plain one.
    node_action, executable = (LifecycleNode, "holistic_lifecycle_node") if lifecycle else (Node, "holistic_node")
    actions = [
        node_action(
            package=PACKAGE,
            executable=executable,
            name="holistic",
            namespace=namespace,
            output="screen",
            parameters=[config, overrides],
            remappings=remappings,
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
            # A video has no calibration: an ideal camera_info of field_of_view beside each
            # frame, on the topic the node reads, gives camera-frame 3D and TF (as make demo).
            parameters=[{"source": video, "loop": True, "frame_id": fixed_frame or RVIZ_FIXED_FRAME,
                         "field_of_view": field_of_view if info_topic else 0.0,
                         "min_subscribers": wait_for_subscribers}],
            remappings=[("image", image)] + ([("camera_info", info_topic)] if info_topic else []),
            additional_env=env,
        ))
    if rviz:
        if not os.path.isfile(rviz_config):
            raise FileNotFoundError(f"rviz_config: no file {rviz_config}")
        # In the nodes' namespace, so that the config's relative topics (holistic/markers,
        # holistic/annotated) name this node's; /tf is absolute.
        actions.append(Node(
            package="rviz2",
            executable="rviz2",
            name="rviz2",
            namespace=namespace,
            output="screen",
            arguments=["-d", rviz_config] + (["-f", fixed_frame] if fixed_frame else []),
            additional_env=env,
        ))
    return actions


def generate_launch_description():
    share = get_package_share_directory(PACKAGE)
    default_config = os.path.join(share, "config", "holistic.yaml")
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
        DeclareLaunchArgument("field_of_view", default_value=DEMO_FIELD_OF_VIEW,
                              description="With video: horizontal degrees of the ideal camera_info published "
                                          "with it (camera-frame 3D and TF; distances scale with it); 0: none"),
        DeclareLaunchArgument("wait_for_subscribers", default_value="0",
                              description="With video: start it only once its image topic has this many "
                                          "subscribers (holistic_node is one; 2: also a recorder), so that "
                                          "none misses the first frame; 0: at once"),
        DeclareLaunchArgument("lifecycle", default_value="false",
                              description="true: start the managed node holistic_lifecycle_node (unconfigured; "
                                          "ros2 lifecycle set <node> configure, then activate)"),
        DeclareLaunchArgument("namespace", default_value="", description="Namespace of the nodes"),
        DeclareLaunchArgument("camera_info", default_value="",
                              description="CameraInfo topic of the camera; empty: <image's namespace>/camera_info; "
                                          "none: no camera_info (no camera-frame 3D unless field_of_view is set)"),
        DeclareLaunchArgument("depth", default_value="",
                              description="Depth image topic registered to the image (16UC1 mm or 32FC1 m); "
                                          "empty: no depth"),
        DeclareLaunchArgument("rviz", default_value="false",
                              description="true: start rviz2 with rviz_config (and publish holistic/annotated)"),
        DeclareLaunchArgument("rviz_config", default_value=os.path.join(share, "config", RVIZ_CONFIG),
                              description="RViz config file"),
        DeclareLaunchArgument("fixed_frame", default_value="",
                              description="RViz fixed frame (the camera's frame); empty: the config's, "
                                          "camera_color_optical_frame"),
        OpaqueFunction(function=_launch_setup),
    ])
