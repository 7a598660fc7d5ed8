"""More of scipy.special, each an op spelled `scipy.special.<name>(...)` (NumPy has none
of them): the Bessel functions autograd differentiates (j0, j1, y0, y1, jv/jn, yn, yv,
i0, i1, i0e, i1e, iv, ive, and kv, kve), gamma, rgamma, gammasgn, beta, erfcinv, the
regularised incomplete gamma and beta functions (gammainc, gammaincc, betainc) and
Student's t CDF (stdtr), plus multigammaln as a composition of gammaln.

Derivatives are the classical recurrences (J_v' = (J_{v-1} - J_{v+1}) / 2, ...). An order
v is an operand with no gradient; so are the shape parameters of the incomplete
functions (d/da gammainc has no closed form): a rule returns a refusal for them, which
the reverse driver raises only when that operand depends on a differentiated parameter.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import UnsupportedOperationError
from . import special
from .domains import Domain
from .registry import F, Op, call, elementwise_rule, register
from .tangents import diagonal

SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0
# Orders and shape parameters in the generated tests: small integers, not differentiated.
ORDER = Domain("order", lambda rng, s: rng.integers(0, 3, size=s).astype(np.int64),
               integer=True)
SHAPE = Domain("shape", lambda rng, s: rng.integers(1, 4, size=s).astype(np.int64),
               integer=True)


def no_gradient(name: str, operand: str):
    """The refusal a rule returns for an operand without a gradient (see module doc)."""
    from ..builder import current_builder
    file, line = current_builder().where()
    return UnsupportedOperationError(
        f"scipy.special.{name} has no gradient with respect to {operand} here",
        file=file, line=line,
        hint="pass a constant there, or a value that does not depend on the "
             "differentiated parameters (see wrt=)")


def _refusing(vjp, without):
    """The diagonal JVP, raising the refusal for a tangent of an operand in `without`."""
    jvp = diagonal(vjp)

    def rule(tangents, y, *xs, **params):
        for i in without:
            if tangents[i] is not None:
                raise vjp(y, y, *xs, **params)[i]
        return jvp(tangents, y, *xs, **params)
    return rule


def _reference(name):
    def ref(xp, params):
        if xp.__name__.startswith("autograd"):
            import autograd.scipy.special as module
        else:
            import jax.scipy.special as module
        return getattr(module, name, None)
    return ref


def _op(name, vjp, *, arity=1, domain="real", singular=False, also=(), doc="",
        reference=True, without=()):
    register(Op(name=name, arity=arity, np_fn=special._lazy(name), py_fn=None,
                spell=call(None, f"scipy.special.{name}"), shape_rule=elementwise_rule,
                vjp=vjp, jvp=_refusing(vjp, without), spellings=(f"scipy.special.{name}", *also),
                domain=domain, singular=singular, doc=doc,
                reference=_reference(name) if reference else None))


# Bessel functions of the first and second kind, modified ones, and scaled ones.
_op("j0", lambda g, y, x: (-g * F.j1(x),))
_op("j1", lambda g, y, x: (g * (F.j0(x) - F.jv(2, x)) / 2.0,))
_op("y0", lambda g, y, x: (-g * F.y1(x),), domain="positive", singular=True)
_op("y1", lambda g, y, x: (g * (F.y0(x) - F.yn(2, x)) / 2.0,), domain="positive",
    singular=True)
_op("i0", lambda g, y, x: (g * F.i1(x),))
_op("i1", lambda g, y, x: (g * (F.i0(x) + F.iv(2, x)) / 2.0,))
_op("i0e", lambda g, y, x: (g * (F.i1e(x) - F.sign(x) * y),))
_op("i1e", lambda g, y, x: (g * ((F.i0e(x) + F.ive(2, x)) / 2.0 - F.sign(x) * y),))


def _order_op(name, derivative, *, domain="real", singular=False, also=(), doc=""):
    def vjp(g, y, v, x):
        return no_gradient(name, "its order v"), g * derivative(y, v, x)
    _op(name, vjp, arity=2, domain=(ORDER, domain), singular=singular, also=also, doc=doc,
        reference=False, without=(0,))  # (autograd's rules do not sum a broadcast x)


_order_op("jv", lambda y, v, x: (F.jv(v - 1, x) - F.jv(v + 1, x)) / 2.0,
          also=("scipy.special.jn",), doc="Bessel J of order v (jn is jv)")
_order_op("yn", lambda y, v, x: (F.yn(v - 1, x) - F.yn(v + 1, x)) / 2.0, domain="positive",
          singular=True, doc="Bessel Y of integer order n")
_order_op("yv", lambda y, v, x: (F.yv(v - 1, x) - F.yv(v + 1, x)) / 2.0, domain="positive",
          singular=True, doc="Bessel Y of order v")
_order_op("iv", lambda y, v, x: (F.iv(v - 1, x) + F.iv(v + 1, x)) / 2.0)
_order_op("ive", lambda y, v, x: (F.ive(v - 1, x) + F.ive(v + 1, x)) / 2.0 - F.sign(x) * y,
          doc="iv(v, x) * exp(-|x|)")
_order_op("kv", lambda y, v, x: -(F.kv(v - 1, x) + F.kv(v + 1, x)) / 2.0, domain="positive",
          singular=True)
_order_op("kve", lambda y, v, x: y - (F.kve(v - 1, x) + F.kve(v + 1, x)) / 2.0,
          domain="positive", singular=True, doc="kv(v, x) * exp(x)")

# The gamma function and its relatives.
_op("gamma", lambda g, y, x: (g * y * F.digamma(x),), domain="positive", singular=True)
_op("rgamma", lambda g, y, x: (-g * y * F.digamma(x),), domain="positive", singular=True,
    doc="1 / gamma(x)")
_op("gammasgn", lambda g, y, x: (None,), domain="positive",
    doc="the sign of gamma(x): gradient 0")
_op("beta", lambda g, y, a, b: (g * y * (F.digamma(a) - F.digamma(a + b)),
                                g * y * (F.digamma(b) - F.digamma(a + b))),
    arity=2, domain=("positive", "positive"), singular=True)
_op("erfcinv", lambda g, y, x: (-g * SQRT_PI_OVER_2 * F.exp(y * y),),
    domain=Domain("zero-two", lambda rng, s: rng.uniform(0.1, 1.9, size=s)), singular=True,
    doc="the inverse of erfc, on (0, 2)")


# Regularised incomplete functions: differentiable in x only.
def _gammainc_vjp(sign):
    def vjp(g, y, a, x):
        density = F.exp(special._UFUNCS["xlogy"](a - 1.0, x) - x - F.gammaln(a))
        return (no_gradient("gammainc" if sign > 0 else "gammaincc", "its shape parameter a"),
                sign * g * density)
    return vjp


_op("gammainc", _gammainc_vjp(1.0), arity=2, domain=(SHAPE, "positive"), singular=True,
    without=(0,),
    also=("scipy.stats.gamma.cdf", "scipy.stats.gamma.logcdf", "scipy.stats.chi2.cdf",
          "scipy.stats.chi2.logcdf", "scipy.stats.poisson.sf", "scipy.stats.poisson.logsf"),
    doc="the lower regularised incomplete gamma P(a, x); no gradient in a")
_op("gammaincc", _gammainc_vjp(-1.0), arity=2, domain=(SHAPE, "positive"), singular=True,
    without=(0,),
    also=("scipy.stats.gamma.sf", "scipy.stats.gamma.logsf", "scipy.stats.chi2.sf",
          "scipy.stats.chi2.logsf", "scipy.stats.poisson.cdf", "scipy.stats.poisson.logcdf"),
    doc="the upper regularised incomplete gamma Q(a, x); no gradient in a")


def _betainc_vjp(name, sign):
    def vjp(g, y, a, b, x):
        density = F.exp(special._UFUNCS["xlogy"](a - 1.0, x) + special._UFUNCS["xlog1py"](
            b - 1.0, -x) - F.gammaln(a) - F.gammaln(b) + F.gammaln(a + b))
        return (no_gradient(name, "its shape parameter a"),
                no_gradient(name, "its shape parameter b"), sign * g * density)
    return vjp


_op("betainc", _betainc_vjp("betainc", 1.0), arity=3, domain=(SHAPE, SHAPE, "probability"),
    singular=True, without=(0, 1), also=("scipy.stats.beta.cdf", "scipy.stats.beta.logcdf"),
    doc="the regularised incomplete beta I_x(a, b); no gradient in a, b")
_op("betaincc", _betainc_vjp("betaincc", -1.0), arity=3,
    domain=(SHAPE, SHAPE, "probability"), singular=True, without=(0, 1),
    also=("scipy.stats.beta.sf", "scipy.stats.beta.logsf"),
    doc="1 - betainc(a, b, x); no gradient in a, b",
    reference=False)


def _stdtr_vjp(g, df, t):
    from .stats import _t_logpdf
    return no_gradient("stdtr", "its degrees of freedom df"), g * F.exp(_t_logpdf(t, df))


_op("stdtr", lambda g, y, df, t: _stdtr_vjp(g, df, t), arity=2, domain=(SHAPE, "real"),
    without=(0,),
    also=("scipy.stats.t.cdf", "scipy.stats.t.logcdf", "scipy.stats.t.sf",
          "scipy.stats.t.logsf"),
    doc="Student's t CDF; no gradient in the degrees of freedom", reference=False)


# The count of a discrete distribution (poisson.cdf(k, mu) reads floor(k)): a step
# function of k, so no gradient flows into k (nor, then, into gammaincc's a).
register(Op(name="count_floor", arity=1, np_fn=np.floor, py_fn=None,
            spell=call(None, "np.floor"), shape_rule=elementwise_rule, differentiable=False,
            doc="floor(k) of a discrete distribution's count: no gradient"))


# -- front ends -----------------------------------------------------------------------
def _multigammaln(a, d):
    """log of the multivariate gamma function: a sum of gammaln, as SciPy defines it
    (which refuses a <= (d - 1) / 2: so do we, for constant a)."""
    if hasattr(d, "_node"):
        special._refuse(UnsupportedOperationError, "scipy.special.multigammaln with a "
                        "traced dimension d", "pass d as a constant int")
    d = int(d)
    gammaln = special._UFUNCS["gammaln"]
    total = d * (d - 1) / 4.0 * math.log(math.pi)
    for j in range(d):
        total = total + gammaln(a - j / 2.0)
    return total


UFUNCS = {name: special._ufunc(name) for name in (
    "j0", "j1", "y0", "y1", "i0", "i1", "i0e", "i1e", "gamma", "rgamma", "gammasgn", "beta",
    "erfcinv", "gammainc", "gammaincc", "betainc", "betaincc", "stdtr", "jv", "yn", "yv",
    "iv", "ive", "kv", "kve")}
FUNCTIONS = {"multigammaln": _multigammaln}


def _install():
    special._also("gammaln", "scipy.stats.chi2.logpdf", "scipy.stats.chi2.pdf")
    special._UFUNCS.update(UFUNCS)
    from . import scipy_front
    scipy_front.MORE.update(FUNCTIONS)
    for name in ("gamma", "beta", "multigammaln"):  # no longer refused
        special._ADVICE.pop(name, None)


_install()
