"""scipy.stats distributions as compositions of ops: norm, t, multivariate_normal, gamma,
beta, chi2 and poisson (logpdf/logpmf, pdf/pmf, and for all but multivariate_normal cdf,
logcdf, sf, logsf: differentiable in x, loc, scale and Poisson's rate, not in shape
parameters or counts; norm also ppf),
with SciPy's `loc`/`scale` (or `mean`/`cov`) arguments, positional or by keyword, and
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
        solved = np.linalg.solve(cov, np.reshape(diff, (-1, k)).T).T
        maha = np.reshape(np.sum(np.reshape(diff, (-1, k)) * solved, axis=-1),
                          np.shape(diff)[:-1])
        logdet = np.linalg.slogdet(cov)[1]
    return -0.5 * (k * LOG_2PI + logdet + maha)


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
    "norm": _norm_methods,
    "t": lambda: {"logpdf": _t_logpdf, "pdf": _exp_of(_t_logpdf), **_tails(_t_cdf, _t_sf)},
    "gamma": lambda: {"logpdf": _gamma_logpdf, "pdf": _exp_of(_gamma_logpdf),
                      **_tails(_gamma_cdf, _gamma_sf)},
    "beta": lambda: {"logpdf": _beta_logpdf, "pdf": _exp_of(_beta_logpdf),
                     **_tails(_beta_cdf, _beta_sf)},
    "chi2": lambda: {"logpdf": _chi2_logpdf, "pdf": _exp_of(_chi2_logpdf),
                     **_tails(_chi2_cdf, _chi2_sf)},
    "poisson": lambda: {"logpmf": _poisson_logpmf, "pmf": _exp_of(_poisson_logpmf),
                        **_tails(_poisson_cdf, _poisson_sf)},
    "multivariate_normal": lambda: {"logpdf": _mvn_logpdf, "pdf": _exp_of(_mvn_logpdf)},
}


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
        real = getattr(self._real(*args0, **kwargs0) if self._bound != ((), {})
                       else self._real, attr)
        traced = self._methods.get(attr)

        def method(*args, **kwargs):
            if not _traced(*args0, *kwargs0.values(), *args, *kwargs.values()):
                return real(*args, **kwargs)
            if traced is None:
                from ..builder import current_builder
                file, line = current_builder().where()
                raise UnsupportedOperationError(
                    f"scipy.stats.{self._name}.{attr} of traced values is not supported"
                    + _WHY_NOT.get((self._name, attr), ""), file=file, line=line,
                    hint=f"traced: {', '.join(sorted(self._methods))}" if self._methods
                    else "the distributions traced are " + ", ".join(sorted(_TABLE)) +
                    "; write the density with NumPy (and scipy.special) instead")
            # frozen: the data argument first, then the frozen parameters
            first, rest = args[:1], args[1:]
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
