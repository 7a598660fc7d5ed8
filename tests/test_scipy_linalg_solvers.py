"""scipy.linalg.solve_sylvester and solve_banded: values against SciPy, gradients (and
the Hessian-vector products of second-order code) against autograd's and central
differences; a scipy.linalg function that is not traced is refused by its name."""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import autograd.scipy.linalg as asl
import numpy as np
import pytest
import scipy.linalg as sl

from bpcompiler import CompileError, compile_grad
from support.fd import central_differences

RNG = np.random.default_rng(17)


def _check(f, args, reference=None):
    c = compile_grad(f, args)
    value, grads = c.module.value_and_grad(*args)
    assert value == pytest.approx(f(*args), rel=1e-10)
    expected = autograd.grad(reference, tuple(range(len(args))))(*args) if reference \
        else [None] * len(args)
    for i, (g, e) in enumerate(zip(grads, expected)):
        np.testing.assert_allclose(g, central_differences(f, args, i), rtol=1e-6, atol=1e-8)
        if e is not None:
            np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12)
    assert "import scipy.linalg" in c.source
    return c


@pytest.mark.parametrize("m, n", [(3, 3), (3, 2), (1, 4)])
def test_solve_sylvester(m, n):
    rng = np.random.default_rng(10 * m + n)  # well-conditioned: spectra of a and -b apart
    a, b = rng.normal(size=(m, m)) + 2.0 * np.eye(m), rng.normal(size=(n, n)) + 2.0 * np.eye(n)
    q, w = rng.normal(size=(m, n)), rng.normal(size=(m, n))
    _check(lambda a, b, q: np.sum(sl.solve_sylvester(a, b, q) * w), (a, b, q),
           lambda a, b, q: anp.sum(asl.solve_sylvester(a, b, q) * w))


def test_solve_sylvester_second_order():
    rng = np.random.default_rng(1)  # (its own: xdist runs the tests in any order)
    a, b, q = (0.3 * rng.normal(size=(3, 3)) + 2.0 * np.eye(3) for _ in range(3))
    f = lambda a, b, q: np.sum(sl.solve_sylvester(a, b, q) ** 2)  # noqa: E731
    c = compile_grad(f, (a, b, q), emit=("grad", "hvp"))
    vs = tuple(rng.normal(size=(3, 3)) for _ in range(3))
    ours = np.concatenate([np.ravel(h) for h in c.module.hvp(a, b, q, vs)])
    flat = lambda z: anp.sum(asl.solve_sylvester(  # noqa: E731
        z[:9].reshape(3, 3), z[9:18].reshape(3, 3), z[18:].reshape(3, 3)) ** 2)
    theirs = autograd.hessian_vector_product(flat)(
        np.concatenate([x.ravel() for x in (a, b, q)]), np.concatenate([v.ravel() for v in vs]))
    np.testing.assert_allclose(ours, theirs, rtol=1e-7)


@pytest.mark.parametrize("l_and_u, k", [((1, 1), None), ((1, 0), 2), ((0, 2), None),
                                        ((2, 1), 3), ((0, 0), None)])
def test_solve_banded(l_and_u, k):
    n, rng = 5, np.random.default_rng(sum(l_and_u) + 7 * (k or 0))
    ab = rng.normal(size=(sum(l_and_u) + 1, n))
    ab[l_and_u[1]] += 3.0  # a well-conditioned diagonal (ab's row u)
    b = rng.normal(size=(n,) if k is None else (n, k))
    w = rng.normal(size=b.shape)
    reference = (lambda ab, b: anp.sum(asl.solve_banded(l_and_u, ab, b) * w)) \
        if k is None else None  # (autograd's own VJP fails on a matrix b)
    _check(lambda ab, b: np.sum(sl.solve_banded(l_and_u, ab, b) * w), (ab, b), reference)


def test_solve_banded_ignores_the_corners_scipy_never_reads():
    ab = RNG.normal(size=(3, 4)) + np.array([[0.0], [3.0], [0.0]])
    b = RNG.normal(size=4)
    c = compile_grad(lambda ab, b: np.sum(sl.solve_banded((1, 1), ab, b)), (ab, b))
    corners = ab.copy()
    corners[0, 0] = corners[2, -1] = 1e6
    value, (g_ab, g_b) = c.module.value_and_grad(corners, b)
    assert value == pytest.approx(c.module.forward(ab, b), rel=1e-12)
    np.testing.assert_allclose(g_b, c.module.grad(ab, b)[1], rtol=1e-12)
    assert g_ab[0, 0] == 0.0 and g_ab[2, -1] == 0.0


def test_refusals():
    ab, b = RNG.normal(size=(3, 4)), RNG.normal(size=4)
    with pytest.raises(CompileError, match=r"ab has l \+ u \+ 1 = 4 rows"):
        compile_grad(lambda ab, b: np.sum(sl.solve_banded((2, 1), ab, b)), (ab, b))
    with pytest.raises(CompileError, match=r"solve_sylvester of shapes"):
        compile_grad(lambda q: np.sum(sl.solve_sylvester(np.eye(2), np.eye(3), q)), (ab,))
    # a function of scipy.linalg that is not traced: named, not "neither True nor False"
    with pytest.raises(CompileError, match=r"sl\.solve_continuous_lyapunov of traced values "
                                           r"is not supported"):
        compile_grad(lambda a: np.sum(sl.solve_continuous_lyapunov(a, np.eye(3))),
                     (RNG.normal(size=(3, 3)),))
