"""Linear algebra: matrix products, trace, norms, multi_dot, cross.

`np.dot` and `.dot()` on operands of at most two dimensions are the same as `matmul`
(or `multiply` when one side is a scalar), so they trace to those ops; of more, they
are einsums (einsum.py). det, inv and solve are in inverse.py; the decompositions
(eigh, slogdet, qr, svd, eig) in decompositions.py.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from .tangents import linear, product
from .registry import (PREC_ATOM, PREC_MUL, Expr, F, Op, array_method, evaluated_rule, infix,
                       numpy_function, register)
from .einsum import _np_tensordot
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
    # Matrix-vector products as a person writes their gradients: A.T @ g, not a reshape
    # of A.T @ g as a column; outer products as a broadcast product.
    if a.ndim == 2 and b.ndim == 1:  # A @ x
        return F.reshape(g, shape=g.shape + (1,)) * b, F.matmul(_swap_last(a), g)
    if a.ndim == 1 and b.ndim == 2:  # x @ B
        return F.matmul(b, g), F.reshape(a, shape=a.shape + (1,)) * g
    if a.ndim == 1 and b.ndim == 1:  # x @ y
        return g * b, g * a
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
            array_api=infix("@", PREC_MUL),
            shape_rule=_matmul_rule, vjp=_matmul_vjp, jvp=product("matmul"),
            spellings=("@", "np.matmul", "np.dot", ".dot()", "np.vdot", "np.inner (1-d)",
                       "np.linalg.multi_dot"),
            cases=((((2, 3), (3, 4)), {}), (((3,), (3, 4)), {}), (((2, 3), (3,)), {}),
                   (((3,), (3,)), {}), (((5, 2, 3), (3, 4)), {}), (((3,), (5, 3, 2)), {}),
                   (((5, 2, 3), (5, 3, 2)), {}), (((1, 2, 3), (4, 3, 2)), {})),
            linear_in=(0, 1), reference=lambda xp, p: xp.matmul, names_as="{0}_at_{1}", analytic=True))


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
        # np.dot is an array function: it makes arrays of Python scalars, which are then
        # float64 (strong), not weak as in a ufunc: np.dot(0.5, float32 array) is float64.
        a, b = (_as_numpy(v) for v in (a, b))
        return _builder().apply("multiply", (a, b), python=False)
    if nd_a > 2 or nd_b > 2:  # sum over a's last axis and b's second-to-last
        return _np_tensordot(a, b, ((nd_a - 1,), (max(nd_b - 2, 0),)))
    return _np_matmul(a, b)


def _as_numpy(value):
    if getattr(value, "_python", False):
        b = _builder()
        return b.tracer(b.numpy_scalar(value._node))
    return np.asarray(value) if isinstance(value, (bool, int, float)) else value


array_method("dot")(_np_dot)

from .registry import NUMPY_UFUNCS  # noqa: E402  (matmul is a ufunc in NumPy 2)

NUMPY_UFUNCS[np.matmul] = _np_matmul


# -- trace ----------------------------------------------------------------------------
def _trace_vjp(g, y, x, offset):
    n, m = x.shape[0], x.shape[1]
    eye = F.eye(n=n, m=m, k=offset, dtype=x._dtype)
    extra = x.ndim - 2
    if extra:
        eye = F.reshape(eye, shape=(n, m) + (1,) * extra)
    return (F.reshape(g, shape=(1, 1) + g.shape) * eye if extra else g * eye,)


register(Op(name="eye", arity=0, np_fn=lambda n, m, k, dtype: np.eye(n, m, k, dtype=dtype),
            py_fn=None, spell=lambda args, params, aval: Expr(
                f"np.eye({params['n']}, {params['m']}, k={params['k']}, "
                f"dtype=np.{params['dtype']})", PREC_ATOM),
            shape_rule=lambda op, avals, params, python: ((params["n"], params["m"]),
                                                          params["dtype"]),
            array_api=lambda args, params, aval: Expr(
                f"xp.eye({params['n']}, {params['m']}, k={params['k']}, "
                f"dtype=xp.{params['dtype']}, device=device)", PREC_ATOM),
            differentiable=False, doc="the identity (with offset k): built by rules"))
register(Op(name="trace", arity=1, np_fn=lambda x, offset: np.trace(x, offset), py_fn=None,
            spell=lambda args, params, aval: Expr(
                f"np.trace({args[0].text}" + (f", {params['offset']})" if params["offset"]
                                              else ")"), PREC_ATOM),
            shape_rule=evaluated_rule, vjp=_trace_vjp, jvp=linear("trace"),
            spellings=("np.trace", ".trace()"),
            cases=((((3, 3),), {"offset": 0}), (((3, 4),), {"offset": 1}),
                   (((3, 3, 2),), {"offset": 0})),
            reference=lambda xp, p: lambda x: xp.trace(x, p["offset"]), analytic=True))


@numpy_function(np.trace)
def _np_trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    if (axis1, axis2) != (0, 1) or dtype is not None or out is not None:
        _refuse(UnsupportedOperationError, "np.trace with axis1=, axis2=, dtype= or out=",
                "move the axes first with np.moveaxis")
    if len(np.shape(a)) < 2:
        _refuse(ShapeError, "np.trace needs at least two dimensions")
    return _builder().apply("trace", (a,), {"offset": int(offset)}, python=False)


array_method("trace")(_np_trace)


# -- norm -----------------------------------------------------------------------------
def _norm_spell(args, params, aval):
    text = args[0].text
    axis = params["axis"]
    if axis is not None:
        text += f", axis={axis[0] if len(axis) == 1 else axis!r}"
    if params["keepdims"]:
        text += ", keepdims=True"
    return Expr(f"np.linalg.norm({text})", PREC_ATOM)


def _norm_vjp(g, y, x, axis, keepdims):
    from .reductions import _keep, _spread
    # x / |x|, taken as 0 at x = 0 (a subgradient) rather than NaN.
    yk = _keep(y, x, axis, keepdims)
    return (_spread(g, x, axis, keepdims) * x / F.where(yk == 0, 1.0, yk),)


def _norm_jvp(tangents, y, x, axis, keepdims):
    # <x / |x|, t>, 0 at x = 0 as the VJP.
    return F.sum(tangents[0] * x, axis=axis, keepdims=keepdims) / F.where(y == 0, 1.0, y)


def _norm_keywords(params):
    from .reductions import _axis_keywords
    return _axis_keywords(params)


register(Op(name="norm", arity=1,
            np_fn=lambda x, axis, keepdims: np.linalg.norm(x, axis=axis, keepdims=keepdims),
            py_fn=None, spell=_norm_spell, shape_rule=evaluated_rule, vjp=_norm_vjp, jvp=_norm_jvp,
            spellings=("np.linalg.norm",),
            doc="the 2-norm (Frobenius for matrices); its gradient at 0 is 0, not NaN; "
                "ord=1, inf, -inf and p-norms are traced as sums and maxima of abs",
            cases=((((4,),), {"axis": None, "keepdims": False}),
                   (((2, 3),), {"axis": None, "keepdims": False}),
                   (((2, 3),), {"axis": (1,), "keepdims": False}),
                   (((2, 3),), {"axis": (0,), "keepdims": True}),
                   (((2, 3, 4),), {"axis": (1, 2), "keepdims": False})),
            reference=lambda xp, p: lambda x: xp.linalg.norm(x, **_norm_keywords(p))))


@numpy_function(np.linalg.norm)
def _np_norm(x, ord=None, axis=None, keepdims=False):
    b = _builder()
    ndim = len(np.shape(x))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    axes = tuple(range(ndim)) if axis is None else tuple(int(a) % ndim for a in axis)
    normalized = None if axis is None else tuple(sorted(axes))
    if ord is None or ord == "fro" or (ord == 2 and len(axes) == 1):
        if ord == "fro" and len(axes) != 2:
            _refuse(ShapeError, "the Frobenius norm needs a matrix (two axes)")
        return b.apply("norm", (x,), {"axis": normalized, "keepdims": bool(keepdims)},
                       python=False)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    if len(axes) != 1:
        _refuse(ShapeError, f"np.linalg.norm with ord={ord!r} over {len(axes)} axes",
                "pass axis= one axis (a vector norm) or two (a matrix norm)")
    ax = {"axis": axes, "keepdims": bool(keepdims)}
    magnitude = b.apply("absolute", (x,), python=False)
    if ord == np.inf:
        return b.apply("max", (magnitude,), ax, python=False)
    if ord == -np.inf:
        return b.apply("min", (magnitude,), ax, python=False)
    if ord == 1:
        return b.apply("sum", (magnitude,), ax, python=False)
    if isinstance(ord, (int, float)) and ord > 0:
        total = b.apply("sum", (magnitude ** float(ord),), ax, python=False)
        return total ** (1.0 / float(ord))
    _refuse(UnsupportedOperationError, f"np.linalg.norm with ord={ord!r}",
            "use ord=None, 1, 2, inf, -inf or a positive p")


def _matrix_norm(x, ord, axes, keepdims):
    """The matrix norms beyond Frobenius: 2 and -2 (the largest and smallest singular
    value), 'nuc' (their sum), and 1, -1, inf, -inf (column or row sums of |x|)."""
    from .decompositions import singular_values
    from .shape import _np_moveaxis, _reshape
    if axes[0] == axes[1]:
        _refuse(ShapeError, "np.linalg.norm: the two axes of a matrix norm must differ")
    if ord in (1, -1, np.inf, -np.inf):
        rows, columns = axes if ord in (1, -1) else axes[::-1]
        sums = np.sum(abs(x), axis=rows, keepdims=True)  # (traced: the tracer dispatches)
        result = (np.max if ord > 0 else np.min)(sums, axis=columns, keepdims=True)
    elif ord in (2, -2, "nuc"):
        s = singular_values(_np_moveaxis(x, axes, (-2, -1)))
        result = s[..., 0] if ord == 2 else s[..., -1] if ord == -2 else np.sum(s, axis=-1)
        kept = [n for i, n in enumerate(np.shape(x)) if i not in axes]
        for i in sorted(axes):  # (as keepdims=True would leave it)
            kept.insert(i, 1)
        result = _reshape(result, tuple(kept))
    else:
        _refuse(UnsupportedOperationError, f"np.linalg.norm of a matrix with ord={ord!r}",
                "use ord=None or 'fro', 'nuc', 1, -1, 2, -2, inf or -inf")
    if keepdims:
        return result
    return _reshape(result, tuple(n for i, n in enumerate(np.shape(x)) if i not in axes))


# -- front ends written with the ops above ------------------------------------------------
@numpy_function(np.linalg.multi_dot)
def _np_multi_dot(arrays, *, out=None):
    if out is not None:
        _refuse(UnsupportedOperationError, "multi_dot(..., out=...) writes in place",
                "drop out= and use the returned value")
    result = arrays[0]
    for a in arrays[1:]:  # left to right: the order the user wrote
        result = _np_dot(result, a)
    return result

