"""``sensor_msgs/CameraInfo`` to and from the one camera model (:class:`holistic_ros.spatial.PinholeCamera`):
for the node, the video source and the bag tools."""

from __future__ import annotations

from sensor_msgs.msg import CameraInfo

from holistic_ros.spatial import PinholeCamera


def camera_from_info(info, width: int, height: int) -> PinholeCamera:
    """The camera model of a ``sensor_msgs/CameraInfo`` for an image of ``width`` x
    ``height`` pixels (scaled when the info's size differs). Raises ValueError when the
    info cannot describe a camera."""
    camera = PinholeCamera.from_k(info.k, info.d, info.width or width, info.height or height,
                                  info.distortion_model or "plumb_bob")
    return camera if (camera.width, camera.height) == (width, height) else camera.scaled_to(width, height)


def camera_to_info(camera: PinholeCamera, header):
    """A ``sensor_msgs/CameraInfo`` of an undistorted pinhole ``camera`` (the inverse of
    :func:`camera_from_info`), with ``header``."""
    info = CameraInfo(header=header, width=int(camera.width), height=int(camera.height),
                      distortion_model="plumb_bob")
    info.k = [float(v) for v in camera.k.reshape(-1)]
    info.d = [0.0] * 5
    info.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    fx, fy, cx, cy = (float(v) for v in (camera.fx, camera.fy, camera.cx, camera.cy))
    info.p = [fx, 0.0, cx, 0.0, 0.0, fy, cy, 0.0, 0.0, 0.0, 1.0, 0.0]
    return info
