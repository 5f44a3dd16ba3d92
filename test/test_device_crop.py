"""Device-side ROI crops (holistic_ros.pipeline.device_crop) against the OpenCV crop of holistic_ros.pipeline.roi.

Runs on ONNX Runtime's CPUExecutionProvider; the graph and the IO binding are the
same on CUDA, where the last test also checks the device (skipped without a GPU).
"""


import cv2
import numpy as np
import pytest

from conftest import skip_for_hardware, skip_or_fail

from holistic_ros.pipeline.device_crop import (
    DeviceCropper,
    build_crop_model,
    crop_to_image_homography,
)
from holistic_ros.pipeline.roi import NormRect, crop_geometry, crop_roi

CPU = ["CPUExecutionProvider"]

# Rotated ROIs, all partly outside a 4:3 image except the last (small, inside).
RECTS = [NormRect(0.1, 0.15, 0.5, 0.45, 0.6),
         NormRect(0.8, 0.7, 0.3, 0.6, -2.3),
         NormRect(0.5, 0.5, 1.4, 1.2, 3.0),
         NormRect(0.4, 0.55, 0.05, 0.07, 1.0)]
SIZES = [(224, 224), (128, 128), (256, 192)]  # (out_height, out_width)

# Tolerances against cv2.warpPerspective (grey levels, values mapped to [0, 255]).
# The graph does what OpenCV does to uint8 images: sample positions rounded to
# 1/32 pixel (INTER_BITS 5), bilinear, result rounded to uint8. What is left is
# OpenCV's fixed-point weights (1/32768) and float32 vs double positions, which
# flip a rounding now and then: by one level, or, where a position flips across
# the edge of the zero border, by up to 255/32 ~ 8 levels at one pixel.
# Measured with exactly these cases (onnxruntime 1.31 CPU, opencv 4.11): at most
# 2% of values differ, mean abs <= 0.02, 99.9th percentile <= 1, max 8 (one pixel
# on a zero border). Before the rounding was added: mean 0.08-0.33, max 4.5.
MEAN_TOL = 0.05
DIFFERING_TOL = 0.03
P999_TOL = 1.0
MAX_TOL = 9.0


def rect_projection(rect, image_size, out_width, out_height):
    """The image->crop projection crop_roi samples with (for an already padded rect)."""
    return crop_geometry(rect, image_size, out_width, out_height, keep_aspect_ratio=False).projection


def synthetic_image(height=480, width=640, seed=0):
    """Smooth colour gradients and a ripple, plus noise: edges at every scale."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    planes = [xx / width * 255.0, yy / height * 255.0,
              (np.sin(xx / 23.0) * np.cos(yy / 17.0) + 1.0) * 127.5]
    image = np.stack(planes, axis=-1) + rng.normal(0.0, 12.0, (height, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def cropper():
    return DeviceCropper(CPU)


def assert_matches_opencv(cropper, image, out_height, out_width, border_zero, rects):
    h, w = image.shape[:2]
    # crop_roi pads the ROI to the tensor's aspect ratio; sample the same padded rect.
    refs = [crop_roi(image, r, out_width, out_height, True, (0.0, 255.0), border_zero) for r in rects]
    matrices = np.stack([crop_to_image_homography(rect_projection(ref.rect, (w, h), out_width, out_height))
                         for ref in refs])
    out = cropper.crop(cropper.upload(image), matrices, out_height, out_width, border_zero, (0.0, 255.0))
    got = out.numpy()
    assert got.shape == (len(rects), out_height, out_width, 3)
    for i, ref in enumerate(refs):
        diff = np.abs(got[i] - ref.tensor[0])
        where = f"crop {i} {out_height}x{out_width} border_zero={border_zero}"
        assert diff.mean() < MEAN_TOL, f"{where}: mean abs diff {diff.mean():.3f}"
        assert (diff > 0).mean() < DIFFERING_TOL, f"{where}: {100 * (diff > 0).mean():.2f}% of values differ"
        assert np.quantile(diff, 0.999) <= P999_TOL, f"{where}: 99.9% {np.quantile(diff, 0.999):.3f}"
        assert diff.max() < MAX_TOL, f"{where}: max abs diff {diff.max():.3f}"


@pytest.mark.parametrize("border_zero", [True, False])
@pytest.mark.parametrize("out_height,out_width", SIZES)
def test_matches_opencv_on_synthetic_image(cropper, out_height, out_width, border_zero):
    # Batch of two, different matrices per crop.
    assert_matches_opencv(cropper, synthetic_image(), out_height, out_width, border_zero, RECTS[:2])
    assert_matches_opencv(cropper, synthetic_image(), out_height, out_width, border_zero, RECTS[2:])


@pytest.mark.parametrize("border_zero", [True, False])
def test_matches_opencv_on_photo(cropper, border_zero, images_dir):
    path = images_dir / "mps_couple_and_dog.jpg"
    if not path.is_file():
        skip_or_fail(f"test photo {path} not found (../shared/testdata/media/images beside the "
                    "repository); the synthetic-image cases still ran")
    image = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    for out_height, out_width in SIZES:
        assert_matches_opencv(cropper, image, out_height, out_width, border_zero, RECTS[:2])
        assert_matches_opencv(cropper, image, out_height, out_width, border_zero, RECTS[2:])


def test_identity_and_integer_shift_sample_pixel_centres(cropper):
    # Pixel-centre convention: the identity homography reproduces the image, and an
    # integer translation is a slice (no half-pixel shift, no blur). Exact up to the
    # float32 round trip of the coordinates through GridSample's normalisation.
    image = synthetic_image(60, 80, seed=1)
    value = cropper.upload(image)
    identity = np.eye(3, dtype=np.float32)
    shift = np.array([[1, 0, 7], [0, 1, 5], [0, 0, 1]], dtype=np.float32)
    got = cropper.crop(value, np.stack([identity, shift]), 40, 50, True, (0.0, 255.0)).numpy()
    np.testing.assert_allclose(got[0], image[:40, :50], rtol=0, atol=1e-3)
    np.testing.assert_allclose(got[1], image[5:45, 7:57], rtol=0, atol=1e-3)


def test_borders_outside_the_image(cropper):
    image = np.full((20, 30, 3), 200, np.uint8)
    image[:, 0] = (10, 20, 30)
    far_left = np.array([[1, 0, -100], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    value = cropper.upload(image)
    zero = cropper.crop(value, far_left, 8, 8, True, (0.0, 255.0)).numpy()
    replicate = cropper.crop(value, far_left, 8, 8, False, (0.0, 255.0)).numpy()
    assert not zero.any()
    np.testing.assert_allclose(replicate[0], np.broadcast_to([10, 20, 30], (8, 8, 3)), atol=1e-4)


@pytest.mark.parametrize("value_range", [(-1.0, 1.0), (0.0, 1.0), (0.0, 255.0)])
def test_value_range_mapping(cropper, value_range):
    image = synthetic_image(64, 64, seed=2)
    image[0, 0] = 0
    image[0, 1] = 255
    lo, hi = value_range
    got = cropper.crop(cropper.upload(image), np.eye(3, dtype=np.float32), 64, 64, True,
                       value_range).numpy()[0]
    expected = image.astype(np.float32) * np.float32((hi - lo) / 255.0) + np.float32(lo)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    assert got[0, 0].min() == pytest.approx(lo, abs=1e-6)
    assert got[0, 1].max() == pytest.approx(hi, abs=1e-5)
    # Same mapping as crop_roi's, on an arbitrary rotated ROI.
    ref = crop_roi(image, RECTS[2], 64, 64, False, value_range, True).tensor
    m = crop_to_image_homography(rect_projection(RECTS[2], (64, 64), 64, 64))
    rotated = cropper.crop(cropper.upload(image), m, 64, 64, True, value_range).numpy()
    assert np.abs(rotated - ref).mean() < MEAN_TOL * (hi - lo) / 255.0


def test_output_is_an_ortvalue_on_the_device(cropper):
    image = synthetic_image(100, 120)
    value = cropper.upload(image)
    assert value.device_name() == "cpu" and value.shape() == [100, 120, 3]
    out = cropper.crop(value, np.stack([np.eye(3, dtype=np.float32)] * 2), 224, 224, True, (-1.0, 1.0))
    assert out.device_name() == "cpu"
    assert out.shape() == [2, 224, 224, 3]
    assert out.data_type() == "tensor(float)"
    # One session per (size, border), reused.
    assert cropper.session(224, 224, True) is cropper.session(224, 224, True)
    assert cropper.session(224, 224, True) is not cropper.session(224, 224, False)


def test_crop_feeds_another_session_through_io_binding(cropper):
    import onnxruntime as ort
    from onnx import TensorProto, helper

    node = helper.make_node("ReduceMean", ["x"], ["mean"], axes=[1, 2], keepdims=0)
    graph = helper.make_graph(
        [node], "mean_rgb",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 128, 128, 3])],
        [helper.make_tensor_value_info("mean", TensorProto.FLOAT, ["b", 3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    model.ir_version = 8
    consumer = ort.InferenceSession(model.SerializeToString(), providers=CPU)

    image = synthetic_image()
    matrices = np.stack([crop_to_image_homography(rect_projection(r, (640, 480), 128, 128))
                         for r in RECTS[:2]])
    crop = cropper.crop(cropper.upload(image), matrices, 128, 128, False, (0.0, 1.0))
    binding = consumer.io_binding()
    binding.bind_ortvalue_input("x", crop)
    binding.bind_output("mean", "cpu")
    consumer.run_with_iobinding(binding)
    mean = binding.get_outputs()[0].numpy()
    np.testing.assert_allclose(mean, crop.numpy().mean(axis=(1, 2)), rtol=1e-4)
    assert mean.shape == (2, 3)


def test_model_and_homography_helpers():
    model = build_crop_model(256, 192, border_zero=False)
    out = model.graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_value or d.dim_param for d in out] == ["batch", 256, 192, 3]
    image_dims = model.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value or d.dim_param for d in image_dims] == ["height", "width", 3]

    projection = rect_projection(RECTS[1], (640, 480), 192, 256)
    inverse = crop_to_image_homography(projection)
    assert inverse.dtype == np.float32 and inverse[2, 2] == 1.0
    product = projection @ inverse.astype(np.float64)
    np.testing.assert_allclose(product / product[2, 2], np.eye(3), atol=1e-5)


def test_device_follows_the_first_provider():
    assert DeviceCropper([("CUDAExecutionProvider", {"device_id": 0}), "CPUExecutionProvider"]).device_type == "cuda"
    tensorrt = DeviceCropper(["TensorrtExecutionProvider", "CPUExecutionProvider"], 1)
    assert tensorrt.device_type == "cuda"
    # The crop graph runs on CUDA beside TensorRT models (no engine per frame size).
    assert tensorrt.providers == [("CUDAExecutionProvider", {"device_id": 1}), "CPUExecutionProvider"]
    both = DeviceCropper([("TensorrtExecutionProvider", {}), ("CUDAExecutionProvider", {"device_id": 0}),
                          "CPUExecutionProvider"])
    assert both.providers == [("CUDAExecutionProvider", {"device_id": 0}), "CPUExecutionProvider"]
    assert DeviceCropper(CPU).device_type == "cpu"
    with pytest.raises(ValueError):
        DeviceCropper([])


def test_cuda_crop_stays_on_the_gpu_and_matches_cpu():
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        skip_for_hardware("no GPU: this onnxruntime build has no CUDAExecutionProvider")
    gpu = DeviceCropper([("CUDAExecutionProvider", {"device_id": 0}), "CPUExecutionProvider"])
    ort.set_default_logger_severity(4)  # the provider bridge's errors when there is no GPU
    try:
        gpu.session(128, 128, True)
    except RuntimeError as exc:
        skip_for_hardware(f"no GPU: the CUDA execution provider cannot start here: {exc}")
    finally:
        ort.set_default_logger_severity(2)
    image = synthetic_image()
    matrices = np.stack([crop_to_image_homography(rect_projection(r, (640, 480), 128, 128))
                         for r in RECTS[:2]])
    out = gpu.crop(gpu.upload(image), matrices, 128, 128, True, (-1.0, 1.0))
    assert out.device_name() == "cuda" and out.shape() == [2, 128, 128, 3]
    cpu = DeviceCropper(CPU).crop(DeviceCropper(CPU).upload(image), matrices, 128, 128, True, (-1.0, 1.0))
    np.testing.assert_allclose(out.numpy(), cpu.numpy(), atol=1e-3)
