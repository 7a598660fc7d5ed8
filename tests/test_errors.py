"""Every kind of bad input gets its own CompileError subclass, naming the file and the
line (marked `# <-` in each case below), on one line, and nothing is written.

Each case is a function plus example arguments (and `wrt`); the table lists the expected
exception class. A case without a `# <-` marker expects the `def` line (argument and
signature errors are about the whole function).
"""

from __future__ import annotations

import inspect
import math
import os
import random
import subprocess
import sys

import numpy as np
import pytest

import bpcompiler
from bpcompiler import (ArgumentError, CompileError, ConcreteValueError,
                        ConstantTooLargeError, FunctionRaisedError, InPlaceMutationError,
                        InternalError, NonFiniteError, RandomnessError, ReturnValueError,
                        ShapeError, SourceError, TraceLimitError, TracedBranchError,
                        UnsupportedOperationError, VerificationError, compile_grad)
from bpcompiler.builder import MAX_CONSTANT_ELEMENTS

V = np.array([0.5, -1.0, 2.0])
M = np.ones((2, 3))
RNG = np.random.default_rng(0)
BIG = np.sqrt(np.linspace(0.0, 1.0, MAX_CONSTANT_ELEMENTS + 1))  # (no recipe rebuilds it)
HUGE_UNIFORM = np.full(MAX_CONSTANT_ELEMENTS * 4, 0.5)


def branch_if(x):
    if x > 0:  # <-
        return x
    return -x


def branch_while(x):
    y = x
    while y < 10.0:  # <-
        y = y * 2.0
    return y


def branch_and(x, y):
    return (x > 0 and y) or x  # <-


def float_of(x):
    return float(x) * 2.0  # <-


def int_of(x):
    return x * int(x)  # <-


def bool_of(x):
    return 1.0 if bool(np.sum(x)) else 0.0  # <-


def item_of(x):
    return x.item() * 2.0  # <-


def round_of(x):
    return round(x) + x  # <-


def index_with(x, v):
    return v[x] * 1.0  # <-


TABLE = np.array([1.0, 2.0, 3.0])


def constant_indexed_by_traced_index(x):
    # (a constant small enough to embed is indexed like a traced array: see below)
    return BIG[np.argmax(x)] * np.sum(x)  # <-


def unsupported_numpy(x):
    y = np.tanh(x)
    return np.linalg.cond(np.outer(y, y) + np.eye(y.size))  # <-


def unknown_numpy(x):
    return np.sum(np.fft.fft(x).real)  # <-


def unsupported_math(x):
    return math.gamma(x)  # <-


def unsupported_method(x):
    return x.searchsorted(0.5) * np.sum(x)  # <-


def setitem_argument(x):
    x[0] = 1.0  # <-
    return np.sum(x)


def setitem_view(x):
    z = x * 2.0
    y = z[:2]
    y[1:] = 0.0  # <- a view: NumPy would write into z, which is read below
    return np.sum(y) + np.sum(z)


def iadd_argument(x):
    x += 1.0  # <-
    return np.sum(x)


def imul_view(x):
    y = x[:2]
    y *= 2.0  # <-
    return np.sum(x)


def out_argument(x):
    np.tanh(x, out=x)  # <-
    return np.sum(x)


def returns_array(x):
    return x * 2.0  # <-


def returns_none(x):
    y = np.sum(x)  # <-


def returns_tuple(x):
    return np.sum(x), np.mean(x)  # <-


def returns_string(x):
    y = np.sum(x)
    return "done"  # <-


def returns_bool(x):
    return np.sum(x) > 0  # <-


def returns_int(x):
    return 3  # <-


def shape_mismatch(a, b):
    c = np.tanh(a)
    return np.sum(c @ b)  # <-


def shape_broadcast(a, b):
    return np.sum(a + b)  # <-


def shape_axis(a):
    return np.sum(np.sum(a, axis=4))  # <-


def two_params(x, n):
    return np.sum(x) * n


def one_param(x):
    return np.sum(x * x)


def star_args(*xs):
    return xs[0]


def star_kwargs(x, **options):
    return x


def log_of(x):
    return np.sum(np.log(x))


def random_numpy(x):
    noise = np.random.normal(size=3)  # <-
    return np.sum(x + noise)


def random_numpy_no_args(x):
    return x * np.random.rand()  # <-


def random_generator(x):
    return np.sum(x * RNG.normal(size=3))  # <-


def random_stdlib(x):
    return x * random.random()  # <-


def random_local_import(x):
    from numpy.random import normal  # <-
    return x * normal()


def recurse(x):
    return recurse(x * 0.5) + 1.0


def huge_loop(x):
    for _ in range(10**7):
        x = x + 1.0  # <-
    return x


def raises_name_error(x):
    y = x * 2.0
    return y + undefined_name  # noqa: F821  # <-


def raises_type_error(x):
    return np.sum(x + "1")  # <-


def raises_assert(x):
    assert x.shape == (7,), "x must have 7 elements"  # <-
    return np.sum(x)


def raises_only_on_real_numbers(x):
    return x / (x - x)  # <-


def power_of_negative_base(x, y):
    return x ** y


def large_constant(x):
    return np.sum(x[0] * BIG)  # <-


def large_uniform_constant(x):
    return np.sum(x[0] * HUGE_UNIFORM)


def complex_constant(x):
    return np.sum(x * np.array([1j, 2.0, 3.0]))  # <-


def reshape_to_text(x):
    return np.sum(x.reshape("3"))  # <-


def broadcast_to_traced(x, n):
    return np.sum(np.broadcast_to(x, (n, 3)))  # <-


def astype_unknown(x):
    return np.sum(x.astype("not a dtype"))  # <-


def complex_astype(x):
    return np.sum(x.astype(np.complex128).real)  # <-


CASES = [
    # id, function, args, wrt, exception class
    ("if", branch_if, (1.0,), None, TracedBranchError),
    ("while", branch_while, (1.0,), None, TracedBranchError),
    ("and", branch_and, (1.0, 2.0), None, TracedBranchError),
    ("float()", float_of, (1.0,), None, ConcreteValueError),
    ("int()", int_of, (1.0,), None, ConcreteValueError),
    ("bool()", bool_of, (V,), None, ConcreteValueError),
    (".item()", item_of, (np.array(1.0),), None, ConcreteValueError),
    ("round()", round_of, (1.5,), None, ConcreteValueError),
    ("traced index", index_with, (1.0, V), ("x",), UnsupportedOperationError),
    ("constant[traced index]", constant_indexed_by_traced_index, (V,), None,
     ConcreteValueError),
    ("unsupported numpy", unsupported_numpy, (V,), None, UnsupportedOperationError),
    ("unknown numpy", unknown_numpy, (V,), None, UnsupportedOperationError),
    ("unsupported math", unsupported_math, (0.5,), None, UnsupportedOperationError),
    ("unsupported method", unsupported_method, (V,), None, UnsupportedOperationError),
    ("x[0] = 1.0 on an argument", setitem_argument, (V,), None, InPlaceMutationError),
    ("y[1:] = 0.0 on a view", setitem_view, (V,), None, InPlaceMutationError),
    ("x += 1 on an argument", iadd_argument, (V,), None, InPlaceMutationError),
    ("y *= 2 on a view", imul_view, (V,), None, InPlaceMutationError),
    ("out=", out_argument, (V,), None, InPlaceMutationError),
    ("returns an array", returns_array, (V,), None, ReturnValueError),
    ("returns None", returns_none, (V,), None, ReturnValueError),
    ("returns a tuple", returns_tuple, (V,), None, ReturnValueError),
    ("returns a string", returns_string, (V,), None, ReturnValueError),
    ("returns a bool", returns_bool, (V,), None, ReturnValueError),
    ("returns an int", returns_int, (V,), None, ReturnValueError),
    ("matmul shapes", shape_mismatch, (np.ones((2, 3)), np.ones((4, 5))), None, ShapeError),
    ("broadcast shapes", shape_broadcast, (np.ones(3), np.ones(4)), None, ShapeError),
    ("axis out of range", shape_axis, (M,), None, ShapeError),
    ("wrt missing", two_params, (V, 2), ("z",), ArgumentError),
    ("wrt int", two_params, (V, 2), ("n",), ArgumentError),
    ("wrt int array", two_params, (V, np.arange(3)), ("n",), ArgumentError),
    ("wrt not names", two_params, (V, 2), 5, ArgumentError),
    ("too few args", two_params, (V,), None, ArgumentError),
    ("too many args", one_param, (V, V), None, ArgumentError),
    ("string arg", one_param, ("1.0",), None, ArgumentError),
    ("object array", one_param, (np.array([1.0, None]),), None, ArgumentError),
    ("complex arg", one_param, (1 + 2j,), None, ArgumentError),
    ("complex array", one_param, (np.array([1 + 2j]),), None, ArgumentError),
    ("float16 array", one_param, (np.ones(2, np.float16),), None, ArgumentError),
    ("None arg", one_param, (None,), None, ArgumentError),
    ("NaN arg", one_param, (np.array([1.0, np.nan]),), None, NonFiniteError),
    ("inf arg", one_param, (math.inf,), None, NonFiniteError),
    ("non-finite value", log_of, (np.array([1.0, 0.0]),), None, NonFiniteError),
    ("*args", star_args, (1.0,), None, ArgumentError),
    ("**kwargs", star_kwargs, (1.0,), None, ArgumentError),
    ("np.random", random_numpy, (V,), None, RandomnessError),
    ("np.random no traced args", random_numpy_no_args, (1.0,), None, RandomnessError),
    ("Generator", random_generator, (V,), None, RandomnessError),
    ("random module", random_stdlib, (1.0,), None, RandomnessError),
    ("np.random imported locally", random_local_import, (1.0,), None, RandomnessError),
    ("recursion", recurse, (1.0,), None, TraceLimitError),
    ("huge loop", huge_loop, (1.0,), None, TraceLimitError),
    ("NameError", raises_name_error, (1.0,), None, FunctionRaisedError),
    ("TypeError", raises_type_error, (V,), None, FunctionRaisedError),
    ("assert", raises_assert, (V,), None, FunctionRaisedError),
    ("raises on real numbers", raises_only_on_real_numbers, (1.0,), None,
     FunctionRaisedError),
    ("large constant", large_constant, (V,), None, ConstantTooLargeError),
    ("undefined derivative", power_of_negative_base, (-2.0, 2.0), None, VerificationError),
    ("complex constant", complex_constant, (V,), None, UnsupportedOperationError),
    ("complex astype", complex_astype, (V,), None, UnsupportedOperationError),
    ("reshape to a string", reshape_to_text, (V,), None, UnsupportedOperationError),
    ("broadcast to a traced size", broadcast_to_traced, (V, 2.0), ("x",),
     UnsupportedOperationError),
    ("astype unknown dtype", astype_unknown, (V,), None, UnsupportedOperationError),
]


def expected_line(fn) -> int:
    lines, first = inspect.getsourcelines(fn)
    for offset, text in enumerate(lines):
        if "# <-" in text:
            return first + offset
    return first


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_clearly(case, tmp_path, monkeypatch):
    _, fn, args, wrt, cls = case
    import bpcompiler.trace
    monkeypatch.setattr(bpcompiler.trace, "MAX_TRACE_NODES", 20_000)  # the huge loop: fast
    out = tmp_path / "out_grad.py"
    with pytest.raises(CompileError) as info:
        compile_grad(fn, args, wrt=wrt, out=str(out))
    error = info.value
    assert type(error) is cls, f"{type(error).__name__}: {error}"
    assert not isinstance(error, InternalError)
    line = expected_line(fn)
    assert error.line == line, str(error)
    assert str(error).startswith(f"tests/test_errors.py:{line}: ") or \
        str(error).startswith(f"{os.path.relpath(__file__)}:{line}: "), str(error)
    assert "\n" not in str(error)
    assert error.hint, "every refusal says what to do instead"
    assert not out.exists()
    assert os.listdir(tmp_path) == []  # no temporary file left behind either


def test_every_error_class_is_documented_and_exported():
    for name in bpcompiler.__all__:
        obj = getattr(bpcompiler, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, CompileError)
            assert obj.__doc__ and len(obj.__doc__) > 30, name


def test_a_constant_indexed_by_a_traced_index_is_pointed_to_take_along_axis():
    with pytest.raises(ConcreteValueError) as info:
        compile_grad(constant_indexed_by_traced_index, (np.array([0.1, 0.5, 0.2]),))
    assert "np.take_along_axis(TABLE, i, axis=0)" in info.value.hint

    def fixed(x):
        i = np.reshape(np.argmax(x), (1,))
        return np.sum(np.take_along_axis(TABLE, i, axis=0)) * np.sum(x)
    x = np.array([0.1, 0.5, 0.2])
    np.testing.assert_array_equal(compile_grad(fixed, (x,)).module.grad(x)[0], [2.0] * 3)

    def small(x):  # TABLE embeds: it becomes a constant that traced indices index
        return TABLE[np.argmax(x)] * np.sum(x)
    c = compile_grad(small, (x,))
    for point, expected in ((x, 2.0), (np.array([0.9, 0.5, 0.2]), 1.0)):
        np.testing.assert_array_equal(c.module.grad(point)[0], [expected] * 3)


def test_shape_error_names_both_shapes():
    with pytest.raises(ShapeError) as info:
        compile_grad(shape_mismatch, (np.ones((2, 3)), np.ones((4, 5))))
    assert "(2, 3)" in str(info.value) and "(4, 5)" in str(info.value)


def test_shape_error_comes_before_anything_is_emitted(monkeypatch):
    import bpcompiler.api as api
    emitted = []
    monkeypatch.setattr(api, "emit", lambda *a, **k: emitted.append(1))
    with pytest.raises(ShapeError):
        compile_grad(shape_broadcast, (np.ones(3), np.ones(4)))
    assert emitted == []


def test_huge_loop_is_refused_at_the_node_limit(monkeypatch):
    import bpcompiler.trace
    monkeypatch.setattr(bpcompiler.trace, "MAX_TRACE_NODES", 1234)
    with pytest.raises(TraceLimitError, match="grew past 1234 operations"):
        compile_grad(huge_loop, (1.0,))

    def long_but_fine(x):
        for _ in range(300):
            x = x * 1.001
        return x
    compile_grad(long_but_fine, (1.0,))


def test_uniform_constants_of_any_size_are_embedded_exactly():
    c = compile_grad(large_uniform_constant, (V,))
    assert f"np.full(({HUGE_UNIFORM.size},), 0.5, dtype=np.float64)" in c.source
    assert c.module.grad(V)[0][0] == pytest.approx(0.5 * HUGE_UNIFORM.size)


def test_randomness_is_refused_even_when_no_traced_value_is_involved():
    # Without the refusal np.random.rand() would run for real and be baked in.
    with pytest.raises(RandomnessError, match="np.random.rand"):
        compile_grad(random_numpy_no_args, (1.0,))


def test_modules_imported_inside_the_function_are_traced():
    def f(x):
        import math
        from math import tanh

        import numpy
        return math.exp(x) + tanh(x) + numpy.sin(x)
    assert compile_grad(f, (0.3,)).module.forward(0.3) == pytest.approx(f(0.3), rel=1e-15)


def test_ordinary_rebinding_operators_on_scalars_still_work():
    def f(x, v):
        total = 0.0
        for i in range(3):
            total += np.sum(v * x)  # a NumPy scalar: += rebinds, it does not write
        x += 1.0  # a Python float
        return total * x
    c = compile_grad(f, (0.5, V))
    assert c.module.forward(0.5, V) == pytest.approx(f(0.5, V))


def test_internal_error_names_the_stage_and_leaves_a_bounded_dump(monkeypatch, tmp_path):
    import bpcompiler.api as api

    def broken(g):
        raise KeyError("simulated bug")
    monkeypatch.setattr(api, "differentiate", broken)
    out = tmp_path / "out.py"
    with pytest.raises(InternalError) as info:
        compile_grad(one_param, (V,), out=str(out))
    error = info.value
    assert "internal error in differentiate" in str(error)
    assert "bug in bpcompiler" in str(error) and "\n" not in str(error)
    assert error.stage == "differentiate" and os.path.isfile(error.dump_path)
    assert error.dump_path in str(error)
    with open(error.dump_path, encoding="utf-8") as f:
        text = f.read()
    os.unlink(error.dump_path)
    assert "simulated bug" in text and "%0 = input" in text
    assert len(text) < 200_000
    assert not out.exists()


def test_internal_error_in_a_pass_names_the_pass(monkeypatch):
    import bpcompiler.passes.cse as cse

    def broken(*args):
        raise ValueError("simulated bug in CSE")
    monkeypatch.setattr(cse, "hashable", broken)
    with pytest.raises(InternalError) as info:
        compile_grad(one_param, (V,))
    assert "internal error in pass cse of optimize (forward)" in str(info.value)
    assert info.value.stage == "optimize (forward), pass cse"
    os.unlink(info.value.dump_path)


def test_internal_error_dump_is_bounded():
    import networkx as nx  # noqa: F401
    from bpcompiler.api import DUMP_NODES, internal_error
    from bpcompiler.trace import trace

    def long(x):
        for _ in range(2 * DUMP_NODES):
            x = x * 1.0001
        return x
    graph = trace(long, (1.0,))
    error = internal_error("boom", "emit", long, graph, RuntimeError("boom"))
    with open(error.dump_path, encoding="utf-8") as f:
        text = f.read()
    os.unlink(error.dump_path)
    assert f"... {len(graph) - DUMP_NODES} more nodes" in text


# -- the command line ------------------------------------------------------------------

def run_cli(*argv, cwd):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return subprocess.run([sys.executable, "-m", "bpcompiler", *argv], cwd=cwd,
                          capture_output=True, text=True, env=env)


def test_cli_missing_source_file(tmp_path):
    result = run_cli("compile", "nope.py:f", "-o", "out.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("bpcompiler: SourceError: nope.py: no such file")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out.py").exists()


def test_cli_function_not_defined(tmp_path):
    (tmp_path / "m.py").write_text("def g(x):\n    return x * x\n")
    result = run_cli("compile", "m.py:f", "-o", "out.py", cwd=tmp_path)
    assert result.returncode == 1
    assert "SourceError: m.py: m.py does not define a function 'f'" in result.stderr
    assert "it defines g" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out.py").exists()


def test_cli_compile_error_is_one_line_and_debug_shows_the_traceback(tmp_path):
    (tmp_path / "m.py").write_text("def f(x):\n    if x > 0:\n        return x\n"
                                   "    return -x\n")
    result = run_cli("compile", "m.py:f", "-o", "out.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("bpcompiler: TracedBranchError: m.py:2: ")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "out.py").exists()
    debug = run_cli("--debug", "compile", "m.py:f", "-o", "out.py", cwd=tmp_path)
    assert debug.returncode != 0 and "Traceback" in debug.stderr
    assert not (tmp_path / "out.py").exists()


def test_cli_syntax_error_names_the_line(tmp_path):
    (tmp_path / "m.py").write_text("def f(x):\n    return x +\n")
    result = run_cli("compile", "m.py:f", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("bpcompiler: SourceError: m.py:2: syntax error")
    assert not (tmp_path / "output").exists()
