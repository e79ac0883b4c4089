"""The shape check `make lint` runs: a long function passes only with a
comment above it saying why it stays whole."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _check_shape() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "scripts" / "check_shape.py"
    spec = importlib.util.spec_from_file_location("check_shape", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_shape"] = module
    spec.loader.exec_module(module)
    return module


def _function(lines: int, above: str = "") -> list[str]:
    body = [f"    x{n} = {n}\n" for n in range(lines - 1)]
    return [*([above] if above else []), "def long_one():\n", *body]


def test_a_function_over_80_lines_is_reported() -> None:
    check = _check_shape()
    found = check.long_functions(Path("m.py"), _function(81))
    assert found == ["m.py:1: long_one has 81 lines"]


def test_a_function_of_80_lines_passes() -> None:
    check = _check_shape()
    assert check.long_functions(Path("m.py"), _function(80)) == []


def test_a_comment_above_saying_why_lets_a_long_function_stay_whole() -> None:
    check = _check_shape()
    lines = _function(120, above="# One stream of random draws: the steps stay together.\n")
    assert check.long_functions(Path("m.py"), lines) == []
