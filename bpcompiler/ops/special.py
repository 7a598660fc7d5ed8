"""scipy.special: the functions users reach for, as ops or compositions of ops.

What NumPy can write is written in NumPy: `expit(x)` is `np.exp(-np.logaddexp(0.0, -x))`
(no overflow warning anywhere), `logsumexp` is the max-shifted `log(sum(exp(a - m))) + m`,
`logit`, `betaln`, `softmax` and `log_softmax` are compositions. Only what NumPy lacks
(gammaln, digamma, polygamma, erf, erfc, erfinv, ndtr, log_ndtr, ndtri, xlogy, xlog1py)
is spelled `scipy.special.<name>(...)`; a module imports SciPy only then, and only a
source that used SciPy can reach these ops. SciPy is imported lazily: a program that
never touches it never pays for it.

Derivatives: gammaln' = digamma, digamma' = polygamma(1, .), polygamma(n)' =
polygamma(n + 1, .) (so every order composes); erfinv' and ndtri' reuse the output y.
"""

from __future__ import annotations

import dataclasses
import math
import sys

import numpy as np

from .tangents import diagonal
from .registry import (NUMPY_UFUNCS, PREC_ATOM, REGISTRY, Expr, F, Op, call,
                       elementwise_rule, evaluated_rule, register)

SQRT_2PI = math.sqrt(2.0 * math.pi)
LOG_SQRT_2PI = math.log(SQRT_2PI)
SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _sc():
    import scipy.special
    return scipy.special


def _lazy(name: str):
    def fn(*args, **kwargs):
        return getattr(_sc(), name)(*args, **kwargs)
    fn.__name__ = name
    return fn


def _special(name, vjp, *, arity=1, domain="real", singular=False, also=(), doc="",
             scipy_name=None):
    scipy_name = scipy_name or name
    register(Op(name=name, arity=arity, np_fn=_lazy(scipy_name), py_fn=None,
                spell=call(None, f"scipy.special.{scipy_name}"), shape_rule=elementwise_rule,
                vjp=vjp, jvp=diagonal(vjp),  # elementwise: the VJP's diagonal
                spellings=(f"scipy.special.{scipy_name}", *also), domain=domain,
                singular=singular, doc=doc))


_special("gammaln", lambda g, y, x: (g * F.digamma(x),), domain="positive", singular=True,
         also=("scipy.special.betaln", "scipy.stats.t.logpdf", "scipy.stats.t.pdf",
               "scipy.stats.gamma.logpdf", "scipy.stats.gamma.pdf", "scipy.stats.beta.logpdf",
               "scipy.stats.beta.pdf", "scipy.stats.poisson.logpmf", "scipy.stats.poisson.pmf"),
         doc="log|Gamma(x)|; betaln and the t, gamma, beta and Poisson densities use it")
_special("digamma", lambda g, y, x: (g * F.polygamma(x, n=1),), domain="positive",
         singular=True, also=("scipy.special.psi",))
_special("scipy_erf", lambda g, y, x: (g * TWO_OVER_SQRT_PI * F.exp(-(x * x)),),
         scipy_name="erf", doc="erf of arrays (math.erf of floats is the op erf)")
_special("scipy_erfc", lambda g, y, x: (-g * TWO_OVER_SQRT_PI * F.exp(-(x * x)),),
         scipy_name="erfc", doc="erfc of arrays (math.erfc of floats is the op erfc)")
_special("erfinv", lambda g, y, x: (g * SQRT_PI_OVER_2 * F.exp(y * y),), domain="unit",
         singular=True)
_special("ndtr", lambda g, y, x: (g * F.exp(-0.5 * (x * x)) / SQRT_2PI,),
         also=("scipy.stats.norm.cdf", "scipy.stats.norm.sf"), doc="the standard normal CDF")
_special("log_ndtr", lambda g, y, x: (g * F.exp(-0.5 * (x * x) - LOG_SQRT_2PI - y),),
         also=("scipy.stats.norm.logcdf", "scipy.stats.norm.logsf"),
         doc="log of the normal CDF; the rule is exp(log pdf - y), finite far in the tail")
_special("ndtri", lambda g, y, x: (g * SQRT_2PI * F.exp(0.5 * (y * y)),),
         domain="probability", singular=True, also=("scipy.stats.norm.ppf",),
         doc="the inverse of ndtr")
_special("xlogy", lambda g, y, a, b: (g * F.log(b), g * a / b), arity=2,
         domain=("real", "positive"), singular=True, doc="x * log(y), 0 where x == 0")
_special("xlog1py", lambda g, y, a, b: (g * F.log1p(b), g * a / (b + 1.0)), arity=2,
         domain=("real", "positive"), singular=True, doc="x * log1p(y), 0 where x == 0")


def _polygamma_vjp(g, y, x, n):
    return (g * F.polygamma(x, n=n + 1),)


def _expit_vjp(g, y, x):
    return (g * y * (1.0 - y),)


def _log_expit_vjp(g, y, x):
    return (g * F.expit(-x),)


def _polygamma_spell(args, params, aval):
    return Expr(f"scipy.special.polygamma({params['n']}, {args[0].text})", PREC_ATOM)


register(Op(name="polygamma", arity=1, np_fn=lambda x, n: _sc().polygamma(n, x), py_fn=None,
            spell=_polygamma_spell, shape_rule=elementwise_rule,
            vjp=_polygamma_vjp, jvp=diagonal(_polygamma_vjp),
            spellings=("scipy.special.polygamma",), domain="positive", singular=True,
            cases=((((3,),), {"n": 1}), (((2, 3),), {"n": 2}), (((),), {"n": 0})),
            doc="n-th derivative of digamma, n a constant int"))

# Written in NumPy: the logistic function and its log, stable everywhere.
register(Op(name="expit", arity=1, np_fn=lambda x: np.exp(-np.logaddexp(0.0, -x)),
            py_fn=None,
            spell=lambda args, params, aval: Expr(
                f"np.exp(-np.logaddexp(0.0, -{_atom(args[0])}))", PREC_ATOM),
            shape_rule=elementwise_rule, vjp=_expit_vjp, jvp=diagonal(_expit_vjp),
            spellings=("scipy.special.expit",), doc="1 / (1 + exp(-x)), without overflow"))
register(Op(name="log_expit", arity=1, np_fn=lambda x: -np.logaddexp(0.0, -x), py_fn=None,
            spell=lambda args, params, aval: Expr(
                f"-np.logaddexp(0.0, -{_atom(args[0])})", 11),
            shape_rule=elementwise_rule, vjp=_log_expit_vjp, jvp=diagonal(_log_expit_vjp),
            spellings=("scipy.special.log_expit",), doc="log(expit(x)), without overflow"))


def _atom(e: Expr) -> str:
    return e.text if e.prec >= PREC_ATOM else f"({e.text})"


# The logsumexp shift: the max over the axes with keepdims, a constant as far as the
# gradient goes (the exact gradient does not depend on it).
def _shift_spell(args, params, aval):
    axis = params["axis"]
    where = "" if axis is None else f", axis={axis[0] if len(axis) == 1 else axis!r}"
    return Expr(f"np.max({args[0].text}{where}, keepdims=True)", PREC_ATOM)


register(Op(name="max_shift", arity=1,
            np_fn=lambda x, axis: np.max(x, axis=axis, keepdims=True), py_fn=None,
            spell=_shift_spell, shape_rule=evaluated_rule, differentiable=False,
            doc="logsumexp's shift: max with keepdims, no gradient through it"))


def _also(name: str, *spellings: str) -> None:
    """List SciPy spellings that are compositions under the op they lower to, for
    `bpcompiler ops` (the op itself is declared, unchanged, in its own module)."""
    op = REGISTRY[name]
    REGISTRY[name] = dataclasses.replace(op, spellings=op.spellings + spellings)


_also("log", "scipy.special.logsumexp", "scipy.special.softmax", "scipy.special.log_softmax",
      "scipy.special.logit", "scipy.stats.norm.logpdf", "scipy.stats.norm.pdf")
_also("solve", "scipy.stats.multivariate_normal.logpdf", "scipy.stats.multivariate_normal.pdf")
_also("gammaln", "scipy.stats.dirichlet.logpdf", "scipy.stats.dirichlet.pdf",
      "scipy.stats.dirichlet.entropy")
_also("log", "scipy.stats.norm.entropy")
_also("slogdet", "scipy.stats.multivariate_normal.entropy")


# -- front ends --------------------------------------------------------------------------
def _builder():
    from ..builder import current_builder
    return current_builder()


def _refuse(cls, problem, hint=None):
    file, line = _builder().where()
    raise cls(problem, file=file, line=line, hint=hint)


def _ufunc(name):
    def traced(*inputs, **kwargs):
        _no_ufunc_keywords(name, kwargs)
        return _builder().apply(name, inputs, python=False)
    return traced


def _no_ufunc_keywords(name, kwargs):
    from ..errors import UnsupportedOperationError
    extra = sorted(k for k, v in kwargs.items() if v is not None and k not in ("casting",
                                                                                "order"))
    if extra:
        _refuse(UnsupportedOperationError, f"scipy.special.{name} with {extra}",
                "call it with operands only")


def _logit(x, **kwargs):
    _no_ufunc_keywords("logit", kwargs)
    return np.log(x) - np.log1p(-x)


def _betaln(a, b, **kwargs):
    _no_ufunc_keywords("betaln", kwargs)
    gammaln = _ufunc("gammaln")
    return gammaln(a) + gammaln(b) - gammaln(a + b)


_UFUNCS = {"gammaln": _ufunc("gammaln"), "digamma": _ufunc("digamma"),
           "psi": _ufunc("digamma"), "erf": _ufunc("scipy_erf"), "erfc": _ufunc("scipy_erfc"),
           "erfinv": _ufunc("erfinv"), "ndtr": _ufunc("ndtr"), "log_ndtr": _ufunc("log_ndtr"),
           "ndtri": _ufunc("ndtri"), "xlogy": _ufunc("xlogy"), "xlog1py": _ufunc("xlog1py"),
           "expit": _ufunc("expit"), "log_expit": _ufunc("log_expit"), "logit": _logit,
           "betaln": _betaln}


def installed() -> dict:
    """id(SciPy callable or distribution) -> its traced front end, for what of SciPy is
    imported. The ufuncs also go into NUMPY_UFUNCS (they reach __array_ufunc__)."""
    if "scipy.special" in sys.modules and not _SPECIAL:
        from . import scipy_front
        sc = _sc()
        for name, traced in _UFUNCS.items():
            NUMPY_UFUNCS[getattr(sc, name)] = traced
        _SPECIAL.update({id(getattr(sc, name)): fn
                         for name, fn in scipy_front.functions(sc).items()})
        _FRONTENDS.update(_SPECIAL)
        ADVICE.update({getattr(sc, name): advice for name, advice in _ADVICE.items()
                       if hasattr(sc, name)})
    if "scipy.signal" in sys.modules and not _SIGNAL:
        from .convolve import signal_convolve, signal_correlate
        from .scipy_front import _or_real
        signal = sys.modules["scipy.signal"]
        _SIGNAL.update({id(real): _or_real(real, fn) for real, fn in (
            (signal.convolve, signal_convolve), (signal.correlate, signal_correlate))})
        _FRONTENDS.update(_SIGNAL)
    if "scipy.linalg" in sys.modules and not _LINALG:
        from . import scipy_linalg
        _LINALG.update(scipy_linalg.functions(sys.modules["scipy.linalg"]))
        _FRONTENDS.update(_LINALG)
    if "scipy.stats" in sys.modules and not _STATS:
        from . import stats
        _STATS.update(stats.distributions(sys.modules["scipy.stats"]))
        _FRONTENDS.update(_STATS)
    return _FRONTENDS


_FRONTENDS: dict = {}
_SPECIAL: dict = {}
_SIGNAL: dict = {}
_LINALG: dict = {}
# Refused SciPy functions -> what to write instead (read by the tracer's refusal; not in
# registry.UNSUPPORTED, whose listing must not depend on whether SciPy was imported).
ADVICE: dict = {}
_ADVICE = {
    "gamma": "for x > 0 use np.exp(scipy.special.gammaln(x))",
    "beta": "for a, b > 0 use np.exp(scipy.special.betaln(a, b))",
    "loggamma": "for real x > 0 use scipy.special.gammaln(x)",
    "erfcx": "use np.exp(x * x) * scipy.special.erfc(x) where it does not overflow",
    "logsumexp": "call it as scipy.special.logsumexp(a, axis=..., b=...)",
    "log1p": "use np.log1p", "expm1": "use np.expm1", "exp2": "use np.exp2",
    "cbrt": "use np.cbrt", "exp10": "use 10.0 ** x", "sinc": "use np.sinc",
    "entr": "use -scipy.special.xlogy(x, x)", "rel_entr": "use scipy.special.xlogy(x, x / y)",
    "kl_div": "use scipy.special.xlogy(x, x / y) - x + y",
    "multigammaln": "sum scipy.special.gammaln(a - j / 2) over j, plus the constant",
}
_STATS: dict = {}
