"""JAX as the reference for a compiled function of one array: its value and gradient
at each of several points. Import it from a test that has already skipped without JAX
(`pytest.importorskip("jax")`); float64 is switched on here."""

from __future__ import annotations

import numpy as np
import pytest

from bpcompiler import compile_grad


def matches_jax(ours, theirs, x, points, rtol=1e-10, atol=1e-12):
    """compile_grad(ours, (x,)), then at each point: value to 1e-12 and gradient to
    `rtol`/`atol` against `theirs` (the same function written with jax.numpy)."""
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    module = compile_grad(ours, (x,)).module
    for point in points:
        value, (d_x,) = module.value_and_grad(point)
        assert value == pytest.approx(float(theirs(jnp.asarray(point))), rel=1e-12)
        np.testing.assert_allclose(d_x, np.asarray(jax.grad(theirs)(jnp.asarray(point))),
                                   rtol=rtol, atol=atol)
    return module
