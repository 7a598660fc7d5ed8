"""The array-API target's compile side: the CLI flag, refusals naming the op and line,
call-time guards against the arguments' own namespace, one module for every size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bpcompiler import compile_grad
from bpcompiler.portable import TargetError, UnportableError
from support.examples import example

ROOT = Path(__file__).resolve().parent.parent
strict = pytest.importorskip("array_api_strict")


def einsum_loss(A, x):
    y = np.einsum("ij,j->i", A, x)  # line the refusal names
    return np.sum(y * y)


def sorted_loss(x):
    s = np.sort(x)
    return np.sum(s * np.arange(4.0))


def _line_of(fn, text: str) -> int:
    import inspect
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def test_unportable_op_is_named_with_its_line():
    with pytest.raises(UnportableError) as info:
        compile_grad(einsum_loss, (np.ones((3, 2)), np.ones(2)), target="array-api")
    message = str(info.value)
    assert "'einsum' on this line prevents target='array-api'" in message
    assert f"test_portable.py:{_line_of(einsum_loss, 'np.einsum')}" in message


def test_unportable_gradient_is_named_with_the_line_it_comes_from():
    with pytest.raises(UnportableError) as info:
        compile_grad(sorted_loss, (np.array([3.0, 1.0, 2.0, 0.5]),), target="array-api")
    message = str(info.value)
    assert "'add_along_axis' in the gradient of this line" in message
    assert f"test_portable.py:{_line_of(sorted_loss, 'np.sort')}" in message


def test_unknown_target_is_refused():
    with pytest.raises(TargetError, match="unknown target 'cuda'"):
        compile_grad(sorted_loss, (np.ones(4),), target="cuda")


def test_cli_compiles_for_the_target_and_records_it(tmp_path):
    out = tmp_path / "lr.py"
    run = subprocess.run([sys.executable, "-m", "bpcompiler", "compile",
                          "examples/logistic_regression.py:loss", "--target", "array-api",
                          "-o", str(out), "-q"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    source = out.read_text()
    assert "--target array-api" in source.splitlines()[2]  # the Regenerate: line
    assert "import array_api_compat" in source and "import numpy" not in source
    assert "xp = array_api_compat.array_namespace(w, X, y)" in source


def _logistic():
    loss = example("logistic_regression").loss
    return compile_grad(loss, specs={"b": "float"}, target="array-api").module


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-0.5, 0.5, 8), 0.1, rng.standard_normal((n, 8)),
            rng.integers(0, 2, n))


def test_one_module_serves_every_batch_size_on_strict_arrays():
    module = _logistic()
    for n in (5, 37):
        w, b, X, y = _data(n)
        value, (d_w, d_b) = module.value_and_grad(strict.asarray(w), b, strict.asarray(X),
                                                  strict.asarray(y))
        want_value, (want_w, want_b) = module.value_and_grad(w, b, X, y)
        np.testing.assert_allclose(np.from_dlpack(value), want_value, rtol=1e-13)
        np.testing.assert_allclose(np.from_dlpack(d_w), want_w, rtol=1e-13)
        # the Python float's gradient stays a 0-d array: nothing is forced to a float
        assert isinstance(d_b, type(strict.asarray(0.0))) and d_b.shape == ()
        np.testing.assert_allclose(float(d_b), want_b, rtol=1e-13)


def test_guards_check_against_the_arguments_namespace():
    module = _logistic()
    w, b, X, y = _data(6)
    with pytest.raises(ValueError, match=r"w has shape \(3,\).*compiled for w: f64\[8\]"):
        module.value_and_grad(strict.asarray(w[:3]), b, strict.asarray(X), strict.asarray(y))
    with pytest.raises(TypeError, match="X has dtype .*float32.*compiled for X: f64"):
        module.value_and_grad(strict.asarray(w), b, strict.asarray(X, dtype=strict.float32),
                              strict.asarray(y))
    with pytest.raises(TypeError, match="[Mm]ultiple namespaces"):
        module.value_and_grad(w, b, strict.asarray(X), strict.asarray(y))
    with pytest.raises(ValueError, match="dimension N"):
        module.value_and_grad(w, b, X, y[:4])
    with pytest.raises(TypeError, match="b must be a Python float"):
        module.value_and_grad(w, "0.1", X, y)


def named_like_the_namespace(xp, device):
    return np.sum(np.tanh(xp) * device) + np.sum(xp[1:] * xp[:-1])


def test_parameters_named_xp_and_device_are_not_shadowed():
    args = (np.linspace(-1.0, 1.0, 5), np.arange(5.0))
    c = compile_grad(named_like_the_namespace, args, target="array-api")
    assert "xp_arg = xp" in c.source and "device_arg = device" in c.source
    value, grads = c.module.value_and_grad(*(strict.asarray(a) for a in args))
    want_value, want_grads = compile_grad(named_like_the_namespace, args).module \
        .value_and_grad(*args)
    np.testing.assert_allclose(np.from_dlpack(value), want_value, rtol=1e-13)
    for g, want in zip(grads, want_grads):
        np.testing.assert_allclose(np.from_dlpack(g), want, rtol=1e-13)
