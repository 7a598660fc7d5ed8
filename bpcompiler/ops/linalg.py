"""Linear algebra: matrix products.

`np.dot` and `.dot()` on operands of at most two dimensions are the same as `matmul`
(or `multiply` when one side is a scalar), so they trace to those ops.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from .registry import PREC_MUL, F, Op, array_method, infix, numpy_function, register
from .shape import _builder, _refuse


def _matmul_rule(op, avals, params, python):
    a, b = avals
    if not a.shape or not b.shape:
        raise ShapeError("matmul (@) does not take scalars", hint="use * for scalars")
    a2 = a.shape if len(a.shape) > 1 else (1,) + a.shape
    b2 = b.shape if len(b.shape) > 1 else b.shape + (1,)
    if a2[-1] != b2[-2]:
        raise ShapeError(f"matmul (@): shapes {a.shape} and {b.shape} do not align "
                         f"({a2[-1]} != {b2[-2]})",
                         hint="check the operand order, or transpose one operand with .T")
    try:
        batch = tuple(np.broadcast_shapes(a2[:-2], b2[:-2]))
    except ValueError:
        raise ShapeError(f"matmul (@): batch dimensions of {a.shape} and {b.shape} "
                         "do not broadcast")
    shape = batch + (a2[-2],) * (len(a.shape) > 1) + (b2[-1],) * (len(b.shape) > 1)
    return shape, np.result_type(np.dtype(a.dtype), np.dtype(b.dtype)).name


def _matmul_vjp(g, y, a, b):
    # Treat 1-D operands as a row (left) or column (right) matrix, then use the 2-D rules;
    # the driver sums any broadcast batch dimensions away.
    a2 = a if a.ndim > 1 else F.reshape(a, shape=(1,) + a.shape)
    b2 = b if b.ndim > 1 else F.reshape(b, shape=b.shape + (1,))
    g2_shape = y.shape
    if a.ndim == 1:
        g2_shape = g2_shape[:-1] + (1, g2_shape[-1]) if b.ndim > 1 else g2_shape + (1,)
    if b.ndim == 1:
        g2_shape = g2_shape + (1,)
    g2 = g if g2_shape == g.shape else F.reshape(g, shape=g2_shape)
    da = F.matmul(g2, _swap_last(b2))
    db = F.matmul(_swap_last(a2), g2)
    if a.ndim == 1:
        da = F.reshape(da, shape=da.shape[:-2] + (da.shape[-1],))
    if b.ndim == 1:
        db = F.reshape(db, shape=db.shape[:-1])
    return da, db


def _swap_last(x):
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return F.transpose(x, axes=tuple(axes))


register(Op(name="matmul", arity=2, np_fn=np.matmul, py_fn=None, spell=infix("@", PREC_MUL),
            shape_rule=_matmul_rule, vjp=_matmul_vjp,
            spellings=("@", "np.matmul", "np.dot", ".dot()"),
            cases=((((2, 3), (3, 4)), {}), (((3,), (3, 4)), {}), (((2, 3), (3,)), {}),
                   (((3,), (3,)), {}), (((5, 2, 3), (3, 4)), {}), (((3,), (5, 3, 2)), {}),
                   (((5, 2, 3), (5, 3, 2)), {}), (((1, 2, 3), (4, 3, 2)), {}))))


def _np_matmul(a, b, **kwargs):
    if kwargs:
        _refuse(UnsupportedOperationError, f"np.matmul with {sorted(kwargs)} is not supported")
    return _builder().apply("matmul", (a, b), python=False)


def _ndim(value) -> int:
    # np.ndim/np.shape would dispatch back to the tracer; read the attribute instead.
    return len(value.shape) if hasattr(value, "shape") else 0


@numpy_function(np.dot)
def _np_dot(a, b, out=None):
    if out is not None:
        _refuse(UnsupportedOperationError, "np.dot(..., out=...) writes in place",
                "drop out= and use the returned value")
    nd_a, nd_b = _ndim(a), _ndim(b)
    if nd_a == 0 or nd_b == 0:
        return _builder().apply("multiply", (a, b), python=False)
    if nd_a > 2 or nd_b > 2:
        _refuse(UnsupportedOperationError, "np.dot of arrays with more than two dimensions",
                "use np.matmul (@) for stacks of matrices")
    return _np_matmul(a, b)


array_method("dot")(_np_dot)

from .registry import NUMPY_UFUNCS  # noqa: E402  (matmul is a ufunc in NumPy 2)

NUMPY_UFUNCS[np.matmul] = _np_matmul
