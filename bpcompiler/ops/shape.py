"""Shape ops: reshape, transpose, broadcast, basic indexing and its adjoint, scatter; and
the front ends that are reshapes, transposes or basic slices underneath (ravel, squeeze,
expand_dims, atleast_*d, moveaxis, flip), plus np.shape/ndim/size and *_like.

Indices are kept in the graph in an encoded, hashable form (`encode_index`) so that
common-sub-expression elimination can compare them and the emitter can print them.
"""

from __future__ import annotations

import operator

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from ..graph import FLOAT_DTYPES
from .tangents import linear
from .registry import (PREC_ATOM, Expr, F, Op, array_method, evaluated_rule,
                       numpy_function, paren, register)
from . import standard


def _builder():
    from ..builder import current_builder
    return current_builder()


def _refuse(cls, problem: str, hint: str | None = None):
    file, line = _builder().where()
    raise cls(problem, file=file, line=line, hint=hint)


def normalize_axis(axis, ndim: int):
    """`None`, an int or a tuple of ints -> None or a sorted tuple of non-negative axes."""
    if axis is None:
        return None
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            _refuse(UnsupportedOperationError, f"axis must be a constant int, got {a!r}")
        if (ndim == 0 and a not in (0, -1)) or (ndim > 0 and not -ndim <= a < ndim):
            _refuse(ShapeError, f"axis {a} is out of range for an array with {ndim} dimensions",
                    f"use an axis in [-{ndim}, {ndim - 1}]" if ndim else "use axis=None")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        _refuse(ShapeError, f"axis {axis!r} repeats an axis", "name each axis once")
    return tuple(sorted(out))


def _shape_spell(name: str):
    def spell(args, params, aval):
        return Expr(f"np.{name}({args[0].text}, {params['shape']!r})", PREC_ATOM)
    return spell


# -- questions about shape that need no node --------------------------------------------
numpy_function(np.shape)(lambda a: a.shape)
numpy_function(np.ndim)(lambda a: len(a.shape))
numpy_function(np.size)(lambda a, axis=None: a.size if axis is None else a.shape[axis])
# a traced value is real (bool, int or float), so these answer from its type alone
numpy_function(np.iscomplexobj)(lambda a: False)
numpy_function(np.isrealobj)(lambda a: True)
numpy_function(np.iscomplex)(lambda a: np.zeros(a.shape, dtype=bool)[()])
numpy_function(np.isreal)(lambda a: np.ones(a.shape, dtype=bool)[()])


# -- reshape ---------------------------------------------------------------------------
register(Op(name="reshape", arity=1, np_fn=lambda x, shape: np.reshape(x, shape), py_fn=None,
            spell=_shape_spell("reshape"), shape_rule=evaluated_rule,
            array_api=standard.shaped("reshape"),
            vjp=lambda g, y, x, shape: (F.reshape(g, shape=x.shape),), jvp=linear("reshape"),
            spellings=("np.reshape", ".reshape()", "np.ravel", ".ravel()", ".flatten()",
                       "np.squeeze", ".squeeze()", "np.expand_dims", "np.atleast_1d",
                       "np.atleast_2d", "np.atleast_3d"),
            cases=((((6,),), {"shape": (2, 3)}), (((2, 3),), {"shape": (3, 2)}),
                   (((2, 3, 4),), {"shape": (4, 6)}), (((),), {"shape": (1, 1)})),
            linear_in=(0,), view=True, shape_only=True, names_as="{0}_reshaped",
            reference=lambda xp, p: lambda x: xp.reshape(x, p["shape"]), analytic=True))


def constant_shape(shape, what: str) -> tuple:
    """A user-supplied shape as a tuple of ints, or UnsupportedOperationError."""
    items = shape if isinstance(shape, (tuple, list)) else (shape,)
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in items):
        _refuse(UnsupportedOperationError, f"{what}: the shape {shape!r} is not a tuple of "
                "constant ints", "shapes must be constants, e.g. x.shape or (3, 4)")
    return tuple(int(s) for s in items)


def _resolve_shape(x, shape) -> tuple:
    shape = constant_shape(shape, "reshape")
    try:  # let NumPy resolve -1 and check the size, on a zero-strided stand-in
        return tuple(np.broadcast_to(np.bool_(0), x.shape).reshape(shape).shape)
    except ValueError:
        _refuse(ShapeError, f"cannot reshape an array of shape {x.shape} into {shape}")


@numpy_function(np.reshape)
def _np_reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if order != "C":
        _refuse(UnsupportedOperationError, f"reshape with order={order!r}",
                "only C order is supported")
    shape = newshape if shape is None else shape
    return _builder().apply("reshape", (a,), {"shape": _resolve_shape(a, shape)}, python=False)


@array_method("reshape")
def _method_reshape(self, *shape, order="C"):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return _np_reshape(self, shape, order)


# -- transpose -------------------------------------------------------------------------
def _transpose_spell(args, params, aval):
    axes = params["axes"]
    if len(axes) == 2 and axes == (1, 0):
        return Expr(f"{paren(args[0], PREC_ATOM)}.T", PREC_ATOM)
    return Expr(f"np.transpose({args[0].text}, {axes!r})", PREC_ATOM)


register(Op(name="transpose", arity=1, np_fn=lambda x, axes: np.transpose(x, axes),
            py_fn=None, spell=_transpose_spell, shape_rule=evaluated_rule,
            array_api=standard.permute,
            vjp=lambda g, y, x, axes: (F.transpose(g, axes=tuple(np.argsort(axes).tolist())),),
            jvp=linear("transpose"),
            spellings=("np.transpose", ".T", ".transpose()", "np.swapaxes", "np.moveaxis"),
            cases=((((2, 3),), {"axes": (1, 0)}), (((2, 3, 4),), {"axes": (2, 0, 1)}),
                   (((2, 3, 4),), {"axes": (0, 2, 1)})),
            linear_in=(0,), view=True, names_as="{0}_T",
            reference=lambda xp, p: lambda x: xp.transpose(x, p["axes"]), analytic=True))


@numpy_function(np.transpose)
def _np_transpose(a, axes=None):
    ndim = len(a.shape)
    if axes is None:
        axes = tuple(reversed(range(ndim)))
    axes = tuple(int(x) % max(ndim, 1) for x in axes)
    if sorted(axes) != list(range(ndim)):
        _refuse(ShapeError, f"axes {axes} are not a permutation of {ndim} dimensions")
    if axes == tuple(range(ndim)):
        return a
    return _builder().apply("transpose", (a,), {"axes": axes}, python=False)


@array_method("transpose")
def _method_transpose(self, *axes):
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    return _np_transpose(self, axes or None)


@numpy_function(np.swapaxes)
def _np_swapaxes(a, axis1, axis2):
    ndim = len(a.shape)
    axes = list(range(ndim))
    i, j = normalize_axis(axis1, ndim)[0], normalize_axis(axis2, ndim)[0]
    axes[i], axes[j] = axes[j], axes[i]
    return _np_transpose(a, tuple(axes))


# -- broadcast_to ----------------------------------------------------------------------
register(Op(name="broadcast_to", arity=1, np_fn=lambda x, shape: np.broadcast_to(x, shape),
            py_fn=None, spell=_shape_spell("broadcast_to"), shape_rule=evaluated_rule,
            array_api=standard.shaped("broadcast_to"),
            vjp=lambda g, y, x, shape: (g,),  # the driver sums g back to x's shape
            jvp=linear("broadcast_to"),
            spellings=("np.broadcast_to", "np.broadcast_arrays"),
            cases=((((),), {"shape": (3,)}), (((3,),), {"shape": (2, 3)}),
                   (((2, 1),), {"shape": (2, 4)}), (((1, 3),), {"shape": (2, 2, 3)})),
            linear_in=(0,), view=True, shape_only=True, names_as="{0}_wide",
            # (autograd cannot broadcast_to new leading dims; multiplying by ones can)
            reference=lambda xp, p: lambda x: x * xp.ones(p["shape"]), analytic=True))


@numpy_function(np.broadcast_to)
def _np_broadcast_to(array, shape, subok=False):
    shape = constant_shape(shape, "np.broadcast_to")
    return _builder().apply("broadcast_to", (array,), {"shape": shape}, python=False)


# -- basic indexing --------------------------------------------------------------------
def encode_index(index) -> tuple:
    """A basic NumPy index as a hashable tuple of ("int", k) / ("slice", a, b, c) /
    ("newaxis",) / ("ellipsis",) items."""
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for item in items:
        if isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)):
            out.append(("int", int(item)))
        elif isinstance(item, slice):
            parts = [item.start, item.stop, item.step]
            for p in parts:
                if hasattr(p, "_node"):
                    operator.index(p)  # a traced bound: the tracer says what to do
                if p is not None and not isinstance(p, (int, np.integer)):
                    _refuse(UnsupportedOperationError,
                            "a slice bound is a traced value or not an int",
                            "slice bounds must be constants")
            out.append(("slice",) + tuple(None if p is None else int(p) for p in parts))
        elif item is None:
            out.append(("newaxis",))
        elif item is Ellipsis:
            out.append(("ellipsis",))
        else:
            _refuse(UnsupportedOperationError,
                    f"indexing with {type(item).__name__} values is not supported",
                    "use basic indexing: ints, slices, None and ...")
    return tuple(out)


def decode_index(encoded: tuple) -> tuple:
    out = []
    for item in encoded:
        kind = item[0]
        out.append(item[1] if kind == "int" else slice(*item[1:]) if kind == "slice"
                   else None if kind == "newaxis" else Ellipsis)
    return tuple(out)


def format_index(encoded: tuple, args=()) -> str:
    """Source text of an encoded index; an ("array", k) item (advanced indexing, see
    indexing.py) prints operand `args[1 + k]`."""
    parts = []
    for item in encoded:
        kind = item[0]
        if kind == "array":
            parts.append(args[1 + item[1]].text)
        elif kind == "int":
            parts.append(str(item[1]))
        elif kind == "slice":
            start, stop, step = ("" if p is None else str(p) for p in item[1:])
            parts.append(f"{start}:{stop}" + (f":{step}" if step else ""))
        else:
            parts.append("None" if kind == "newaxis" else "...")
    if len(parts) == 1 and encoded[0][0] != "slice":
        return parts[0]
    return ", ".join(parts) if parts else "()"


def _getitem_spell(args, params, aval):
    return Expr(f"{paren(args[0], PREC_ATOM)}[{format_index(params['index'])}]", PREC_ATOM)


def _getitem_impl(x, index):
    return x[decode_index(index)]


register(Op(name="getitem", arity=1, np_fn=_getitem_impl, py_fn=None, spell=_getitem_spell,
            array_api=standard.basic_index,
            shape_rule=evaluated_rule,
            vjp=lambda g, y, x, index: (F.scatter(g, index=index, shape=x.shape),),
            jvp=linear("getitem"),
            spellings=("x[i]", "x[a:b:c]", "x[None]", "x[...]", "np.flip", "np.fliplr",
                       "np.flipud", "np.split", "np.array_split", "np.diff"),
            cases=((((5,),), {"index": (("int", 2),)}),
                   (((5,),), {"index": (("int", -1),)}),
                   (((6,),), {"index": (("slice", 1, None, 2),)}),
                   (((6,),), {"index": (("slice", None, None, -1),)}),
                   (((3, 4),), {"index": (("slice", None, None, None), ("int", 1))}),
                   (((3, 4),), {"index": (("ellipsis",), ("newaxis",), ("slice", 1, 3, None))}),
                   (((2, 3, 4),), {"index": (("int", 0), ("slice", None, 2, None))})),
            linear_in=(0,), view=True, names_as="{0}_part",
            reference=lambda xp, p: lambda x: x[decode_index(p["index"])], analytic=True))


@array_method("__getitem__")
def _method_getitem(self, index):
    from .indexing import advanced_getitem, is_advanced
    if is_advanced(index):
        return advanced_getitem(self, index)
    return _builder().apply("getitem", (self,), {"index": encode_index(index)}, python=False)


def flip_axis(x, axis: int):
    """x reversed along `axis` (a basic-indexing view, as np.flip is)."""
    index = (("slice", None, None, None),) * axis + (("slice", None, None, -1),)
    return F.getitem(x, index=index)


# -- scatter: the adjoint of indexing --------------------------------------------------
def _scatter_impl(g, index, shape):
    out = np.zeros(shape, dtype=np.result_type(g))
    out[decode_index(index)] = g
    return out


def _scatter_into(target, symbol, args, params):
    return f"{target}[{format_index(params['index'])}] {symbol} {args[0].text}"


def _scatter_statements(target, args, params, aval):
    return [f"{target} = np.zeros({params['shape']!r}, dtype=np.{aval.dtype})",
            f"{target}[{format_index(params['index'])}] = {args[0].text}"]


register(Op(name="scatter", arity=1, np_fn=_scatter_impl, py_fn=None, spell=None,
            statement=_scatter_statements, shape_rule=evaluated_rule,
            array_api=standard.spread,
            vjp=lambda g, y, x, index, shape: (F.getitem(g, index=index),),
            jvp=linear("scatter"),
            doc="zeros of `shape` with the operand written at `index` (adjoint of x[index])",
            cases=((((),), {"index": (("int", 2),), "shape": (5,)}),
                   (((3,),), {"index": (("slice", 1, None, 2),), "shape": (6,)}),
                   (((3,),), {"index": (("slice", None, None, None), ("int", 1)),
                              "shape": (3, 4)})),
            linear_in=(0,), accumulate=_scatter_into, names_as="{0}_spread", analytic=True))


# -- astype ----------------------------------------------------------------------------
def _astype_spell(args, params, aval):
    # np.asarray, not .astype(): the operand may be a Python scalar.
    return Expr(f"np.asarray({args[0].text}, dtype=np.{params['dtype']})", PREC_ATOM)


register(Op(name="astype", arity=1, np_fn=lambda x, dtype: np.asarray(x).astype(dtype),
            py_fn=None, spell=_astype_spell, shape_rule=evaluated_rule,
            array_api=standard.astype,
            vjp=lambda g, y, x, dtype: (
                F.astype(g, dtype=x._dtype) if x._dtype in FLOAT_DTYPES else None,),
            jvp=linear("astype"),
            spellings=(".astype()",),
            cases=((((3,),), {"dtype": "float32"}), (((2, 2),), {"dtype": "float64"})),
            linear_in=(0,), names_as="{0}_cast", analytic=True))


@array_method("astype")
def _method_astype(self, dtype, copy=True):
    try:
        name = np.dtype(dtype).name
    except TypeError:
        _refuse(UnsupportedOperationError, f".astype({dtype!r}): not a NumPy dtype",
                "cast to np.float64, np.float32, np.int64, np.int32 or bool")
    if name not in ("float64", "float32", "int64", "int32", "bool"):
        _refuse(UnsupportedOperationError, f".astype({name}) is not supported",
                "cast to float64, float32, int64, int32 or bool")
    if name == self._dtype:
        return self
    return _builder().apply("astype", (self,), {"dtype": name}, python=False)


# -- to_float: a NumPy scalar as a Python float ----------------------------------------
# Only the differentiation driver builds this: the gradient of a Python-float parameter
# is a Python float even when the function computed with NumPy scalars. (A user's
# float(x) is refused instead: it usually means "give me the number now".)
register(Op(name="to_float", arity=1, np_fn=float, py_fn=float,
            spell=lambda args, params, aval: Expr(f"float({args[0].text})", PREC_ATOM),
            shape_rule=lambda op, avals, params, python: ((), "float64"),
            array_api=standard.unchanged,
            vjp=lambda g, y, x: (g,), jvp=linear("to_float"), cases=((((),), {}),), linear_in=(0,),
            names_as="{0}_float"))


# -- to_numpy: a Python scalar as a NumPy scalar -----------------------------------------
# Built where NumPy would convert: a NumPy function applied to Python scalars only
# (np.divide(a, b) on floats gives inf at b == 0, where `a / b` raises), np.dot's
# operands (an array function: a Python float there is float64, not weak), and a
# gradient that must be a NumPy scalar because its parameter is one.
_NUMPY_SCALAR = {"float64": np.float64, "float32": np.float32, "int64": np.int64,
                 "int32": np.int32, "bool": np.bool_}
register(Op(name="to_numpy", arity=1,
            np_fn=lambda x, dtype: _NUMPY_SCALAR[dtype](x),
            py_fn=None,
            spell=lambda args, params, aval: Expr(f"np.{params['dtype']}({args[0].text})",
                                                  PREC_ATOM),
            shape_rule=lambda op, avals, params, python: ((), params["dtype"]),
            array_api=standard.unchanged,  # the standard has no NumPy scalars: 0-d arrays
            vjp=lambda g, y, x, dtype: (g,) if dtype in ("float64", "float32") else (None,),
            jvp=linear("to_numpy"), cases=((((),), {"dtype": "float64"}),), linear_in=(0,),
            names_as="{0}_np"))


# The gradient of a 0-d array parameter is a 0-d array (NumPy's arithmetic on 0-d arrays
# gives scalars); np.array copies, so the caller never receives an alias of an argument.
register(Op(name="to_array", arity=1, np_fn=lambda x, dtype: np.array(x, dtype=dtype),
            py_fn=None,
            spell=lambda args, params, aval: Expr(
                f"np.array({args[0].text}, dtype=np.{params['dtype']})", PREC_ATOM),
            shape_rule=lambda op, avals, params, python: ((), params["dtype"]),
            array_api=lambda args, params, aval: Expr(
                f"xp.asarray({args[0].text}, dtype=xp.{params['dtype']}, copy=True)", PREC_ATOM),
            # (not linear_in: a zero would become a constant, printed as a NumPy scalar)
            vjp=lambda g, y, x, dtype: (g,), jvp=linear("to_array"),
            cases=((((),), {"dtype": "float64"}),), names_as="{0}_array"))


# -- front ends that are reshapes or transposes -----------------------------------------
def flat_if_no_axis(a, axis):
    """NumPy's `axis=None` for take/repeat/sort: work on the flattened array along axis 0."""
    if axis is None:
        return _reshape(a, (int(np.prod(np.shape(a))),)), 0
    return a, axis


def _reshape(a, shape):
    shape = tuple(shape)
    if tuple(np.shape(a)) == shape:
        return a
    return _builder().apply("reshape", (a,), {"shape": shape}, python=False)


# The front ends that are reshapes, transposes or basic slices underneath; linalg.py
# reads np.moveaxis's from here.
from .shape_frontends import _np_moveaxis  # noqa: E402,F401
