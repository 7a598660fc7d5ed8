"""numpy.polynomial with traced values: `polyval`, `chebval`, `hermval`, `hermeval`,
`legval`, `lagval` and the series classes (`Polynomial(c)(x)`, `Chebyshev(c)(x)`, ...).

NumPy's own implementations convert their arguments to arrays first, which a traced
value refuses; here each series is summed along its basis' three-term recurrence
(P_{k+1} = (a_k x + b_k) P_k - c_k P_{k-1}), written with ordinary arithmetic, so the
gradient with respect to x and to the coefficients comes from the registered ops. The
instrumenter (instrument.py) substitutes these for NumPy's while tracing.
"""

from __future__ import annotations

import numpy as np
import numpy.polynomial as npoly

from .arraylike import holds_tracer

# basis -> (P0(x), P1(x), step(k, x, p_k, p_km1) -> P_{k+1})
_BASES = {
    "cheb": (lambda x: 1.0, lambda x: x, lambda k, x, p, q: 2.0 * x * p - q),
    "herm": (lambda x: 1.0, lambda x: 2.0 * x, lambda k, x, p, q: 2.0 * x * p - 2.0 * k * q),
    "herme": (lambda x: 1.0, lambda x: x, lambda k, x, p, q: x * p - k * q),
    "leg": (lambda x: 1.0, lambda x: x,
            lambda k, x, p, q: ((2.0 * k + 1.0) * x * p - k * q) / (k + 1.0)),
    "lag": (lambda x: 1.0, lambda x: 1.0 - x,
            lambda k, x, p, q: ((2.0 * k + 1.0 - x) * p - k * q) / (k + 1.0)),
}


def _coefficients(c):
    if hasattr(c, "_node"):
        if c.ndim != 1:
            from .builder import current_builder
            from .errors import UnsupportedOperationError
            file, line = current_builder().where()
            raise UnsupportedOperationError("a polynomial with a multi-dimensional "
                                            "coefficient array", file=file, line=line,
                                            hint="evaluate each column separately")
        return [c[i] for i in range(c.shape[0])]
    if isinstance(c, (list, tuple)) and holds_tracer(c):
        return list(c)
    return [float(v) for v in np.atleast_1d(np.asarray(c, dtype=float))]


def _zero_like(x):
    return x * 0.0


def power_series(x, c):
    """sum c[k] x**k by Horner's rule."""
    c = _coefficients(c)
    result = c[-1] + _zero_like(x)
    for coefficient in reversed(c[:-1]):
        result = result * x + coefficient
    return result


def _series(basis):
    first, second, step = _BASES[basis]

    def value(x, c, tensor=True):
        c = _coefficients(c)
        p_prev, p = first(x), second(x)
        total = c[0] * p_prev + _zero_like(x)
        for k in range(1, len(c)):
            total = total + c[k] * p
            p_prev, p = p, step(k, x, p, p_prev)
        return total
    return value


def _polyval(x, c, tensor=True):
    return power_series(x, c)


VALUES = {npoly.polynomial.polyval: _polyval, npoly.chebyshev.chebval: _series("cheb"),
          npoly.hermite.hermval: _series("herm"), npoly.hermite_e.hermeval: _series("herme"),
          npoly.legendre.legval: _series("leg"), npoly.laguerre.lagval: _series("lag")}
_CLASS_VALUES = {npoly.Polynomial: _polyval, npoly.Chebyshev: _series("cheb"),
                 npoly.Hermite: _series("herm"), npoly.HermiteE: _series("herme"),
                 npoly.Legendre: _series("leg"), npoly.Laguerre: _series("lag")}


def _traced_or_real(real, traced):
    def call(*args, **kwargs):
        if holds_tracer(list(args) + list(kwargs.values())):
            return traced(*args, **kwargs)
        return real(*args, **kwargs)
    call.__name__ = real.__name__
    return call


class Series:
    """Stands for a numpy.polynomial series object: calling it with a traced value maps
    x from the series' domain to its window and sums the series; all else is NumPy's."""

    def __init__(self, real):
        self._real = real

    def __call__(self, x):
        if not holds_tracer([x]):
            return self._real(x)
        off, scl = self._real.mapparms()
        return _CLASS_VALUES[type(self._real)](off + scl * x, self._real.coef)

    def __getattr__(self, name):
        return getattr(self._real, name)


def substitute(value):
    """The traced stand-in for a numpy.polynomial function, class or series, or None."""
    if value in VALUES if _hashable(value) else False:
        return _traced_or_real(value, VALUES[value])
    if isinstance(value, type) and value in _CLASS_VALUES:
        return lambda *args, **kwargs: Series(value(*args, **kwargs))
    if type(value) in _CLASS_VALUES:
        return Series(value)
    return None


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _listed():
    from .ops.special import _also
    _also("multiply", "np.polynomial.polynomial.polyval", "np.polynomial.chebyshev.chebval",
          "np.polynomial.hermite.hermval", "np.polynomial.hermite_e.hermeval",
          "np.polynomial.legendre.legval", "np.polynomial.laguerre.lagval",
          "np.polynomial.Polynomial(c)(x) (and Chebyshev, Hermite, ...)")


_listed()
