"""`np.r_[...]` and `np.c_[...]` with traced values, as NumPy builds them.

NumPy's r_ and c_ turn every item into an array with np.array, which a traced value
cannot answer; inside traced code `np.r_`/`np.c_` are these stand-ins instead (see
arraylike.overrides). Without traced items they are NumPy's own. With them, each item
becomes an array as NumPy's AxisConcatenator makes it (a slice of constants is an
np.arange, or an np.linspace for a complex step; a scalar or an array gets at least
`ndmin` dimensions, the new ones placed by `trans1d`) and the items are concatenated
along the axis. A leading string directive "axis[,ndmin[,trans1d]]" is honoured; the
matrix directives "r" and "c" are refused."""

from __future__ import annotations

import numpy as np

from .errors import ShapeError, UnsupportedOperationError


def _refuse(cls, problem, hint=None):
    from .builder import current_builder
    file, line = current_builder().where()
    raise cls(problem, file=file, line=line, hint=hint)


def _traced(value) -> bool:
    from .arraylike import holds_tracer
    return holds_tracer(value)


def _slice_items(item: slice, name: str):
    if any(_traced(v) for v in (item.start, item.stop, item.step)):
        _refuse(UnsupportedOperationError, f"np.{name}[a:b:c] with traced bounds",
                "use np.linspace(start, stop, num) for traced endpoints")
    step = 1 if item.step is None else item.step
    start = 0 if item.start is None else item.start
    if isinstance(step, complex):
        return np.linspace(start, item.stop, int(abs(step)))
    return np.arange(start, item.stop, step)


def _directive(text: str, name: str):
    try:
        numbers = [int(part) for part in text.split(",")]
    except ValueError:
        numbers = None
    if not numbers or len(numbers) > 3:
        _refuse(UnsupportedOperationError, f"np.{name}[{text!r}, ...] of traced values",
                "concatenate the arrays with np.concatenate or np.stack")
    return numbers + [None] * (3 - len(numbers))


def _at_least(x, ndmin: int, trans1d: int):
    """np.array(x, ndmin=ndmin) with the original axes moved as `trans1d` says."""
    ndim = len(np.shape(x))
    if ndim >= ndmin:
        return x
    x = np.reshape(x, (1,) * (ndmin - ndim) + tuple(np.shape(x)))
    if trans1d == -1:
        return x
    k2, k1 = ndmin - ndim, trans1d if trans1d >= 0 else trans1d + ndmin - ndim + 1
    axes = list(range(ndmin))
    order = axes[:k1] + axes[k2:] + axes[k1:k2]
    return x if order == axes else np.transpose(x, order)


class AxisConcatenator:
    def __init__(self, name: str, real, axis: int, ndmin: int, trans1d: int):
        self._name, self._real = name, real
        self._defaults = (axis, ndmin, trans1d)

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        if not any(_traced(v) for v in items):
            return self._real[key]
        axis, ndmin, trans1d = self._defaults
        if items and isinstance(items[0], str):
            given = _directive(items[0], self._name)
            axis, ndmin, trans1d = (d if g is None else g for g, d in zip(
                given, (axis, ndmin, trans1d)))
            items = items[1:]
        arrays = []
        for item in items:
            if isinstance(item, str):
                _refuse(UnsupportedOperationError, f"np.{self._name} with a directive "
                        f"{item!r} after the first item", "put the directive first")
            if isinstance(item, slice):
                item = _slice_items(item, self._name)
            elif not hasattr(item, "_node"):
                from .arraylike import stacked
                item = stacked(item) if isinstance(item, (list, tuple)) else np.asarray(item)
            arrays.append(_at_least(item, ndmin, trans1d))
        if not arrays:
            _refuse(ShapeError, f"np.{self._name}[] of nothing")
        return arrays[0] if len(arrays) == 1 else np.concatenate(arrays, axis=axis)

    def __len__(self):
        return 0


_STAND_INS = {"r_": AxisConcatenator("r_", np.r_, 0, 1, -1),
              "c_": AxisConcatenator("c_", np.c_, -1, 2, 0)}


def overrides() -> dict:
    return dict(_STAND_INS)


def autograd_stand_in(value):
    """autograd.numpy's r_ and c_ (objects that call NumPy's on the raw values) -> ours."""
    cls = type(value)
    if cls.__module__.startswith("autograd.") and cls.__name__ in ("r_class", "c_class"):
        return _STAND_INS[cls.__name__[0] + "_"]
    return None
