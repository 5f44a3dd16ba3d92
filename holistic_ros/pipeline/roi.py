"""Region-of-interest geometry shared by every stage.

A region of interest is a rotated rectangle in normalised image coordinates,
like MediaPipe's ``NormalizedRect``. The functions here port the MediaPipe
calculators that build, transform and crop such rectangles; each docstring
names its upstream file (paths relative to ``mediapipe/``). They are pure: no
state, NumPy in, NumPy or :class:`NormRect` out.

Conventions: ``image_size`` is ``(width, height)`` in pixels; landmarks are
float arrays of shape (N, >=2) whose x and y are normalised to the image (or
to the crop, where the name says ``_roi``); angles are radians, clockwise in
image coordinates, normalised to [-pi, pi).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

ImageSize = Tuple[int, int]

# std::numeric_limits<float>::min(), the start value of the max search in
# modules/hand_landmark/calculators/hand_landmarks_to_rect_calculator.cc.
_FLT_MIN = float(np.finfo(np.float32).tiny)


@dataclass(frozen=True)
class NormRect:
    """A rotated rectangle, normalised to the image (MediaPipe's NormalizedRect)."""

    x_center: float
    y_center: float
    width: float
    height: float
    rotation: float = 0.0

    def width_px(self, image_size: ImageSize) -> float:
        return self.width * image_size[0]

    def height_px(self, image_size: ImageSize) -> float:
        return self.height * image_size[1]


@dataclass(frozen=True)
class Crop:
    """A model input cut out of an image, and what is needed to map results back."""

    #: (1, H, W, 3) float32 tensor in the model's value range.
    tensor: np.ndarray
    #: The ROI asked for; landmarks are projected back through it.
    roi: NormRect
    #: The rectangle actually sampled (the ROI padded to the tensor's aspect ratio).
    rect: NormRect
    #: Letterbox padding (left, top, right, bottom) as fractions of the tensor.
    padding: Tuple[float, float, float, float]


def normalize_radians(angle: float) -> float:
    """Wrap an angle to [-pi, pi) (``NormalizeRadians`` in MediaPipe's calculators)."""
    return angle - 2.0 * math.pi * math.floor((angle + math.pi) / (2.0 * math.pi))


def rotation_from_points(start_px: Sequence[float], end_px: Sequence[float],
                         target_angle: float) -> float:
    """Rotation that turns the start->end vector to ``target_angle``.

    ``calculators/util/detections_to_rects_calculator.cc`` (ComputeRotation):
    ``normalize(target - atan2(-(y1 - y0), x1 - x0))`` in pixels.
    """
    dx = float(end_px[0]) - float(start_px[0])
    dy = float(end_px[1]) - float(start_px[1])
    return normalize_radians(target_angle - math.atan2(-dy, dx))


def rect_from_alignment_points(center_norm: Sequence[float], scale_norm: Sequence[float],
                               image_size: ImageSize, target_angle: float) -> NormRect:
    """Square rect centred on one point, sized by twice its distance to another.

    ``calculators/util/alignment_points_to_rects_calculator.cc``.
    """
    w, h = image_size
    x0, y0 = center_norm[0] * w, center_norm[1] * h
    x1, y1 = scale_norm[0] * w, scale_norm[1] * h
    box_size = 2.0 * math.hypot(x1 - x0, y1 - y0)
    return NormRect(
        x_center=x0 / w, y_center=y0 / h, width=box_size / w, height=box_size / h,
        rotation=rotation_from_points((x0, y0), (x1, y1), target_angle))


def rect_from_bounding_box(points_norm: np.ndarray, image_size: ImageSize,
                           start: int, end: int, target_angle: float) -> NormRect:
    """Axis-aligned box around points, rotated by the vector between two of them.

    ``calculators/util/detections_to_rects_calculator.cc`` for a detection made
    by ``calculators/util/landmarks_to_detection_calculator.cc`` (its box is the
    points' extent), or with ``conversion_mode: USE_KEYPOINTS``.
    """
    xy = np.asarray(points_norm, dtype=np.float64)[:, :2]
    x_min, y_min = xy.min(axis=0)
    x_max, y_max = xy.max(axis=0)
    w, h = image_size
    rotation = rotation_from_points(xy[start] * (w, h), xy[end] * (w, h), target_angle)
    return NormRect(x_center=(x_min + x_max) / 2.0, y_center=(y_min + y_max) / 2.0,
                    width=x_max - x_min, height=y_max - y_min, rotation=rotation)


def rect_from_rotated_extent(points_norm: np.ndarray, image_size: ImageSize,
                             rotation: float) -> NormRect:
    """Tight box around points in a frame rotated by ``rotation``.

    ``modules/hand_landmark/calculators/hand_landmarks_to_rect_calculator.cc``
    (NormalizedLandmarkListToRect), including its max-search start value.
    """
    w, h = image_size
    xy = np.asarray(points_norm, dtype=np.float64)[:, :2]
    center = (np.maximum(xy.max(axis=0), _FLT_MIN) + xy.min(axis=0)) / 2.0
    reverse = normalize_radians(-rotation)
    c, s = math.cos(reverse), math.sin(reverse)
    d = (xy - center) * (w, h)
    px = d[:, 0] * c - d[:, 1] * s
    py = d[:, 0] * s + d[:, 1] * c
    max_x, max_y = max(px.max(), _FLT_MIN), max(py.max(), _FLT_MIN)
    min_x, min_y = px.min(), py.min()
    pcx, pcy = (max_x + min_x) / 2.0, (max_y + min_y) / 2.0
    c, s = math.cos(rotation), math.sin(rotation)
    cx = pcx * c - pcy * s + w * center[0]
    cy = pcx * s + pcy * c + h * center[1]
    return NormRect(x_center=cx / w, y_center=cy / h, width=(max_x - min_x) / w,
                    height=(max_y - min_y) / h, rotation=rotation)


def square_around(box_norm, scale: float, image_size: ImageSize) -> NormRect:
    """An upright square, ``scale`` times a box's longer side (in pixels), around the box's
    centre (``box_norm``: xmin, ymin, xmax, ymax, normalised): where a detector looks again
    around something found (people.upright, face.FaceBranch.faces_around)."""
    box = np.asarray(box_norm, dtype=np.float64)
    w, h = image_size
    side_px = scale * max((box[2] - box[0]) * w, (box[3] - box[1]) * h)
    return NormRect(float((box[0] + box[2]) / 2.0), float((box[1] + box[3]) / 2.0), side_px / w, side_px / h, 0.0)


def transform_rect(rect: NormRect, image_size: ImageSize, scale_x: float = 1.0,
                   scale_y: float = 1.0, shift_x: float = 0.0, shift_y: float = 0.0,
                   square_long: bool = False) -> NormRect:
    """Shift (in the rect's own rotated frame), square up, then scale.

    ``calculators/util/rect_transformation_calculator.cc``.
    """
    w, h = image_size
    width, height, rot = rect.width, rect.height, rect.rotation
    x_center, y_center = rect.x_center, rect.y_center
    if shift_x != 0.0 or shift_y != 0.0:
        c, s = math.cos(rot), math.sin(rot)
        x_center += (w * width * shift_x * c - h * height * shift_y * s) / w
        y_center += (w * width * shift_x * s + h * height * shift_y * c) / h
    if square_long:
        long_side = max(width * w, height * h)
        width, height = long_side / w, long_side / h
    return NormRect(x_center=x_center, y_center=y_center, width=width * scale_x,
                    height=height * scale_y, rotation=rot)


def _padded_roi_px(rect: NormRect, image_size: ImageSize, tensor_width: int, tensor_height: int,
                   keep_aspect_ratio: bool):
    """The ROI in pixels, padded to the tensor's aspect ratio: (cx, cy, w, h, padding).

    ``GetRoi`` and ``PadRoi`` of ``calculators/tensor/image_to_tensor_utils.cc``
    in their float32 arithmetic: an ROI several times the image is sampled
    sparsely, and a last-bit difference in its corners moves some of the
    crop's samples (the crop then differs from MediaPipe's in a few pixels and
    the model's landmarks by up to 0.2 px of the crop).
    """
    f32 = np.float32
    w, h = f32(image_size[0]), f32(image_size[1])
    cx, cy = f32(rect.x_center) * w, f32(rect.y_center) * h
    roi_w, roi_h = f32(rect.width) * w, f32(rect.height) * h
    horizontal = vertical = f32(0.0)
    if keep_aspect_ratio:
        tensor_aspect = f32(tensor_height) / f32(tensor_width)
        roi_aspect = roi_h / roi_w
        if tensor_aspect > roi_aspect:
            roi_w, roi_h = roi_w, roi_w * tensor_aspect
            vertical = (f32(1.0) - roi_aspect / tensor_aspect) / f32(2.0)
        else:
            roi_w, roi_h = roi_h / tensor_aspect, roi_h
            horizontal = (f32(1.0) - tensor_aspect / roi_aspect) / f32(2.0)
    padding = (float(horizontal), float(vertical), float(horizontal), float(vertical))
    return cx, cy, roi_w, roi_h, padding


def pad_rect_to_aspect(rect: NormRect, image_size: ImageSize, tensor_width: int,
                       tensor_height: int) -> Tuple[NormRect, Tuple[float, float, float, float]]:
    """Grow the rect to the tensor's aspect ratio; return it and the letterbox padding.

    ``calculators/tensor/image_to_tensor_utils.cc`` (PadRoi), in pixels.
    """
    _, _, roi_w, roi_h, padding = _padded_roi_px(rect, image_size, tensor_width, tensor_height, True)
    padded = NormRect(rect.x_center, rect.y_center, float(roi_w) / image_size[0], float(roi_h) / image_size[1],
                      rect.rotation)
    return padded, padding


def crop_to_image_matrix(rect: NormRect, image_size: ImageSize, out_width: int,
                         out_height: int) -> np.ndarray:
    """2x3 affine matrix taking crop pixels to image pixels, computed analytically.

    The crop's corners (0, 0)..(out_width, out_height) land on the corners of
    the rotated rect. This is the matrix MediaPipe's mask warp uses
    (``GetRotatedSubRectToRectTransformMatrix`` in
    ``calculators/tensor/image_to_tensor_utils.cc``); the crop itself is
    sampled through ``cv::getPerspectiveTransform`` in :func:`crop_roi`, as
    MediaPipe's converter does, because the pixel-exact sampling matters there.
    """
    w, h = image_size
    c, s = math.cos(rect.rotation), math.sin(rect.rotation)
    rw, rh = rect.width * w, rect.height * h
    ux = np.array([c, s]) * (rw / out_width)      # image step per crop pixel along x
    uy = np.array([-s, c]) * (rh / out_height)    # image step per crop pixel along y
    origin = np.array([rect.x_center * w, rect.y_center * h]) - ux * out_width / 2 - uy * out_height / 2
    return np.array([[ux[0], uy[0], origin[0]], [ux[1], uy[1], origin[1]]], dtype=np.float64)


@dataclass(frozen=True)
class CropGeometry:
    """Where a crop samples the image: the requested ROI, the padded rect, the
    letterbox padding, and the 3x3 projection from image pixels to crop pixels."""

    roi: NormRect
    rect: NormRect
    padding: Tuple[float, float, float, float]
    projection: np.ndarray


def crop_geometry(rect: NormRect, image_size: ImageSize, out_width: int, out_height: int,
                  keep_aspect_ratio: bool) -> CropGeometry:
    """The ROI padded to the tensor's aspect ratio (if asked) and its projection.

    Same float32 corner points and perspective solve as MediaPipe's OpenCV
    converter (``calculators/tensor/image_to_tensor_converter_opencv.cc``):
    large ROIs are sampled sparsely, so tiny differences in sample positions
    would show in the crop.
    """
    w, h = image_size
    roi = rect
    cx, cy, rect_w, rect_h, padding = _padded_roi_px(roi, (w, h), out_width, out_height, keep_aspect_ratio)
    rect = NormRect(roi.x_center, roi.y_center, float(rect_w) / w, float(rect_h) / h, roi.rotation)
    # The converter's angle: rotation * 180.f in float32, then / M_PI in double.
    degrees = np.float32(float(np.float32(roi.rotation) * np.float32(180.0)) / math.pi)
    box = cv2.boxPoints(((cx, cy), (rect_w, rect_h), degrees))
    dst = np.array([[0, out_height], [0, 0], [out_width, 0], [out_width, out_height]], dtype=np.float32)
    projection = cv2.getPerspectiveTransform(box.astype(np.float32), dst)
    return CropGeometry(roi=roi, rect=rect, padding=padding, projection=projection)


def crop_roi(image: np.ndarray, rect: NormRect, out_width: int, out_height: int,
             keep_aspect_ratio: bool, value_range: Tuple[float, float],
             border_zero: bool) -> Crop:
    """Cut a rotated ROI out of an RGB image into a model input tensor.

    ``calculators/tensor/image_to_tensor_calculator.cc`` with its OpenCV
    converter: bilinear sampling, zero or replicated border, values mapped
    linearly from [0, 255] to ``value_range``.
    """
    h, w = image.shape[:2]
    geometry = crop_geometry(rect, (w, h), out_width, out_height, keep_aspect_ratio)
    crop = cv2.warpPerspective(
        image, geometry.projection, (out_width, out_height), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT if border_zero else cv2.BORDER_REPLICATE,
        borderValue=(0, 0, 0))
    lo, hi = value_range
    # One pass from uint8 to the model's float range (the same float32 arithmetic
    # as converting first and scaling after).
    tensor = np.multiply(crop, np.float32((hi - lo) / 255.0), dtype=np.float32)
    if lo != 0.0:
        tensor += np.float32(lo)
    return Crop(tensor=tensor[None], roi=geometry.roi, rect=geometry.rect, padding=geometry.padding)


def crop_images(image, rects: Sequence[NormRect], out_width: int, out_height: int,
                keep_aspect_ratio: bool, value_range: Tuple[float, float], border_zero: bool):
    """Several ROIs of one image as one batch: (tensor (B, H, W, 3), [Crop]).

    A host image is cut with :func:`crop_roi` and the crops stacked; a
    :class:`holistic_ros.pipeline.device_crop.DeviceFrame` samples them in one run of
    its crop graph, the batch staying on the device."""
    if not isinstance(image, np.ndarray):
        return image.crop_batch(rects, out_width, out_height, keep_aspect_ratio, value_range, border_zero)
    crops = [crop_roi(image, r, out_width, out_height, keep_aspect_ratio, value_range, border_zero)
             for r in rects]
    return (crops[0].tensor if len(crops) == 1 else np.concatenate([c.tensor for c in crops])), crops


def crop_image(image, rect: NormRect, out_width: int, out_height: int,
               keep_aspect_ratio: bool, value_range: Tuple[float, float],
               border_zero: bool) -> Crop:
    """One ROI of a host image or a device frame (:func:`crop_images` with one rect)."""
    _, crops = crop_images(image, [rect], out_width, out_height, keep_aspect_ratio, value_range, border_zero)
    return crops[0]


def remove_letterbox(points_roi: np.ndarray, padding: Sequence[float]) -> np.ndarray:
    """Undo letterbox padding on crop-normalised points (x, y and z if present).

    ``calculators/util/landmark_letterbox_removal_calculator.cc``.
    """
    left, top, right, bottom = padding
    if left == top == right == bottom == 0.0:
        return points_roi
    out = np.array(points_roi, dtype=np.float64, copy=True)
    sx, sy = 1.0 - left - right, 1.0 - top - bottom
    out[:, 0] = (out[:, 0] - left) / sx
    out[:, 1] = (out[:, 1] - top) / sy
    if out.shape[1] > 2:
        out[:, 2] = out[:, 2] / sx
    return out


def project_from_roi(points_roi: np.ndarray, rect: NormRect) -> np.ndarray:
    """Map ROI-normalised points (x, y[, z]) into the image's normalised frame.

    ``calculators/util/landmark_projection_calculator.cc``: rotate about the
    ROI centre, scale by the ROI size, z by the ROI width.
    """
    pts = np.asarray(points_roi, dtype=np.float64)
    out = np.array(pts, copy=True)
    x, y = pts[:, 0] - 0.5, pts[:, 1] - 0.5
    c, s = math.cos(rect.rotation), math.sin(rect.rotation)
    out[:, 0] = (c * x - s * y) * rect.width + rect.x_center
    out[:, 1] = (s * x + c * y) * rect.height + rect.y_center
    if pts.shape[1] > 2:
        out[:, 2] = pts[:, 2] * rect.width
    return out


def landmarks_from_roi(points_roi: np.ndarray, crop: Crop) -> np.ndarray:
    """Crop-normalised model output -> image-normalised points.

    As MediaPipe's graphs do: letterbox removal, then projection through the
    requested (unpadded) ROI.
    """
    return project_from_roi(remove_letterbox(points_roi, crop.padding), crop.roi)


def rect_is_valid(rect: NormRect) -> bool:
    """A rect the cropper can use: finite, with a positive size."""
    values = (rect.x_center, rect.y_center, rect.width, rect.height, rect.rotation)
    return all(math.isfinite(v) for v in values) and rect.width > 0 and rect.height > 0


def blank_boxes_in_crop(tensor: np.ndarray, roi: NormRect, image_size: ImageSize, boxes_norm: Sequence,
                        keep_norm=None, keep_aspect_ratio: bool = True, value: float = 0.0,
                        to_border: Optional[Sequence[bool]] = None) -> None:
    """Set to ``value`` (black) the pixels of a crop (tensor (1, H, W, C) or (H, W, C),
    cut from ``roi`` by :func:`crop_roi`) that fall in any of ``boxes_norm``
    (xmin, ymin, xmax, ymax, normalised to the image), except those in ``keep_norm``.

    ``to_border`` (per box): blank what the image with the box's pixels made black would
    give. Outside the image the crop replicates the image's edge (``border_zero=False``),
    so such a box that reaches the edge is blanked on along it, out to the crop's edge
    (:func:`_box_with_border`). A box without it is blanked only where it lies, in the
    image and out of it. ``keep_norm`` is kept where it lies.

    Several people (holistic_ros.pipeline.people): a person's pose crop with the
    other people's bodies blanked, so that the model keeps to its own person."""
    out_h, out_w = tensor.shape[-3:-1]
    projection = crop_geometry(roi, image_size, out_w, out_h, keep_aspect_ratio).projection
    w, h = image_size
    # Farther out than the crop's farthest corner, normalised to the image.
    reach = (1.0 + abs(roi.x_center) + abs(roi.y_center)
             + 2.0 * max(roi.width_px(image_size), roi.height_px(image_size)) / min(w, h))

    def polygon(box):
        corners = np.array([[box[0], box[1]], [box[2], box[1]], [box[2], box[3]], [box[0], box[3]]]) * (w, h)
        return np.round(cv2.perspectiveTransform(corners[None].astype(np.float64), projection)[0]).astype(np.int32)

    mask = np.zeros((out_h, out_w), np.uint8)
    to_border = list(to_border) if to_border is not None else [False] * len(boxes_norm)
    for box, border in zip(boxes_norm, to_border):
        box = _box_with_border(box, reach) if border else box
        if box is not None:
            cv2.fillConvexPoly(mask, polygon(box), 1)
    if keep_norm is not None:
        cv2.fillConvexPoly(mask, polygon(keep_norm), 0)
    pixels = tensor.reshape(-1, out_h, out_w, tensor.shape[-1])
    pixels[:, mask.astype(bool)] = value


def _box_with_border(box_norm, reach: float):
    """The part of the image that a box (normalised) covers, and the replicated border of
    that part: the box clipped to the image, then stretched ``reach`` out on every side
    where it touches the image's edge (BORDER_REPLICATE takes an outside pixel from the
    nearest edge pixel, so the outside pixels copied from the box's edge pixels lie there).
    None when the box covers none of the image."""
    x0, y0, x1, y1 = (float(v) for v in box_norm[:4])
    x0, y0, x1, y1 = max(x0, 0.0), max(y0, 0.0), min(x1, 1.0), min(y1, 1.0)
    if x0 >= x1 or y0 >= y1:
        return None
    return (-reach if x0 <= 0.0 else x0, -reach if y0 <= 0.0 else y0,
            reach if x1 >= 1.0 else x1, reach if y1 >= 1.0 else y1)

