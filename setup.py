"""pip install . -- the holistic_ros pipeline core and its models, without ROS.

The ROS 2 package itself is built by colcon from CMakeLists.txt/package.xml
(ament_cmake, because of the messages); this file serves plain-Python users:

    pip install .
    python -c "from holistic_ros import Holistic"

The ROS adapter (holistic_ros.ros) is installed too; only it imports rclpy.
"""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent
VERSION = "0.1.0"

setup(
    name="holistic_ros",
    version=VERSION,
    description="MediaPipe Holistic (pose, face, hands, segmentation) on ONNX Runtime, with a ROS 2 node",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    # The layers (pipeline, spatial, gestures, drawing, ros) and the models.
    packages=find_packages(include=["holistic_ros", "holistic_ros.*"]) + ["holistic_ros.models"],
    # The converted models live in the repository's top-level models/ folder and
    # are installed inside the package, where holistic_ros.pipeline.models finds them.
    package_dir={"holistic_ros": "holistic_ros", "holistic_ros.models": "models"},
    package_data={"holistic_ros.models": ["*.onnx", "manifest.json", "README.md"]},
    install_requires=[
        "numpy>=1.23",
        # The GPU build also runs on the CPU; PyPI has it for x86_64 only.
        "onnxruntime-gpu>=1.18; platform_machine == 'x86_64'",
        "onnxruntime>=1.18; platform_machine != 'x86_64'",
        # OpenCV 4.x samples crops as MediaPipe's bundled OpenCV does (5.0 differs).
        "opencv-python-headless>=4.8,<5",
    ],
    extras_require={"cuda": ["onnxruntime-gpu[cuda,cudnn]>=1.18; platform_machine == 'x86_64'"],
                    # the offline bag tool (holistic_ros.ros.bag; docs/bag.md)
                    "bag": ["rosbags>=0.11", "tqdm>=4.60", "mcap>=1.1"]},
    entry_points={"console_scripts": []},
    zip_safe=False,
)
