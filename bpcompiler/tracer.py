"""`Tracer`: the stand-in value a traced function computes with.

A Tracer records every operation applied to it as a graph node instead of computing a
number. It speaks Python's operator protocol for Python scalars and NumPy's
`__array_ufunc__` / `__array_function__` protocols for arrays, so the user's code runs
unchanged with the real `numpy` module. Anything that needs a concrete number (`if`,
`float()`, `.item()`) is refused with a message that names the line and says what to use.
"""

from __future__ import annotations

import sys

import numpy as np

from .errors import (ConcreteValueError, ConstantTooLargeError, InPlaceMutationError,
                     TracedBranchError, UnsupportedOperationError)
from . import branches
from .ops import registry


class LiftNeeded(BaseException):
    """A constant array is indexed by a traced integer (`TABLE[i]`): NumPy's own indexing
    asked for the index's numbers. trace() traces again with the function's constant
    arrays as constant tracers, which index like any traced array. A BaseException, so
    no `except Exception` in the user's code swallows it."""


class Tracer:
    # __weakref__: the builder keeps weak references to find the live values of a node
    __slots__ = ("_builder", "_node", "shape", "_dtype", "_python", "__weakref__")

    def __init__(self, builder, node: int, shape: tuple, dtype: str, python: bool):
        self._builder = builder
        self._node = node
        self.shape = shape
        self._dtype = dtype
        self._python = python

    # -- what the user can ask of a value without knowing its numbers ------------------
    @property
    def dtype(self):
        return np.dtype(self._dtype)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def T(self):
        return registry.ARRAY_METHODS["transpose"](self)

    def __len__(self) -> int:
        if not self.shape:
            self._refuse(TypeError, "len() of a scalar")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            self._refuse(TypeError, "iterating over a scalar")
        return (self[i] for i in range(self.shape[0]))

    def __repr__(self) -> str:
        kind = "float" if self._python else f"{self._dtype}{list(self.shape)}"
        return f"<traced {kind} %{self._node}>"

    def __hash__(self):
        # Tracers are used as dict keys by some user code; identity is the only safe hash.
        return id(self)

    # -- a constant tracer (np.zeros(n) inside traced code) still has its value -----------
    def _concrete(self):
        """The value of a tracer that stands for a constant, else _NOT_CONSTANT."""
        attrs = self._builder.graph.nodes[self._node]
        return attrs["params"]["value"] if attrs["op"] == "const" else _NOT_CONSTANT

    def _constant(self, value):
        """A NumPy result computed from constants: a numeric array stays a (constant)
        tracer, so a traced value can still be written into it; anything else is itself."""
        if isinstance(value, np.ndarray) and value.dtype.kind in "fiub" and value.shape:
            try:
                return self._builder.tracer(self._builder.constant(value))
            except ConstantTooLargeError:  # too large to embed: it stays NumPy's array
                return value
        return value

    # -- refusals ----------------------------------------------------------------------
    def _where(self):
        return self._builder.where()

    def _refuse(self, cls, problem: str, hint: str | None = None):
        if cls in (ConcreteValueError, TracedBranchError):
            # An int parameter needed as a number (a loop bound, a size) becomes a
            # compile-time constant: the builder asks trace() to trace again.
            getattr(self._builder, "concrete_needed", lambda t: None)(self)
        file, line = self._where()
        if cls is TypeError:
            raise UnsupportedOperationError(problem, file=file, line=line, hint=hint)
        raise cls(problem, file=file, line=line, hint=hint)

    def __bool__(self):
        value = self._concrete()
        if value is not _NOT_CONSTANT:
            return bool(value)
        return branches.truth(self, sys._getframe(1))  # guarded, or refused

    def __float__(self):
        value = self._concrete()
        if value is not _NOT_CONSTANT:
            return float(value)
        self._refuse(ConcreteValueError, "float() of a traced value needs a concrete number",
                     "keep the value symbolic: drop the float() call")

    def __int__(self):
        value = self._concrete()
        if value is not _NOT_CONSTANT:
            return int(value)
        self._refuse(ConcreteValueError, "int() of a traced value needs a concrete number",
                     "only shapes and constants can be used as ints; pass counts as constants")

    def __index__(self):
        value = self._concrete()
        if value is not _NOT_CONSTANT:
            return int(value)
        self._refuse(ConcreteValueError,
                     "a traced value is used as an index, range() bound or size",
                     "use a constant (or a closure variable) for trip counts and indices")

    def __floor__(self):
        self._refuse(ConcreteValueError, "math.floor() of a traced value needs a concrete "
                     "number", "floor has no useful gradient; keep the value as it is")

    def __ceil__(self):
        self._refuse(ConcreteValueError, "math.ceil() of a traced value needs a concrete "
                     "number", "ceil has no useful gradient; keep the value as it is")

    def __trunc__(self):
        self._refuse(ConcreteValueError, "math.trunc() of a traced value needs a concrete "
                     "number", "keep the value as it is")

    def __complex__(self):
        self._refuse(ConcreteValueError, "complex() of a traced value is not supported")

    def __round__(self, ndigits=None):
        self._refuse(ConcreteValueError, "round() of a traced value",
                     "use np.round(x) (its gradient is zero)")

    def item(self, *args):
        value = self._concrete()
        if value is not _NOT_CONSTANT:
            return np.asarray(value).item(*args)
        self._refuse(ConcreteValueError, ".item() of a traced value needs a concrete number",
                     "index the array instead (x[0]) to keep the value symbolic")

    def tolist(self):
        value = self._concrete()
        if value is not _NOT_CONSTANT:
            return np.asarray(value).tolist()
        self._refuse(ConcreteValueError, ".tolist() of a traced value needs concrete numbers",
                     "index the array instead to keep values symbolic")

    def __setitem__(self, key, value):
        # ops/update.py: a write into the function's own array updates it; a write into
        # a parameter or a view is refused
        registry.ARRAY_METHODS["__setitem__"](self, key, value)

    def _inplace(self, name, symbol, other):
        # NOTE: on an array NumPy's `x += y` writes into x (for a parameter, into the
        # caller's array; for a view, into the array it views), which a graph of values
        # cannot express. A Python or NumPy scalar is immutable: `s += y` rebinds s.
        if not self._python and (self.shape or self._builder.graph.nodes[self._node]["op"]
                                 == "input" and self._node in self._builder.mutable):
            if not _is_operand(other):
                return NotImplemented
            return registry.ARRAY_METHODS["__inplace__"](self, name, symbol, other,
                                                         sys._getframe(2))
        return self._binary(name, other)

    def __iadd__(self, o): return self._inplace("add", "+", o)
    def __isub__(self, o): return self._inplace("subtract", "-", o)
    def __imul__(self, o): return self._inplace("multiply", "*", o)
    def __itruediv__(self, o): return self._inplace("divide", "/", o)
    def __ipow__(self, o): return self._inplace("power", "**", o)
    def __imatmul__(self, o): return self._inplace("matmul", "@", o)

    # -- operators ---------------------------------------------------------------------
    def _binary(self, name, other, reflected=False):
        if not _is_operand(other):
            return NotImplemented
        a, b = (other, self) if reflected else (self, other)
        return self._builder.apply(name, (a, b))

    def __add__(self, o): return self._binary("add", o)
    def __radd__(self, o): return self._binary("add", o, True)
    def __sub__(self, o): return self._binary("subtract", o)
    def __rsub__(self, o): return self._binary("subtract", o, True)
    def __mul__(self, o): return self._binary("multiply", o)
    def __rmul__(self, o): return self._binary("multiply", o, True)
    def __truediv__(self, o): return self._binary("divide", o)
    def __rtruediv__(self, o): return self._binary("divide", o, True)
    def __mod__(self, o): return self._binary("remainder", o)
    def __rmod__(self, o): return self._binary("remainder", o, True)
    def __pow__(self, o): return self._binary("power", o)
    def __rpow__(self, o): return self._binary("power", o, True)
    def __matmul__(self, o): return self._binary("matmul", o)
    def __rmatmul__(self, o): return self._binary("matmul", o, True)
    def __lt__(self, o): return self._binary("less", o)
    def __le__(self, o): return self._binary("less_equal", o)
    def __gt__(self, o): return self._binary("greater", o)
    def __ge__(self, o): return self._binary("greater_equal", o)
    def __eq__(self, o): return self._binary("equal", o)
    def __ne__(self, o): return self._binary("not_equal", o)
    def __floordiv__(self, o): return self._binary("floor_divide", o)
    def __rfloordiv__(self, o): return self._binary("floor_divide", o, True)
    # On boolean masks &, |, ^ and ~ are the logical ops; on integers they would be
    # bitwise ops, which bpcompiler does not trace.
    def __and__(self, o): return self._mask_op("logical_and", o)
    def __rand__(self, o): return self._mask_op("logical_and", o, True)
    def __or__(self, o): return self._mask_op("logical_or", o)
    def __ror__(self, o): return self._mask_op("logical_or", o, True)
    def __xor__(self, o): return self._mask_op("logical_xor", o)
    def __rxor__(self, o): return self._mask_op("logical_xor", o, True)

    def __invert__(self):
        if self._python:  # Python's ~ on a bool is bitwise: ~True is -2, which is truthy
            self._refuse(UnsupportedOperationError, "~ of a Python bool (a comparison of "
                         "Python floats) is bitwise: ~True is -2, not False",
                         "use np.logical_not(...) or the opposite comparison")
        if self._dtype != "bool":
            self._refuse(UnsupportedOperationError, f"~ of a {self._dtype} value (bitwise not)",
                         "use ~ on boolean masks only, e.g. ~(x > 0)")
        return self._builder.apply("logical_not", (self,))

    def _mask_op(self, name, other, reflected=False):
        dtypes = {self._dtype, getattr(other, "_dtype", None) or np.asarray(other).dtype.name}
        if dtypes != {"bool"}:
            self._refuse(UnsupportedOperationError,
                         f"bitwise {name.split('_')[1]} of {'/'.join(sorted(dtypes))} values",
                         "use &, | and ^ on boolean masks, e.g. (x > 0) & (x < 1)")
        return self._binary(name, other, reflected)

    def __neg__(self): return self._builder.apply("negative", (self,))
    def __pos__(self): return self
    def __abs__(self): return self._builder.apply("absolute", (self,))

    def __getitem__(self, index):
        return registry.ARRAY_METHODS["__getitem__"](self, index)

    # -- NumPy protocols ---------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        impl = registry.NUMPY_UFUNCS.get(ufunc)
        if ufunc is np.add and method == "at" and "__add_at__" in registry.ARRAY_METHODS:
            return registry.ARRAY_METHODS["__add_at__"](*inputs, **kwargs)
        if _all_constant(inputs, kwargs):  # NumPy itself, on the constants' values
            return self._constant(getattr(ufunc, method)(*_values(inputs), **_values(kwargs)))
        if method in registry.UFUNC_METHODS:  # np.add.reduce, np.maximum.accumulate, ...
            return registry.UFUNC_METHODS[method](ufunc, *inputs, **kwargs)
        if method != "__call__" or impl is None:
            spelled = _ufunc_name(ufunc) + ("" if method == "__call__" else f".{method}")
            self._refuse(UnsupportedOperationError, _unsupported_message(spelled, ufunc),
                         _advice(ufunc))
        if kwargs.get("out") is not None:
            self._refuse(InPlaceMutationError,
                         f"np.{ufunc.__name__}(..., out=...) writes in place",
                         "drop out= and use the returned value")
        kwargs.pop("out", None)
        return impl(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        impl = registry.NUMPY_FUNCTIONS.get(func)
        if _all_constant(args, kwargs):  # NumPy itself, on the constants' values
            return self._constant(func(*_values(args), **_values(kwargs)))
        if impl is None:
            name = f"{getattr(func, '__module__', 'numpy')}.{func.__name__}"
            name = name.replace("numpy.", "np.", 1)
            self._refuse(UnsupportedOperationError, _unsupported_message(name, func),
                         _advice(func))
        return impl(*args, **kwargs)

    def __array__(self, *args, **kwargs):
        value = self._concrete()
        if value is not _NOT_CONSTANT:
            return np.asarray(value, *args[:1])
        callee = _calling_function(self._where())
        if callee in ("np.array", "np.asarray", "np.asanyarray", "numpy.array"):
            self._refuse(ConcreteValueError,
                         f"{callee}(...) of traced values needs concrete numbers",
                         "build arrays of traced values with np.stack([...]) or "
                         "np.concatenate([...])")
        named = f"{callee} needs" if callee else "a traced value was converted to"
        if self._dtype.startswith(("int", "uint")):
            # NOTE: an integer traced value is almost always an index: `TABLE[i]` and
            # `np.take(TABLE, i)` on a constant TABLE are NumPy's own code, which never
            # hands the index to bpcompiler, but np.take_along_axis dispatches on it.
            if getattr(self._builder, "lift_constants", True) is False:
                getattr(self._builder, "concrete_needed", lambda t: None)(self)
                raise LiftNeeded()  # trace again with TABLE a constant tracer
            self._refuse(ConcreteValueError, f"{named} a concrete NumPy array, as when a "
                         "constant array is indexed by a traced integer",
                         "index a constant with np.take_along_axis(TABLE, i, axis=0), i with "
                         "TABLE's number of dimensions, or pass TABLE as a parameter")
        self._refuse(ConcreteValueError, f"{named} a concrete NumPy array",
                     "call NumPy functions directly on the value; np.array/np.asarray of "
                     "traced values is not supported")

    def __getattr__(self, name):
        if self._python and not name.startswith("__"):
            # NOTE: the value stands for a Python float or int, which has no ndarray methods.
            self._refuse(UnsupportedOperationError,
                         f"a Python {'float' if self._dtype == 'float64' else 'number'} "
                         f"has no method .{name}()",
                         "use the NumPy function (np.sum(x), np.asarray(x)), or pass a NumPy "
                         "array")
        method = registry.ARRAY_METHODS.get(name)
        if method is None:
            raise AttributeError(name) if name.startswith("__") else \
                self._refuse(UnsupportedOperationError,
                             f"the ndarray method .{name}() is not supported",
                             "write it with supported operations (`bpcompiler ops` lists "
                             "them), or compute it outside the function and pass it in")
        return lambda *args, **kwargs: method(self, *args, **kwargs)


_NOT_CONSTANT = object()


def _all_constant(args, kwargs) -> bool:
    """Whether every tracer among the arguments (one level into lists) is a constant."""
    found = False
    for value in (*args, *kwargs.values()):
        for item in (value if isinstance(value, (list, tuple)) else (value,)):
            if isinstance(item, Tracer):
                if item._concrete() is _NOT_CONSTANT:
                    return False
                found = True
    return found


def _values(values):
    """The arguments with constant tracers replaced by their values."""
    def one(v):
        if isinstance(v, Tracer):
            return v._concrete()
        if isinstance(v, (list, tuple)):
            return type(v)(one(i) for i in v)
        return v
    if isinstance(values, dict):
        return {k: one(v) for k, v in values.items()}
    return tuple(one(v) for v in values)


def _is_operand(value) -> bool:
    # lists and tuples are array-likes, as for NumPy arrays: x * [1.0, 2.0]
    return isinstance(value, (Tracer, int, float, np.ndarray, np.generic, list, tuple))


def _ufunc_name(ufunc) -> str:
    """`scipy.special.gamma` for SciPy's ufuncs, `np.<name>` for NumPy's."""
    special = sys.modules.get("scipy.special")
    name = ufunc.__name__
    if special is not None and getattr(np, name, None) is not ufunc:
        if getattr(special, name, None) is ufunc:
            return f"scipy.special.{name}"
        private = getattr(special, "_ufuncs", None)
        if getattr(private, name, None) is ufunc:  # scipy.special.zeta calls _zeta
            return f"scipy.special.{name.lstrip('_')}"
    return f"np.{name}"


def _unsupported_message(name: str, fn) -> str:
    if fn in registry.UNSUPPORTED:
        return f"{name} is recognised but not supported"
    return f"{name} is not a supported operation"


def _advice(fn) -> str:
    from .ops.special import ADVICE  # SciPy's, once SciPy is imported
    return registry.UNSUPPORTED.get(fn) or ADVICE.get(fn) or \
        "write it with supported operations (`bpcompiler ops` lists them), or compute " \
        "it outside the function and pass the value in as an argument"




def _calling_function(where) -> str | None:
    """The dotted name the user's source line is calling at this moment (`np.random.normal`
    for `np.random.normal(x, 1.0)`), read from the bytecode's source positions; None if
    it cannot be told. Only used to word error messages."""
    import dis
    import linecache
    import sys
    file, line = where
    frame = sys._getframe(1)
    while frame is not None and not (frame.f_lineno == line and
                                     frame.f_code.co_filename.endswith(file or "\0")):
        frame = frame.f_back
    if frame is None:
        return None
    for ins in dis.get_instructions(frame.f_code):
        if ins.offset == frame.f_lasti and ins.positions and ins.positions.lineno:
            p = ins.positions
            text = linecache.getline(frame.f_code.co_filename, p.lineno)[p.col_offset:]
            name = text.split("(", 1)[0].strip()
            return name if name.replace(".", "").replace("_", "").isalnum() else None
    return None
