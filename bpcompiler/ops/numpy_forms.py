"""NumPy functions in every form NumPy allows: np.cross (2- and 3-vectors, axisa/axisb/
axisc/axis, broadcasting), and np.partition (an op: its gradient follows argpartition's
permutation, as sort's follows argsort's) with np.argpartition as an index; np.any and
np.all (masks), np.rollaxis and np.real_if_close (of real values).

np.cross is a composition of products and a stack, written component by component as
NumPy defines it (this definition replaces the 3-vector-only one in linalg.py, which is
imported before this module)."""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from .registry import (Expr, F, Op, PREC_ATOM, array_method, evaluated_rule, numpy_function,
                       register)
from .reductions import _reduction_spell
from .shape import normalize_axis


def _builder():
    from ..builder import current_builder
    return current_builder()


def _refuse(cls, problem, hint=None):
    file, line = _builder().where()
    raise cls(problem, file=file, line=line, hint=hint)


# -- np.cross -----------------------------------------------------------------------------
def _vectors_last(v, axis, name):
    ndim = len(np.shape(v))
    if ndim == 0:
        _refuse(ShapeError, f"np.cross: {name} is a scalar", "pass arrays of 2- or 3-vectors")
    ax = normalize_axis(axis, ndim)[0]
    if ax != ndim - 1:
        v = np.moveaxis(v, ax, -1)
    if np.shape(v)[-1] not in (2, 3):
        _refuse(ShapeError, f"np.cross: the vectors of {name} have {np.shape(v)[-1]} "
                "components (along the vector axis)", "pass 2- or 3-vectors")
    return v


@numpy_function(np.cross)
def _np_cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """NumPy's definition: a 2-vector is a 3-vector with z = 0, and two 2-vectors give
    the z component alone (so axisc does not apply)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _vectors_last(a, axisa, "a"), _vectors_last(b, axisb, "b")
    x = [a[..., i] for i in range(np.shape(a)[-1])]
    y = [b[..., i] for i in range(np.shape(b)[-1])]
    z = x[0] * y[1] - x[1] * y[0]
    if len(x) == 2 and len(y) == 2:
        return z
    if len(x) == 2:
        parts = [x[1] * y[2], -(x[0] * y[2]), z]
    elif len(y) == 2:
        parts = [-(x[2] * y[1]), x[2] * y[0], z]
    else:
        parts = [x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], z]
    shape = tuple(np.broadcast_shapes(*(np.shape(p) for p in parts)))
    parts = [p if tuple(np.shape(p)) == shape else np.broadcast_to(p, shape) for p in parts]
    out = np.stack(parts, axis=-1)
    c = normalize_axis(axisc, len(shape) + 1)[0]
    return out if c == len(shape) else np.moveaxis(out, -1, c)


# -- np.partition and np.argpartition -------------------------------------------------------
def _kth_spell(name):
    def spell(args, params, aval):
        kth = params["kth"]
        kth = kth[0] if len(kth) == 1 else list(kth)
        return Expr(f"np.{name}({args[0].text}, {kth!r}, axis={params['axis']})", PREC_ATOM)
    return spell


register(Op(name="argpartition", arity=1,
            np_fn=lambda x, kth, axis: np.argpartition(x, list(kth), axis=axis), py_fn=None,
            spell=_kth_spell("argpartition"),
            shape_rule=lambda op, avals, params, python: (avals[0].shape, "int64"),
            differentiable=False, spellings=("np.argpartition", ".argpartition()"),
            doc="indices that partition x around the kth elements"))
register(Op(name="partition", arity=1,
            np_fn=lambda x, kth, axis: np.partition(x, list(kth), axis=axis), py_fn=None,
            spell=_kth_spell("partition"),
            shape_rule=lambda op, avals, params, python: (avals[0].shape, avals[0].dtype),
            vjp=lambda g, y, x, kth, axis: (F.add_along_axis(
                g, F.argpartition(x, kth=kth, axis=axis), axis=axis, shape=x.shape),),
            jvp=lambda ts, y, x, kth, axis: F.take_along_axis(
                ts[0], F.argpartition(x, kth=kth, axis=axis), axis=axis),
            spellings=("np.partition",),
            doc="the gradient follows the permutation np.argpartition gives (NumPy's "
                "partition and argpartition place the elements alike)",
            cases=((((7,),), {"kth": (3,), "axis": 0}), (((3, 5),), {"kth": (0, 4), "axis": 1}),
                   (((4, 3),), {"kth": (1,), "axis": 0}))))


def _kth_frontend(name):
    def traced(a, kth, axis=-1, kind="introselect", order=None):
        if order is not None:
            _refuse(UnsupportedOperationError, f"np.{name} with order=",
                    "structured arrays are not supported")
        if hasattr(kth, "_node"):
            _refuse(UnsupportedOperationError, f"np.{name} with a traced kth",
                    "pass kth as a constant int or sequence of ints")
        if axis is None:
            a, axis = np.reshape(a, (-1,)), 0
        ndim = len(np.shape(a))
        if ndim == 0:
            _refuse(ShapeError, f"np.{name} of a scalar", "partition an array")
        axis = normalize_axis(axis, ndim)[0]
        n = np.shape(a)[axis]
        kths = tuple(int(k) for k in np.atleast_1d(np.asarray(kth)))
        if any(not -n <= k < n for k in kths):
            _refuse(ShapeError, f"np.{name}: kth {kth!r} is out of range for {n} elements")
        kths = tuple(sorted(k % n for k in kths))
        return _builder().apply(name, (a,), {"kth": kths, "axis": axis}, python=False)
    return traced


numpy_function(np.partition)(_kth_frontend("partition"))
numpy_function(np.argpartition)(_kth_frontend("argpartition"))
array_method("argpartition")(_kth_frontend("argpartition"))


def _partition_in_place(self, *args, **kwargs):
    _refuse(UnsupportedOperationError, ".partition() changes a traced array in place",
            "use the returned value of x = np.partition(x, kth)")


array_method("partition")(_partition_in_place)


# -- np.triu / np.tril ---------------------------------------------------------------------
def _triangle(keep):
    def traced(m, k=0):
        shape = np.shape(m)
        if len(shape) == 0:
            _refuse(ShapeError, f"np.{keep.__name__} of a scalar", "pass a vector or a matrix")
        # As NumPy: a 1-d m of length n is the (n, n) matrix whose rows are all m.
        square = shape[-2:] if len(shape) > 1 else (shape[0], shape[0])
        mask = keep(np.ones(square, dtype=bool), int(k))
        b = _builder()
        # x * mask, written as where so that inf/NaN entries outside the triangle vanish
        return b.apply("where", (mask, m, 0.0), python=False)
    return traced


numpy_function(np.triu)(_triangle(np.triu))
numpy_function(np.tril)(_triangle(np.tril))


# -- np.any / np.all (masks: no gradient), np.rollaxis, np.real_if_close ---------------------
def _truth_frontend(name):
    def traced(a, axis=None, out=None, keepdims=False, *, where=None):
        if out is not None or where is not None:
            _refuse(UnsupportedOperationError, f"np.{name} with out= or where=",
                    "reduce the mask itself: np.{name}(mask & other)")
        ndim = len(np.shape(a))
        axis = normalize_axis(axis, ndim) if ndim else None
        return _builder().apply(name, (a,), {"axis": axis, "keepdims": bool(keepdims)},
                                python=False)
    return traced


for _name, _fn in (("any", np.any), ("all", np.all)):
    register(Op(name=_name, arity=1,
                np_fn=(lambda fn: lambda x, axis, keepdims: fn(x, axis=axis,
                                                               keepdims=keepdims))(_fn),
                py_fn=None, spell=_reduction_spell(_name),
                shape_rule=lambda op, avals, params, python: _truth_shape(avals[0], params),
                differentiable=False, spellings=(f"np.{_name}", f".{_name}()"),
                doc="a boolean reduction: no gradient"))
    numpy_function(_fn)(_truth_frontend(_name))
    array_method(_name)(_truth_frontend(_name))


def _truth_shape(aval, params):
    axis, shape = params["axis"], aval.shape
    axes = range(len(shape)) if axis is None else axis
    if params["keepdims"]:
        return tuple(1 if i in axes else n for i, n in enumerate(shape)), "bool"
    return tuple(n for i, n in enumerate(shape) if i not in axes), "bool"


@numpy_function(np.rollaxis)
def _np_rollaxis(a, axis, start=0):
    """NumPy's rollaxis: `axis` moved to before position `start`, a moveaxis."""
    ndim = len(np.shape(a))
    axis = normalize_axis(axis, ndim)[0]
    start = int(start) + (ndim if start < 0 else 0)
    if not 0 <= start <= ndim:
        _refuse(ShapeError, f"np.rollaxis: start {start} is out of range for {ndim} dims")
    if axis < start:
        start -= 1
    return a if axis == start else np.moveaxis(a, axis, start)


@numpy_function(np.real_if_close)
def _np_real_if_close(a, tol=100):
    return a  # a real array is returned as it is


def _listed():
    from .special import _also
    _also("transpose", "np.rollaxis")
    _also("getitem", "np.real_if_close")


_listed()


# -- np.isclose / np.allclose (tests: no gradient; `assert np.allclose(...)` is a guard) -----
_CLOSE_DEFAULTS = {"rtol": 1e-05, "atol": 1e-08, "equal_nan": False}


def _close_spell(name):
    def spell(args, params, aval):
        options = "".join(f", {k}={params[k]!r}" for k, v in _CLOSE_DEFAULTS.items()
                          if params[k] != v)
        return Expr(f"np.{name}({args[0].text}, {args[1].text}{options})", PREC_ATOM)
    return spell


def _close_frontend(name):
    def traced(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
        params = {"rtol": float(rtol), "atol": float(atol), "equal_nan": bool(equal_nan)}
        return _builder().apply(name, (a, b), params, python=False)
    return traced


for _name, _fn in (("isclose", np.isclose), ("allclose", np.allclose)):
    register(Op(name=_name, arity=2,
                np_fn=(lambda fn: lambda a, b, rtol, atol, equal_nan: np.bool_(fn(
                    a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
                    if fn is np.allclose else fn(a, b, rtol=rtol, atol=atol,
                                                 equal_nan=equal_nan))(_fn),
                py_fn=None, spell=_close_spell(_name), shape_rule=evaluated_rule,
                differentiable=False, spellings=(f"np.{_name}",),
                doc="a closeness test: no gradient"))
    numpy_function(_fn)(_close_frontend(_name))
