"""`pip install .` ships the core and its models and runs without ROS or the source tree."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_pip_install_ships_models_and_runs_without_source_tree(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(REPO)], check=True, cwd=tmp_path)
    installed = target / "holistic_ros"
    manifest = json.loads((installed / "models" / "manifest.json").read_text())
    shipped = {p.name for p in (installed / "models").glob("*.onnx")}
    assert shipped == {m["file"] for m in manifest["models"].values()}
    code = ("import sys, numpy as np; sys.modules['rclpy'] = None\n"
            "from holistic_ros import Holistic\n"
            "h = Holistic(static_image_mode=True, providers=['CPUExecutionProvider'])\n"
            "assert str(h.models_dir).startswith(sys.argv[1]), h.models_dir\n"
            "assert h.process(np.zeros((64, 64, 3), np.uint8)).pose_landmarks is None\n")
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code, str(target)], check=True, cwd=tmp_path, env=env)
