"""Advanced indexing, np.take, np.take_along_axis and sort.

`gather` is NumPy's advanced indexing `x[i, 1:3, j]`: its operands are the array and
the integer index arrays (traced int arguments or constants the function closes over),
and its `index` param is a basic index (see shape.encode_index) in which `("array", k)`
stands for index operand k. Its adjoint `scatter_add` writes with `np.add.at`, so an
index that repeats accumulates its gradient, as the chain rule requires.

A boolean mask that is a constant becomes the integer indices of its True entries at
compile time. A mask computed from traced values selects a number of elements that is
only known at run time, so it is refused with advice (np.where keeps the shape).

sort's gradient follows the permutation: d x[perm[j]] += d y[j], with perm the stable
argsort, as in JAX (tied elements each get the gradient of the output slot they land in).
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from .tangents import linear
from .registry import (PREC_ATOM, Expr, F, Op, array_method, dtype_name, numpy_function, paren,
                       register)
from . import standard
from .shape import (_builder, _refuse, _reshape, encode_index, flat_if_no_axis, format_index,
                    normalize_axis)


def _is_tracer(value) -> bool:
    return hasattr(value, "_node") and hasattr(value, "_builder")


def is_advanced(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, (list, np.ndarray)) or _is_tracer(i) for i in items)


def _index_item_text(item, args) -> str:
    """One index item as Python source inside a tuple (for np.add.at)."""
    kind = item[0]
    if kind == "array":
        return args[1 + item[1]].text
    if kind == "int":
        return str(item[1])
    if kind == "slice":
        return f"slice({item[1]!r}, {item[2]!r}, {item[3]!r})"
    return "None" if kind == "newaxis" else "..."


def decode(encoded, arrays) -> tuple:
    out = []
    for item in encoded:
        kind = item[0]
        out.append(arrays[item[1]] if kind == "array" else item[1] if kind == "int"
                   else slice(*item[1:]) if kind == "slice"
                   else None if kind == "newaxis" else Ellipsis)
    return tuple(out)


def _gather_rule(op, avals, params, python):
    x = np.broadcast_to(np.ones((), dtype=avals[0].dtype), avals[0].shape)
    arrays = [np.zeros(a.shape, dtype=np.int64) for a in avals[1:]]
    try:
        result = x[decode(params["index"], arrays)]
    except (IndexError, ValueError) as exc:
        raise ShapeError(f"cannot index an array of shape {avals[0].shape} this way: {exc}")
    return tuple(result.shape), dtype_name(result)


def _scatter_add_rule(op, avals, params, python):
    return tuple(params["shape"]), avals[0].dtype


def _gather_impl(x, *arrays, index):
    return np.asarray(x)[decode(index, arrays)]


def _scatter_add_impl(g, *arrays, index, shape):
    out = np.zeros(shape, dtype=np.result_type(g))
    np.add.at(out, decode(index, arrays), g)
    return out


def _scatter_add_statements(target, args, params, aval):
    items = [_index_item_text(item, args) for item in params["index"]]
    index = f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    return [f"{target} = np.zeros({params['shape']!r}, dtype=np.{aval.dtype})",
            f"np.add.at({target}, {index}, {args[0].text})"]


def _scattered(xp, g, slots, size, shape):
    """A reference scatter-add written as a product with a 0/1 matrix (differentiable in
    any array namespace): `slots` holds, for each element of g, its flat target."""
    onehot = (np.reshape(slots, (-1, 1)) == np.arange(size)).astype(np.float64)
    return xp.reshape(xp.reshape(g, (-1,)) @ onehot, shape)


def _scatter_add_reference(xp, params):
    shape = params["shape"]
    size = int(np.prod(shape))
    return lambda g, *arrays: _scattered(xp, g, np.arange(size).reshape(shape)[decode(
        params["index"], [np.asarray(a) for a in arrays])], size, shape)


def _add_along_axis_reference(xp, params):
    shape = params["shape"]
    size = int(np.prod(shape))
    return lambda g, idx: _scattered(xp, g, np.take_along_axis(
        np.arange(size).reshape(shape), np.asarray(idx), params["axis"]), size, shape)


_I3 = (("array", 0),)
register(Op(name="gather", arity=-1, np_fn=_gather_impl, py_fn=None,
            spell=lambda args, params, aval: Expr(
                f"{paren(args[0], PREC_ATOM)}[{format_index(params['index'], args)}]", PREC_ATOM),
            shape_rule=_gather_rule,
            vjp=lambda g, y, x, *arrays, index: (
                F.scatter_add(g, *arrays, index=index, shape=x.shape),) + (None,) * len(arrays),
            jvp=linear("gather"),
            spellings=("x[int_array]", "x[bool_mask]", "np.take", "np.diagonal", ".diagonal()",
                       "np.diag (2-d)"),
            domain=("real", "index", "index"),
            reference=lambda xp, p: lambda x, *arrays: x[decode(
                p["index"], [np.asarray(a) for a in arrays])],
            cases=((((5,), (4,)), {"index": _I3}), (((4, 3), (2, 3)), {"index": _I3}),
                   (((3, 4), (5,)), {"index": (("slice", None, None, None), ("array", 0))}),
                   (((3, 4), (2,), (2,)), {"index": (("array", 0), ("array", 1))})), analytic=True))

register(Op(name="scatter_add", arity=-1, np_fn=_scatter_add_impl, py_fn=None, spell=None,
            statement=_scatter_add_statements, shape_rule=_scatter_add_rule,
            vjp=lambda g, y, c, *arrays, index, shape: (
                F.gather(g, *arrays, index=index),) + (None,) * len(arrays),
            jvp=linear("scatter_add"),
            domain=("real", "index", "index"), reference=_scatter_add_reference,
            doc="zeros of `shape` plus the operand added at `index` with np.add.at "
                "(the adjoint of advanced indexing: repeated indices accumulate)",
            cases=((((4,), (4,)), {"index": _I3, "shape": (5,)}),
                   (((5, 2), (5,)), {"index": (("array", 0), ("slice", 1, None, None)),
                                     "shape": (4, 3)})), analytic=True))


def advanced_getitem(x, index):
    """x[index] for an index with integer arrays or constant boolean masks."""
    items = index if isinstance(index, tuple) else (index,)
    encoded, arrays = [], []
    for item in items:
        if isinstance(item, list):
            item = np.asarray(item)
        if _is_tracer(item):
            if item._dtype == "bool":
                _refuse(UnsupportedOperationError,
                        "indexing with a boolean mask computed from traced values: the "
                        "result's size depends on the values",
                        "keep the shape: np.sum(np.where(mask, x, 0.0)) instead of "
                        "np.sum(x[mask])")
            if item._dtype not in ("int64", "int32"):
                _refuse(UnsupportedOperationError, f"indexing with a {item._dtype} array",
                        "index with integers")
            encoded.append(("array", len(arrays)))
            arrays.append(item)
        elif isinstance(item, np.ndarray):
            if item.dtype == bool:
                for part in np.nonzero(item):
                    encoded.append(("array", len(arrays)))
                    arrays.append(part.astype(np.int64))
            elif item.dtype.kind in "iu":
                encoded.append(("array", len(arrays)))
                arrays.append(np.asarray(item, dtype=np.int64))  # the same object: keeps its name
            else:
                _refuse(UnsupportedOperationError, f"indexing with a {item.dtype} array",
                        "index with integers")
        else:
            encoded.extend(encode_index((item,)))
    return _builder().apply("gather", (x, *arrays), {"index": tuple(encoded)}, python=False)


@numpy_function(np.take)
def _np_take(a, indices, axis=None, out=None, mode=None):
    if out is not None or mode not in (None, "raise"):
        _refuse(UnsupportedOperationError, "np.take with out= or mode=",
                "drop the argument; indices must be in range")
    a, axis = flat_if_no_axis(a, axis)
    axis = normalize_axis(axis, len(np.shape(a)))[0]
    if isinstance(indices, (int, np.integer)):
        return a[(slice(None),) * axis + (int(indices),)]
    if not _is_tracer(indices):
        indices = np.asarray(indices)
    return advanced_getitem(a, (slice(None),) * axis + (indices,))


array_method("take")(_np_take)


# -- take_along_axis and its adjoint --------------------------------------------------
def _along(idx, axis: int, ndim: int) -> str:
    """The advanced index equivalent to take_along_axis(., idx, axis), as source text."""
    if ndim == 1:
        return f"({idx},)"
    before = f"np.indices({idx}.shape, sparse=True)[:{axis}] + " if axis else ""
    after = f" + np.indices({idx}.shape, sparse=True)[{axis + 1}:]" if axis < ndim - 1 else ""
    return f"{before}({idx},){after}"


def _add_along_axis_impl(g, idx, axis, shape):
    out = np.zeros(shape, dtype=np.result_type(g))
    sparse = np.indices(idx.shape, sparse=True)
    np.add.at(out, sparse[:axis] + (idx,) + sparse[axis + 1:], g)
    return out


def _add_along_axis_statements(target, args, params, aval):
    return [f"{target} = np.zeros({params['shape']!r}, dtype=np.{aval.dtype})",
            f"np.add.at({target}, {_along(args[1].text, params['axis'], len(params['shape']))}, "
            f"{args[0].text})"]


def _along_rule(op, avals, params, python):
    x, idx = avals[0], avals[1]
    axis = params["axis"]
    if len(x.shape) != len(idx.shape) or any(
            a != b for i, (a, b) in enumerate(zip(x.shape, idx.shape)) if i != axis):
        raise ShapeError(f"take_along_axis: indices of shape {idx.shape} do not match an "
                         f"array of shape {x.shape} outside axis {axis}",
                         hint="give the indices the array's shape except along the axis")
    return tuple(idx.shape), x.dtype


_ALONG_CASES = ((((5,), (5,)), {"axis": 0}), (((2, 4), (2, 4)), {"axis": 1}),
                (((3, 4), (3, 4)), {"axis": 0}))
register(Op(name="take_along_axis", arity=2,
            np_fn=lambda x, idx, axis: np.take_along_axis(x, idx, axis), py_fn=None,
            spell=lambda args, params, aval: Expr(
                f"np.take_along_axis({args[0].text}, {args[1].text}, axis={params['axis']})",
                PREC_ATOM),
            shape_rule=_along_rule,
            vjp=lambda g, y, x, idx, axis: (
                F.add_along_axis(g, idx, axis=axis, shape=x.shape), None),
            jvp=linear("take_along_axis"),
            spellings=("np.take_along_axis",), domain=("real", "perm"), cases=_ALONG_CASES,
            array_api=standard.along_axis("take_along_axis"),
            reference=lambda xp, p: lambda x, i: xp.take_along_axis(x, i, axis=p["axis"]),
            analytic=True))
register(Op(name="add_along_axis", arity=2, np_fn=_add_along_axis_impl, py_fn=None,
            spell=None, statement=_add_along_axis_statements,
            shape_rule=lambda op, avals, params, python: (tuple(params["shape"]),
                                                          avals[0].dtype),
            vjp=lambda g, y, c, idx, axis, shape: (F.take_along_axis(g, idx, axis=axis), None),
            jvp=linear("add_along_axis"),
            domain=("real", "perm"), reference=_add_along_axis_reference,
            doc="zeros of `shape` plus the operand added along `axis` at `idx` "
                "(the adjoint of take_along_axis)",
            cases=tuple((shapes, dict(params, shape=shapes[0])) for shapes, params
                        in _ALONG_CASES), analytic=True))


@numpy_function(np.take_along_axis)
def _np_take_along_axis(arr, indices, axis=-1):
    if axis is None:
        arr = _reshape(arr, (int(np.prod(np.shape(arr))),))
        axis = 0
    axis = normalize_axis(axis, len(np.shape(arr)))[0]
    return _builder().apply("take_along_axis", (arr, indices), {"axis": axis}, python=False)


# -- sort and argsort -----------------------------------------------------------------
def _axis_spell(name: str, stable: bool = False):
    def spell(args, params, aval):
        kind = ', kind="stable"' if stable else ""
        return Expr(f"np.{name}({args[0].text}, axis={params['axis']}{kind})", PREC_ATOM)
    return spell


register(Op(name="argsort", arity=1,
            np_fn=lambda x, axis: np.argsort(x, axis=axis, kind="stable"), py_fn=None,
            spell=_axis_spell("argsort", stable=True),
            array_api=standard.along_axis("argsort", stable=True),
            shape_rule=lambda op, avals, params, python: (avals[0].shape, "int64"),
            differentiable=False, spellings=("np.argsort", ".argsort()"),
            doc="stable: ties keep their order, so results do not depend on the algorithm"))
register(Op(name="sort", arity=1, np_fn=lambda x, axis: np.sort(x, axis=axis), py_fn=None,
            spell=_axis_spell("sort"), array_api=standard.along_axis("sort"),
            shape_rule=lambda op, avals, params, python: (avals[0].shape, avals[0].dtype),
            vjp=lambda g, y, x, axis: (
                F.add_along_axis(g, F.argsort(x, axis=axis), axis=axis, shape=x.shape),),
            jvp=lambda ts, y, x, axis: F.take_along_axis(ts[0], F.argsort(x, axis=axis),
                                                         axis=axis),
            spellings=("np.sort",),
            doc="the gradient follows the stable sorting permutation, as in JAX",
            cases=((((5,),), {"axis": 0}), (((3, 4),), {"axis": 1}), (((3, 4),), {"axis": 0})),
            reference=lambda xp, p: lambda x: xp.sort(x, axis=p["axis"])))


def _sort_frontend(name: str):
    def traced(a, axis=-1, kind=None, order=None, *, stable=None):
        if order is not None:
            _refuse(UnsupportedOperationError, f"np.{name} with order=",
                    "structured arrays are not supported")
        a, axis = flat_if_no_axis(a, axis)
        if len(np.shape(a)) == 0:
            _refuse(ShapeError, f"np.{name} of a scalar", "sort an array")
        axis = normalize_axis(axis, len(np.shape(a)))[0]
        return _builder().apply(name, (a,), {"axis": axis}, python=False)
    return traced


numpy_function(np.sort)(_sort_frontend("sort"))
numpy_function(np.argsort)(_sort_frontend("argsort"))
array_method("argsort")(_sort_frontend("argsort"))


# -- diagonals: advanced indexing with constant aranges ---------------------------------
@numpy_function(np.diagonal)
def _np_diagonal(a, offset=0, axis1=0, axis2=1):
    """NumPy's diagonal over any two axes: they are removed and the diagonal is the
    last axis of the result (a transpose to put them last, then two index arrays)."""
    ndim = len(np.shape(a))
    if ndim < 2:
        _refuse(ShapeError, "np.diagonal needs at least two dimensions")
    axes = (normalize_axis(axis1, ndim)[0], normalize_axis(axis2, ndim)[0])
    if axes[0] == axes[1]:
        _refuse(ShapeError, "np.diagonal: axis1 and axis2 cannot be the same axis")
    rest = tuple(i for i in range(ndim) if i not in axes)
    if rest + axes != tuple(range(ndim)):
        a = np.transpose(a, rest + axes)
    n, m = np.shape(a)[-2:]
    k = int(offset)
    rows = np.arange(max(0, -k), max(0, min(n, m - k)), dtype=np.int64)
    cols = rows + k if k else rows
    names = _builder().constant_names
    names[id(rows)] = "diag_rows" if k else "diag"
    names[id(cols)] = "diag_cols" if k else "diag"
    try:
        return advanced_getitem(a, (Ellipsis, rows, cols))
    finally:  # the ids are only valid while the arrays live
        names.pop(id(rows), None)
        names.pop(id(cols), None)


array_method("diagonal")(_np_diagonal)


@numpy_function(np.diag)
def _np_diag(v, k=0):
    """A 2-d v: its k-th diagonal. A 1-d v: the square matrix with v on its k-th
    diagonal, v times the identity padded by |k| rows and columns."""
    ndim = len(np.shape(v))
    if ndim == 2:
        return _np_diagonal(v, k)
    if ndim != 1:
        _refuse(ShapeError, f"np.diag takes a 1-d or 2-d array, not {ndim}-d",
                "use np.diagonal (any axes) for a stack of matrices")
    k = int(k)
    n = np.shape(v)[0]
    b = _builder()
    eye = b.tracer(b.constant(np.eye(n, dtype=v.dtype)))
    square = v * eye  # row i of eye picks v[i] on the diagonal
    if k == 0:
        return square
    width = ((0, k), (k, 0)) if k > 0 else ((-k, 0), (0, -k))
    return np.pad(square, width)


# In-place ndarray methods: refused with the functional spelling to use instead.
def _in_place(method: str, instead: str):
    def refuse(self, *args, **kwargs):
        _refuse(UnsupportedOperationError, f".{method}() changes a traced array in place",
                f"use the returned value of {instead}")
    return refuse


for _method, _instead in (("sort", "x = np.sort(x)"), ("fill", "np.full_like(x, value)"),
                          ("put", "np.where(mask, values, x)"),
                          ("resize", "np.reshape or np.pad")):
    array_method(_method)(_in_place(_method, _instead))
