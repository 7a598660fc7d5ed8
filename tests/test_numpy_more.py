"""More of NumPy's API (issue 11, item 5): values against NumPy, gradients against
central differences at two points, in several shapes; cholesky also against autograd."""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from bpcompiler import compile_grad

from support.fd import check

RNG = np.random.default_rng(11)
V = RNG.normal(size=6)
M = RNG.normal(size=(3, 4))
T3 = RNG.normal(size=(2, 3, 4))
W3 = RNG.uniform(-1, 1, size=(2, 3, 4))

CASES = {
    "roll": (lambda x: np.sum(np.roll(x, 2) * np.arange(6.0)), V),
    "roll-axis": (lambda x: np.sum(np.roll(x, -1, axis=1) * M), M),
    "roll-axes": (lambda x: np.sum(np.roll(x, (1, 2), axis=(0, 2)) * W3), T3),
    "roll-flat": (lambda x: np.sum(np.roll(x, 5) * M), M),
    "kron": (lambda x: np.sum(np.kron(x, np.array([[1.0, 2.0], [3.0, -1.0]])) ** 2), M),
    "kron-vec": (lambda x: np.sum(np.kron(x[:3], x) * np.arange(18.0)), V),
    "cov": (lambda x: np.sum(np.cov(x) * np.arange(9.0).reshape(3, 3)), M),
    "cov-cols": (lambda x: np.sum(np.cov(x, rowvar=False, bias=True) ** 2), M),
    "cov-1d-y": (lambda x: np.sum(np.cov(x[0], x[1]) ** 2), M),
    "corrcoef": (lambda x: np.sum(np.corrcoef(x) * np.arange(9.0).reshape(3, 3)), M),
    "trapezoid": (lambda x: np.trapezoid(x ** 2), V),
    "trapezoid-x": (lambda x: np.trapezoid(np.sin(x), x=np.cumsum(np.abs(x) + 0.5)), V),
    "trapezoid-axis": (lambda x: np.sum(np.trapezoid(x, dx=0.5, axis=0) ** 2), M),
    "sinc": (lambda x: np.sum(np.sinc(x) * np.arange(6.0)), V),
    "sinc-zero": (lambda x: np.sum(np.sinc(x * np.array([0.0, 1, 1, 1, 1, 1]))), V),
    "linspace": (lambda x: np.sum(np.linspace(x[0], x[1], 7) ** 2), V),
    "linspace-arrays": (lambda x: np.sum(np.linspace(x[:2], x[2:4] * 3, 5,
                                                     endpoint=False) ** 3), V),
    "select": (lambda x: np.sum(np.select([x < -0.5, x < 0.5], [x ** 2, np.sin(x)],
                                          default=x * 3.0)), V),
    "rot90": (lambda x: np.sum(np.rot90(x) * M.T), M),
    "rot90-k": (lambda x: np.sum(np.rot90(x, 3, axes=(1, 2)) * np.swapaxes(W3, 1, 2)), T3),
    "rot90-2": (lambda x: np.sum(np.rot90(x, 2) * M), M),
    "hsplit": (lambda x: np.sum(np.hsplit(x, 2)[1] ** 2), M),
    "vsplit": (lambda x: np.sum(np.vsplit(x, [1])[1] * 2.0), M),
    "dsplit": (lambda x: np.sum(np.dsplit(x, 2)[0] ** 3), T3),
    "nan_to_num": (lambda x: np.sum(np.nan_to_num(x) ** 2), V),
    "real-imag-conj": (lambda x: np.sum(np.real(x) * np.conj(x) + np.imag(x)), V),
    "gradient": (lambda x: np.sum(np.gradient(x) ** 2), V),
    "gradient-2d": (lambda x: np.sum(np.gradient(x, 0.5)[1] * M + np.gradient(x, axis=0)), M),
    "fftshift": (lambda x: np.sum(np.fft.fftshift(x) * M + np.fft.ifftshift(x, axes=1)), M),
    "angle": (lambda x: np.sum(np.angle(x) + x), V),
    "array-ndmin": (lambda x: np.sum(np.array(x[0], ndmin=2, copy=True) * x), V),
    "matrix_power": (lambda x: np.sum(np.linalg.matrix_power(x[:3, :3], 3)), M),
    "matrix_power-neg": (lambda x: np.sum(np.linalg.matrix_power(
        x[:3, :3] + 3 * np.eye(3), -2)), M),
    "matrix_power-0": (lambda x: np.sum(np.linalg.matrix_power(x[:3, :3], 0) * x[:3, :3]), M),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_numpy_functions(name):
    f, x = CASES[name]
    check(f, x)


def _spd(b):
    return b @ b.T + 3.0 * np.eye(3)


@pytest.mark.parametrize("seed", [0, 1])
def test_cholesky_of_a_symmetric_matrix_matches_autograd(seed):
    b = np.random.default_rng(seed).normal(size=(3, 3))
    w = np.random.default_rng(seed + 10).normal(size=(3, 3))

    def ours(b):
        return np.sum(np.linalg.cholesky(_spd(b)) * w)

    def ref(b):
        return anp.sum(anp.linalg.cholesky(anp.dot(b, b.T) + 3.0 * anp.eye(3)) * w)
    c = check(ours, b)
    np.testing.assert_allclose(c.module.grad(b)[0], autograd.grad(ref)(b), rtol=1e-8)


def test_gaussian_process_log_likelihood_with_cholesky():
    xs = np.linspace(-1, 1, 5)
    y = np.sin(3 * xs)

    def nll(params):
        amp, length = np.exp(params[0]), np.exp(params[1])
        k = amp * np.exp(-0.5 * (xs[:, None] - xs[None, :]) ** 2 / length ** 2)
        L = np.linalg.cholesky(k + 0.1 * np.eye(5))
        alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
        return 0.5 * y @ alpha + np.sum(np.log(np.diag(L)))
    check(nll, np.array([0.1, -0.3]))


def test_einsum_interleaved_form():
    b = RNG.normal(size=(4, 2))
    check(lambda x: np.sum(np.einsum(x, [0, 1], b, [1, 2], [0, 2]) ** 2), M)
    check(lambda x: np.einsum(x, [0, 1], x, [0, 1]), M)
    check(lambda x: np.sum(np.einsum(x, [Ellipsis, 1], b, [1, 2]) ** 2), T3)


P = np.polynomial
SERIES = {
    "polyval": (lambda x: np.sum(P.polynomial.polyval(x, [1.0, -2.0, 0.5, 3.0])), V),
    "polyval-coefs": (lambda c: np.sum(P.polynomial.polyval(V, c)), np.array([1.0, 2.0, 3.0])),
    "chebval": (lambda x: np.sum(P.chebyshev.chebval(x, [0.5, 1.0, -1.0, 2.0, 0.3])), V),
    "hermval": (lambda x: np.sum(P.hermite.hermval(x, [0.5, 1.0, -1.0, 2.0])), V),
    "hermeval": (lambda x: np.sum(P.hermite_e.hermeval(x, [0.5, 1.0, -1.0, 2.0])), V),
    "legval": (lambda x: np.sum(P.legendre.legval(x, np.arange(1.0, 6.0))), V),
    "lagval": (lambda x: np.sum(P.laguerre.lagval(x, [1.0, 0.5, -0.25, 0.1])), V),
    "Polynomial": (lambda x: np.sum(P.Polynomial([1.0, 2.0, -1.0])(x)), V),
    "Chebyshev-domain": (lambda x: np.sum(P.Chebyshev([1.0, 2.0, -1.0],
                                                        domain=[-3.0, 3.0])(x)), V),
}


@pytest.mark.parametrize("name", sorted(SERIES))
def test_numpy_polynomial(name):
    f, x = SERIES[name]
    check(f, x)


def test_polynomial_object_built_outside():
    series = np.polynomial.Legendre([0.5, -1.0, 2.0], domain=[0.0, 2.0])
    check(lambda x: np.sum(series(x) ** 2), V)
