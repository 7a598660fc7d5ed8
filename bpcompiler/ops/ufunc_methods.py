"""A ufunc's methods on traced values: `np.add.reduce`, `np.multiply.accumulate`,
`np.logaddexp.reduce`, `np.maximum.accumulate`, `np.subtract.outer`, ...

No op of their own: each is written with ops that exist. A reduction or an
accumulation whose ufunc has a NumPy reduction of its own is that reduction (`add` is
`np.sum`, `multiply.accumulate` is `np.cumprod`, `logaddexp.reduce` is a log-sum-exp);
any other binary ufunc is folded along the axis as NumPy defines it (`r = a[0]; r =
f(r, a[1]); ...`), stacked for an accumulation. `outer(a, b)` is `f(a[..., None, ...], b)`.
(`np.add.at` is a write into an array: ops/update.py.)
"""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedOperationError
from .registry import UFUNC_METHODS
from .shape import normalize_axis

_NO_VALUE = np._NoValue  # (NumPy's marker for an `initial` not given)


def _refuse(problem: str, hint: str):
    from ..builder import current_builder
    file, line = current_builder().where()
    raise UnsupportedOperationError(problem, file=file, line=line, hint=hint)


def _plain(ufunc, method: str, dtype=None, out=None, where=True, **rest) -> None:
    if dtype is not None or out is not None or where is not True or rest:
        given = ", ".join(k for k, v in (("dtype", dtype), ("out", out)) if v is not None)
        _refuse(f"np.{ufunc.__name__}.{method} with {given or 'where='} "
                f"{', '.join(rest)}".rstrip(),
                "drop the option and cast or select the result instead")


def _log_sum_exp(a, axis, keepdims, base2=False):
    shift = np.max(a, axis=axis, keepdims=True)
    if base2:
        total = np.log2(np.sum(np.exp2(a - shift), axis=axis, keepdims=True)) + shift
    else:
        total = np.log(np.sum(np.exp(a - shift), axis=axis, keepdims=True)) + shift
    return total if keepdims else np.squeeze(total, axis=axis)


_REDUCTIONS = {
    np.add: lambda a, axis, keepdims: np.sum(a, axis=axis, keepdims=keepdims),
    np.multiply: lambda a, axis, keepdims: np.prod(a, axis=axis, keepdims=keepdims),
    np.maximum: lambda a, axis, keepdims: np.max(a, axis=axis, keepdims=keepdims),
    np.minimum: lambda a, axis, keepdims: np.min(a, axis=axis, keepdims=keepdims),
    np.fmax: lambda a, axis, keepdims: np.max(a, axis=axis, keepdims=keepdims),
    np.fmin: lambda a, axis, keepdims: np.min(a, axis=axis, keepdims=keepdims),
    np.logical_and: lambda a, axis, keepdims: np.all(a, axis=axis, keepdims=keepdims),
    np.logical_or: lambda a, axis, keepdims: np.any(a, axis=axis, keepdims=keepdims),
    np.logaddexp: lambda a, axis, keepdims: _log_sum_exp(a, axis, keepdims),
    np.logaddexp2: lambda a, axis, keepdims: _log_sum_exp(a, axis, keepdims, True),
}
_ACCUMULATIONS = {np.add: np.cumsum, np.multiply: np.cumprod}


def _reduce(ufunc, a, axis=0, dtype=None, out=None, keepdims=False, initial=_NO_VALUE,
            where=True):
    _plain(ufunc, "reduce", dtype, out, where)
    ndim = len(np.shape(a))
    if ufunc.nin != 2:
        _refuse(f"np.{ufunc.__name__}.reduce of a ufunc of {ufunc.nin} operand(s)",
                "reduce with a binary ufunc")
    axes = tuple(range(ndim)) if axis is None else normalize_axis(axis, ndim)
    if ufunc in _REDUCTIONS:
        result = _REDUCTIONS[ufunc](a, axes, bool(keepdims))
    elif len(axes) != 1:
        _refuse(f"np.{ufunc.__name__}.reduce over several axes: {ufunc.__name__} is not "
                "reorderable", "reduce one axis at a time")
    else:
        return _fold(ufunc, a, axes[0], keepdims, initial)
    return result if initial is _NO_VALUE else ufunc(initial, result)


def _fold(ufunc, a, axis: int, keepdims: bool, initial):
    """NumPy's definition: initial (or the first entry) combined with each entry in turn."""
    moved = np.moveaxis(a, axis, 0)
    n = np.shape(moved)[0]
    if n == 0 and initial is _NO_VALUE:
        _refuse(f"np.{ufunc.__name__}.reduce of an empty axis (it has no identity)",
                "pass initial=...")
    result, start = (moved[0], 1) if initial is _NO_VALUE else (initial, 0)
    for i in range(start, n):
        result = ufunc(result, moved[i])
    return np.expand_dims(result, axis) if keepdims else result


def _accumulate(ufunc, a, axis=0, dtype=None, out=None):
    _plain(ufunc, "accumulate", dtype, out)
    ndim = len(np.shape(a))
    axis = normalize_axis(axis, ndim)[0]
    if ufunc in _ACCUMULATIONS:
        return _ACCUMULATIONS[ufunc](a, axis=axis)
    moved = np.moveaxis(a, axis, 0)
    steps = [moved[0]]
    for i in range(1, np.shape(moved)[0]):
        steps.append(ufunc(steps[-1], moved[i]))
    return np.moveaxis(np.stack(steps), 0, axis)


def _outer(ufunc, a, b, **kwargs):
    _plain(ufunc, "outer", kwargs.pop("dtype", None), kwargs.pop("out", None),
           kwargs.pop("where", True), **kwargs)
    shape_a, ndim_b = np.shape(a), len(np.shape(b))
    return ufunc(np.reshape(a, tuple(shape_a) + (1,) * ndim_b), b)


UFUNC_METHODS.update(reduce=_reduce, accumulate=_accumulate, outer=_outer)
