"""np.median, np.quantile and np.percentile of traced values (ops/order_stats.py):
values and gradients against JAX's at two points, over axes, methods and vectors of
quantiles, and the refusals."""

from __future__ import annotations

import numpy as np
import pytest

from bpcompiler import CompileError, compile_grad
from support.jax_reference import matches_jax

jax = pytest.importorskip("jax", reason="JAX is the reference for order statistics")
jnp = pytest.importorskip("jax.numpy")
jax.config.update("jax_enable_x64", True)

rng = np.random.default_rng(3)
W = rng.standard_normal((2, 4))

CASES = {
    "median": lambda xp: lambda x: xp.median(x) ** 2,
    "median odd axis=0": lambda xp: lambda x: xp.sum(xp.median(x[:3], axis=0) * W[0]),
    "median axis=1 keepdims": lambda xp: lambda x: xp.sum(
        xp.median(x, axis=1, keepdims=True) * x),
    "quantile 0.3": lambda xp: lambda x: xp.quantile(x, 0.3),
    "quantile vector axis=0": lambda xp: lambda x: xp.sum(
        xp.quantile(x, xp.asarray([0.1, 0.9]), axis=0) * W),
    "quantile lower": lambda xp: lambda x: xp.quantile(x, 0.37, method="lower"),
    "quantile higher": lambda xp: lambda x: xp.quantile(x, 0.37, method="higher"),
    "quantile midpoint": lambda xp: lambda x: xp.quantile(x, 0.37, method="midpoint"),
    "quantile nearest": lambda xp: lambda x: xp.quantile(x, 0.37, method="nearest"),
    "percentile 90 axis=(0, 1)": lambda xp: lambda x: xp.percentile(x * x, 90.0, axis=(0, 1)),
    "percentile vector axis=-1": lambda xp: lambda x: xp.sum(
        xp.percentile(xp.tanh(x), xp.asarray([25.0, 50.0, 75.0]), axis=-1) ** 2),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_jax(name):
    x = rng.standard_normal((5, 4))
    matches_jax(CASES[name](np), CASES[name](jnp), x, (x, 0.6 * x[::-1] + 0.2))


def test_refusals_name_the_function():
    x = np.ones(4)
    with pytest.raises(CompileError, match="np.quantile at a traced quantile"):
        compile_grad(lambda x, q: np.quantile(x, q), (x, 0.5))
    with pytest.raises(CompileError, match=r"in \[0, 100\]"):
        compile_grad(lambda x: np.percentile(x, 120.0), (x,))
    with pytest.raises(CompileError, match="method='inverted_cdf'"):
        compile_grad(lambda x: np.quantile(x, 0.5, method="inverted_cdf"), (x,))


XP, FP = np.array([-1.0, 0.0, 0.5, 2.0]), np.array([0.0, 1.0, 4.0, 3.0])

INTERP = {
    "x": (lambda xp: lambda x, fp: xp.sum(xp.interp(x, XP, FP) ** 2), (0,)),
    "x and fp, left and right": (lambda xp: lambda x, fp: xp.sum(
        xp.interp(x, XP, fp, left=-1.0, right=0.5) * x), (0, 1)),
    "a scalar x": (lambda xp: lambda x, fp: xp.interp(x[1], XP, fp) * 3.0, (0, 1)),
}


@pytest.mark.parametrize("name", sorted(INTERP))
def test_interp_matches_jax(name):
    make, argnums = INTERP[name]
    ours, theirs = make(np), make(jnp)
    x = np.array([-2.0, -0.3, 0.2, 1.0, 2.5])
    module = compile_grad(ours, (x, FP), wrt=("x", "fp")[:len(argnums)]).module
    for point in (x, np.array([-1.5, 0.1, 0.45, 1.9, 2.1])):
        value, grads = module.value_and_grad(point, FP)
        assert value == pytest.approx(float(theirs(point, FP)), rel=1e-12)
        expected = jax.grad(theirs, argnums)(jnp.asarray(point), jnp.asarray(FP))
        for ours_g, theirs_g in zip(grads, expected):
            np.testing.assert_allclose(ours_g, np.asarray(theirs_g), rtol=1e-12, atol=1e-14)


def test_searchsorted_is_an_index_without_gradient():
    c = compile_grad(lambda x: np.sum(x * np.searchsorted(XP, x, side="right")),
                     (np.array([-2.0, 0.25, 3.0]),))
    assert "np.searchsorted(" in c.source
    np.testing.assert_array_equal(c.module.grad(np.array([-2.0, 0.25, 1.0]))[0], [0, 2, 3])
