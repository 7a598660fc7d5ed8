"""Forms autograd's own tests use that were refused before: NumPy's scalar types called
on traced values (`np.int64(x)`, `np.float64(x)`), `np.append` (arrays and nested lists
of traced values) and autograd's `make_diagonal` and `append`, whose own code cannot run
on traced values. Values against NumPy, gradients against central differences."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest

from bpcompiler import compile_grad
from support.fd import central_differences, check

RNG = np.random.default_rng(5)
W = RNG.normal(size=(5, 4))


@pytest.mark.parametrize("npm", [np, anp], ids=["numpy", "autograd.numpy"])
def test_int_cast_is_an_index_without_gradient(npm):
    def f(W):
        inds = npm.int64(W[:, -1] * 2.0)
        assert inds.dtype == npm.int64 and inds.dtype == np.int64
        return npm.sum(W[:, :-1][inds] ** 2) + npm.sum(W * inds[:, None])
    check(f, W)


def test_float_cast_of_a_float_is_the_value_and_the_types_stay_numpys():
    def f(x):
        y = np.float64(x) * np.float64(2.0)
        kinds = (isinstance(np.float64(1.0), np.float64), np.float64 == np.float64,
                 np.issubdtype(np.dtype("float64"), np.float64),
                 np.zeros(2, dtype=np.float64).dtype == np.float64,
                 np.float64(np.float32(1.5)) == 1.5, type(np.int32(3)) == np.int32)
        assert all(kinds), kinds
        return np.sum(y * np.float64(x))
    c = check(f, W[0])
    assert c.module.forward(W[0]) == pytest.approx(f(W[0]))
    g = compile_grad(lambda s: np.float64(s) * 3.0, (0.5,))  # a Python float
    assert g.module.value_and_grad(0.5) == (1.5, (3.0,))


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_np_append(axis):
    b = RNG.normal(size=(1, 4)) if axis == 0 else RNG.normal(size=(5, 2))
    if axis is None:
        b = RNG.normal(size=3)
    w = RNG.uniform(-1, 1, size=np.shape(np.append(W, b, axis=axis)))
    check(lambda x: np.sum(np.append(x, b * x[0, 0], axis=axis) * w), W)


@pytest.mark.parametrize("npm", [np, anp], ids=["numpy", "autograd.numpy"])
def test_append_of_nested_lists_of_traced_values(npm):
    def f(a, b, c):
        out = npm.append([[a, 1.0, b]], [[c, a * b, 2.0]], axis=0)
        return npm.sum(out * np.arange(6.0).reshape(2, 3)) + npm.sum(npm.append([a], b))
    args = (0.3, -1.2, 2.0)
    c = compile_grad(f, args)
    value, grads = c.module.value_and_grad(*args)
    assert value == pytest.approx(f(*args))
    for i, g in enumerate(grads):
        assert g == pytest.approx(float(central_differences(f, args, i)), rel=1e-6)


@pytest.mark.parametrize("shape", [(4,), (3, 4)])
def test_autograd_make_diagonal(shape):
    D = RNG.normal(size=shape)
    w = RNG.normal(size=shape + shape[-1:])
    f = lambda d: anp.sum(anp.make_diagonal(d, axis1=-1, axis2=-2) * w)  # noqa: E731
    c = check(f, D)
    assert "flags" not in c.source


def test_autograd_make_diagonal_other_axes_are_refused_by_name():
    from bpcompiler import CompileError
    with pytest.raises(CompileError, match="make_diagonal with offset=0, axis1=0"):
        compile_grad(lambda d: anp.sum(anp.make_diagonal(d)), (W[0],))
