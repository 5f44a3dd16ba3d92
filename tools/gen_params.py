#!/usr/bin/env python3
"""Write config/holistic.yaml and the README's parameter table from the parameter schema.

    python tools/gen_params.py           # rewrite both (make params)
    python tools/gen_params.py --check   # exit 1 and say which differs (test/test_params.py checks too)

The schema is holistic_ros.ros.params.NODE_SCHEMA: each layer declares its settings once
(holistic_ros/pipeline/params.py says how). Never edit the two outputs by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from holistic_ros.ros.params import NODE_SCHEMA, config_yaml, markdown_table, replace_table  # noqa: E402

CONFIG = Path("config") / "holistic.yaml"
README = Path("README.md")


def generated(root: Path = REPO, schema=NODE_SCHEMA) -> Dict[Path, str]:
    """Each generated file (relative to ``root``) with the text the schema gives it."""
    readme = (root / README).read_text(encoding="utf-8")
    return {CONFIG: config_yaml(schema), README: replace_table(readme, markdown_table(schema))}


def differences(root: Path = REPO, schema=NODE_SCHEMA) -> List[str]:
    """The generated files whose text differs from what the schema gives them."""
    return [str(path) for path, text in generated(root, schema).items()
            if (root / path).read_text(encoding="utf-8") != text]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether the files are up to date")
    args = parser.parse_args()
    if args.check:
        stale = differences()
        for path in stale:
            print(f"{path} differs from the parameter schema: run `make params`", file=sys.stderr)
        return 1 if stale else 0
    for path, text in generated().items():
        if (REPO / path).read_text(encoding="utf-8") != text:
            (REPO / path).write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
