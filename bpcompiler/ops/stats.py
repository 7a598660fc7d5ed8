"""scipy.stats distributions as compositions of ops: norm, t, multivariate_normal, gamma,
beta, chi2 and poisson (logpdf/logpmf, pdf/pmf, and for all but multivariate_normal cdf,
logcdf, sf, logsf: differentiable in x, loc, scale and Poisson's rate, not in shape
parameters or counts; norm also ppf), dirichlet (logpdf, pdf: differentiable in x and
alpha) and the entropy of norm, multivariate_normal and dirichlet, with SciPy's `loc`/`scale` (or `mean`/`cov`) arguments, positional or by keyword, and
frozen distributions (`norm(0.0, 2.0).logpdf(x)`). A call without traced values is
SciPy's own. Densities are written in NumPy; gammaln, xlogy, ndtr and friends are the
scipy.special ops of special.py."""

from __future__ import annotations

import inspect
import math

import numpy as np

from ..errors import UnsupportedOperationError

LOG_2PI = math.log(2.0 * math.pi)


def _sp(name):
    from .special import _UFUNCS
    return _UFUNCS[name]


def _norm_logpdf(x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    return -0.5 * (z * z) - np.log(scale) - 0.5 * LOG_2PI


def _norm_z(x, loc=0.0, scale=1.0):
    return (x - loc) / scale


def _t_logpdf(x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    gammaln = _sp("gammaln")
    return (gammaln((df + 1.0) / 2.0) - gammaln(df / 2.0) - 0.5 * np.log(df * math.pi)
            - np.log(scale) - (df + 1.0) / 2.0 * np.log1p(z * z / df))


def _gamma_logpdf(x, a, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    return _sp("xlogy")(a - 1.0, z) - z - _sp("gammaln")(a) - np.log(scale)


def _beta_logpdf(x, a, b, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    return (_sp("xlogy")(a - 1.0, z) + _sp("xlog1py")(b - 1.0, -z) - _sp("betaln")(a, b)
            - np.log(scale))


def _count(k, loc):
    """floor(k - loc), with no gradient: SciPy's discrete distributions are step
    functions of k."""
    k = k - loc
    if _traced(k):
        from ..builder import current_builder
        return current_builder().apply("count_floor", (k,), python=False)
    return np.floor(k)


def _poisson_logpmf(k, mu, loc=0):
    n = _count(k, loc)
    value = _sp("xlogy")(n, mu) - _sp("gammaln")(n + 1.0) - mu
    return np.where(n == k - loc, value, -np.inf)  # as SciPy: -inf off the integers


def _poisson_cdf(k, mu, loc=0):
    return _sp("gammaincc")(_count(k, loc) + 1.0, mu)


def _poisson_sf(k, mu, loc=0):
    return _sp("gammainc")(_count(k, loc) + 1.0, mu)


def _t_cdf(x, df, loc=0.0, scale=1.0):
    return _sp("stdtr")(df, (x - loc) / scale)


def _t_sf(x, df, loc=0.0, scale=1.0):
    return _sp("stdtr")(df, -((x - loc) / scale))


def _gamma_cdf(x, a, loc=0.0, scale=1.0):
    return _sp("gammainc")(a, (x - loc) / scale)


def _gamma_sf(x, a, loc=0.0, scale=1.0):
    return _sp("gammaincc")(a, (x - loc) / scale)


def _beta_cdf(x, a, b, loc=0.0, scale=1.0):
    return _sp("betainc")(a, b, (x - loc) / scale)


def _beta_sf(x, a, b, loc=0.0, scale=1.0):
    return _sp("betaincc")(a, b, (x - loc) / scale)


def _chi2_logpdf(x, df, loc=0.0, scale=1.0):  # gamma(df / 2, scale 2), as SciPy
    return _gamma_logpdf(x, df / 2.0, loc, 2.0 * scale)


def _chi2_cdf(x, df, loc=0.0, scale=1.0):
    return _gamma_cdf(x, df / 2.0, loc, 2.0 * scale)


def _chi2_sf(x, df, loc=0.0, scale=1.0):
    return _gamma_sf(x, df / 2.0, loc, 2.0 * scale)


def _log_of(fn):
    return lambda *args, **kwargs: np.log(fn(*args, **kwargs))


def _tails(cdf, sf):
    """cdf, logcdf, sf and logsf from the two tails (the logs as SciPy's: log of each)."""
    return {"cdf": cdf, "logcdf": _log_of(cdf), "sf": sf, "logsf": _log_of(sf)}


def _lower_symmetric(cov):
    """The symmetric matrix of cov's lower triangle: all SciPy reads of a covariance
    (eigh(cov, lower=True)), so that gradients agree with SciPy's function everywhere,
    not only along symmetric directions."""
    return np.tril(cov) + np.tril(cov, -1).T


def _mvn_logpdf(x, mean=None, cov=1, allow_singular=False):
    from ..arraylike import stacked
    x, cov = stacked(x), stacked(cov)
    mean = np.zeros(np.shape(x)[-1:] or (1,)) if mean is None else stacked(mean)
    k = int(np.size(mean)) if np.ndim(mean) else (np.shape(x)[-1] if np.ndim(x) else 1)
    if np.ndim(x) == 0 or (k == 1 and np.shape(x)[-1] != 1):
        x = np.reshape(x, np.shape(x) + (1,))  # points of dimension 1
    diff = x - mean
    if np.ndim(cov) == 0:
        maha = np.sum(diff * diff, axis=-1) / cov
        logdet = k * np.log(cov)
    elif np.ndim(cov) == 1:
        maha = np.sum(diff * diff / cov, axis=-1)
        logdet = np.sum(np.log(cov))
    else:
        cov = _lower_symmetric(cov)
        solved = np.linalg.solve(cov, np.reshape(diff, (-1, k)).T).T
        maha = np.reshape(np.sum(np.reshape(diff, (-1, k)) * solved, axis=-1),
                          np.shape(diff)[:-1])
        logdet = np.linalg.slogdet(cov)[1]
    return -0.5 * (k * LOG_2PI + logdet + maha)


def _mvn_entropy(mean=None, cov=1):
    """0.5 * log det(2 pi e cov): the mean does not enter."""
    from ..arraylike import stacked
    cov = stacked(cov)
    if np.ndim(cov) == 2:
        k, logdet = np.shape(cov)[0], np.linalg.slogdet(_lower_symmetric(cov))[1]
    elif np.ndim(cov) == 1:
        k, logdet = np.shape(cov)[0], np.sum(np.log(cov))
    else:
        k = int(np.size(mean)) if mean is not None else 1
        logdet = k * np.log(cov)
    return 0.5 * (k * (LOG_2PI + 1.0) + logdet)


def _dirichlet_x(x, alpha):
    """SciPy's x, components along axis 0, with the last one (1 - sum) appended when
    k - 1 are given. (SciPy's check that x lies in the simplex reads values, which a
    trace does not have: the emitted module evaluates the density's formula anywhere.)"""
    from ..arraylike import stacked
    x, alpha = stacked(x), stacked(alpha)
    if np.ndim(alpha) != 1 or np.ndim(x) not in (1, 2) or \
            np.shape(x)[0] not in (np.shape(alpha)[0], np.shape(alpha)[0] - 1):
        from ..builder import current_builder
        file, line = current_builder().where()
        raise UnsupportedOperationError(
            f"scipy.stats.dirichlet with x of shape {tuple(np.shape(x))} and alpha of "
            f"shape {tuple(np.shape(alpha))}", file=file, line=line,
            hint="pass alpha of shape (k,) and x of shape (k,) or (k, n) (or k - 1 rows)")
    if np.shape(x)[0] != np.shape(alpha)[0]:
        x = np.concatenate([x, (1.0 - np.sum(x, axis=0))[None]], axis=0)
    return x, alpha


def _dirichlet_lnb(alpha):
    gammaln = _sp("gammaln")
    return np.sum(gammaln(alpha)) - gammaln(np.sum(alpha))


def _dirichlet_logpdf(x, alpha):
    x, alpha = _dirichlet_x(x, alpha)
    a = np.reshape(alpha - 1.0, np.shape(alpha) + (1,) * (np.ndim(x) - 1))
    out = np.sum(_sp("xlogy")(a, x), axis=0) - _dirichlet_lnb(alpha)
    return out[0] if np.shape(out) == (1,) else out  # as SciPy: squeezed


def _dirichlet_entropy(alpha):
    from ..arraylike import stacked
    alpha = stacked(alpha)
    total, k, psi = np.sum(alpha), np.shape(alpha)[0], _sp("digamma")
    return _dirichlet_lnb(alpha) + (total - k) * psi(total) - np.sum((alpha - 1.0) * psi(alpha))


def _norm_entropy(loc=0.0, scale=1.0):
    h = 0.5 * (LOG_2PI + 1.0) + np.log(scale)  # loc only shapes it, as in SciPy
    shape = np.broadcast_shapes(np.shape(loc), np.shape(scale))
    return h if np.shape(h) == shape else np.broadcast_to(h, shape)


def _exp_of(fn):
    return lambda *args, **kwargs: np.exp(fn(*args, **kwargs))


def _norm_methods():
    ndtr, log_ndtr, ndtri = _sp("ndtr"), _sp("log_ndtr"), _sp("ndtri")
    return {
        "logpdf": _norm_logpdf, "pdf": _exp_of(_norm_logpdf),
        "cdf": lambda x, loc=0.0, scale=1.0: ndtr(_norm_z(x, loc, scale)),
        "logcdf": lambda x, loc=0.0, scale=1.0: log_ndtr(_norm_z(x, loc, scale)),
        "sf": lambda x, loc=0.0, scale=1.0: ndtr(-_norm_z(x, loc, scale)),
        "logsf": lambda x, loc=0.0, scale=1.0: log_ndtr(-_norm_z(x, loc, scale)),
        "ppf": lambda q, loc=0.0, scale=1.0: loc + scale * ndtri(q),
    }


_TABLE = {
    "norm": lambda: {**_norm_methods(), "entropy": _norm_entropy},
    "t": lambda: {"logpdf": _t_logpdf, "pdf": _exp_of(_t_logpdf), **_tails(_t_cdf, _t_sf)},
    "gamma": lambda: {"logpdf": _gamma_logpdf, "pdf": _exp_of(_gamma_logpdf),
                      **_tails(_gamma_cdf, _gamma_sf)},
    "beta": lambda: {"logpdf": _beta_logpdf, "pdf": _exp_of(_beta_logpdf),
                     **_tails(_beta_cdf, _beta_sf)},
    "chi2": lambda: {"logpdf": _chi2_logpdf, "pdf": _exp_of(_chi2_logpdf),
                     **_tails(_chi2_cdf, _chi2_sf)},
    "poisson": lambda: {"logpmf": _poisson_logpmf, "pmf": _exp_of(_poisson_logpmf),
                        **_tails(_poisson_cdf, _poisson_sf)},
    "multivariate_normal": lambda: {"logpdf": _mvn_logpdf, "pdf": _exp_of(_mvn_logpdf),
                                    "entropy": _mvn_entropy},
    "dirichlet": lambda: {"logpdf": _dirichlet_logpdf, "pdf": _exp_of(_dirichlet_logpdf),
                          "entropy": _dirichlet_entropy},
}


# Methods of the parameters alone.
_NO_DATA = ("entropy",)

# Methods refused for a reason worth saying.
_WHY_NOT = {("multivariate_normal", "cdf"): ": SciPy estimates it by randomised "
            "quasi-Monte Carlo integration, which has no sound gradient to compile",
            ("multivariate_normal", "logcdf"): ": SciPy estimates it by randomised "
            "quasi-Monte Carlo integration, which has no sound gradient to compile"}


def _traced(*values) -> bool:
    from ..arraylike import holds_tracer
    return any(holds_tracer(v) for v in values)


class Distribution:
    """Stands for a scipy.stats distribution while tracing: its traced methods, SciPy's
    own for calls without traced values and for methods not traced."""

    def __init__(self, name, real, methods, bound=((), {})):
        self._name, self._real, self._methods, self._bound = name, real, methods, bound

    def __call__(self, *args, **kwargs):  # freeze: norm(loc, scale)
        return Distribution(self._name, self._real, self._methods, (args, kwargs))

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        args0, kwargs0 = self._bound
        traced = self._methods.get(attr)

        def method(*args, **kwargs):
            if not _traced(*args0, *kwargs0.values(), *args, *kwargs.values()):
                real = self._real(*args0, **kwargs0) if self._bound != ((), {}) \
                    else self._real
                return getattr(real, attr)(*args, **kwargs)
            if traced is None:
                from ..builder import current_builder
                file, line = current_builder().where()
                raise UnsupportedOperationError(
                    f"scipy.stats.{self._name}.{attr} of traced values is not supported"
                    + _WHY_NOT.get((self._name, attr), ""), file=file, line=line,
                    hint=f"traced: {', '.join(sorted(self._methods))}" if self._methods
                    else "the distributions traced are " + ", ".join(sorted(_TABLE)) +
                    "; write the density with NumPy (and scipy.special) instead")
            # frozen: the data argument first (entropy has none), then the frozen
            # parameters
            first, rest = ((), args) if attr in _NO_DATA else (args[:1], args[1:])
            bound = inspect.signature(traced).bind(*first, *args0, *rest,
                                                   **{**kwargs0, **kwargs})
            return traced(*bound.args, **bound.kwargs)
        return method


def distributions(scipy_stats) -> dict:
    """id(scipy.stats.<name>) -> its Distribution stand-in; the distributions not traced
    get one without methods, so a call with traced values is refused by its name."""
    kinds = tuple(k for k in (getattr(scipy_stats, "rv_continuous", None),
                              getattr(scipy_stats, "rv_discrete", None),
                              getattr(getattr(scipy_stats, "_multivariate", None),
                                      "multi_rv_generic", None)) if k is not None)
    out = {id(value): Distribution(name, value, {}) for name, value in vars(
        scipy_stats).items() if not name.startswith("_") and isinstance(value, kinds)}
    out.update({id(getattr(scipy_stats, name)): Distribution(
        name, getattr(scipy_stats, name), methods()) for name, methods in _TABLE.items()})
    return out
