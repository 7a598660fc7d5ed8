"""Ops that join, split, repeat and pad arrays: concatenate, stack, tile, repeat, pad,
and the front ends that lower to them (hstack, vstack, split, array_split).

Each adjoint is the obvious inverse: a slice of the cotangent for concatenate, stack
and pad; a reshape and a sum for tile and repeat. `np.split` is lowered at trace time
into one basic slice per piece, so a multi-output function becomes several
single-output nodes.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from .tangents import linear
from .registry import PREC_ATOM, Expr, F, Op, array_method, evaluated_rule, numpy_function, register
from . import standard
from .shape import _builder, _refuse, _reshape, flat_if_no_axis, normalize_axis

FULL = ("slice", None, None, None)


def _sequence_spell(name: str):
    def spell(args, params, aval):
        items = ", ".join(a.text for a in args)
        items = f"({items},)" if len(args) == 1 else f"({items})"
        axis = params["axis"]
        return Expr(f"np.{name}({items}" + (f", axis={axis})" if axis else ")"), PREC_ATOM)
    return spell


# -- concatenate ------------------------------------------------------------------------
def _concatenate_vjp(g, y, *xs, axis):
    out, start = [], 0
    for x in xs:
        stop = start + x.shape[axis]
        out.append(F.getitem(g, index=(FULL,) * axis + (("slice", start, stop, None),)))
        start = stop
    return tuple(out)


register(Op(name="concatenate", arity=-1,
            np_fn=lambda *xs, axis: np.concatenate(xs, axis=axis), py_fn=None,
            spell=_sequence_spell("concatenate"), shape_rule=evaluated_rule,
            array_api=standard.sequence("concat"),
            vjp=_concatenate_vjp, jvp=linear("concatenate"),
            spellings=("np.concatenate", "np.hstack", "np.vstack", "np.column_stack",
                       "np.append"),
            cases=((((3,), (2,)), {"axis": 0}), (((2, 3), (2, 1), (2, 2)), {"axis": 1}),
                   (((1, 3), (2, 3)), {"axis": 0})),
            reference=lambda xp, p: lambda *xs: xp.concatenate(xs, axis=p["axis"]), analytic=True))


def _sequence(arrays, name):
    if not isinstance(arrays, (list, tuple)) or not arrays:
        _refuse(UnsupportedOperationError, f"np.{name} needs a list or tuple of arrays",
                "pass a list, e.g. np.concatenate([a, b])")
    return list(arrays)


@numpy_function(np.concatenate)
def _np_concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    arrays = _sequence(arrays, "concatenate")
    if out is not None or dtype is not None:
        _refuse(UnsupportedOperationError, "np.concatenate with out= or dtype=",
                "drop the argument and cast with .astype()")
    if axis is None:
        arrays = [_reshape(a, (int(np.prod(np.shape(a))),)) for a in arrays]
        axis = 0
    ndim = len(np.shape(arrays[0]))
    if ndim == 0:
        _refuse(ShapeError, "np.concatenate cannot join 0-d arrays", "use np.stack")
    axis = normalize_axis(axis, ndim)[0]
    if len(arrays) == 1:
        return arrays[0]
    return _builder().apply("concatenate", tuple(arrays), {"axis": axis}, python=False)


@numpy_function(np.append)
def _np_append(arr, values, axis=None):
    """NumPy's append: both flattened without an axis, else joined along it."""
    if axis is None:
        arr, values = (_reshape(a, (int(np.prod(np.shape(a))),)) for a in (arr, values))
        axis = 0
    return _np_concatenate([arr, values], axis=axis)


@numpy_function(np.hstack)
def _np_hstack(tup, *, dtype=None, casting="same_kind"):
    arrays = [a if len(np.shape(a)) else _reshape(a, (1,)) for a in _sequence(tup, "hstack")]
    return _np_concatenate(arrays, axis=0 if len(np.shape(arrays[0])) == 1 else 1)


@numpy_function(np.vstack)
def _np_vstack(tup, *, dtype=None, casting="same_kind"):
    arrays = [a if len(np.shape(a)) >= 2 else _reshape(a, (1, int(np.prod(np.shape(a)))))
              for a in _sequence(tup, "vstack")]
    return _np_concatenate(arrays, axis=0)


@numpy_function(np.column_stack)
def _np_column_stack(tup):
    arrays = [a if len(np.shape(a)) >= 2 else _reshape(a, (int(np.prod(np.shape(a))), 1))
              for a in _sequence(tup, "column_stack")]
    return _np_concatenate(arrays, axis=1)


# -- stack ------------------------------------------------------------------------------
register(Op(name="stack", arity=-1, np_fn=lambda *xs, axis: np.stack(xs, axis=axis),
            py_fn=None, spell=_sequence_spell("stack"), shape_rule=evaluated_rule,
            array_api=standard.sequence("stack"),
            vjp=lambda g, y, *xs, axis: tuple(
                F.getitem(g, index=(FULL,) * axis + (("int", i),)) for i in range(len(xs))),
            jvp=linear("stack"),
            spellings=("np.stack",),
            cases=((((), ()), {"axis": 0}), (((3,), (3,), (3,)), {"axis": 0}),
                   (((2, 3), (2, 3)), {"axis": 2}), (((2, 3), (2, 3)), {"axis": 1})),
            reference=lambda xp, p: lambda *xs: xp.stack(xs, axis=p["axis"]), analytic=True))


@numpy_function(np.stack)
def _np_stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    arrays = _sequence(arrays, "stack")
    if out is not None or dtype is not None:
        _refuse(UnsupportedOperationError, "np.stack with out= or dtype=",
                "drop the argument and cast with .astype()")
    shapes = {tuple(np.shape(a)) for a in arrays}
    if len(shapes) > 1:
        _refuse(ShapeError, f"np.stack needs arrays of one shape, got {sorted(shapes)}")
    axis = normalize_axis(axis, len(np.shape(arrays[0])) + 1)[0]
    return _builder().apply("stack", tuple(arrays), {"axis": axis}, python=False)


# -- split: several basic slices --------------------------------------------------------
def _split(ary, indices_or_sections, axis, name, even):
    shape = np.shape(ary)
    axis = normalize_axis(axis, len(shape))[0]
    n = shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0 or (even and n % k):
            _refuse(ShapeError, f"np.{name}: an axis of length {n} does not split into {k} "
                                "equal parts", "use np.array_split or a list of indices")
        size, extra = divmod(n, k)
        bounds = np.cumsum([0] + [size + 1] * extra + [size] * (k - extra)).tolist()
    else:
        bounds = [0] + [min(max(int(i) + (n if i < 0 else 0), 0), n)
                        for i in indices_or_sections] + [n]
    return [_builder().apply("getitem", (ary,), {
        "index": (FULL,) * axis + (("slice", a, max(a, b), None),)}, python=False)
        for a, b in zip(bounds[:-1], bounds[1:])]


@numpy_function(np.split)
def _np_split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, "split", True)


@numpy_function(np.array_split)
def _np_array_split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, "array_split", False)


# -- tile -------------------------------------------------------------------------------
def _tile_layout(shape, reps):
    d = max(len(shape), len(reps))
    shape = (1,) * (d - len(shape)) + tuple(shape)
    reps = (1,) * (d - len(reps)) + tuple(reps)
    return shape, reps


def _tile_vjp(g, y, x, reps):
    shape, reps = _tile_layout(x.shape, reps)
    interleaved = tuple(n for pair in zip(reps, shape) for n in pair)
    summed = F.sum(F.reshape(g, shape=interleaved), axis=tuple(range(0, 2 * len(shape), 2)),
                   keepdims=False)
    return (summed,)  # the driver reshapes (1, ..., n) back to x's shape


register(Op(name="tile", arity=1, np_fn=lambda x, reps: np.tile(x, reps), py_fn=None,
            spell=lambda args, params, aval: Expr(
                f"np.tile({args[0].text}, {params['reps']!r})", PREC_ATOM),
            array_api=lambda args, params, aval: Expr(
                f"xp.tile({args[0].text}, {params['reps']!r})", PREC_ATOM),
            shape_rule=evaluated_rule, vjp=_tile_vjp, jvp=linear("tile"), spellings=("np.tile",),
            cases=((((3,),), {"reps": (2,)}), (((2, 3),), {"reps": (2, 1)}),
                   (((3,),), {"reps": (2, 2)}), (((2, 1, 3),), {"reps": (2,)}),
                   (((),), {"reps": (3,)})),
            reference=lambda xp, p: lambda x: xp.tile(x, p["reps"]), analytic=True))


@numpy_function(np.tile)
def _np_tile(A, reps):
    reps = tuple(int(r) for r in (reps if isinstance(reps, (tuple, list)) else (reps,)))
    return _builder().apply("tile", (A,), {"reps": reps}, python=False)


# -- repeat -----------------------------------------------------------------------------
def _repeat_vjp(g, y, x, repeats, axis):
    shape = x.shape[:axis] + (x.shape[axis], repeats) + x.shape[axis + 1:]
    return (F.sum(F.reshape(g, shape=shape), axis=(axis + 1,), keepdims=False),)


register(Op(name="repeat", arity=1,
            np_fn=lambda x, repeats, axis: np.repeat(x, repeats, axis), py_fn=None,
            spell=lambda args, params, aval: Expr(
                f"np.repeat({args[0].text}, {params['repeats']}, axis={params['axis']})",
                PREC_ATOM),
            array_api=lambda args, params, aval: Expr(
                f"xp.repeat({args[0].text}, {params['repeats']}, axis={params['axis']})",
                PREC_ATOM),
            shape_rule=evaluated_rule, vjp=_repeat_vjp, jvp=linear("repeat"),
            spellings=("np.repeat", ".repeat()"),
            cases=((((3,),), {"repeats": 2, "axis": 0}), (((2, 3),), {"repeats": 3, "axis": 1}),
                   (((2, 3),), {"repeats": 2, "axis": 0})),
            reference=lambda xp, p: lambda x: xp.repeat(x, p["repeats"], axis=p["axis"]), analytic=True))


@numpy_function(np.repeat)
def _np_repeat(a, repeats, axis=None):
    if not isinstance(repeats, (int, np.integer)):
        _refuse(UnsupportedOperationError, "np.repeat with a list of repeat counts",
                "repeat by one constant count, or concatenate the pieces")
    a, axis = flat_if_no_axis(a, axis)
    axis = normalize_axis(axis, len(np.shape(a)))[0]
    return _builder().apply("repeat", (a,), {"repeats": int(repeats), "axis": axis},
                            python=False)


array_method("repeat")(lambda self, repeats, axis=None: _np_repeat(self, repeats, axis))


# -- pad (constant mode) ----------------------------------------------------------------
def _pad_spell(args, params, aval):
    value = params["constant_values"]
    extra = f", constant_values={value!r}" if value != 0 else ""
    return Expr(f"np.pad({args[0].text}, {params['pad_width']!r}{extra})", PREC_ATOM)


def _pad_jvp(tangents, y, x, pad_width, constant_values):
    # The padding is constant: its tangent is zero.
    return F.pad(tangents[0], pad_width=pad_width, constant_values=0.0)


def _pad_vjp(g, y, x, pad_width, constant_values):
    return (F.getitem(g, index=tuple(("slice", a, a + n, None)
                                     for (a, _), n in zip(pad_width, x.shape))),)


register(Op(name="pad", arity=1,
            np_fn=lambda x, pad_width, constant_values: np.pad(
                x, pad_width, constant_values=np.asarray(constant_values, dtype=np.result_type(x))),
            py_fn=None, spell=_pad_spell, shape_rule=evaluated_rule, vjp=_pad_vjp, jvp=_pad_jvp,
            spellings=("np.pad",),
            cases=((((3,),), {"pad_width": ((1, 2),), "constant_values": 0.0}),
                   (((2, 3),), {"pad_width": ((0, 1), (2, 0)), "constant_values": 1.5})),
            reference=lambda xp, p: lambda x: xp.pad(
                x, p["pad_width"], mode="constant", constant_values=p["constant_values"]), analytic=True))


@numpy_function(np.pad)
def _np_pad(array, pad_width, mode="constant", **kwargs):
    if mode != "constant" or set(kwargs) - {"constant_values"}:
        _refuse(UnsupportedOperationError, f"np.pad with mode={mode!r} is not supported",
                "use mode='constant' (the default)")
    value = kwargs.get("constant_values", 0)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        _refuse(UnsupportedOperationError, "np.pad with per-axis or traced constant_values",
                "pad with one constant and add the values separately")
    ndim = len(np.shape(array))
    if ndim == 0:  # NumPy pads a 0-d value by nothing: a 0-d array of it
        return array if not array._python else _builder().apply(
            "to_array", (array,), {"dtype": array._dtype}, python=False)
    width = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (ndim, 2))
    width = tuple((int(a), int(b)) for a, b in width)
    return _builder().apply("pad", (array,), {"pad_width": width,
                                             "constant_values": float(value)}, python=False)


@numpy_function(np.diff)
def _np_diff(a, n=1, axis=-1, prepend=None, append=None):
    """np.diff as slices: x[1:] - x[:-1], n times, along `axis`."""
    if prepend is not None or append is not None:
        _refuse(UnsupportedOperationError, "np.diff with prepend= or append=",
                "concatenate the values first with np.concatenate")
    axis = normalize_axis(axis, len(np.shape(a)))[0]
    for _ in range(int(n)):
        head = (FULL,) * axis + (("slice", 1, None, None),)
        tail = (FULL,) * axis + (("slice", None, -1, None),)
        b = _builder()
        a = b.apply("subtract", (b.apply("getitem", (a,), {"index": head}, python=False),
                                 b.apply("getitem", (a,), {"index": tail}, python=False)),
                    python=False)
    return a
