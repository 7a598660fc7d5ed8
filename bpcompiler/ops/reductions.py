"""Reductions over constant axes (sum, mean, prod, max, min, var, std, with keepdims),
cumulative sums and products, and argmax/argmin (integer results, no gradient).

Axes are normalised by the front ends to None or a sorted tuple of non-negative ints,
so `axis=-1`, `axis=(0, 2)` and `axis=2` of a 3-D array reach the ops alike."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from .tangents import linear
from .registry import PREC_ATOM, Expr, F, Op, array_method, evaluated_rule, numpy_function, register
from . import standard
from .shape import _builder, _refuse, flip_axis, normalize_axis


def _reduction_spell(name: str):
    def spell(args, params, aval):
        axis = params["axis"]
        text = args[0].text
        # (the one axis of a vector is every axis: `np.sum(d_z)`, as a person writes it)
        whole_vector = axis is not None and len(axis) == 1 and aval.shape == () \
            and not params["keepdims"]
        if axis is not None and not whole_vector:
            text += f", axis={axis[0] if len(axis) == 1 else axis!r}"
        if params.get("ddof"):
            text += f", ddof={params['ddof']!r}"
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


_AXES = [((4,), None), ((4,), (0,)), ((2, 3), (1,)), ((2, 3), (0,)), ((2, 3, 4), (0, 2)),
         ((2, 3, 4), (1, 2)), ((2, 1, 3), (1,)), ((2, 3), None), ((), None)]
_CASES = tuple(((shape,), {"axis": axis, "keepdims": keep})
               for shape, axis in _AXES for keep in (False, True))

register(Op(name="sum", arity=1, np_fn=lambda x, axis, keepdims: np.sum(x, axis, keepdims=keepdims),
            py_fn=None, spell=_reduction_spell("sum"), shape_rule=evaluated_rule,
            array_api=standard.reduction("sum"),
            vjp=lambda g, y, x, axis, keepdims: (_spread(g, x, axis, keepdims),),
            jvp=linear("sum"),
            spellings=("np.sum", ".sum()"), cases=_CASES, linear_in=(0,), takes_keepdims=True,
            reference=lambda xp, p: lambda x: xp.sum(x, **_axis_keywords(p)), analytic=True))
register(Op(name="mean", arity=1,  # np.average lowers to sums (see _np_average)
            np_fn=lambda x, axis, keepdims: np.mean(x, axis, keepdims=keepdims),
            py_fn=None, spell=_reduction_spell("mean"), shape_rule=evaluated_rule,
            array_api=standard.reduction("mean"),
            vjp=lambda g, y, x, axis, keepdims: (
                _spread(g / float(_count(x.shape, axis)), x, axis, keepdims),),
            jvp=linear("mean"),
            spellings=("np.mean", ".mean()", "np.average"), cases=_CASES, linear_in=(0,),
            takes_keepdims=True,
            reference=lambda xp, p: lambda x: xp.mean(x, **_axis_keywords(p)), analytic=True))




def _keep(y, x, axis, keepdims):
    """A reduction's output `y` with the reduced axes kept (size 1), to broadcast over x."""
    return y if keepdims else F.reshape(y, shape=kept_shape(x.shape, axis))


def _extremum_vjp(g, y, x, axis, keepdims):
    # Every element equal to the extremum shares the gradient evenly, as in JAX.
    hit = F.astype(F.equal(x, _keep(y, x, axis, keepdims)), dtype=x._dtype)
    count = F.sum(hit, axis=axis, keepdims=True)
    return (_spread(g, x, axis, keepdims) * hit / count,)


def _extremum_jvp(tangents, y, x, axis, keepdims):
    # The mean of the tangents at the elements equal to the extremum (ties split).
    hit = F.astype(F.equal(x, _keep(y, x, axis, keepdims)), dtype=x._dtype)
    count = F.sum(hit, axis=axis, keepdims=keepdims)
    return F.sum(tangents[0] * hit, axis=axis, keepdims=keepdims) / count


def _to_last(x, axis):
    """x with the `axis` tuple moved to the end and flattened into one: (rest..., n)."""
    axes = tuple(range(x.ndim)) if axis is None else axis
    rest = tuple(i for i in range(x.ndim) if i not in axes)
    perm = rest + tuple(axes)
    moved = F.transpose(x, axes=perm) if perm != tuple(range(x.ndim)) else x
    n = _count(x.shape, axis)
    return F.reshape(moved, shape=tuple(x.shape[i] for i in rest) + (n,)), perm


def _exclusive_cumprod(x2):
    """Products of the elements strictly before each one along the last axis."""
    width = ((0, 0),) * (x2.ndim - 1) + ((1, 0),)
    last = (("ellipsis",), ("slice", None, -1, None))
    return F.pad(F.getitem(F.cumprod(x2, axis=x2.ndim - 1), index=last), pad_width=width,
                 constant_values=1.0)


def _prod_vjp(g, y, x, axis, keepdims):
    if x.ndim == 0:
        return (g,)
    return (_spread(g, x, axis, keepdims) * _others(x, axis),)


def _prod_jvp(tangents, y, x, axis, keepdims):
    if x.ndim == 0:
        return tangents[0]
    return F.sum(tangents[0] * _others(x, axis), axis=axis, keepdims=keepdims)


def _others(x, axis):
    # d prod / d x_i = product of all the other elements, from prefix and suffix products:
    # exact where x has zeros (unlike y / x_i), in O(n).
    x2, perm = _to_last(x, axis)
    before = _exclusive_cumprod(x2)
    after = flip_axis(_exclusive_cumprod(flip_axis(x2, x2.ndim - 1)), x2.ndim - 1)
    others = before * after
    moved_shape = tuple(x.shape[i] for i in perm)
    others = F.reshape(others, shape=moved_shape)
    if perm != tuple(range(x.ndim)):
        others = F.transpose(others, axes=tuple(np.argsort(perm).tolist()))
    return others


def _divisor(x, axis, ddof) -> float:
    # NumPy divides by N - ddof, giving inf/NaN when that is <= 0: so does the gradient.
    n = float(_count(x.shape, axis) - ddof)
    return n if n > 0 else math.nan


def _var_vjp(g, y, x, axis, keepdims, ddof):
    n = _divisor(x, axis, ddof)
    centred = x - F.mean(x, axis=axis, keepdims=True)
    return (_spread(g, x, axis, keepdims) * centred * (2.0 / n),)


def _var_jvp(tangents, y, x, axis, keepdims, ddof):
    centred = x - F.mean(x, axis=axis, keepdims=True)
    n = _divisor(x, axis, ddof)
    return F.sum(tangents[0] * centred, axis=axis, keepdims=keepdims) * (2.0 / n)


def _std_vjp(g, y, x, axis, keepdims, ddof):
    # Where every element is equal the std is 0 and not differentiable; the rule gives
    # 0 there (a subgradient) rather than NaN.
    n = _divisor(x, axis, ddof)
    centred = x - F.mean(x, axis=axis, keepdims=True)
    yk = _keep(y, x, axis, keepdims)
    safe = F.where(yk == 0, 1.0, yk)
    return (_spread(g, x, axis, keepdims) * centred / (safe * n),)


def _std_jvp(tangents, y, x, axis, keepdims, ddof):
    # 0 where the std is 0, as the VJP.
    centred = x - F.mean(x, axis=axis, keepdims=True)
    safe = F.where(y == 0, 1.0, y)
    return F.sum(tangents[0] * centred, axis=axis, keepdims=keepdims) / (
        safe * _divisor(x, axis, ddof))


def _axis_keywords(params) -> dict:
    """A reduction's params as keywords for a reference (autograd takes a lone axis)."""
    axis = params["axis"]
    return {"axis": axis[0] if isinstance(axis, tuple) and len(axis) == 1 else axis,
            "keepdims": params["keepdims"]}


def _reference(name):
    def reference(xp, params):
        extra = {"ddof": params["ddof"]} if "ddof" in params else {}
        return lambda x: getattr(xp, name)(x, **_axis_keywords(params), **extra)
    return reference


def _reduce(name, fn, vjp, jvp, spellings, doc="", ddof=False, differentiable=True):
    if ddof:
        np_fn = lambda x, axis, keepdims, ddof: fn(x, axis, keepdims=keepdims, ddof=ddof)  # noqa
    else:
        np_fn = lambda x, axis, keepdims: fn(x, axis, keepdims=keepdims)  # noqa: E731
    cases = _CASES if not ddof else tuple(
        (shapes, dict(params, ddof=d if _count(shapes[0], params["axis"]) > 1 else 0))
        for (shapes, params), d in zip(_CASES, [0, 1] * len(_CASES)))
    register(Op(name=name, arity=1, np_fn=np_fn, py_fn=None, spell=_reduction_spell(name),
                array_api=standard.reduction(name),
                shape_rule=evaluated_rule, vjp=vjp, jvp=jvp, spellings=spellings, cases=cases,
                doc=doc, differentiable=differentiable, reference=_reference(name),
                takes_keepdims=True))


_reduce("prod", np.prod, _prod_vjp, _prod_jvp, ("np.prod", ".prod()"),
        doc="the gradient is the product of the other elements (exact at zeros)")
_reduce("max", np.max, _extremum_vjp, _extremum_jvp,
        ("np.max", "np.amax", ".max()", "max(array)"),
        doc="tied maxima share the gradient evenly, as in JAX")
_reduce("min", np.min, _extremum_vjp, _extremum_jvp,
        ("np.min", "np.amin", ".min()", "min(array)"),
        doc="tied minima share the gradient evenly, as in JAX")
_reduce("var", np.var, _var_vjp, _var_jvp, ("np.var", ".var()"), ddof=True)
_reduce("std", np.std, _std_vjp, _std_jvp, ("np.std", ".std()"), ddof=True,
        doc="the gradient where the std is 0 is taken as 0 (a subgradient), not NaN")


# -- argmax / argmin: integer results, no gradient ------------------------------------
def _arg_spell(name):
    def spell(args, params, aval):
        axis = params["axis"]
        extra = "" if axis is None else f", axis={axis}"
        return Expr(f"np.{name}({args[0].text}{extra})", PREC_ATOM)
    return spell


for _name, _fn in (("argmax", np.argmax), ("argmin", np.argmin)):
    register(Op(name=_name, arity=1, np_fn=(lambda fn: lambda x, axis: fn(x, axis))(_fn),
                py_fn=None, spell=_arg_spell(_name), shape_rule=evaluated_rule,
                array_api=standard.along_axis(_name),
                differentiable=False, spellings=(f"np.{_name}", f".{_name}()")))


# -- cumulative sums and products -----------------------------------------------------
def _cum_spell(name):
    def spell(args, params, aval):
        return Expr(f"np.{name}({args[0].text}, axis={params['axis']})", PREC_ATOM)
    return spell


def _cumsum_vjp(g, y, x, axis):
    # Each x_i reaches every later output: a reversed cumulative sum of g.
    return (flip_axis(F.cumsum(flip_axis(g, axis), axis=axis), axis),)


def _zeros_along(x, axis):
    """(zero, first, safe): where x is 0, where its first 0 along `axis` is, and x with
    its zeros replaced by 1 (so that dividing by it is safe)."""
    zero = x == 0.0
    seen = F.cumsum(F.astype(zero, dtype=x._dtype), axis=axis)
    first = F.logical_and(zero, seen == 1.0)
    return zero, first, seen, F.where(zero, 1.0, x)


def _cumprod_vjp(g, y, x, axis):
    # dy_k/dx_i = y_k / x_i for k >= i where x_i != 0. With zeros, as JAX (exactly):
    # at the first zero along the axis it is the product with that zero replaced by 1,
    # at later zeros it is 0 (their products hold the first zero).
    zero, first, _, safe = _zeros_along(x, axis)
    tail = flip_axis(F.cumsum(flip_axis(g * y, axis), axis=axis), axis)
    lifted = F.cumprod(F.where(first, 1.0, x), axis=axis)
    at_first = flip_axis(F.cumsum(flip_axis(g * lifted, axis), axis=axis), axis)
    return (F.where(first, at_first, F.where(zero, 0.0, tail / safe)),)


def _cumprod_jvp(tangents, y, x, axis):
    # Before the first zero y * cumsum(t / x); from it on, only the first zero's term
    # survives: its tangent times the product with that zero replaced by 1.
    zero, first, seen, safe = _zeros_along(x, axis)
    t = tangents[0]
    lifted = F.cumprod(F.where(first, 1.0, x), axis=axis)
    t_first = F.sum(F.where(first, t, 0.0), axis=(axis,), keepdims=True)
    return F.where(seen >= 1.0, t_first * lifted, y * F.cumsum(t / safe, axis=axis))


_CUM_CASES = ((((4,),), {"axis": 0}), (((2, 3),), {"axis": 1}), (((2, 3),), {"axis": 0}),
              (((2, 3, 2),), {"axis": 1}))
register(Op(name="cumsum", arity=1, np_fn=lambda x, axis: np.cumsum(x, axis), py_fn=None,
            spell=_cum_spell("cumsum"), shape_rule=evaluated_rule, vjp=_cumsum_vjp,
            array_api=standard.along_axis("cumulative_sum"),
            jvp=linear("cumsum"),
            spellings=("np.cumsum", ".cumsum()"), cases=_CUM_CASES, linear_in=(0,),
            reference=lambda xp, p: lambda x: xp.cumsum(x, axis=p["axis"]), analytic=True))
register(Op(name="cumprod", arity=1, np_fn=lambda x, axis: np.cumprod(x, axis), py_fn=None,
            spell=_cum_spell("cumprod"), shape_rule=evaluated_rule, vjp=_cumprod_vjp,
            array_api=standard.along_axis("cumulative_prod"),
            jvp=_cumprod_jvp, spellings=("np.cumprod", ".cumprod()"), cases=_CUM_CASES,
            # (exact at zeros, but away from them the rule divides by the elements: the
            # generated tests and the fuzzer keep them away from 0)
            domain="nonzero",
            doc="the gradient is exact where elements are 0, as in JAX",
            reference=lambda xp, p: lambda x: xp.cumprod(x, axis=p["axis"]), analytic=True))


# -- front ends -----------------------------------------------------------------------
def _no_extras(name, **given):
    bad = sorted(k for k, v in given.items() if v is not None and v is not np._NoValue)
    if bad:
        _refuse(UnsupportedOperationError, f"np.{name} with {', '.join(bad)}= is not supported",
                "drop the argument, or cast with .astype() before reducing")


def _same_dtype(a, dtype):
    """None for a dtype= the result has anyway (scipy passes dtype=x.dtype), else dtype."""
    if dtype is None or dtype is np._NoValue:
        return None
    try:
        same = np.dtype(dtype).name == getattr(a, "_dtype", None)
    except TypeError:
        return dtype
    return None if same else dtype


def _reduction_frontend(name: str):
    def traced(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
        dtype = _same_dtype(a, dtype)
        _no_extras(name, dtype=dtype, out=out, initial=initial,
                   where=None if where is True else where)
        axis = _scalar_axis(name, a, axis)
        return _builder().apply(name, (a,), {"axis": axis, "keepdims": bool(keepdims)},
                                python=False)
    return traced


def _scalar_axis(name, a, axis):
    """The normalised axes; on a 0-d value NumPy's sum, prod, max and min take an int
    axis 0 or -1 as no axis (its mean refuses it, and so does a tuple)."""
    ndim = len(np.shape(a))
    if ndim == 0 and axis is not None and (name == "mean" or isinstance(axis, (tuple, list))):
        _refuse(ShapeError, f"np.{name} of a 0-d value with axis={axis!r}: NumPy refuses it",
                "use axis=None")
    axis = normalize_axis(axis, ndim)
    return None if ndim == 0 else axis


def _extremum_frontend(name: str):
    def traced(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        return _reduction_frontend(name)(a, axis, None, out, keepdims, initial, where)
    return traced


def _moment_frontend(name: str):
    def traced(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
               mean=None, correction=None):
        _no_extras(name, dtype=dtype, out=out, where=None if where is True else where,
                   mean=mean)
        if correction is not None and correction is not np._NoValue:
            ddof = correction
        axis = normalize_axis(axis, len(np.shape(a)))
        return _builder().apply(name, (a,), {"axis": axis, "keepdims": bool(keepdims),
                                             "ddof": ddof}, python=False)
    return traced


def _arg_frontend(name: str):
    def traced(a, axis=None, out=None, *, keepdims=False):
        _no_extras(name, out=out)
        if keepdims:
            _refuse(UnsupportedOperationError, f"np.{name} with keepdims=True is not supported",
                    "index with None to add the axis back")
        if axis is not None:
            axis = normalize_axis(axis, len(np.shape(a)))[0] if np.ndim(a) else None
        return _builder().apply(name, (a,), {"axis": axis}, python=False)
    return traced


def _cumulative_frontend(name: str):
    def traced(a, axis=None, dtype=None, out=None):
        _no_extras(name, dtype=dtype, out=out)
        if axis is None or len(np.shape(a)) == 0:  # (a 0-d value takes axis 0 or -1)
            normalize_axis(axis, len(np.shape(a)))
            if len(np.shape(a)) != 1:
                a = _builder().apply("reshape", (a,), {"shape": (int(np.prod(a.shape)),)},
                                     python=False)
            axis = 0
        axis = normalize_axis(axis, len(np.shape(a)))[0]
        return _builder().apply(name, (a,), {"axis": axis}, python=False)
    return traced


for _name, _fns in (("sum", (np.sum,)), ("mean", (np.mean,)), ("prod", (np.prod,))):
    numpy_function(*_fns)(_reduction_frontend(_name))
    array_method(_name)(_reduction_frontend(_name))
for _name, _fns in (("max", (np.max, np.amax)), ("min", (np.min, np.amin))):
    numpy_function(*_fns)(_extremum_frontend(_name))
    array_method(_name)(_extremum_frontend(_name))
for _name, _fn in (("var", np.var), ("std", np.std)):
    numpy_function(_fn)(_moment_frontend(_name))
    array_method(_name)(_moment_frontend(_name))
for _name, _fn in (("argmax", np.argmax), ("argmin", np.argmin)):
    numpy_function(_fn)(_arg_frontend(_name))
    array_method(_name)(_arg_frontend(_name))
for _name, _fn in (("cumsum", np.cumsum), ("cumprod", np.cumprod)):
    numpy_function(_fn)(_cumulative_frontend(_name))
    array_method(_name)(_cumulative_frontend(_name))


@numpy_function(np.average)
def _np_average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    if returned:
        _refuse(UnsupportedOperationError, "np.average(..., returned=True)",
                "compute the sum of weights separately with np.sum")
    if weights is None:
        return _reduction_frontend("mean")(a, axis, keepdims=keepdims)
    b = _builder()
    if len(np.shape(weights)) != len(np.shape(a)):
        if axis is None or len(np.shape(weights)) != 1:
            _refuse(ShapeError, "np.average: weights must match the array's shape, or be 1-d "
                                "along a single axis")
        ax = normalize_axis(axis, len(np.shape(a)))[0]
        weights = b.apply("reshape", (weights,), {"shape": tuple(
            n if i == ax else 1 for i, n in enumerate(np.shape(a)))}, python=False)
    total = _reduction_frontend("sum")
    return total(a * weights, axis, keepdims=keepdims) / total(
        b.apply("broadcast_to", (weights,), {"shape": tuple(np.shape(a))}, python=False)
        if tuple(np.shape(weights)) != tuple(np.shape(a)) else weights, axis, keepdims=keepdims)
