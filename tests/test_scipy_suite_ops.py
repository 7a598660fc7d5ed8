"""The SciPy functions autograd's own tests call that were refused before: the
Dirichlet density, the entropies of norm, multivariate_normal and dirichlet. Values
against SciPy, gradients against central differences of SciPy's own functions (and
autograd's gradients where autograd has them) at several points and shapes."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st

from bpcompiler import CompileError, compile_grad
from support.fd import central_differences, check

RNG = np.random.default_rng(11)
ALPHA = RNG.random(4) ** 2 + 1.2
POINTS = st.dirichlet.rvs(ALPHA, size=3, random_state=3).T  # (k, n): SciPy's layout


@pytest.mark.parametrize("method", ["logpdf", "pdf"])
@pytest.mark.parametrize("layout", ["vector", "columns", "k-1 rows"])
def test_dirichlet_in_x_and_alpha(method, layout):
    fn = getattr(st.dirichlet, method)
    x = {"vector": POINTS[:, 0], "columns": POINTS, "k-1 rows": POINTS[:3]}[layout]
    w = RNG.uniform(0.5, 1.5, size=np.shape(fn(x, ALPHA)))
    check(lambda a: np.sum(fn(x, a) * w), ALPHA)
    # in x: on the simplex, as SciPy requires (it refuses any other point)
    full = x if layout != "k-1 rows" else POINTS
    check(lambda y: np.sum(fn(y / np.sum(y, axis=0), ALPHA) * w), full)


def test_dirichlet_matches_autograd():
    import autograd
    import autograd.numpy as anp
    import autograd.scipy.stats as ast

    x = POINTS[:, 1]
    c = compile_grad(lambda y, a: st.dirichlet.logpdf(y / np.sum(y), a), (x, ALPHA))
    theirs = autograd.grad(lambda y, a: ast.dirichlet.logpdf(y / anp.sum(y), a), (0, 1))
    for got, want in zip(c.module.grad(x, ALPHA), theirs(x, ALPHA)):
        np.testing.assert_allclose(got, want, rtol=1e-10)


def test_dirichlet_of_a_wrong_shape_is_refused_with_the_shapes():
    with pytest.raises(CompileError, match=r"dirichlet with x of shape \(2,\)"):
        compile_grad(lambda a: st.dirichlet.logpdf(np.array([0.5, 0.5]), a), (ALPHA,))


COV = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 1.5]])
ENTROPIES = {
    "mvn-matrix": (lambda c: st.multivariate_normal.entropy(np.zeros(3), c), COV),
    "mvn-frozen-diag": (lambda c: st.multivariate_normal(np.zeros(3), c).entropy(),
                        np.array([1.0, 2.0, 0.5])),
    "mvn-scalar": (lambda c: st.multivariate_normal.entropy(np.ones(2), c * c), 1.5),
    "norm": (lambda s: np.sum(st.norm.entropy(scale=s * s + 0.1)), np.array([0.5, 2.0])),
    "norm-frozen": (lambda s: np.sum(st.norm(1.0, s).entropy()), np.array([0.5, 2.0])),
    "dirichlet": (lambda a: st.dirichlet.entropy(a), ALPHA),
    "dirichlet-frozen": (lambda a: st.dirichlet(a * a + 0.5).entropy(), ALPHA),
}


@pytest.mark.parametrize("name", sorted(ENTROPIES))
def test_entropies(name):
    f, x = ENTROPIES[name]
    if np.ndim(x) == 0:
        c = compile_grad(f, (x,))
        value, (g,) = c.module.value_and_grad(x)
        assert value == pytest.approx(f(x), rel=1e-12)
        assert g == pytest.approx(central_differences(f, (x,), 0), rel=1e-6)
    else:
        check(f, x)


def test_mvn_entropy_reads_the_lower_triangle_as_scipy():
    # SciPy's entropy reads cov's lower triangle; the gradient lands there too
    upper_off = COV + np.triu(np.ones((3, 3)), 1)
    f = lambda c: st.multivariate_normal.entropy(None, c)  # noqa: E731
    c = compile_grad(f, (upper_off,))
    assert c.module.forward(upper_off) == pytest.approx(f(upper_off), rel=1e-12)
    np.testing.assert_allclose(c.module.grad(upper_off)[0],
                               central_differences(f, (upper_off,), 0), atol=1e-7)


@pytest.mark.parametrize("method", ["logpdf", "pdf"])
def test_mvn_density_in_cov_itself_agrees_with_scipy_in_every_direction(method):
    # (was refused as "a bug in a VJP rule": SciPy reads only cov's lower triangle)
    fn = getattr(st.multivariate_normal, method)
    x = RNG.normal(size=(4, 3))
    f = lambda c: np.sum(fn(x, np.zeros(3), c))  # noqa: E731
    c = compile_grad(f, (COV,))
    np.testing.assert_allclose(c.module.grad(COV)[0], central_differences(f, (COV,), 0),
                               rtol=1e-6, atol=1e-9)
    assert np.all(np.triu(c.module.grad(COV)[0], 1) == 0.0)
