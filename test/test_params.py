"""The parameter schema is the one source: config/holistic.yaml, the README's table, the
dataclass defaults and the core's keywords all agree with it (issue 15).

A parameter added by hand in one place only (the schema, the YAML or the README) makes
:func:`gen_params.differences` name the file that no longer matches; these tests show that it does.
"""

from __future__ import annotations

import dataclasses
import inspect
import shutil
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))

import gen_params  # noqa: E402
from holistic_ros import Holistic  # noqa: E402
from holistic_ros.gestures import GestureSettings  # noqa: E402
from holistic_ros.gestures.settings import GESTURE_PARAMS  # noqa: E402
from holistic_ros.pipeline.params import (  # noqa: E402
    HOLISTIC_OPTIONS, RUNTIME_OPTIONS, Applies, Param, ParamGroup, Schema)
from holistic_ros.ros.markers import MARKER_PARAMS, MarkerSettings  # noqa: E402
from holistic_ros.ros.params import CORE_OPTIONS, NODE_SCHEMA, markdown_table  # noqa: E402


def _copy_generated(tmp_path: Path) -> Path:
    for path in (gen_params.CONFIG, gen_params.README):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / path, tmp_path / path)
    return tmp_path


def test_generated_files_match_the_schema():
    assert gen_params.differences() == [], "run `make params`"


def test_a_parameter_added_to_the_schema_only_is_caught():
    extra = ParamGroup("Extra", (Param("extra.enable", False, "A setting added in one place only.", Applies.START_UP),))
    schema = Schema(NODE_SCHEMA.groups + (extra,))
    assert sorted(gen_params.differences(REPO, schema)) == sorted([str(gen_params.CONFIG),
                                                                   str(gen_params.README)])


def test_a_parameter_added_to_the_yaml_only_is_caught(tmp_path):
    root = _copy_generated(tmp_path)
    config = root / gen_params.CONFIG
    config.write_text(config.read_text().replace("    static_image_mode: false",
                                                 "    extra_setting: both\n    static_image_mode: false"))
    assert gen_params.differences(root) == [str(gen_params.CONFIG)]


def test_a_parameter_added_to_the_readme_only_is_caught(tmp_path):
    root = _copy_generated(tmp_path)
    readme = root / gen_params.README
    row = "| `static_image_mode` |"
    text = readme.read_text()
    assert row in text
    readme.write_text(text.replace(row, "| `max_detailed_people` | 1 | 1..10 | rebuilds | |\n" + row))
    assert gen_params.differences(root) == [str(gen_params.README)]


def test_yaml_loads_back_to_the_declared_defaults():
    """What ROS reads from config/holistic.yaml is every parameter at its declared default."""
    params = yaml.safe_load((REPO / gen_params.CONFIG).read_text())["/**"]["ros__parameters"]
    flat = {}
    for key, value in params.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    assert flat == NODE_SCHEMA.defaults()
    for name, value in flat.items():   # a float stays a float (ROS refuses 1 for a double)
        assert type(value) is type(NODE_SCHEMA[name].declared_default), name


def test_readme_table_has_a_row_per_parameter():
    rows = [line for line in markdown_table().splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(NODE_SCHEMA.params)


def test_dataclass_defaults_come_from_the_schema():
    for group, settings in ((GESTURE_PARAMS, GestureSettings()), (MARKER_PARAMS, MarkerSettings())):
        for p in group:
            assert getattr(settings, p.key) == p.core_default, p.name
    assert GestureSettings().pointing_plane is None          # all-zero plane: none
    assert MarkerSettings().world_origin == (0.0, 0.0, 2.0)  # a tuple, as the dataclass says


def test_holistic_keywords_and_defaults_agree_with_the_schema():
    """Holistic()'s own signature defaults are the schema's core defaults (the core's options
    are declared in pipeline/params.py; Holistic's signature repeats them for readers)."""
    signature = inspect.signature(Holistic).parameters
    for p in CORE_OPTIONS:
        assert p.key in signature, p.name
        assert signature[p.key].default == p.core_default, p.name
    # the node's defaults differ where it says so
    assert NODE_SCHEMA["recognize_gestures"].declared_default is True
    assert HOLISTIC_OPTIONS["recognize_gestures"].core_default is False


def test_core_keywords_from_values():
    values = {**NODE_SCHEMA.defaults(), "execution_provider": "cuda", "device_id": 2, "models_dir": "/m"}
    kwargs = CORE_OPTIONS.kwargs(values)
    assert set(kwargs) == {p.key for p in CORE_OPTIONS}
    assert kwargs["providers"][0] == "CUDAExecutionProvider" and kwargs["device_id"] == 2
    assert kwargs["models_dir"] == "/m" and RUNTIME_OPTIONS.kwargs(NODE_SCHEMA.defaults())["models_dir"] is None
    assert CORE_OPTIONS.kwargs(values, Applies.RUN_TIME) == {"min_detection_confidence": 0.5,
                                                            "min_tracking_confidence": 0.5}


@pytest.mark.parametrize("name,value,reason", [
    ("model_complexity", 3, "model_complexity must be in [0, 2]"),
    ("model_complexity", "two", "model_complexity must be an integer"),
    ("model_complexity", True, "must be an integer"),
    ("min_detection_confidence", float("nan"), "must be finite"),
    ("execution_provider", "opencl", "execution_provider must be one of auto, cpu, cuda, tensorrt"),
    ("markers.world_origin", [0.0, 1.0], "markers.world_origin needs 3 finite values"),
    ("gestures.pointing_plane", [0.0, 0.0, float("inf"), 1.0], "needs 4 finite values"),
    ("gestures.off_threshold", 0.7, "off_threshold < on_threshold"),   # the layer's own cross-check
    ("gestures.pointing_plane", [0.0, 0.0, 0.0, 1.0], "non-zero normal"),
])
def test_check_refuses_with_a_reason(name, value, reason):
    values = NODE_SCHEMA.defaults()
    assert NODE_SCHEMA.check(values) is None
    values[name] = value
    problem = NODE_SCHEMA.check(values)
    assert problem and reason in problem, problem


def test_a_bad_declaration_fails_at_import():
    with pytest.raises(ValueError, match="default of x must be in"):
        Param("x", 5, "", Applies.RUN_TIME, range=(0, 1))
    with pytest.raises(ValueError, match="an array needs a length"):
        Param("x", [0.0], "", Applies.RUN_TIME)
    with pytest.raises(ValueError, match="declared twice"):
        Schema((HOLISTIC_OPTIONS, HOLISTIC_OPTIONS))
    with pytest.raises(ValueError, match="must be one of"):
        Param("x", "b", "", Applies.RUN_TIME, choices=("a",))
    assert dataclasses.replace(NODE_SCHEMA["markers.face"]).key == "face_style"
