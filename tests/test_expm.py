"""scipy.linalg.expm of traced matrices (ops/scipy_linalg.py): its derivative is a
block of the exponential of [[A.T, G], [0, A.T]], written with expm itself, so the
gradient, the HVP and a batch of matrices all match JAX's."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from bpcompiler import compile_grad

jax = pytest.importorskip("jax", reason="JAX is the reference for expm")
jnp = pytest.importorskip("jax.numpy")
jsl = pytest.importorskip("jax.scipy.linalg")
jax.config.update("jax_enable_x64", True)

rng = np.random.default_rng(5)
W = rng.standard_normal((3, 3))


def ours(A):
    return np.sum(scipy.linalg.expm(0.5 * A) * W) + np.trace(scipy.linalg.expm(A @ A.T * 0.1))


def theirs(A):
    return jnp.sum(jsl.expm(0.5 * A) * W) + jnp.trace(jsl.expm(A @ A.T * 0.1))


def test_gradient_and_hvp_match_jax_at_two_points():
    A = rng.standard_normal((3, 3))
    c = compile_grad(ours, (A,), emit=("grad", "hvp"))
    module = c.module
    assert "scipy.linalg.expm(" in c.source
    for point in (A, 0.5 * A.T + 0.2):
        value, (d_A,) = module.value_and_grad(point)
        assert value == pytest.approx(float(theirs(point)), rel=1e-12)
        np.testing.assert_allclose(d_A, np.asarray(jax.grad(theirs)(point)), rtol=1e-10,
                                   atol=1e-12)
        v = rng.standard_normal((3, 3))
        (h,) = module.hvp(point, (v,))
        np.testing.assert_allclose(h, np.asarray(jax.jvp(jax.grad(theirs), (point,), (v,))[1]),
                                   rtol=1e-9, atol=1e-11)


def test_a_stack_of_matrices():
    B = rng.standard_normal((2, 3, 3)) * 0.5
    c = compile_grad(lambda B: np.sum(scipy.linalg.expm(B) ** 2), (B,))
    expected = jax.grad(lambda B: jnp.sum(jax.vmap(jsl.expm)(B) ** 2))(B)
    np.testing.assert_allclose(c.module.grad(B)[0], np.asarray(expected), rtol=1e-10)
    assert "import scipy.linalg" in c.source
