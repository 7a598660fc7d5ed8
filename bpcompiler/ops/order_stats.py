"""Order statistics of traced values: `np.median`, `np.quantile`, `np.percentile`; and
positions in a sorted table: `np.searchsorted` (an index) and `np.interp`.

No op of their own: the values are sorted (np.sort, whose gradient follows each value
to where it came from) and the entries at the quantile's position read and
interpolated as NumPy's method says (`linear` by default: a + (b - a) t between the
two neighbours). The gradient therefore goes to the one or two entries the result is
made of, as JAX's does. The quantiles themselves must be constants.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import UnsupportedOperationError
from .registry import (PREC_ATOM, UNSUPPORTED, Expr, Op, evaluated_rule, numpy_function,
                       register)
from .shape import normalize_axis

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _refuse(problem: str, hint: str):
    from ..builder import current_builder
    file, line = current_builder().where()
    raise UnsupportedOperationError(problem, file=file, line=line, hint=hint)


def _quantiles(q, name: str, scale: float) -> np.ndarray:
    """The quantiles in [0, 1] (`q / scale`), which must be constants."""
    from ..tracer import _NOT_CONSTANT, Tracer
    if isinstance(q, Tracer) and q._concrete() is not _NOT_CONSTANT:
        q = q._concrete()
    if isinstance(q, Tracer) or (isinstance(q, (list, tuple)) and
                                 any(isinstance(v, Tracer) for v in q)):
        _refuse(f"np.{name} at a traced quantile", "pass the quantiles as constants")
    q = np.asarray(q, dtype=np.float64) / scale
    if q.ndim > 1 or np.any((q < 0) | (q > 1)) or not np.all(np.isfinite(q)):
        _refuse(f"np.{name}: the quantiles must be a number or a vector of numbers in "
                f"[0, {scale:g}]", "pass valid quantiles")
    return q


def _at(sorted_, position: float, method: str):
    """The quantile at `position` (in [0, n - 1]) of the values sorted along axis 0."""
    lo, hi = math.floor(position), math.ceil(position)
    t = position - lo
    if method == "lower" or (method == "nearest" and _nearest_is_lower(lo, t)):
        return sorted_[lo]
    if method in ("higher", "nearest"):
        return sorted_[hi]
    if lo == hi:
        return sorted_[lo]
    a, b = sorted_[lo], sorted_[hi]
    if method == "midpoint":
        return (a + b) * 0.5
    # NumPy's lerp: from the nearer end, so t = 1 gives b exactly
    return a + (b - a) * t if t < 0.5 else b - (b - a) * (1.0 - t)


def _nearest_is_lower(lo: int, t: float) -> bool:
    return t < 0.5 or (t == 0.5 and lo % 2 == 0)  # (NumPy rounds half to even)


def _quantile(name, a, q, axis=None, out=None, overwrite_input=False, method="linear",
              keepdims=False, *, weights=None, interpolation=None, scale=1.0):
    if out is not None or weights is not None or interpolation is not None:
        _refuse(f"np.{name} with out=, weights= or interpolation=",
                "drop the option (method= chooses the interpolation)")
    if method not in _METHODS:
        _refuse(f"np.{name}(method={method!r})", f"use one of {', '.join(_METHODS)}")
    qs = _quantiles(q, name, scale)
    ndim = len(np.shape(a))
    if axis is None:
        values, axes = np.reshape(a, (-1,)), (0,)
    else:
        axes = normalize_axis(axis, ndim)
        values = np.moveaxis(a, axes, tuple(range(len(axes))))
        values = np.reshape(values, (-1,) + tuple(np.shape(values)[len(axes):]))
    n = np.shape(values)[0]
    if n == 0:
        _refuse(f"np.{name} of no values", "pass a non-empty array")
    sorted_ = np.sort(values, axis=0)
    results = [_at(sorted_, float(p) * (n - 1), method) for p in np.ravel(qs)]
    result = results[0] if qs.ndim == 0 else np.stack(results)
    if keepdims:
        kept = tuple(1 if (axis is None or i in axes) else s
                     for i, s in enumerate(np.shape(a)))
        result = np.reshape(result, np.shape(qs) + kept)
    return result


@numpy_function(np.quantile)
def _np_quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                 keepdims=False, **options):
    return _quantile("quantile", a, q, axis, out, overwrite_input, method, keepdims,
                     **options)


@numpy_function(np.percentile)
def _np_percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                   keepdims=False, **options):
    return _quantile("percentile", a, q, axis, out, overwrite_input, method, keepdims,
                     scale=100.0, **options)


@numpy_function(np.median)
def _np_median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return _quantile("median", a, 0.5, axis, out, overwrite_input, "linear", keepdims)


for _fn in (np.median, np.percentile, np.quantile):
    UNSUPPORTED.pop(_fn, None)  # (listed as refused before they were written)


# -- np.searchsorted (no gradient) and np.interp, written with it ---------------------------
def _searchsorted_spell(args, params, aval):
    side = ", side='right'" if params["side"] == "right" else ""
    return Expr(f"np.searchsorted({args[0].text}, {args[1].text}{side})", PREC_ATOM)


register(Op(name="searchsorted", arity=2,
            np_fn=lambda a, v, side: np.searchsorted(a, v, side=side), py_fn=None,
            spell=_searchsorted_spell, shape_rule=evaluated_rule, differentiable=False,
            spellings=("np.searchsorted",),
            doc="where values would go in a sorted vector: an index, no gradient"))


@numpy_function(np.searchsorted)
def _np_searchsorted(a, v, side="left", sorter=None):
    if sorter is not None or side not in ("left", "right"):
        _refuse("np.searchsorted with sorter= or an unknown side",
                "sort the vector first (np.sort) and pass side='left' or 'right'")
    if len(np.shape(a)) != 1:
        _refuse("np.searchsorted into an array that is not a vector", "pass a 1-d array")
    from ..builder import current_builder
    return current_builder().apply("searchsorted", (a, v), {"side": side}, python=False)


@numpy_function(np.interp)
def _np_interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation, as NumPy defines it: the segment of xp holding x
    (an index, no gradient), the straight line between its ends, and fp's first and last
    values (or `left`, `right`) outside xp. The gradient is the segment's slope in x, and
    the line's two weights in fp (and in xp, when xp is traced)."""
    from ..builder import current_builder
    if period is not None:
        _refuse("np.interp with period=", "reduce x into one period with np.mod first")
    b = current_builder()
    xp, fp = (b.tracer(b.constant(np.asarray(v, dtype=np.float64))) if not
              hasattr(v, "_node") else v for v in (xp, fp))
    m = np.shape(xp)[0] if np.shape(xp) else 0
    if len(np.shape(xp)) != 1 or np.shape(fp) != np.shape(xp) or m == 0:
        _refuse("np.interp: xp and fp must be vectors of one length, not empty",
                "pass the table as two 1-d arrays of the same length")
    if m == 1:
        value = np.zeros_like(x * 1.0) + fp[0]
    else:
        i = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, m - 2)
        x0, x1, f0, f1 = xp[i], xp[i + 1], fp[i], fp[i + 1]
        value = f0 + (x - x0) / (x1 - x0) * (f1 - f0)
    value = np.where(x < xp[0], fp[0] if left is None else left, value)
    return np.where(x > xp[m - 1], fp[m - 1] if right is None else right, value)


UNSUPPORTED.pop(np.interp, None)
