"""Arrays built from traced values: `np.asarray(x)`, `np.array([a, b, 1.0])`, `np.sum([a, b])`.

NumPy turns a list into an array before it dispatches, so a list that holds a `Tracer`
never reaches the tracer's `__array_function__`: NumPy asks each element for a concrete
array instead. Inside traced code `np` is the instrumenter's view of NumPy (see
instrument.py), whose functions listed here first turn (nested) lists and tuples holding
traced values into a stack of them, as NumPy would have built the array, and then call
the real function. Without traced values they are NumPy's own functions, unchanged.
NumPy's scalar types (`np.int64(x)`, `np.float64(x)`) are stand-ins that cast a traced
value (see the end of this module).
"""

from __future__ import annotations

import functools

import numpy as np

from .errors import ShapeError, UnsupportedOperationError
from .ops.registry import numpy_function
from .tracer import Tracer


def holds_tracer(value) -> bool:
    if isinstance(value, Tracer):
        return True
    return isinstance(value, (list, tuple)) and any(holds_tracer(v) for v in value)


def _refuse(cls, problem, hint=None):
    from .builder import current_builder
    file, line = current_builder().where()
    raise cls(problem, file=file, line=line, hint=hint)


def _cast(value, dtype):
    if dtype is None:
        return value
    name = np.dtype(dtype).name
    if not isinstance(value, Tracer):
        return np.asarray(value, dtype=name)
    return value if value._dtype == name else value.astype(name)


def stacked(value):
    """`value` as NumPy would read it as an array: a tracer stays itself, a (nested) list
    or tuple holding tracers becomes a stack of its elements, anything else an ndarray."""
    if isinstance(value, Tracer):
        return value
    if not holds_tracer(value):
        return np.asarray(value)
    items = [stacked(v) for v in value]
    shapes = {tuple(np.shape(v)) for v in items}
    if len(shapes) > 1:
        _refuse(ShapeError, f"an array built from a list whose elements have the shapes "
                f"{sorted(shapes)}: NumPy needs one shape", "make the elements the same "
                "shape (np.broadcast_to), or join them with np.concatenate")
    return np.stack(items)  # dispatches to the stack op: an element is a tracer


def as_array(a, dtype=None, *args, **kwargs):
    """np.asarray / np.asanyarray / np.array / np.ascontiguousarray with traced values."""
    ndmin = kwargs.pop("ndmin", 0)
    kwargs.pop("copy", None)  # a traced value is never written through (ops/update.py)
    extra = {k: v for k, v in kwargs.items() if v not in (None, False, True, "K", "C", "A")}
    if args or extra:
        _refuse(UnsupportedOperationError, "np.array of traced values with arguments "
                f"beyond dtype=, copy= and ndmin= ({sorted(kwargs) or 'positional'})",
                "pass the values and at most dtype=")
    out = _cast(stacked(a), dtype)
    if np.ndim(out) < ndmin:
        out = np.reshape(out, (1,) * (ndmin - np.ndim(out)) + tuple(np.shape(out)))
    return out


def _with_arrays(real, positions):
    """`real`, with its arguments at `positions` (list/tuple holding tracers) stacked."""
    @functools.wraps(real)
    def call(*args, **kwargs):
        if any(i < len(args) and isinstance(args[i], (list, tuple)) and holds_tracer(args[i])
               for i in positions):
            args = tuple(stacked(a) if i in positions else a for i, a in enumerate(args))
        return real(*args, **kwargs)
    return call


def _copies(copy) -> bool:
    """Whether np.array's `copy=` asks for a copy (True, or np._CopyMode.ALWAYS, which
    SciPy's array-API layer passes; IF_NEEDED and NEVER, like False and None, do not)."""
    mode = getattr(np, "_CopyMode", None)
    if mode is not None and isinstance(copy, mode):
        return copy is mode.ALWAYS
    return bool(copy)


def _as_array_like(real):
    copies = real is np.array

    @functools.wraps(real)
    def call(a, *args, **kwargs):
        if holds_tracer(a):
            result = as_array(a, *args, **kwargs)
            if result is a and copies and _copies(kwargs.get("copy", True)):
                from .ops.update import copy
                return copy(a)  # np.array copies: a write into it leaves `a` alone
            return result
        return real(a, *args, **kwargs)
    return call


def _constructor(real):
    """np.zeros & co. inside traced code: a constant tracer, which a traced value can be
    written into (ops/update.py); np.empty is zeros (any contents will do)."""
    @functools.wraps(real)
    def call(*args, **kwargs):
        value = real(*args, **kwargs)
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiub":
            return value
        if real in (np.empty, np.empty_like):
            value = np.zeros_like(value)
        from .builder import current_builder
        b = current_builder()
        return b.tracer(b.constant(value))
    return call


def _atleast(real):
    @functools.wraps(real)
    def call(*arys):
        if any(isinstance(a, (list, tuple)) and holds_tracer(a) for a in arys):
            arys = tuple(stacked(a) for a in arys)
        return real(*arys)
    return call


def _astype(x, dtype, /, *, copy=True, device=None):
    if isinstance(x, Tracer):
        return _cast(x, dtype)
    return np.astype(x, dtype, copy=copy)


# The functions of NumPy that read a list argument as an array and are replaced inside
# traced code; the number of leading arguments read that way (the rest are left alone).
# (Ufuncs are left alone: they are objects with methods of their own, np.add.at.)
_FIRST = ("sum", "mean", "prod", "max", "min", "amax", "amin", "std", "var", "average",
          "cumsum", "cumprod", "diff", "transpose", "reshape", "ravel", "squeeze",
          "expand_dims", "sort", "flip", "diag", "trace", "clip")
_FIRST_TWO = ("dot", "inner", "outer", "vdot", "cross", "kron", "append")


def overrides() -> dict[str, object]:
    """Dotted name under numpy -> the traced-list-aware function."""
    out = {name: _as_array_like(getattr(np, name))
           for name in ("asarray", "asanyarray", "array", "ascontiguousarray", "asfarray")
           if hasattr(np, name)}
    out.update({name: _atleast(getattr(np, name))
                for name in ("atleast_1d", "atleast_2d", "atleast_3d")})
    out["astype"] = _astype
    out.update({name: _constructor(getattr(np, name)) for name in (
        "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like",
        "empty_like")})
    for names, positions in ((_FIRST, (0,)), (_FIRST_TWO, (0, 1))):
        for name in names:
            out[name] = _with_arrays(getattr(np, name), positions)
    out["where"] = _with_arrays(np.where, (0, 1, 2))
    from .index_tricks import overrides as index_tricks
    out.update(index_tricks())  # np.r_[...], np.c_[...]
    return out


def _dtype_of(value):
    if isinstance(value, Tracer):
        # a traced Python float is a weak scalar to NumPy's promotion, as 1.0 is
        return {"float64": 1.0, "int64": 1, "bool": True}[value._dtype] if value._python \
            else value.dtype
    return value


@numpy_function(np.result_type)
def _np_result_type(*arrays_and_dtypes):
    return np.result_type(*[_dtype_of(a) for a in arrays_and_dtypes])


@numpy_function(np.can_cast)
def _np_can_cast(from_, to, casting="safe"):
    return np.can_cast(_dtype_of(from_), to, casting)


# -- NumPy's scalar types called on traced values ---------------------------------------
# `np.int64(x)`, `np.float64(x)` on a traced value cannot go through NumPy (it asks the
# value for a concrete array). Inside traced code these names are subclasses of NumPy's
# types that cast a traced value (np.float64 of a float64 value is the value itself, an
# int cast has no gradient) and are NumPy's type in every other respect: calls without
# traced values, dtype=, isinstance, issubclass, issubdtype and == all see NumPy's type.
SCALAR_TYPES = (np.float64, np.float32, np.int64, np.int32, np.bool_)


class _ScalarMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, cls.numpy_type)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, cls.numpy_type)

    def __eq__(cls, other):
        return other is cls or other is cls.numpy_type

    def __hash__(cls):
        return hash(cls.numpy_type)

    def __repr__(cls):
        return repr(cls.numpy_type)


def _scalar_new(cls, value=0, *args, **kwargs):
    if not holds_tracer(value):
        return cls.numpy_type(value, *args, **kwargs)
    value = stacked(value)
    name = np.dtype(cls.numpy_type).name
    from .builder import current_builder
    if value._python:  # a Python number becomes a NumPy scalar, as in NumPy
        return current_builder().apply("to_numpy", (value,), {"dtype": name}, python=False)
    if value._dtype == name:
        return value
    return current_builder().apply("astype", (value,), {"dtype": name}, python=False)


@functools.lru_cache(maxsize=None)
def scalar_type(numpy_type):
    """The stand-in for `numpy_type` (one of SCALAR_TYPES; autograd's int subclasses of
    them count as theirs) inside traced code."""
    base = np.dtype(numpy_type).type
    return _ScalarMeta(base.__name__, (base,), {"numpy_type": base, "__new__": _scalar_new,
                                                "__module__": "numpy"})


def is_scalar_type(value) -> bool:
    if not isinstance(value, type) or isinstance(value, _ScalarMeta):
        return False
    return any(value is t for t in SCALAR_TYPES) or (
        value.__module__.startswith("autograd.") and issubclass(value, SCALAR_TYPES))
