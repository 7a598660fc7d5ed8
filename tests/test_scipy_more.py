"""More of SciPy (issue 11, item 1): scipy.special's Bessel and gamma families, the
incomplete gamma and beta functions, and the scipy.stats CDFs. Values against SciPy,
gradients against central differences at two points (test_scipy.check) and against
autograd's own rules where it has them; refusals name the function and what to do."""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import autograd.scipy.special as asp
import autograd.scipy.stats as ast
import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as st

from bpcompiler import compile_grad
from bpcompiler.errors import UnsupportedOperationError

from support.fd import check

RNG = np.random.default_rng(21)
POS = RNG.uniform(0.6, 3.0, size=5)
REAL = RNG.normal(size=(2, 3))
W = RNG.normal(size=5)

# name -> (the function with the scipy.special namespace `s`, its argument)
SPECIAL = {
    "j0": (lambda s: lambda x: np.sum(s.j0(x) * W), POS),
    "j1": (lambda s: lambda x: np.sum(s.j1(x) * W), POS),
    "y0": (lambda s: lambda x: np.sum(s.y0(x) * W), POS),
    "y1": (lambda s: lambda x: np.sum(s.y1(x) * W), POS),
    "jn": (lambda s: lambda x: np.sum(s.jn(2, x) * W), POS),
    "yn": (lambda s: lambda x: np.sum(s.yn(3, x) * W), POS),
    "i0": (lambda s: lambda x: np.sum(s.i0(x) ** 2), REAL),
    "i1": (lambda s: lambda x: np.sum(s.i1(x) ** 2), REAL),
    "iv": (lambda s: lambda x: np.sum(s.iv(2, x) * W), POS),
    "ive": (lambda s: lambda x: np.sum(s.ive(1, x) ** 2), REAL),
    "gamma": (lambda s: lambda x: np.sum(s.gamma(x) * W), POS),
    "rgamma": (lambda s: lambda x: np.sum(s.rgamma(x) * W), POS),
    "beta": (lambda s: lambda x: np.sum(s.beta(x, x[::-1] + 0.5) * W), POS),
    "erfcinv": (lambda s: lambda x: np.sum(s.erfcinv(x / 3.5) * W), POS),
    "gammainc": (lambda s: lambda x: np.sum(s.gammainc(2.0, x) * W), POS),
    "gammaincc": (lambda s: lambda x: np.sum(s.gammaincc(1.5, x) * W), POS),
    "betainc": (lambda s: lambda x: np.sum(s.betainc(2.0, 3.5, x / 3.5) * W), POS),
    "multigammaln": (lambda s: lambda x: np.sum(s.multigammaln(x + 2.0, 3) * W), POS),
}
# Without a rule in autograd (checked by differences and, below, by identities)
MORE = {
    "jv": lambda x: np.sum(sc.jv(1.5, x) * W),
    "yv": lambda x: np.sum(sc.yv(0.5, x) * W),
    "kv": lambda x: np.sum(sc.kv(1, x) * W),
    "kve": lambda x: np.sum(sc.kve(1.5, x) * W),
    "i0e": lambda x: np.sum(sc.i0e(x - 1.5) * W),
    "i1e": lambda x: np.sum(sc.i1e(x - 1.5) * W),
    "betaincc": lambda x: np.sum(sc.betaincc(2.0, 3.5, x / 3.5) * W),
    "stdtr": lambda x: np.sum(sc.stdtr(3.0, x - 1.0) * W),
    "gammasgn": lambda x: np.sum(sc.gammasgn(x) * x),
    "array-orders": lambda x: np.sum(sc.jv(np.arange(5.0), x) * W),
}


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_special_functions_match_autograd(name):
    written_with, x = SPECIAL[name]
    c = check(written_with(sc), x)
    assert "import scipy.special" in c.source
    np.testing.assert_allclose(c.module.grad(x)[0], autograd.grad(written_with(asp))(x),
                               rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("name", sorted(MORE))
def test_more_special_functions(name):
    check(MORE[name], POS)


def test_order_and_shape_parameter_gradients_are_refused_only_when_needed():
    with pytest.raises(UnsupportedOperationError, match=r"scipy.special.jv has no "
                       r"gradient with respect to its order v"):
        compile_grad(lambda v: np.sum(sc.jv(v, 2.0)), (POS,))
    with pytest.raises(UnsupportedOperationError, match="gammainc has no gradient with "
                       "respect to its shape parameter a") as info:
        compile_grad(lambda a: np.sum(sc.gammainc(a, 2.0)), (POS,))
    assert info.value.line is not None
    with pytest.raises(UnsupportedOperationError, match="jvp|shape parameter a"):
        compile_grad(lambda a: np.sum(sc.gammainc(a, 2.0)), (POS,), emit=("jvp",))
    # a traced but undifferentiated shape parameter is fine
    c = compile_grad(lambda x, a: np.sum(sc.gammainc(a, x)), (POS, POS[::-1]), wrt="x")
    np.testing.assert_allclose(c.module.forward(POS, POS[::-1]), np.sum(sc.gammainc(
        POS[::-1], POS)), rtol=1e-14)


def test_bessel_derivative_identities():
    """Independent of the rules: (x J1(x))' = x J0(x) and K0' = -K1."""
    c = compile_grad(lambda x: np.sum(x * sc.j1(x)), (POS,))
    np.testing.assert_allclose(c.module.grad(POS)[0], POS * sc.j0(POS), rtol=1e-10)
    c = compile_grad(lambda x: np.sum(sc.kv(0, x)), (POS,))
    np.testing.assert_allclose(c.module.grad(POS)[0], -sc.kv(1, POS), rtol=1e-10)


K = np.array([0.0, 1.0, 3.0, 2.0, 6.0])
STATS = {
    "t.cdf": (lambda s: lambda x: np.sum(s.t.cdf(x, 3.5) * W), POS - 1.5),
    "t.logcdf": (lambda s: lambda x: np.sum(s.t.logcdf(x, 2.5, 0.3, 1.7)), POS - 1.5),
    "gamma.cdf": (lambda s: lambda x: np.sum(s.gamma.cdf(x, 2.0) * W), POS),
    "gamma.logcdf": (lambda s: lambda x: np.sum(_logcdf(s.gamma, x, 2.0)), POS),
    "beta.cdf": (lambda s: lambda x: np.sum(s.beta.cdf(x / 3.5, 2.0, 3.0) * W), POS),
    "beta.logcdf": (lambda s: lambda x: np.sum(_logcdf(s.beta, x / 3.5, 1.5, 3.0)), POS),
    "chi2.cdf": (lambda s: lambda x: np.sum(s.chi2.cdf(x, 3) * W), POS),
    "chi2.logpdf": (lambda s: lambda x: np.sum(s.chi2.logpdf(x, 4) * W), POS),
    "poisson.cdf": (lambda s: lambda mu: np.sum(s.poisson.cdf(K, mu) * W), POS),
    "poisson.logcdf": (lambda s: lambda mu: np.sum(_logcdf(s.poisson, K, mu)), POS),
}


def _logcdf(dist, *args):
    """dist.logcdf, or log(dist.cdf) for autograd's, which has no logcdf there."""
    if hasattr(dist, "logcdf"):
        return dist.logcdf(*args)
    return anp.log(dist.cdf(*args))


@pytest.mark.parametrize("name", sorted(STATS))
def test_stats_cdfs_match_autograd(name):
    written_with, x = STATS[name]
    c = check(written_with(st), x)
    np.testing.assert_allclose(c.module.grad(x)[0], autograd.grad(written_with(ast))(x),
                               rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("name", ["t", "gamma", "beta", "chi2", "poisson"])
def test_survival_functions(name):
    args = {"t": (POS - 1.5, 3.0), "gamma": (POS, 2.0), "beta": (POS / 3.5, 2.0, 3.0),
            "chi2": (POS, 3), "poisson": (K, POS)}[name]
    dist = getattr(st, name)
    at = 1 if name == "poisson" else 0
    for method in ("sf", "logsf"):
        def f(x, method=method):
            values = list(args)
            values[at] = x
            return np.sum(getattr(dist, method)(*values) * W)
        check(f, args[at])


def test_cdfs_with_loc_and_scale():
    check(lambda x: np.sum(st.gamma.logcdf(x, 2.0, 0.1, 1.5) * W), POS)
    check(lambda x: np.sum(st.beta.cdf(x, 2.0, 3.0, -0.5, 4.0) * W), POS)
    check(lambda scale: np.sum(st.t.cdf(POS, 3.0, 0.5, scale) * W), POS)


def test_poisson_pmf_of_counts_as_scipy_and_its_rate_gradient():
    check(lambda mu: np.sum(st.poisson.pmf(K, mu) * W), POS)
    c = compile_grad(lambda k, mu: np.sum(st.poisson.logpmf(k, mu)), (K, POS))
    off = K + 0.5  # SciPy: -inf off the integers; the count has no gradient
    assert c.module.forward(off, POS) == np.sum(st.poisson.logpmf(off, POS)) == -np.inf
    np.testing.assert_array_equal(c.module.grad(K, POS)[0], np.zeros(5))


def test_multivariate_normal_cdf_is_refused_with_the_reason():
    with pytest.raises(UnsupportedOperationError, match="quasi-Monte Carlo"):
        compile_grad(lambda x: st.multivariate_normal.cdf(x, np.zeros(3)), (POS[:3],))
