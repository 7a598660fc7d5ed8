"""The user-facing contract of compile_grad and of the emitted module."""

from __future__ import annotations

import ast
import math
import os
import subprocess
import sys
from math import tanh

import networkx as nx
import numpy as np
import pytest

from bpcompiler import (CompileError, ReturnValueError, TracedBranchError, ArgumentError,
                        UnsupportedOperationError, ConcreteValueError, ShapeError,
                        compile_grad)

rng = np.random.default_rng(0)
W0, b0 = rng.normal(size=(3, 4)), rng.normal(size=4)
x0, y0 = rng.normal(size=(5, 3)), rng.normal(size=(5, 4))


def loss(W, b, x, y):
    h = np.tanh(x @ W + b)
    return np.mean((h - y) ** 2)


def imports_of(source: str) -> set:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module)
    return names


def test_issue_example(tmp_path):
    out = tmp_path / "loss_grad.py"
    c = compile_grad(loss, args=(W0, b0, x0, y0), wrt=("W", "b"), out=str(out))
    value, (dW, db) = c.module.value_and_grad(W0, b0, x0, y0)
    assert value == pytest.approx(loss(W0, b0, x0, y0), rel=1e-14)
    assert dW.shape == W0.shape and db.shape == b0.shape
    assert c.module.WRT == ("W", "b")
    assert c.path == str(out) and out.read_text() == c.source
    assert isinstance(c.graph, nx.DiGraph)
    assert imports_of(c.source) == {"numpy", "numpy.typing", "typing"}  # (typing: hints)
    assert c.report.forward_nodes > 0 and c.report.adjoint_nodes > 0
    assert set(c.report.seconds) >= {"trace", "differentiate", "emit", "verify"}
    grads = c.module.grad(W0, b0, x0, y0)
    assert isinstance(grads, tuple) and len(grads) == 2


def test_emitted_module_has_the_functions_parameter_names():
    c = compile_grad(loss, args=(W0, b0, x0, y0))
    tree = ast.parse(c.source)
    functions = {f.name: [a.arg for a in f.args.args] for f in tree.body
                 if isinstance(f, ast.FunctionDef) and not f.name.startswith("_")}
    assert functions == {name: ["W", "b", "x", "y"] for name in
                         ("forward", "value_and_grad", "grad")}


def test_wrt_defaults_to_every_float_parameter_and_skips_ints():
    def f(x, n, s, labels):
        return np.sum(x * s) * n + np.sum(labels * x)
    args = (np.ones(3), 2, 0.5, np.array([1, 0, 2]))
    c = compile_grad(f, args)
    assert c.module.WRT == ("x", "s")
    dx, ds = c.module.grad(*args)
    np.testing.assert_allclose(dx, 0.5 * 2 + np.array([1, 0, 2]))
    assert ds == pytest.approx(6.0)


def test_gradients_have_the_parameters_shapes_and_dtypes():
    def f(a, b, c, d):
        return np.sum(a * b) + c * np.sum(d)
    args = (np.ones((2, 3), np.float32), np.float32(2.0) * np.ones(3, np.float32), 1.5,
            np.array(2.0))
    grads = compile_grad(f, args).module.grad(*args)
    assert grads[0].dtype == np.float32 and grads[0].shape == (2, 3)
    assert grads[1].dtype == np.float32 and grads[1].shape == (3,)
    assert isinstance(grads[2], float)
    assert np.shape(grads[3]) == () and np.asarray(grads[3]).dtype == np.float64


def test_emitted_functions_do_not_modify_or_alias_their_inputs():
    def f(x, y):
        return np.sum(x * y)
    x, y = np.arange(3.0), np.ones(3)
    dx, dy = compile_grad(f, (x, y)).module.grad(x, y)
    dx *= 10
    dy *= 10
    np.testing.assert_array_equal(x, np.arange(3.0))
    np.testing.assert_array_equal(y, np.ones(3))


def test_python_floats_use_math_and_no_numpy():
    def f(a, b):
        return tanh(a * b) + math.exp(-a) + abs(b) ** 2
    c = compile_grad(f, (0.3, -1.2))
    assert imports_of(c.source) == {"math"}
    assert "np." not in c.source


def helper(u, w):
    return np.tanh(u) * w


SCALE = 3.0


def test_calls_closures_lambdas_loops_and_module_constants():
    offset = 0.25
    square = lambda v: v * v  # noqa: E731

    def f(x, w):
        total = 0.0
        for i in range(3):
            total = total + np.sum(helper(x[i] + offset, w)) * SCALE
        return square(total)
    args = (rng.normal(size=(3, 2)), rng.normal(size=2))
    c = compile_grad(f, args)
    assert c.module.forward(*args) == pytest.approx(f(*args), rel=1e-13)


def test_branch_on_a_traced_value_names_the_line(tmp_path):
    def f(x):
        if x > 0:
            return x
        return -x
    out = tmp_path / "f.py"
    with pytest.raises(TracedBranchError) as info:
        compile_grad(f, (1.0,), out=str(out))
    line = f.__code__.co_firstlineno + 1
    assert info.value.line == line and f"test_api.py:{line}" in str(info.value)
    assert "np.where" in str(info.value)
    assert not out.exists()


def test_float_of_a_traced_value_is_refused():
    def f(x):
        return float(x) * 2.0
    with pytest.raises(ConcreteValueError):
        compile_grad(f, (1.0,))


def test_non_scalar_return_is_refused():
    def f(x):
        return x * 2
    with pytest.raises(ReturnValueError, match="shape"):
        compile_grad(f, (np.ones(3),))


def test_shape_mismatch_is_reported_with_both_shapes_and_the_line():
    def f(a, b):
        return np.sum(a @ b)
    with pytest.raises(ShapeError) as info:
        compile_grad(f, (np.ones((2, 3)), np.ones((4, 5))))
    assert "(2, 3)" in str(info.value) and "(4, 5)" in str(info.value)
    assert info.value.line == f.__code__.co_firstlineno + 1


def test_unsupported_function_is_named():
    def f(x):
        return np.sum(np.fft.fft(x).real)
    with pytest.raises(UnsupportedOperationError, match="fft"):
        compile_grad(f, (np.ones(4),))


def test_wrt_must_name_a_float_parameter():
    def f(x, n):
        return x * n
    with pytest.raises(ArgumentError, match="'z'"):
        compile_grad(f, (1.0, 2), wrt=("z",))
    with pytest.raises(ArgumentError, match="not a float"):
        compile_grad(f, (1.0, 2), wrt=("n",))


def test_every_error_is_a_compile_error():
    for cls in (TracedBranchError, ReturnValueError, ArgumentError, ShapeError,
                UnsupportedOperationError, ConcreteValueError):
        assert issubclass(cls, CompileError)


def test_generated_module_imports_without_bpcompiler(tmp_path):
    out = tmp_path / "project" / "loss_grad.py"
    compile_grad(loss, args=(W0, b0, x0, y0), out=str(out))
    script = ("import sys, numpy as np\n"
              "import loss_grad\n"
              "assert 'bpcompiler' not in sys.modules\n"
              "rng = np.random.default_rng(0)\n"
              "v, g = loss_grad.value_and_grad(rng.normal(size=(3, 4)), rng.normal(size=4),"
              " rng.normal(size=(5, 3)), rng.normal(size=(5, 4)))\n"
              "print(len(g))\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-I", "-c",
                             f"import sys; sys.path.insert(0, {str(out.parent)!r}); " + script],
                            cwd=tmp_path, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "4"


# -- every committed module under output/ works as a single file, with only numpy ---------

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT_MODULES = sorted(f for f in os.listdir(os.path.join(ROOT, "output"))
                        if f.endswith("_grad.py"))

# Run in a subprocess started with -I (no PYTHONPATH, no user site, no current directory),
# whose path holds only the copied module's directory besides the interpreter's own; a
# meta-path hook makes any import of bpcompiler fail even though it is pip-installed here.
STANDALONE = """
import importlib.abc, json, sys
class NoBpcompiler(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "bpcompiler" or name.startswith("bpcompiler."):
            raise ImportError("bpcompiler must not be needed")
sys.meta_path.insert(0, NoBpcompiler())
sys.path.insert(0, sys.argv[1])
assert not any(p.rstrip("/") == sys.argv[2].rstrip("/") for p in sys.path), sys.path
import numpy as np
spec = json.loads(sys.argv[3])
data = np.load(sys.argv[4])
args = [data[name] if kind == "array" else float(data[name]) for name, kind in spec]
module = __import__(sys.argv[5])
if hasattr(module, "value_and_grad"):
    value, grads = module.value_and_grad(*args)
else:  # emitted without grad (--emit jacobian,jvp,vjp): the pull-back of ones
    value, grads = module.vjp(*args, np.ones_like(module.forward(*args)))
np.savez(sys.argv[6], value=value, **{f"g{i}": g for i, g in enumerate(grads)})
print("ok", module.WRT)
"""


@pytest.mark.parametrize("name", OUTPUT_MODULES)
def test_output_module_works_copied_anywhere_without_bpcompiler(name, tmp_path):
    import importlib.util
    import json
    import shlex
    import shutil

    from bpcompiler.cli import build_parser
    from bpcompiler.sources import load_function
    from bpcompiler.specs import example_args, specs_for
    from bpcompiler.writer import read_header

    with open(os.path.join(ROOT, "output", name), encoding="utf-8") as f:
        header = read_header(f.read())
    options = build_parser().parse_args(shlex.split(header["Regenerate"])[1:])
    overrides = dict(item.split("=", 1) for item in options.arg or [])
    cwd = os.getcwd()
    os.chdir(ROOT)  # the recorded command's paths are relative to the repository
    try:
        fn = load_function(options.target)
    finally:
        os.chdir(cwd)
    specs = specs_for(fn, overrides)
    args = example_args(specs, seed=1)
    elsewhere = tmp_path / "another_project"
    elsewhere.mkdir()
    shutil.copy(os.path.join(ROOT, "output", name), elsewhere / name)
    np.savez(tmp_path / "args.npz", **dict(zip(specs, args)))
    kinds = [(p, "scalar" if not isinstance(a, np.ndarray) else "array")
             for p, a in zip(specs, args)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    result = subprocess.run(
        [sys.executable, "-I", "-c", STANDALONE, str(elsewhere), ROOT, json.dumps(kinds),
         str(tmp_path / "args.npz"), name[:-3], str(tmp_path / "result.npz")],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
    # Same numbers as the function itself, and as the module imported here.
    got = np.load(tmp_path / "result.npz")
    np.testing.assert_allclose(got["value"], fn(*args), rtol=1e-12)
    spec = importlib.util.spec_from_file_location(name[:-3], elsewhere / name)
    here = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(here)
    grads = here.grad(*args) if hasattr(here, "grad") else \
        here.vjp(*args, np.ones_like(here.forward(*args)))[1]
    for i, g in enumerate(grads):
        np.testing.assert_array_equal(got[f"g{i}"], g)


def test_a_jump_at_the_example_point_is_not_decidable_there_and_checked_elsewhere():
    # floor(3x) jumps at x = 1.0: no step is small enough for central differences there,
    # so verification says so (not a wrong rule) and decides at the other points.
    def g(x):
        return np.sum(x * x + np.floor(x * 3.0))

    x = np.linspace(0.1, 1.0, 5)
    compiled = compile_grad(g, (x,))
    np.testing.assert_allclose(compiled.module.grad(x)[0], 2 * x)
    summary = compiled.report.verification.summary()
    assert "not decidable: x at the example arguments (a kink or jump" in summary, summary
    assert "x by central differences" in summary
    assert f"# Verified: {summary}" in compiled.source
