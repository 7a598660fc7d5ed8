"""scipy.special and scipy.stats, as users call them: values against SciPy itself,
gradients against central differences of SciPy's own functions (float64, element by
element) at several points and shapes. The emitted module imports scipy.special only
for what NumPy lacks."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as st
from scipy.special import logsumexp

from bpcompiler import compile_grad
from support.fd import check


RNG = np.random.default_rng(7)
MATRICES = [RNG.normal(size=(3, 4)), RNG.normal(size=(2, 3, 2)) * 3.0]
W = RNG.uniform(-1, 1, size=(3, 4))


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_axis_keepdims(axis, keepdims):
    x = MATRICES[0]
    c = check(lambda x: np.sum(logsumexp(x, axis=axis, keepdims=keepdims) ** 2), x)
    assert "scipy" not in c.source.split('"""')[-1].split("WRT =")[0]  # NumPy only


def test_logsumexp_with_b_and_return_sign():
    x = MATRICES[0]
    b = W  # signed weights: the sum may be negative
    f = lambda x: np.sum(logsumexp(x, axis=1, b=b, return_sign=True)[0]) + np.sum(  # noqa
        logsumexp(x, axis=0, b=b * b, keepdims=True))
    check(f, x)

    def sign(x):
        out, s = logsumexp(x, axis=1, b=b, return_sign=True)
        return np.sum(out * s)
    check(sign, x)


def test_logsumexp_of_a_list_and_3d():
    check(lambda x: logsumexp([x[0], x[1] * 2.0, 1.0]), np.array([0.3, -0.4]))
    check(lambda x: np.sum(logsumexp(x, axis=(0, 2))), MATRICES[1])


def test_logsumexp_shift_ignores_infinite_maxima():
    c = compile_grad(lambda x: logsumexp(x), (np.ones(3),))
    assert "np.isfinite" in c.source  # all -inf gives -inf, as in SciPy, not NaN
    with np.errstate(all="ignore"):
        assert c.module.forward(np.full(3, -np.inf)) == -np.inf


@pytest.mark.parametrize("x", MATRICES, ids=["2d", "3d"])
def test_softmax_and_log_softmax(x):
    w = RNG.uniform(-1, 1, size=x.shape)
    check(lambda x: np.sum(sp.softmax(x, axis=-1) * w), x)
    check(lambda x: np.sum(sp.log_softmax(x, axis=0) * w), x)
    check(lambda x: np.sum(sp.softmax(x) * w), x)


UNARY = [("expit", lambda x: x * 3.0), ("log_expit", lambda x: x * 3.0),
         ("logit", lambda x: 1.0 / (1.0 + np.exp(-x))), ("gammaln", lambda x: x * x + 0.5),
         ("digamma", lambda x: x * x + 0.5), ("psi", lambda x: x * x + 0.5),
         ("erf", lambda x: x), ("erfc", lambda x: x),
         ("erfinv", lambda x: np.tanh(x) * 0.9), ("ndtr", lambda x: x * 2.0),
         ("log_ndtr", lambda x: x * 3.0), ("ndtri", lambda x: 1.0 / (1.0 + np.exp(-x)))]


@pytest.mark.parametrize("name, into", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("x", [np.array([0.4, -1.3, 2.0]), np.array(0.7),
                               RNG.normal(size=(2, 3))], ids=["1d", "0d", "2d"])
def test_unary_special_functions(name, into, x):
    fn = getattr(sp, name)
    c = check(lambda x: np.sum(fn(into(x)) * np.cos(x)), x)
    needs_scipy = name in ("gammaln", "digamma", "psi", "erf", "erfc", "erfinv", "ndtr",
                           "log_ndtr", "ndtri")
    assert ("import scipy.special" in c.source) == needs_scipy


@pytest.mark.parametrize("name", ["xlogy", "xlog1py", "betaln"])
def test_binary_special_functions(name):
    fn = getattr(sp, name)
    x = np.array([0.4, 1.3, 2.0])
    check(lambda x: np.sum(fn(x * x + 0.1, x[::-1] ** 2 + 0.2)), x)


def test_polygamma_orders():
    x = np.array([0.6, 1.5, 3.0])
    check(lambda x: np.sum(sp.polygamma(2, x) + sp.polygamma(0, x) * sp.polygamma(1, x)), x)


def test_xlogy_is_zero_where_x_is_zero():
    c = compile_grad(lambda y: np.sum(sp.xlogy(np.array([0.0, 1.0]), y)), (np.ones(2),))
    assert c.module.forward(np.array([0.0, 2.0])) == pytest.approx(np.log(2.0))


# -- scipy.stats --------------------------------------------------------------------------
X = np.array([0.3, -1.1, 2.2, 0.9])
POS = np.array([0.3, 1.1, 2.2, 0.9])
UNIT = np.array([0.3, 0.1, 0.8, 0.55])

STATS = {
    "norm.logpdf": (lambda x: np.sum(st.norm.logpdf(x, 0.5, 2.0)), X),
    "norm.logpdf-kw": (lambda x: np.sum(st.norm.logpdf(x, loc=x[0], scale=x[1] ** 2 + 1)), X),
    "norm.pdf": (lambda x: np.sum(st.norm.pdf(x)), X),
    "norm.cdf": (lambda x: np.sum(st.norm.cdf(x, 0.2, 1.5)), X),
    "norm.logcdf": (lambda x: np.sum(st.norm.logcdf(x * 3.0)), X),
    "norm.sf+logsf": (lambda x: np.sum(st.norm.sf(x) + st.norm.logsf(x, scale=2.0)), X),
    "norm.ppf": (lambda x: np.sum(st.norm.ppf(x, 1.0, 2.0)), UNIT),
    "norm-frozen": (lambda x: np.sum(st.norm(0.5, 2.0).logpdf(x)), X),
    "t.logpdf": (lambda x: np.sum(st.t.logpdf(x, 3.5, 0.1, 1.5)), X),
    "t.logpdf-df": (lambda x: np.sum(st.t.logpdf(1.2, x * x + 1.0)), X),
    "t.pdf": (lambda x: np.sum(st.t.pdf(x, df=4.0)), X),
    "gamma.logpdf": (lambda x: np.sum(st.gamma.logpdf(x, 2.5, scale=1.5)), POS),
    "gamma.logpdf-a": (lambda x: np.sum(st.gamma.logpdf(1.3, x + 1.0)), POS),
    "gamma.pdf": (lambda x: np.sum(st.gamma.pdf(x, a=3.0)), POS),
    "beta.logpdf": (lambda x: np.sum(st.beta.logpdf(x, 2.0, 3.0)), UNIT),
    "beta.logpdf-ab": (lambda x: np.sum(st.beta.logpdf(0.3, x + 1.0, x[::-1] + 0.5)), UNIT),
    "beta.pdf": (lambda x: np.sum(st.beta.pdf(x, 1.5, 2.5)), UNIT),
    "poisson.logpmf": (lambda x: np.sum(st.poisson.logpmf(np.arange(4.0), x)), POS),
    "poisson.pmf": (lambda x: np.sum(st.poisson.pmf(3, x)), POS),
}


@pytest.mark.parametrize("name", sorted(STATS))
def test_scipy_stats(name):
    f, x = STATS[name]
    check(f, x)


COV = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 1.5]])


@pytest.mark.parametrize("form", ["one-point", "batch", "diag", "scalar", "mean-traced",
                                  "pdf"])
def test_multivariate_normal(form):
    mvn = st.multivariate_normal
    mean = np.array([0.1, -0.2, 0.3])
    x1 = np.array([0.5, -1.0, 0.2])
    xs = RNG.normal(size=(5, 3))
    cases = {
        "one-point": (lambda x: mvn.logpdf(x, mean, COV), x1),
        "batch": (lambda x: np.sum(mvn.logpdf(x, mean=mean, cov=COV)), xs),
        "diag": (lambda x: np.sum(mvn.logpdf(x, mean, np.array([1.0, 2.0, 0.5]))), xs),
        "scalar": (lambda x: np.sum(mvn.logpdf(x, mean, 2.0)), xs),
        "mean-traced": (lambda m: np.sum(mvn.logpdf(xs, m, COV)), mean),
        "pdf": (lambda x: mvn.pdf(x, mean, COV), x1),
    }
    f, x = cases[form]
    check(f, x)


def test_cov_traced_for_gaussian_process_style_code():
    xs = RNG.normal(size=(4, 2))

    def f(L):
        cov = L @ L.T + np.eye(2)
        return np.sum(st.multivariate_normal.logpdf(xs, np.zeros(2), cov))
    check(f, np.array([[1.0, 0.2], [0.3, 0.8]]))


def test_a_distribution_method_not_traced_is_refused_by_its_name():
    from bpcompiler import CompileError
    with pytest.raises(CompileError, match=r"scipy\.stats\.t\.entropy"):
        compile_grad(lambda x: np.sum(st.t.entropy(x)), (X,))
    # a distribution that is not traced at all is named too, with the ones that are
    with pytest.raises(CompileError, match=r"scipy\.stats\.laplace\.logpdf.*norm"):
        compile_grad(lambda x: np.sum(st.laplace.logpdf(x)), (X,))


def test_an_unsupported_scipy_ufunc_is_named_as_scipy_names_it():
    from bpcompiler import CompileError
    with pytest.raises(CompileError, match=r"scipy\.special\.loggamma is not.*gammaln"):
        compile_grad(lambda x: np.sum(sp.loggamma(x)), (X,))
    # a Python function around a private ufunc is named by its public name
    with pytest.raises(CompileError, match=r"scipy\.special\.zeta is not a supported"):
        compile_grad(lambda x: np.sum(sp.zeta(x + 1.5, 1.0)), (X,))
