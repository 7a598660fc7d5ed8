"""Gradients that are finite where JAX's are (issue 11, item 5): cumprod with zeros, x ** n
at 0, hypot at (0, 0), and the untaken branch of np.where with ops between the mask and
sqrt/log. Each is compared with JAX; where JAX itself gives NaN (an untaken branch), the
expected gradient is JAX's on the "double where" spelling users write to avoid it."""

from __future__ import annotations

import numpy as np
import pytest

from bpcompiler import compile_grad

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jax.config.update("jax_enable_x64", True)


def _both(f, jf, args, forward_mode=True):
    """The gradient (and, unless the point is one where finite differences cannot check
    forward mode: a kink, or a base of 0 under a moving exponent) the JVP, against JAX."""
    c = compile_grad(f, args, emit=("grad", "jvp") if forward_mode else ("grad",))
    got = c.module.grad(*args)
    argnums = tuple(range(len(args)))
    expected = jax.grad(jf, argnums)(*[jnp.asarray(a) for a in args])
    for g, e in zip(got, expected):
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g, np.asarray(e), rtol=1e-10, atol=1e-12)
    if not forward_mode:
        return c
    rng = np.random.default_rng(3)
    tangents = [rng.normal(size=np.shape(a)) for a in args]
    _, t = c.module.jvp(*args, tuple(tangents))
    _, expected_t = jax.jvp(jf, tuple(jnp.asarray(a) for a in args),
                            tuple(jnp.asarray(v) for v in tangents))
    np.testing.assert_allclose(t, np.asarray(expected_t), rtol=1e-10, atol=1e-12)
    return c


CUMPROD_INPUTS = [
    np.array([1.0, 0.0, 2.0, 3.0]),
    np.array([0.0, 2.0, 0.0, 3.0, -1.5]),
    np.array([2.0, -1.0, 0.5, 0.0]),
    np.array([0.0, 0.0, 0.0]),
]


@pytest.mark.parametrize("x", CUMPROD_INPUTS, ids=range(len(CUMPROD_INPUTS)))
def test_cumprod_with_zeros(x):
    w = np.arange(1.0, x.size + 1.0)
    _both(lambda x: np.sum(np.cumprod(x) * w), lambda x: jnp.sum(jnp.cumprod(x) * w), (x,))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cumprod_with_zeros_along_an_axis(axis):
    x = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0], [1.5, -2.0, 0.5]])
    w = np.arange(9.0).reshape(3, 3) - 4.0
    _both(lambda x: np.sum(np.cumprod(x, axis=axis) * w),
          lambda x: jnp.sum(jnp.cumprod(x, axis=axis) * w), (x,))


def test_cumprod_without_zeros_is_unchanged():
    x = np.array([0.5, -1.5, 2.0, 1.2])
    _both(lambda x: np.sum(np.cumprod(x) ** 2), lambda x: jnp.sum(jnp.cumprod(x) ** 2), (x,))


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_integer_power_at_zero(n):
    x = np.array([0.0, 1.5, -0.5])
    _both(lambda x: np.sum(x ** n + x), lambda x: jnp.sum(x ** n + x), (x,))


def test_integer_power_of_a_traced_int_exponent_at_zero():
    x = np.array([0.0, 1.5])
    c = compile_grad(lambda x, n: np.sum(x ** n + x), (x, 0))
    np.testing.assert_array_equal(c.module.grad(x, 0)[0], [1.0, 1.0])


def test_power_exponent_gradient_at_a_zero_base():
    x, y = np.array([0.0, 1.5]), np.array([2.0, 3.0])
    _both(lambda x, y: np.sum(x ** y), lambda x, y: jnp.sum(x ** y), (x, y),
          forward_mode=False)


def test_python_float_powers_at_zero():
    for n in (0, 1, 2):
        c = compile_grad(lambda x: x ** n + 2.0 * x, (0.0,))
        assert c.module.grad(0.0)[0] == jax.grad(lambda x: x ** n + 2.0 * x)(0.0)


def test_hypot_at_the_origin_as_jax():
    x, y = np.array([0.0, 1.0, 0.0]), np.array([0.0, 2.0, -3.0])
    c = _both(lambda a, b: np.sum(np.hypot(a, b)), lambda a, b: jnp.sum(jnp.hypot(a, b)),
              (x, y), forward_mode=False)
    np.testing.assert_array_equal(c.module.grad(x, y)[0][:1], [0.5])


def test_math_hypot_at_the_origin():
    c = compile_grad(lambda a, b: __import__("math").hypot(a, b) * 2.0, (0.0, 0.0))
    assert c.module.grad(0.0, 0.0) == (1.0, 1.0)


# name -> (the function, written for np and for jnp, its "double where" spelling in jnp,
# the input). Where JAX gives NaN on the plain spelling (the untaken branch's 0 * inf),
# ours matches its double-where spelling; where JAX's is finite, ours matches it too.
WHERES = {
    "sqrt-times": (lambda np: lambda x: np.sum(np.where(x > 0, np.sqrt(x) * 2, 0.0)),
                   lambda x: jnp.sum(jnp.where(x > 0, jnp.sqrt(jnp.where(x > 0, x, 1.0)) * 2,
                                               0.0)),
                   np.array([-1.0, 0.0, 2.0])),
    "log-plus": (lambda np: lambda x: np.sum(np.where(x > 1, np.log(x - 1) + 1, x)),
                 lambda x: jnp.sum(jnp.where(x > 1, jnp.log(jnp.where(x > 1, x, 2.0) - 1) + 1,
                                             x)),
                 np.array([-1.0, 1.0, 2.0])),
    "sqrt-chain": (lambda np: lambda x: np.sum(np.where(x > 0, np.exp(-np.sqrt(x)) / (1 + x),
                                                        x * x)),
                   lambda x: jnp.sum(jnp.where(x > 0, jnp.exp(-jnp.sqrt(jnp.where(
                       x > 0, x, 1.0))) / (1 + x), x * x)),
                   np.array([-2.0, 0.0, 0.5, 3.0])),
    "log-power": (lambda np: lambda x: np.sum(np.where(x > 0, np.log(x) ** 2 * 3.0, -x)),
                  lambda x: jnp.sum(jnp.where(x > 0, jnp.log(jnp.where(x > 0, x, 1.0)) ** 2 *
                                              3.0, -x)),
                  np.array([-2.0, 0.0, 0.5, 3.0])),
    "reciprocal-sqrt": (lambda np: lambda x: np.sum(np.where(x > 0, 1.0 / np.sqrt(x), 0.0)
                                                    * 2.0),
                        lambda x: jnp.sum(jnp.where(x > 0, 1.0 / jnp.sqrt(jnp.where(
                            x > 0, x, 1.0)), 0.0) * 2.0),
                        np.array([-2.0, 0.0, 0.5, 3.0])),
}


@pytest.mark.parametrize("name", sorted(WHERES))
def test_untaken_where_branch_matches_the_double_where_convention(name):
    written_with, double_where, x = WHERES[name]
    c = compile_grad(written_with(np), (x,))
    got = c.module.grad(x)[0]
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, np.asarray(jax.grad(double_where)(jnp.asarray(x))),
                               rtol=1e-10, atol=1e-12)
    plain = np.asarray(jax.grad(written_with(jnp))(jnp.asarray(x)))
    finite = np.isfinite(plain)
    assert not finite.all()  # the case is one where JAX's plain spelling gives NaN
    np.testing.assert_allclose(got[finite], plain[finite], rtol=1e-10, atol=1e-12)
