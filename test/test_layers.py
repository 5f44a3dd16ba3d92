"""The package's layers import in one direction, and only holistic_ros.ros imports ROS.

Read from the source (every import statement, also those inside functions), so a lazy
``import rclpy`` in a core module fails here even if no test happens to call it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "holistic_ros"

#: Top-level names of ROS packages (and our generated messages) the core must not import.
ROS_MODULES = ("rclpy", "rcl_interfaces", "builtin_interfaces", "std_msgs", "sensor_msgs", "geometry_msgs",
               "visualization_msgs", "diagnostic_msgs", "tf2_msgs", "tf2_ros", "cv_bridge", "message_filters",
               "image_geometry", "launch", "launch_ros", "rosidl_runtime_py", "holistic_ros.msg",
               "holistic_ros.ros")

#: What each layer may import of holistic_ros (besides itself). holistic_ros.ros may import all.
ALLOWED = {
    "pipeline": (),
    "spatial": ("pipeline",),
    "gestures": ("pipeline", "spatial"),
    "drawing": ("pipeline", "spatial", "gestures"),
}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path, source: str | None = None) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved)."""
    package_parts = list(path.relative_to(REPO).with_suffix("").parts[:-1])
    if source is None:
        source = path.read_text(encoding="utf-8")
    names = set()
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[:len(package_parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            # `from holistic_ros import ros` imports the subpackage.
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _layer(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else ""


def _is_ros(name: str) -> bool:
    return any(name == ros or name.startswith(ros + ".") for ros in ROS_MODULES)


def test_the_layers_exist():
    for layer in ("pipeline", "ros", "drawing"):
        assert (PACKAGE / layer / "__init__.py").is_file(), layer
    assert not [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"], \
        "modules belong in a layer, not at the package's top level"


@pytest.mark.parametrize("path", [p for p in _modules() if _layer(p) != "ros"],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_ros_layer_imports_ros(path):
    ros_imports = sorted(n for n in _imports(path) if _is_ros(n))
    assert not ros_imports, f"{path.relative_to(REPO)} imports {ros_imports}; only holistic_ros/ros/ may"


@pytest.mark.parametrize("path", [p for p in _modules() if _layer(p) in ALLOWED],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_layers_import_in_one_direction(path):
    layer = _layer(path)
    allowed = {layer, *ALLOWED[layer]}
    wrong = sorted(n for n in _imports(path)
                   if n.startswith("holistic_ros.") and n.split(".")[1] not in allowed
                   and not (n == "holistic_ros." + layer))
    assert not wrong, f"{path.relative_to(REPO)} ({layer}) imports {wrong}; it may import only {sorted(allowed)}"


def test_the_checker_sees_lazy_and_relative_imports():
    """The check can fail: imports inside functions and relative ones are found."""
    source = "def f():\n    import rclpy\n    from ..ros import node\n    from ..spatial.camera import X\n"
    names = _imports(PACKAGE / "pipeline" / "probe.py", source)
    assert "rclpy" in names and "holistic_ros.ros.node" in names and "holistic_ros.spatial.camera" in names
    assert _is_ros("rclpy") and _is_ros("holistic_ros.ros.node") and not _is_ros("holistic_ros.rosette")


def test_every_layer_but_ros_imports_with_ros_blocked():
    blocked = "; ".join(f"sys.modules[{m!r}] = None" for m in ROS_MODULES if "." not in m)
    layers = [f"holistic_ros.{p.name}" for p in sorted(PACKAGE.iterdir())
              if (p / "__init__.py").is_file() and p.name != "ros"]
    modules = [".".join(p.relative_to(REPO).with_suffix("").parts) for p in _modules()
               if _layer(p) not in ("ros",) and p.name != "__init__.py"]
    code = (f"import sys; {blocked}\n"
            f"import importlib\n"
            f"for m in {layers + modules!r}: importlib.import_module(m)\n"
            "from holistic_ros import Holistic, HolisticResult\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
