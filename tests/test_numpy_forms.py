"""NumPy functions in every form NumPy allows (issue 11, item 5): np.cross, np.partition,
np.diag(v, k), np.diagonal over any axes, np.triu/tril of vectors, np.r_/np.c_ with traced
values, axis=0/-1 and np.pad on 0-d values. Values against NumPy, gradients against
central differences at two points (test_scipy.check) and against JAX, which
differentiates the same calls independently (autograd's diag, diagonal and triu
gradients are wrong off the square, 2-d cases)."""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jax.config.update("jax_enable_x64", True)

from bpcompiler import CompileError, compile_grad
from bpcompiler.errors import ShapeError, UnsupportedOperationError

from support.fd import check

RNG = np.random.default_rng(5)
V3, V2 = RNG.normal(size=3), RNG.normal(size=2)
M33 = RNG.normal(size=(3, 3))
M34 = RNG.normal(size=(3, 4))
T = RNG.normal(size=(2, 3, 4))
W = RNG.normal(size=(4, 3, 5))


def _against_jax(written_with, x, rtol=1e-9):
    """`written_with(np_module)` is the function; ours (checked by differences) and
    JAX's gradient of it agree."""
    c = check(written_with(np), x)
    expected = np.asarray(jax.grad(written_with(jnp))(jnp.asarray(x)))
    np.testing.assert_allclose(c.module.grad(x)[0], expected, rtol=rtol, atol=1e-12)
    return c


CROSS = {
    "3x3": lambda np: lambda x: np.sum(np.cross(x, M33[::-1]) * M33),
    "axisa": lambda np: lambda x: np.sum(np.cross(x, M33, axisa=0) * M33),
    "axisb-axisc": lambda np: lambda x: np.sum(np.cross(M33, x, axisb=0, axisc=0) * M33),
    "axis": lambda np: lambda x: np.sum(np.cross(x, M33[::-1], axis=0) * M33),
    "2x3": lambda np: lambda x: np.sum(np.cross(x[:, :2], M33) * M33),
    "3x2": lambda np: lambda x: np.sum(np.cross(M33, x[:, 1:]) * M33),
    "2x2": lambda np: lambda x: np.sum(np.cross(x[:, :2], x[::-1, 1:]) * M33[0]),
    "broadcast": lambda np: lambda x: np.sum(np.cross(x, M33[0]) ** 2),
    "vectors": lambda np: lambda x: np.sum(np.cross(x[0], x[1]) * x[2]),
}


@pytest.mark.parametrize("name", sorted(CROSS))
def test_cross_in_every_form(name):
    _against_jax(CROSS[name], M33)


def test_cross_of_other_sizes_is_refused_clearly():
    with pytest.raises(ShapeError, match="np.cross: the vectors of a have 4 components"):
        compile_grad(lambda x: np.sum(np.cross(x, x)), (M34,))


@pytest.mark.parametrize("kth,axis", [(0, -1), (3, 0), (-1, -1), ([0, 3, 6], 0)])
def test_partition(kth, axis):
    x = RNG.normal(size=(7, 3)) if axis == 0 else RNG.normal(size=7)
    c = check(lambda x: np.sum(np.partition(x, kth, axis=axis) * np.arange(
        float(x.size)).reshape(x.shape)), x)
    assert "np.partition(" in c.source
    np.testing.assert_array_equal(c.module.forward(x), np.sum(np.partition(
        x, kth, axis=axis) * np.arange(float(x.size)).reshape(x.shape)))


def test_partition_of_a_flattened_array_and_argpartition_as_an_index():
    check(lambda x: np.sum(np.partition(x, 4, axis=None)[:5]), M34)
    check(lambda x: np.sum(x[np.argpartition(x, 2)][:3] ** 2), RNG.normal(size=6))
    check(lambda x: np.sum(np.take_along_axis(x, x.argpartition(1, axis=1), axis=1)[:, 0]),
          M34)


def test_partition_in_place_and_traced_kth_are_refused():
    with pytest.raises(UnsupportedOperationError, match="in place"):
        compile_grad(lambda x: x.partition(1), (V3,))
    with pytest.raises(UnsupportedOperationError, match="traced kth"):
        compile_grad(lambda x: np.sum(np.partition(x, np.argmax(x))), (V3,))


@pytest.mark.parametrize("k", [-2, -1, 0, 1, 3])
def test_diag_builds_and_extracts_any_diagonal(k):
    _against_jax(lambda np: lambda x: np.sum(np.diag(x, k) * np.arange(
        float((3 + abs(k)) ** 2)).reshape(3 + abs(k), 3 + abs(k))), V3)
    check(lambda x: np.sum(np.diag(x, k) ** 2), M34)  # (autograd: wrong shape if not square)
    _against_jax(lambda np: lambda x: np.sum(np.diag(x, k) ** 2), M33)


@pytest.mark.parametrize("offset,axis1,axis2", [(0, 0, 1), (1, 0, 2), (-1, 2, 0), (0, -1, -2),
                                                (2, 1, 2), (0, 2, 1)])
def test_diagonal_over_any_axes(offset, axis1, axis2):
    _against_jax(lambda np: lambda x: np.sum(np.diagonal(x, offset, axis1, axis2) ** 3),
                      T)
    check(lambda x: np.sum(x.diagonal(offset, axis1=axis1, axis2=axis2) ** 3), T)


def test_diagonal_of_one_axis_twice_is_refused():
    with pytest.raises(ShapeError, match="cannot be the same axis"):
        compile_grad(lambda x: np.sum(np.diagonal(x, 0, 1, 1)), (T,))


@pytest.mark.parametrize("k", [-1, 0, 2])
@pytest.mark.parametrize("name", ["triu", "tril"])
def test_triangles_of_vectors_and_stacks(name, k):
    weights = np.arange(16.0).reshape(4, 4)
    x = RNG.normal(size=4)
    c = check(lambda x: np.sum(getattr(np, name)(x, k) * weights), x)
    # NumPy's definition: the vector is every row of a square matrix (JAX wants 2-d)
    expected = jax.grad(lambda x: jnp.sum(getattr(jnp, name)(jnp.broadcast_to(
        x, (4, 4)), k) * weights))(jnp.asarray(x))
    np.testing.assert_allclose(c.module.grad(x)[0], np.asarray(expected), rtol=1e-12)
    check(lambda x: np.sum(getattr(np, name)(x, k) ** 2), T)


def test_r_and_c_with_traced_values():
    c = M34[:, :2]
    for f in (lambda x: np.sum(np.r_[x, c, x] ** 2),
              lambda x: np.sum(np.c_[x, c, x] * 1.5),
              lambda x: np.sum(np.r_[x[:, 0], c[:, 0], 1:10] ** 2),
              lambda x: np.sum(np.r_[x[0, 0], 2.0, x[:, 1], 0:1:3j] ** 3),
              lambda x: np.sum(np.c_[x[:, 0], x[:, 1] * 2] ** 2),
              lambda x: np.sum(np.r_["-1", x, c] ** 2),
              lambda x: np.sum(np.r_["0,2", x[0], x[1]] ** 2),
              lambda x: np.sum(np.r_["0,2,0", x[0], x[1]] ** 2)):
        check(f, M34[:, 2:].copy())


def test_autograd_r_and_c_are_followed():
    c = M34[:, :2]
    for f in (lambda np: lambda x: np.sum(np.r_[x, c, x] ** 2),
              lambda np: lambda x: np.sum(np.c_[x, c, x] ** 3)):
        x = M34[:, 2:].copy()
        got = check(f(anp), x).module.grad(x)[0]
        np.testing.assert_allclose(got, autograd.grad(f(anp))(x), rtol=1e-10)


def test_r_with_traced_slice_bounds_is_refused():
    with pytest.raises(UnsupportedOperationError, match="traced bounds"):
        compile_grad(lambda x, n: np.sum(np.r_[x, 0:n] * 1.0), (V3, 4))


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "cumsum", "cumprod"])
@pytest.mark.parametrize("axis", [0, -1])
def test_axis_0_and_minus_1_of_a_0d_value(name, axis):
    check(lambda x: np.sum(getattr(np, name)(x[0] * x[1], axis=axis)) + x[2], V3)


def test_mean_of_a_0d_value_with_an_axis_is_refused_as_numpy_refuses_it():
    with pytest.raises(ShapeError, match="NumPy refuses it"):
        compile_grad(lambda x: np.mean(x[0], axis=0), (V3,))
    with pytest.raises(CompileError):
        compile_grad(lambda x: np.sum(x[0], axis=1), (V3,))


def test_pad_of_a_0d_value():
    check(lambda x: np.sum(np.pad(x[0] * 2.0, 2)) * x[1], V3)
    c = compile_grad(lambda x: np.pad(x * 2.0, 1) * 1.0, (1.5,))
    assert c.module.grad(1.5) == (2.0,)


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("start", [0, 1, 2, 3, -1])
def test_rollaxis(axis, start):
    shape = np.rollaxis(T, axis, start).shape
    weights = np.arange(float(T.size)).reshape(shape)
    _against_jax(lambda np: lambda x: np.sum(np.rollaxis(x, axis, start) * weights), T)


def test_any_and_all_are_masks():
    f = lambda x: np.sum(np.where(np.any(x > 1.0, axis=1, keepdims=True), x, -x)) + \
        x[0, 0, 0] * np.all(x > -5) + np.sum(x * x.any(axis=0)) + np.sum(x.all(2))  # noqa
    check(f, T)


def test_real_if_close_of_a_real_array():
    check(lambda x: np.sum(np.real_if_close(x) ** 2), V3)


@pytest.mark.parametrize("k", [0, 2, -3])
def test_triangles_of_large_matrices_are_built_not_refused(k):
    """np.triu/np.tril of a 40 x 40 matrix: the mask is past the embedding limit, and
    the module builds it as the source did, under a name that says what it is."""
    def f(A):
        return np.sum(np.triu(A, k) ** 2) + np.sum(np.tril(A, k - 1) * A)
    A = np.random.default_rng(k + 5).standard_normal((40, 40))
    c = compile_grad(f, (A,))
    assert f"UPPER = np.triu(np.ones((40, 40), dtype=bool){', ' + str(k) if k else ''})" \
        in c.source
    assert f"LOWER = np.tril(np.ones((40, 40), dtype=bool), {k - 1})" in c.source
    for B in (A, 0.5 * A + 1.0):
        expected = 2 * np.triu(B, k) + 2 * np.tril(B, k - 1)
        np.testing.assert_allclose(c.module.grad(B)[0], expected, rtol=1e-13)
