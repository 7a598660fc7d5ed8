"""np.median, np.quantile and np.percentile of traced values (ops/order_stats.py):
values and gradients against JAX's at two points, over axes, methods and vectors of
quantiles, and the refusals."""

from __future__ import annotations

import numpy as np
import pytest

from bpcompiler import CompileError, compile_grad

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
    ours, theirs = CASES[name](np), CASES[name](jnp)
    x = rng.standard_normal((5, 4))
    module = compile_grad(ours, (x,)).module
    for point in (x, 0.6 * x[::-1] + 0.2):
        value, (d_x,) = module.value_and_grad(point)
        assert value == pytest.approx(float(theirs(jnp.asarray(point))), rel=1e-12)
        np.testing.assert_allclose(d_x, np.asarray(jax.grad(theirs)(jnp.asarray(point))),
                                   rtol=1e-10, atol=1e-12)


def test_refusals_name_the_function():
    x = np.ones(4)
    with pytest.raises(CompileError, match="np.quantile at a traced quantile"):
        compile_grad(lambda x, q: np.quantile(x, q), (x, 0.5))
    with pytest.raises(CompileError, match=r"in \[0, 100\]"):
        compile_grad(lambda x: np.percentile(x, 120.0), (x,))
    with pytest.raises(CompileError, match="method='inverted_cdf'"):
        compile_grad(lambda x: np.quantile(x, 0.5, method="inverted_cdf"), (x,))
