"""Typed and documented API (issue 15, item 5): py.typed, and type hints and docstrings
on the public functions of the API and of the project-facing modules."""

from __future__ import annotations

import importlib
import inspect
import os
import importlib.util
import shutil
import subprocess
import sys

import pytest

import bpcompiler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The modules a user's project meets: the API, the CLI and what it writes and reads.
TYPED = ["api", "cli", "check", "config", "display", "errors", "fingerprint", "format",
         "picture", "progress", "raster", "replay", "sources", "summary", "writer"]


def public_functions():
    seen = set()
    for name in TYPED:
        module = importlib.import_module(f"bpcompiler.{name}")
        for attr, obj in vars(module).items():
            if attr.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            yield f"{name}.{attr}", obj
            if inspect.isclass(obj):
                for method, fn in vars(obj).items():
                    if inspect.isfunction(fn) and not method.startswith("_"):
                        yield f"{name}.{attr}.{method}", fn
            seen.add(obj)
    for attr in bpcompiler.__all__:
        obj = getattr(bpcompiler, attr)
        if callable(obj) and obj not in seen:
            yield attr, obj


def test_the_package_is_marked_typed():
    assert os.path.isfile(os.path.join(ROOT, "bpcompiler", "py.typed"))
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        assert 'bpcompiler = ["py.typed"]' in f.read()


@pytest.mark.parametrize("name, obj", list(public_functions()), ids=lambda v: str(v)[:60])
def test_public_names_are_documented_and_annotated(name, obj):
    assert (obj.__doc__ or "").strip(), f"{name} has no docstring"
    if inspect.isfunction(obj):
        signature = inspect.signature(obj)
        missing = [p.name for p in signature.parameters.values()
                   if p.name not in ("self", "cls") and p.annotation is p.empty]
        assert not missing, f"{name}: parameters without type hints: {missing}"
        assert signature.return_annotation is not signature.empty, f"{name}: no return type"


# (the interpreter's own mypy: one on PATH may belong to another Python)
@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed")
def test_the_project_facing_modules_type_check():
    files = [os.path.join("bpcompiler", f"{m}.py") for m in TYPED
             if m not in ("api", "cli", "errors", "format")]  # these import untyped stages
    r = subprocess.run([sys.executable, "-m", "mypy", "--follow-imports=silent",
                        "--ignore-missing-imports", "--no-incremental", *files],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout
