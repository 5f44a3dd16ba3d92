"""Rewrite the build machine's paths that the ROS PyPI wheels bake into their CMake files.

The ros-jazzy-* wheels export CMake targets naming
``/opt/python/cp311-cp311/include/python3.11`` and
``/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include``; CMake
then stops with "Imported target ... includes non-existent path". Run with the venv's
python: the paths are replaced by this interpreter's include folder and NumPy's.
Idempotent.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import numpy

BUILD_PREFIX = "/opt/python/cp311-cp311"


def main() -> int:
    share = Path(sys.prefix) / "share"
    tag = f"python{sys.version_info.major}.{sys.version_info.minor}"
    replacements = {
        f"{BUILD_PREFIX}/include/{tag}": sysconfig.get_paths()["include"],
        f"{BUILD_PREFIX}/lib/{tag}/site-packages/numpy/_core/include": numpy.get_include(),
    }
    changed = 0
    for path in share.rglob("*.cmake"):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        if BUILD_PREFIX not in text:
            continue
        for old, new in replacements.items():
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        changed += 1
    print(f"fix_ros_wheel_cmake: rewrote {changed} CMake file(s) under {share}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
