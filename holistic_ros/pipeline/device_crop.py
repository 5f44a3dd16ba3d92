"""Rotated-ROI crops as a small ONNX graph, for the GPU-resident path.

Why: a frame needs several crops (pose, face, both hands; different sizes).
Cutting them with OpenCV on the host means uploading every crop tensor to the
GPU for its landmark model. Here the frame is uploaded once
(:meth:`DeviceCropper.upload`), each crop is sampled on the device by a tiny
ONNX graph (``GridSample``), and the result stays on the device as an
``OrtValue`` that the next model takes through IO binding: no host round trip
per crop.

The CPU path keeps OpenCV (:func:`holistic_ros.pipeline.roi.crop_roi`): its pixels
match MediaPipe's OpenCV image-to-tensor converter exactly, while this graph
samples with float bilinear weights where ``cv2.warpPerspective`` quantises
sample positions to 1/32 pixel and rounds to uint8. The two differ by well
under one grey level on average and a few levels at most on sharp edges
(numbers in ``test/test_device_crop.py``).

The geometry is the same: ``crop_roi`` builds ``projection`` (image pixels ->
crop pixels) with ``cv2.getPerspectiveTransform``; this graph takes its
inverse, :func:`crop_to_image_homography`, and samples the image at
``M @ (x, y, 1)`` for crop pixel ``(x, y)``, as ``cv2.warpPerspective`` does
with ``WARP_INVERSE_MAP`` (pixel ``i``'s centre at coordinate ``i``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from .models import GPU_PROVIDERS, provider_name

OPSET = 16



def crop_to_image_homography(projection: np.ndarray) -> np.ndarray:
    """Inverse of a 3x3 image->crop ``projection``: crop pixels -> image pixels.

    Inverted in float64 and normalised so that ``[2, 2] == 1``; float32 out,
    the type the crop graph takes.
    """
    inverse = np.linalg.inv(np.asarray(projection, dtype=np.float64))
    return (inverse / inverse[2, 2]).astype(np.float32)


def build_crop_model(out_height: int, out_width: int, border_zero: bool):
    """ONNX model cutting B rotated ROIs of one size out of one uint8 HWC image.

    Inputs: ``image`` uint8 [H, W, 3] (H, W dynamic); ``crop_to_image``
    float32 [B, 3, 3], homographies from crop pixel coordinates (x, y, 1) to
    image pixel coordinates (OpenCV convention, pixel ``i``'s centre at ``i``);
    ``value_scale`` and ``value_offset`` float32 [B].
    Output: ``crop`` float32 [B, out_height, out_width, 3] (NHWC), equal to
    ``sampled_pixel * value_scale + value_offset``.

    Bilinear ``GridSample`` (align_corners=0), padding ``zeros`` for
    ``border_zero`` (OpenCV's BORDER_CONSTANT 0) else ``border``
    (BORDER_REPLICATE). The B crops are sampled as one tall grid
    [1, B*out_height, out_width, 2] over the single image, so the image is not
    copied per crop (no Expand of a full frame to batch B).
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    out_height, out_width = int(out_height), int(out_width)
    if out_height <= 0 or out_width <= 0:
        raise ValueError(f"crop size must be positive, got {out_width}x{out_height}")

    # Output pixel coordinates (x, y, 1), row-major over the crop: [N, 3].
    ys, xs = np.meshgrid(np.arange(out_height, dtype=np.float32),
                         np.arange(out_width, dtype=np.float32), indexing="ij")
    base = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size, np.float32)], axis=1)

    def const(name, value, dtype):
        return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)

    initializers = [
        const("base_grid", base, np.float32),
        const("axes0", [0], np.int64),
        const("wh_index", [1, 0], np.int64),
        const("two", 2.0, np.float32),
        const("tab_size", 32.0, np.float32),
        const("one", 1.0, np.float32),
        const("xy_start", [0], np.int64),
        const("xy_end", [2], np.int64),
        const("w_start", [2], np.int64),
        const("w_end", [3], np.int64),
        const("last_axis", [2], np.int64),
        const("grid_shape", [1, -1, out_width, 2], np.int64),
        const("planes_shape", [3, -1, out_height, out_width], np.int64),
        const("per_crop_shape", [-1, 1, 1, 1], np.int64),
    ]
    nodes = [
        # Image: uint8 HWC -> float32 NCHW with N = 1.
        helper.make_node("Cast", ["image"], ["image_f"], to=TensorProto.FLOAT),
        helper.make_node("Transpose", ["image_f"], ["image_chw"], perm=[2, 0, 1]),
        helper.make_node("Unsqueeze", ["image_chw", "axes0"], ["image_nchw"]),
        # (W, H) of the image, for the normalisation of the grid.
        helper.make_node("Shape", ["image"], ["image_shape"]),
        helper.make_node("Gather", ["image_shape", "wh_index"], ["wh"], axis=0),
        helper.make_node("Cast", ["wh"], ["wh_f"], to=TensorProto.FLOAT),
        # Image pixel coordinates of every crop pixel: base @ M^T, then divide by w.
        helper.make_node("Transpose", ["crop_to_image"], ["m_t"], perm=[0, 2, 1]),
        helper.make_node("MatMul", ["base_grid", "m_t"], ["points"]),          # [B, N, 3]
        helper.make_node("Slice", ["points", "xy_start", "xy_end", "last_axis"], ["xy"]),
        helper.make_node("Slice", ["points", "w_start", "w_end", "last_axis"], ["w"]),
        helper.make_node("Div", ["xy", "w"], ["pixel_exact"]),                 # [B, N, 2]
        # OpenCV's warp rounds sample positions to 1/32 pixel (INTER_TAB_SIZE in
        # imgproc/src/imgwarp.cpp); so do we, which matters where a large ROI is
        # sampled sparsely (the pose crop).
        helper.make_node("Mul", ["pixel_exact", "tab_size"], ["pixel_tab"]),
        helper.make_node("Round", ["pixel_tab"], ["pixel_tab_q"]),
        helper.make_node("Div", ["pixel_tab_q", "tab_size"], ["pixel"]),
        # OpenCV pixel p -> GridSample's align_corners=0 coordinate (2p + 1) / size - 1.
        helper.make_node("Mul", ["pixel", "two"], ["pixel2"]),
        helper.make_node("Add", ["pixel2", "one"], ["pixel2p1"]),
        helper.make_node("Div", ["pixel2p1", "wh_f"], ["scaled"]),
        helper.make_node("Sub", ["scaled", "one"], ["normalised"]),
        # The B crops stacked along y: one grid, one image, no per-crop image copy.
        helper.make_node("Reshape", ["normalised", "grid_shape"], ["grid"]),  # [1, B*h, w, 2]
        helper.make_node("GridSample", ["image_nchw", "grid"], ["sampled"], mode="bilinear",
                         padding_mode="zeros" if border_zero else "border", align_corners=0),
        # ... and its result is rounded back to uint8 before the tensor conversion.
        helper.make_node("Round", ["sampled"], ["sampled_u8"]),
        helper.make_node("Reshape", ["sampled_u8", "planes_shape"], ["planes"]),  # [3, B, h, w]
        helper.make_node("Transpose", ["planes"], ["nhwc"], perm=[1, 2, 3, 0]),
        # Values: pixel * scale + offset, per crop.
        helper.make_node("Reshape", ["value_scale", "per_crop_shape"], ["scale4"]),
        helper.make_node("Reshape", ["value_offset", "per_crop_shape"], ["offset4"]),
        helper.make_node("Mul", ["nhwc", "scale4"], ["scaled_values"]),
        helper.make_node("Add", ["scaled_values", "offset4"], ["crop"]),
    ]
    graph = helper.make_graph(
        nodes, f"device_crop_{out_height}x{out_width}_{'zero' if border_zero else 'replicate'}",
        inputs=[
            helper.make_tensor_value_info("image", TensorProto.UINT8, ["height", "width", 3]),
            helper.make_tensor_value_info("crop_to_image", TensorProto.FLOAT, ["batch", 3, 3]),
            helper.make_tensor_value_info("value_scale", TensorProto.FLOAT, ["batch"]),
            helper.make_tensor_value_info("value_offset", TensorProto.FLOAT, ["batch"]),
        ],
        outputs=[helper.make_tensor_value_info("crop", TensorProto.FLOAT,
                                               ["batch", out_height, out_width, 3])],
        initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="holistic_ros.pipeline.device_crop")
    model.ir_version = 8  # opset 16's IR version; accepted by every onnxruntime since 1.11
    onnx.checker.check_model(model)
    return model


class DeviceCropper:
    """Crops on the execution provider's device; one session per crop size and border.

    Upload a frame once with :meth:`upload`, then call :meth:`crop` for every
    ROI of that frame: the crops come back as ``OrtValue`` on the same device,
    ready to bind as the input of a landmark model
    (``io_binding.bind_ortvalue_input``). Sessions are created on first use
    and cached per ``(out_height, out_width, border_zero)``; :meth:`crop` may
    be called from several threads.

    ``providers`` as for the model sessions, and best the list they actually
    run on (after :func:`holistic_ros.pipeline.models.create_sessions`' fallback): the
    first one decides the device ('cuda' for CUDA/TensorRT, else 'cpu'), and a
    crop session that cannot start on it raises instead of silently running
    elsewhere.
    """

    def __init__(self, providers: Sequence, device_id: int = 0):
        # TensorRT would build an engine per frame size for this tiny graph; CUDA
        # runs it directly, on the same device.
        self.providers = [p for p in providers if provider_name(p) != "TensorrtExecutionProvider"]
        if any(provider_name(p) == "TensorrtExecutionProvider" for p in providers) and \
                not any(provider_name(p) == "CUDAExecutionProvider" for p in self.providers):
            self.providers.insert(0, ("CUDAExecutionProvider", {"device_id": int(device_id)}))
        if not self.providers:
            raise ValueError("DeviceCropper needs at least one execution provider")
        self.device_id = int(device_id)
        first = provider_name(self.providers[0])
        self.device_type = "cuda" if first in GPU_PROVIDERS else "cpu"   # where their OrtValues live
        self._sessions: dict[tuple[int, int, bool], object] = {}
        self._lock = threading.Lock()

    def session(self, out_height: int, out_width: int, border_zero: bool):
        """The cached InferenceSession for one crop size and border mode."""
        key = (int(out_height), int(out_width), bool(border_zero))
        session = self._sessions.get(key)
        if session is not None:
            return session
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                options.log_severity_level = 3
                # As in models.ModelSession: several sessions run one after another per
                # frame, so no session may leave threads spinning on the cores.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                model = build_crop_model(*key)
                session = ort.InferenceSession(model.SerializeToString(), sess_options=options,
                                               providers=self.providers)
                wanted = provider_name(self.providers[0])
                if wanted not in session.get_providers():
                    # Uploads would go to a device the session does not run on.
                    raise RuntimeError(
                        f"{wanted} could not start for the crop graph (running on "
                        f"{', '.join(session.get_providers())}); pass DeviceCropper the "
                        "providers the model sessions actually use")
                self._sessions[key] = session
        return session

    def upload(self, image: np.ndarray):
        """Copy one uint8 HxWx3 frame to the device (once per frame); an ``OrtValue``."""
        import onnxruntime as ort

        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"expected a uint8 HxWx3 image, got {image.dtype} {image.shape}")
        return ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(image), self.device_type,
                                                self.device_id)

    def crop(self, image_value, crop_to_image: np.ndarray, out_height: int, out_width: int,
             border_zero: bool, value_range: tuple[float, float] = (0.0, 1.0)):
        """Sample B crops of ``out_height`` x ``out_width`` from an uploaded frame.

        ``crop_to_image``: (B, 3, 3) or (3, 3) homographies, crop pixels -> image
        pixels (:func:`crop_to_image_homography` of ``crop_roi``'s projection).
        Values map [0, 255] linearly to ``value_range``. Returns the output
        ``OrtValue``, float32 [B, out_height, out_width, 3], left on the device.
        """
        matrices = np.asarray(crop_to_image, dtype=np.float32)
        if matrices.shape == (3, 3):
            matrices = matrices[None]
        if matrices.ndim != 3 or matrices.shape[1:] != (3, 3) or matrices.shape[0] < 1:
            raise ValueError(f"crop_to_image must be (B, 3, 3), got {matrices.shape}")
        matrices = np.ascontiguousarray(matrices)
        batch = matrices.shape[0]
        lo, hi = float(value_range[0]), float(value_range[1])
        scale = np.full(batch, (hi - lo) / 255.0, dtype=np.float32)
        offset = np.full(batch, lo, dtype=np.float32)

        session = self.session(out_height, out_width, border_zero)
        binding = session.io_binding()  # one per call: each returned crop keeps its own buffer
        binding.bind_ortvalue_input("image", image_value)
        binding.bind_cpu_input("crop_to_image", matrices)
        binding.bind_cpu_input("value_scale", scale)
        binding.bind_cpu_input("value_offset", offset)
        binding.bind_output("crop", self.device_type, self.device_id)
        session.run_with_iobinding(binding)
        return binding.get_outputs()[0]


class DeviceFrame:
    """One RGB frame, uploaded once, that the pipeline's stages crop on the device.

    Stages crop through :func:`holistic_ros.pipeline.roi.crop_image` and
    :func:`~holistic_ros.pipeline.roi.crop_images`, which hand a ``DeviceFrame`` to its
    :meth:`crop_batch`; ``shape`` is the host image's, so the
    stages' geometry is unchanged. The crop tensors are ``OrtValue`` on the
    device, which :meth:`holistic_ros.pipeline.models.ModelSession.run` binds as they are.
    """

    def __init__(self, image: np.ndarray, cropper: DeviceCropper):
        self.shape = image.shape
        self.cropper = cropper
        self.host = image   # the frame itself, for the crops that are cut on the host
        self.value = cropper.upload(image)

    def crop_batch(self, rects, out_width: int, out_height: int, keep_aspect_ratio: bool,
                   value_range: tuple[float, float], border_zero: bool):
        """Several ROIs in one run of the crop graph: (``OrtValue`` [B, H, W, 3], [Crop]).

        The crops' ``tensor`` is the whole batch (a device buffer cannot be
        sliced without a copy); use the returned batch as the model input."""
        from .roi import Crop, crop_geometry

        h, w = self.shape[:2]
        geometries = [crop_geometry(r, (w, h), out_width, out_height, keep_aspect_ratio) for r in rects]
        matrices = np.stack([crop_to_image_homography(g.projection) for g in geometries])
        tensor = self.cropper.crop(self.value, matrices, out_height, out_width, border_zero, value_range)
        return tensor, [Crop(tensor=tensor, roi=g.roi, rect=g.rect, padding=g.padding) for g in geometries]
