"""A ufunc's methods on traced values (ops/ufunc_methods.py): reduce, accumulate and
outer, written with existing ops, checked against JAX (which has them all) at two
points, and their refusals."""

from __future__ import annotations

import numpy as np
import pytest

from bpcompiler import CompileError, compile_grad
from support.jax_reference import matches_jax

jax = pytest.importorskip("jax", reason="JAX is the reference for ufunc methods")
jnp = pytest.importorskip("jax.numpy")
jax.config.update("jax_enable_x64", True)

rng = np.random.default_rng(7)
M = rng.standard_normal((3, 4))

CASES = {
    "add.reduce": lambda xp: lambda x: xp.sum(xp.add.reduce(x ** 2) * M[0]),
    "add.reduce axis=None": lambda xp: lambda x: xp.add.reduce(x ** 3, axis=None),
    "multiply.reduce axis=1 keepdims": lambda xp: lambda x: xp.sum(
        xp.multiply.reduce(x, axis=1, keepdims=True) * M[:, :1]),
    "maximum.reduce": lambda xp: lambda x: xp.sum(xp.maximum.reduce(x, axis=1)),
    "logaddexp.reduce": lambda xp: lambda x: xp.sum(xp.logaddexp.reduce(x * 3.0, axis=0)),
    "logaddexp2.reduce": lambda xp: lambda x: xp.logaddexp2.reduce(xp.ravel(x)),
    "subtract.reduce": lambda xp: lambda x: xp.sum(xp.subtract.reduce(x, axis=1) ** 2),
    "divide.reduce initial": lambda xp: lambda x: xp.sum(
        xp.divide.reduce(x ** 2 + 1.0, axis=0, initial=2.0) if xp is np else
        2.0 / (x[0] ** 2 + 1.0) / (x[1] ** 2 + 1.0) / (x[2] ** 2 + 1.0)),  # (JAX has none)
    "add.reduce initial": lambda xp: lambda x: xp.sum(xp.add.reduce(x, axis=1, initial=1.5) ** 2),
    "add.accumulate": lambda xp: lambda x: xp.sum(xp.add.accumulate(x, axis=1) ** 2),
    "multiply.accumulate": lambda xp: lambda x: xp.sum(xp.multiply.accumulate(x) * M[:3]),
    "maximum.accumulate": lambda xp: lambda x: xp.sum(xp.maximum.accumulate(x, axis=1) * M[:3]),
    "subtract.accumulate": lambda xp: lambda x: xp.sum(xp.subtract.accumulate(x, axis=0) ** 2),
    "multiply.outer": lambda xp: lambda x: xp.sum(xp.multiply.outer(x[0], x[1]) ** 2),
    "subtract.outer 2-d": lambda xp: lambda x: xp.sum(xp.tanh(xp.subtract.outer(x, x[0]))),
    "hypot.outer": lambda xp: lambda x: xp.sum(
        xp.hypot.outer(x[:, 0], x[1]) if xp is np else xp.hypot(x[:, 0][:, None], x[1])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_jax(name):
    x = rng.standard_normal((3, 4)) if "hypot" not in name else rng.uniform(0.5, 2.0, (3, 4))
    matches_jax(CASES[name](np), CASES[name](jnp), x, (x, 0.7 * x + 0.1))


def test_options_numpy_has_and_bpcompiler_does_not_are_refused_by_name():
    with pytest.raises(CompileError, match="np.add.reduce with dtype"):
        compile_grad(lambda x: np.add.reduce(x, dtype=np.float32), (np.ones(3),))
    with pytest.raises(CompileError, match="reduce of an empty axis"):
        compile_grad(lambda x: np.sum(x) + np.subtract.reduce(x[:0]), (np.ones(3),))
    with pytest.raises(CompileError, match="not reorderable"):
        compile_grad(lambda x: np.subtract.reduce(x, axis=(0, 1)), (np.ones((2, 2)),))
