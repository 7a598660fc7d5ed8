"""Reductions: sum and mean over constant axes, with keepdims."""

from __future__ import annotations

import numpy as np

from .registry import PREC_ATOM, Expr, F, Op, array_method, evaluated_rule, numpy_function, register
from .shape import _builder, normalize_axis


def _reduction_spell(name: str):
    def spell(args, params, aval):
        axis = params["axis"]
        text = args[0].text
        if axis is not None:
            text += f", axis={axis[0] if len(axis) == 1 else axis!r}"
        if params["keepdims"]:
            text += ", keepdims=True"
        return Expr(f"np.{name}({text})", PREC_ATOM)
    return spell


def kept_shape(shape: tuple, axis) -> tuple:
    """The shape of a reduction over `axis` with keepdims=True."""
    axes = range(len(shape)) if axis is None else axis
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(g, x, axis, keepdims):
    """Broadcast a reduction's output gradient back over the reduced axes."""
    if not keepdims:
        g = F.reshape(g, shape=kept_shape(x.shape, axis))
    return F.broadcast_to(g, shape=x.shape)


def _count(shape, axis) -> int:
    axes = range(len(shape)) if axis is None else axis
    return int(np.prod([shape[i] for i in axes], dtype=np.int64))


_CASES = tuple(((shape,), {"axis": axis, "keepdims": keep})
               for shape, axis in [((4,), None), ((4,), (0,)), ((2, 3), (1,)), ((2, 3), (0,)),
                                   ((2, 3, 4), (0, 2)), ((2, 3), None), ((), None)]
               for keep in (False, True))

register(Op(name="sum", arity=1, np_fn=lambda x, axis, keepdims: np.sum(x, axis, keepdims=keepdims),
            py_fn=None, spell=_reduction_spell("sum"), shape_rule=evaluated_rule,
            vjp=lambda g, y, x, axis, keepdims: (_spread(g, x, axis, keepdims),),
            spellings=("np.sum", ".sum()"), cases=_CASES))
register(Op(name="mean", arity=1,
            np_fn=lambda x, axis, keepdims: np.mean(x, axis, keepdims=keepdims),
            py_fn=None, spell=_reduction_spell("mean"), shape_rule=evaluated_rule,
            vjp=lambda g, y, x, axis, keepdims: (
                _spread(g / float(_count(x.shape, axis)), x, axis, keepdims),),
            spellings=("np.mean", ".mean()"), cases=_CASES))


def _reduction_frontend(name: str):
    def traced(a, axis=None, dtype=None, out=None, keepdims=False, **rest):
        from ..errors import UnsupportedOperationError
        from .shape import _refuse
        if dtype is not None or out is not None or rest:
            _refuse(UnsupportedOperationError,
                    f"np.{name} with dtype=, out=, initial= or where= is not supported",
                    "drop the argument, or cast with .astype() before reducing")
        axis = normalize_axis(axis, len(a.shape))
        return _builder().apply(name, (a,), {"axis": axis, "keepdims": bool(keepdims)},
                                python=False)
    return traced


numpy_function(np.sum)(_reduction_frontend("sum"))
numpy_function(np.mean)(_reduction_frontend("mean"))
array_method("sum")(_reduction_frontend("sum"))
array_method("mean")(_reduction_frontend("mean"))
