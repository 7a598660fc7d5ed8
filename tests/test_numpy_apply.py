"""np.piecewise and np.apply_along_axis on traced values (ops/numpy_apply.py): the
user's functions traced where NumPy calls them, against JAX (piecewise) and autograd
running NumPy's own apply_along_axis at two points."""

from __future__ import annotations

import numpy as np
import pytest

from bpcompiler import CompileError, compile_grad
from support.jax_reference import matches_jax

jax = pytest.importorskip("jax", reason="JAX is the reference for np.piecewise")
jnp = pytest.importorskip("jax.numpy")
jax.config.update("jax_enable_x64", True)

rng = np.random.default_rng(11)


PIECEWISE = {
    "two functions": lambda xp: lambda x: xp.sum(xp.piecewise(
        x, [x < 0, x >= 0], [lambda v: -v, lambda v: v ** 2])),
    "otherwise and a constant": lambda xp: lambda x: xp.sum(xp.piecewise(
        x, [x < -0.5, x > 0.5], [lambda v: xp.sin(v), 2.0, lambda v: v ** 3]) * x),
    "log on its own side": lambda xp: lambda x: xp.sum(xp.piecewise(
        x, [x > 0], [lambda v: xp.log(xp.where(v > 0, v, 1.0)), lambda v: v])),
}


@pytest.mark.parametrize("name", sorted(PIECEWISE))
def test_piecewise_matches_jax(name):
    x = rng.standard_normal(7)
    matches_jax(PIECEWISE[name](np), PIECEWISE[name](jnp), x, (x, 0.8 * x + 0.15),
                rtol=1e-11)


def test_piecewise_log_of_the_untaken_side_keeps_the_gradient_finite():
    def f(x):
        return np.sum(np.piecewise(x, [x > 0], [np.log, lambda v: v * 0.5]))
    x = np.array([0.5, -1.0, 2.0])
    d_x = compile_grad(f, (x,)).module.grad(x)[0]
    np.testing.assert_allclose(d_x, [2.0, 0.5, 0.5], rtol=1e-14)


def test_apply_along_axis_matches_numpy_and_autograd():
    autograd = pytest.importorskip("autograd", reason="autograd is a reference")
    anp = pytest.importorskip("autograd.numpy")

    def ours(A):
        return np.sum(np.apply_along_axis(lambda r: np.array([r @ r, np.sum(np.tanh(r))]),
                                          0, A) ** 2)

    def theirs(A):
        rows = [A[:, j] for j in range(A.shape[1])]
        out = anp.stack([anp.stack([r @ r, anp.sum(anp.tanh(r))]) for r in rows], axis=1)
        return anp.sum(out ** 2)
    A = rng.standard_normal((4, 3))
    module = compile_grad(ours, (A,)).module
    for point in (A, A * 0.5 - 0.1):
        value, (d_A,) = module.value_and_grad(point)
        assert value == pytest.approx(ours(point), rel=1e-12)
        np.testing.assert_allclose(d_A, autograd.grad(theirs)(point), rtol=1e-11)


def test_apply_along_axis_of_a_scalar_function_over_the_last_axis():
    B = rng.standard_normal((2, 3, 4))
    c = compile_grad(lambda B: np.sum(np.apply_along_axis(np.linalg.norm, -1, B)), (B,))
    np.testing.assert_allclose(c.module.grad(B)[0],
                               B / np.linalg.norm(B, axis=-1, keepdims=True), rtol=1e-12)


def test_piecewise_with_too_many_functions_is_refused():
    with pytest.raises(CompileError, match="1 conditions but 3 functions"):
        compile_grad(lambda x: np.sum(np.piecewise(x, [x > 0], [1.0, 2.0, 3.0]) * x),
                     (np.ones(3),))
