"""Typed and documented API (issue 15, item 5): py.typed, type hints and docstrings on
the public functions of the API and of the project-facing modules, and emitted modules
that pass `mypy --strict` on their own with hints that are true of what they return."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import subprocess
import sys
import types
import typing

import numpy as np
import pytest

import bpcompiler
from bpcompiler import compile_grad

from typing_programs import cases

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


def test_every_module_a_user_imports_from_is_typed():
    """The modules defining bpcompiler's __all__ are hinted and type-checked."""
    homes = {getattr(bpcompiler, n).__module__ for n in bpcompiler.__all__
             if hasattr(getattr(bpcompiler, n), "__module__")}
    assert homes and {h.removeprefix("bpcompiler.") for h in homes} <= set(TYPED)


def test_the_package_is_marked_typed():
    assert os.path.isfile(os.path.join(ROOT, "bpcompiler", "py.typed"))
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        assert 'bpcompiler = ["py.typed"]' in f.read()


@pytest.mark.parametrize("name, obj", list(public_functions()),
                         ids=[name for name, _ in public_functions()])  # (stable ids)
def test_public_names_are_documented_and_annotated(name, obj):
    assert (obj.__doc__ or "").strip(), f"{name} has no docstring"
    if inspect.isfunction(obj):
        signature = inspect.signature(obj)
        missing = [p.name for p in signature.parameters.values()
                   if p.name not in ("self", "cls") and p.annotation is p.empty]
        assert not missing, f"{name}: parameters without type hints: {missing}"
        assert signature.return_annotation is not signature.empty, f"{name}: no return type"


# (the interpreter's own mypy: one on PATH may belong to another Python)
needs_mypy = pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                                reason="mypy is not installed")


@needs_mypy
def test_the_project_facing_modules_type_check():
    # (the stages they import are read, not checked: --follow-imports=silent)
    files = [os.path.join("bpcompiler", f"{m}.py") for m in TYPED]
    r = subprocess.run([sys.executable, "-m", "mypy", "--follow-imports=silent",
                        "--ignore-missing-imports", "--no-incremental", *files],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout


# -- the emitted modules ---------------------------------------------------------------
CASES = cases()


@pytest.fixture(scope="module")
def compiled():
    out = {}
    for name, fn, args, options in CASES:
        if options.get("target") == "array-api":
            pytest.importorskip("array_api_compat")
        out[name] = (compile_grad(fn, args, **options), args)
    return out


def _mypy_strict(paths: list[str], cwd: str) -> subprocess.CompletedProcess:
    # No config file is read: each module must pass on its own (--no-site-packages is
    # not given: NumPy's own stubs are what the hints are checked against).
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                           "--config-file", "", *paths], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


@needs_mypy
def test_every_module_in_output_passes_mypy_strict():
    out = os.path.join(ROOT, "output")
    files = sorted(f for f in os.listdir(out) if f.endswith(".py"))
    assert files
    r = _mypy_strict(files, out)
    assert r.returncode == 0, r.stdout


@needs_mypy
def test_modules_of_every_kind_pass_mypy_strict(compiled, tmp_path):
    for name, (c, _) in compiled.items():
        (tmp_path / f"{name}.py").write_text(c.source)
    r = _mypy_strict(sorted(os.listdir(tmp_path)), str(tmp_path))
    assert r.returncode == 0, r.stdout


def test_a_wrong_hint_is_caught_by_mypy(compiled, tmp_path):
    """The check above can fail: the same module with one hint made false does."""
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed")
    source = compiled["mlp"][0].source
    wrong = source.replace("def grad(\n    W1: npt.NDArray[np.float64]",
                           "def grad(\n    W1: str", 1)
    assert wrong != source
    (tmp_path / "wrong.py").write_text(wrong)
    r = _mypy_strict(["wrong.py"], str(tmp_path))
    assert r.returncode == 1 and "wrong.py:" in r.stdout


def test_math_only_modules_import_nothing_for_their_hints(compiled):
    source = compiled["scalar_net"][0].source
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["import math"]
    assert "def forward(w: float, b: float, x: float) -> float:" in source


def test_scipy_is_imported_as_untyped_only_where_used(compiled):
    assert "import scipy.special  # type: ignore[import-untyped, unused-ignore]" in \
        compiled["special"][0].source
    assert "scipy" not in compiled["mlp"][0].source


def _conforms(value, hint) -> bool:
    """Whether `value` is of type `hint` (the hints the emitter writes: builtins, NumPy
    arrays of a dtype and NumPy scalar classes, tuples, lists, dicts, unions, Any)."""
    if hint is typing.Any:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, h) for h in args)
    if origin is np.ndarray:
        (dtype,) = typing.get_args(args[1])
        return isinstance(value, np.ndarray) and value.dtype == np.dtype(dtype)
    if origin is tuple:
        return isinstance(value, tuple) and len(value) == len(args) and all(
            _conforms(v, h) for v, h in zip(value, args))
    if origin is list:
        return isinstance(value, list) and all(_conforms(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            isinstance(k, str) and _conforms(v, args[1]) for k, v in value.items())
    if origin is not None:  # np.floating[Any]
        return isinstance(value, origin)
    if hint is float:  # (mypy's float takes an int; the emitter never returns one)
        return type(value) is float or isinstance(value, np.float64)
    return isinstance(value, hint)


def _direction(value):
    """A tangent, cotangent or vector like `value`, its 0-d parts as Python floats."""
    if isinstance(value, (tuple, list)):
        return type(value)(_direction(v) for v in value)
    if isinstance(value, dict):
        return {k: _direction(v) for k, v in value.items()}
    return float(value) if np.ndim(value) == 0 else value


def _calls(c, args):
    """(function name, positional arguments, keyword arguments) for each function."""
    m = c.module
    pos, kw = (list(args), {}) if isinstance(args, (tuple, list)) else ([], dict(args))
    g = c.graph
    sig = g.graph["signature"]
    leaf = {lf.name: lf.value for lf in sig.leaves}
    wrt = tuple(leaf[name] for name in g.graph["wrt"])
    value = m.forward(*pos, **kw)
    extra = {"jvp": (_direction(wrt),), "hvp": (_direction(wrt),),
             "vjp": (_direction(value),)}
    return [(name, pos + list(extra.get(name, ())), kw)
            for name in ("forward", "value_and_grad", "grad") + tuple(extra) +
            ("jacobian", "hessian") if hasattr(m, name)]


@pytest.mark.parametrize("name", [case[0] for case in CASES])
def test_hints_are_true_of_the_arguments_and_results(compiled, name):
    c, args = compiled[name]
    if args is None:
        pytest.skip("no example arguments")
    for function, pos, kw in _calls(c, args):
        fn = getattr(c.module, function)
        hints = typing.get_type_hints(fn)
        bound = inspect.signature(fn).bind(*pos, **kw)
        for param, value in bound.arguments.items():
            assert _conforms(value, hints[param]), (function, param, hints[param], value)
        result = fn(*pos, **kw)
        assert _conforms(result, hints["return"]), (function, hints["return"], result)
