"""NumPy functions that call the user's functions: `np.piecewise` and
`np.apply_along_axis`, on traced values.

No ops of their own: the user's functions are traced where NumPy would call them.
`np.piecewise(x, conds, funcs)` evaluates each function on all of x and selects with
np.where, later conditions winning as in NumPy (the where's masking keeps an untaken
branch's log or sqrt of a negative out of the gradient); `np.apply_along_axis(f, axis,
a)` calls f on each 1-d slice, as NumPy does, and stacks the results.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from ..errors import ShapeError
from .registry import numpy_function
from .shape import normalize_axis


def _refuse(cls, problem: str, hint: str):
    from ..builder import current_builder
    file, line = current_builder().where()
    raise cls(problem, file=file, line=line, hint=hint)


@numpy_function(np.piecewise)
def _np_piecewise(x, condlist, funclist, *args, **kw):
    if not isinstance(condlist, (list, tuple)) or (
            condlist and not isinstance(condlist[0], (list, tuple)) and np.ndim(condlist[0])
            < np.ndim(x)):
        condlist = [condlist]  # (one condition, as NumPy reads a bare mask)
    conditions, functions = list(condlist), list(funclist)
    if len(functions) not in (len(conditions), len(conditions) + 1):
        _refuse(ShapeError, f"np.piecewise: {len(conditions)} conditions but "
                f"{len(functions)} functions", "pass one function per condition, and "
                "optionally one more for where none holds")
    out = np.zeros_like(x)
    if len(functions) == len(conditions) + 1:  # the otherwise-function, where none holds
        none = np.logical_not(functools.reduce(np.logical_or, conditions))
        conditions, functions = [none] + conditions, [functions[-1]] + functions[:-1]
    for condition, function in zip(conditions, functions):
        value = function(x, *args, **kw) if callable(function) else function
        out = np.where(condition, value, out)
    return out


@numpy_function(np.apply_along_axis)
def _np_apply_along_axis(func1d, axis, arr, *args, **kwargs):
    shape = np.shape(arr)
    axis = normalize_axis(axis, len(shape))[0]
    others = shape[:axis] + shape[axis + 1:]
    if 0 in others:
        _refuse(ShapeError, "np.apply_along_axis over an empty array",
                "pass an array with a slice to apply the function to")
    results = []
    for index in itertools.product(*(range(n) for n in others)):
        where = index[:axis] + (slice(None),) + index[axis:]
        results.append(func1d(arr[where], *args, **kwargs))
    stacked = np.stack(results)  # (slices, *the result's shape)
    result_shape = np.shape(results[0])
    out = np.reshape(stacked, others + tuple(result_shape))
    # the result's axes take the place of `axis`, as NumPy puts them
    first = len(others) - len(shape[axis + 1:])
    order = tuple(range(first)) + tuple(range(len(others), len(others) + len(result_shape))) \
        + tuple(range(first, len(others)))
    return np.transpose(out, order)
