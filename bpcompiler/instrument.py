"""Run the user's unchanged source with traced `math`.

NumPy needs no help: `Tracer` speaks NumPy's dispatch protocols, so `np.tanh(x)` reaches
the tracer through the real `numpy` module. The `math` module cannot dispatch: it turns
its argument into a C double. So each user function is cloned with the same code object
but a copy of its globals (and closure cells and defaults) in which `math`, functions
imported from it (`from math import tanh`), and the builtins `min`/`max` are replaced by
traced versions, and the user functions it calls are cloned the same way. The real
`math` module is never modified.

Randomness is refused, not traced: `np` is replaced by a view of NumPy whose `random`
refuses, and `numpy.random`, NumPy `Generator`/`RandomState` objects, the `random`
module and the functions bound to them are replaced by objects that refuse on first use
(a call with no traced argument would otherwise run for real and bake one random draw
into the module as a constant).
"""

from __future__ import annotations

import builtins
import math
import random
import types

import numpy as np

from . import arraylike, autograd_stand_ins, index_tricks, polynomial
from .errors import ConstantTooLargeError, RandomnessError, UnsupportedOperationError
from .follow import follow, is_library_file
from .named import NamedFloat
from .ops import F, MATH_FUNCTIONS
from .ops.special import installed as scipy_frontends
from .tracer import Tracer

_MATH_FUNCTION_IDS = {id(v): k for k, v in vars(math).items() if callable(v)}
_SKIP_MODULES = ("numpy", "bpcompiler", "networkx", "builtins", "math")


def _traced_math_function(name: str):
    real = getattr(math, name)
    traced = MATH_FUNCTIONS.get(real)

    def call(*args):
        # (math.fsum and math.prod take an iterable: a generator is read once, here)
        args = tuple(list(a) if isinstance(a, types.GeneratorType) else a for a in args)
        nested = traced is not None and any(isinstance(a, (list, tuple)) and any(
            isinstance(v, Tracer) for v in a) for a in args)  # (math.fsum([...]))
        if not nested and not any(isinstance(a, Tracer) for a in args):
            return real(*args)  # (math.prod([...]) multiplies the tracers itself)
        if traced is None:
            tracer = next(a for a in args if isinstance(a, Tracer))
            file, line = tracer._builder.where()
            raise UnsupportedOperationError(f"math.{name} is not a supported operation",
                                            file=file, line=line,
                                            hint="run `bpcompiler ops` for the supported "
                                                 "operations")
        return traced(*args)

    call.__name__ = name
    return call


def _traced_extremum(name: str, real):
    op = "maximum" if name == "max" else "minimum"

    def call(*args, **kwargs):
        if len(args) == 1 and not kwargs and isinstance(args[0], Tracer) and args[0].ndim == 1:
            # min(array) iterates over the elements: the array's own reduction
            return getattr(F, "max" if name == "max" else "min")(
                args[0], axis=(0,), keepdims=False)
        values = args[0] if len(args) == 1 else args
        if kwargs or not any(isinstance(v, Tracer) for v in
                             (values if isinstance(values, (list, tuple)) else ())):
            return real(*args, **kwargs)
        result = values[0]
        for v in values[1:]:
            result = getattr(F, op)(result, v)
        return result

    call.__name__ = name
    return call


class _Refuse:
    """Stands for a source of random numbers; any use raises RandomnessError at the
    user's line."""

    def __init__(self, spelled: str):
        self._spelled = spelled

    def _refuse(self, what: str):
        from .builder import current_builder
        file, line = current_builder().where()
        raise RandomnessError(f"{what} draws random numbers inside the traced function",
                              file=file, line=line,
                              hint="draw them outside the function and pass them in as an "
                                   "argument (or a module constant), so the gradient "
                                   "module computes the same function on every call")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        self._refuse(f"{self._spelled}.{name}")

    def __call__(self, *args, **kwargs):
        self._refuse(self._spelled)


class _NumpyView(types.ModuleType):
    """`numpy` with `random` refused; every other attribute is NumPy's own."""

    def __init__(self):
        super().__init__("numpy", "numpy, with np.random refused while tracing")
        self.random = _Refuse("np.random")
        for name, fn in _ARRAYLIKE.items():  # lists of traced values read as arrays
            setattr(self, name, fn)

    def __getattr__(self, name):
        value = getattr(np, name)
        return arraylike.scalar_type(value) if arraylike.is_scalar_type(value) else value


_ARRAYLIKE = arraylike.overrides()
_ARRAYLIKE_BY_ID = {id(getattr(np, name)): (name, fn) for name, fn in _ARRAYLIKE.items()}


def _is_random_source(value) -> bool:
    if value is np.random or value is random:
        return True
    if isinstance(value, (np.random.Generator, np.random.RandomState, random.Random)):
        return True
    owner = getattr(value, "__self__", None)
    if owner is not None and owner is not value and _is_random_source(owner):
        return True  # a bound method: from numpy.random import normal; random.random
    module = getattr(value, "__module__", None) or ""
    return callable(value) and (module == "random" or module.startswith("numpy.random"))


def _traced_math_module() -> types.ModuleType:
    proxy = types.ModuleType("math", "math, with functions that trace")
    for name, value in vars(math).items():
        if not name.startswith("_"):
            setattr(proxy, name, _traced_math_function(name) if callable(value) else value)
    return proxy


def _all_names(code: types.CodeType) -> set:
    names = set(code.co_names) | set(code.co_freevars)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _all_names(const)
    return names


def all_codes(code: types.CodeType) -> list:
    """`code` and every code object nested in it (lambdas, inner functions, comprehensions)."""
    out = [code]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            out += all_codes(const)
    return out


class Instrumenter:
    """Clones user functions with traced math; remembers what it cloned."""

    def __init__(self):
        self.math = _traced_math_module()
        self.math_functions = {name: getattr(self.math, name) for name in dir(self.math)}
        self.clones: dict = {}  # original function -> clone
        self.codes: set = set()  # code objects of user functions (for provenance)
        self.library_codes: set = set()  # followed library code (scipy.optimize.rosen)
        self.module_views: dict = {}  # module -> its view (follow.py)
        self.shadows: dict = {}  # user class -> its shadow class (follow.py)
        self.shadow_objects: dict = {}  # id(user object) -> (object, its shadow)
        self.constant_names: dict = {}  # id(ndarray) -> the name the user gave it
        # After a LiftNeeded (tracer.py): the user's constant arrays (globals, closure
        # cells, defaults) become constant tracers of the current builder.
        self.lift = False
        self.lifted: dict = {}  # id(ndarray) -> (ndarray, its constant tracer)
        self.numpy = _NumpyView()
        self.numpy.polynomial = follow(self, np.polynomial)  # np.polynomial.polyval, ...
        scipy_frontends()  # SciPy's ufuncs trace once the user's program imported SciPy
        # `import math` (or numpy, random) inside a traced function gets the same stand-ins.
        self.builtins = dict(vars(builtins), __import__=self._import)

    def _import(self, name, globals=None, locals=None, fromlist=(), level=0):
        module = builtins.__import__(name, globals, locals, fromlist, level)
        if level == 0 and (name == "random" or name.startswith("numpy.random") and fromlist):
            return _Refuse(name.replace("numpy.", "np.", 1))
        if name.startswith("scipy"):
            scipy_frontends()  # imported inside the traced function
        return self.substitute(module)

    def substitute(self, value):
        if value is math:
            return self.math
        if value is np:
            return self.numpy
        try:
            if _is_random_source(value):
                return _Refuse(getattr(value, "__name__", None) or type(value).__name__)
        except Exception:  # an exotic object that does not like being inspected
            pass
        if isinstance(value, types.BuiltinFunctionType) and id(value) in _MATH_FUNCTION_IDS \
                and getattr(value, "__self__", None) is math:
            return self.math_functions[_MATH_FUNCTION_IDS[id(value)]]
        frontends = scipy_frontends()
        frontend = frontends.get(id(value))
        if frontend is not None:  # scipy.special.logsumexp, scipy.stats.norm, ...
            return frontend
        if isinstance(value, types.MethodType) and id(value.__self__) in frontends:
            return getattr(frontends[id(value.__self__)], value.__name__)  # norm.logpdf
        series = polynomial.substitute(value) if not isinstance(value, np.ndarray) else None
        if series is not None:  # numpy.polynomial: polyval, chebval, Polynomial(c)(x)
            return series
        stand_in = index_tricks.autograd_stand_in(value)
        if stand_in is not None:  # autograd.numpy.r_[...]
            return stand_in
        ours = autograd_stand_ins.stand_in(value) if callable(value) else None
        if ours is not None:  # autograd's make_diagonal, append, scipy.signal.convolve
            return ours
        raw = getattr(value, "fun", None)
        if raw is not None and getattr(value, "_is_autograd_primitive", False):
            if isinstance(value, types.MethodType):  # a primitive method (VSpace.add)
                return types.MethodType(self.substitute(raw), value.__self__)
            return self.substitute(raw)  # autograd.numpy.sum is NumPy's sum, unboxed
        if arraylike.is_scalar_type(value):  # np.int64(x), autograd's np.int64
            return arraylike.scalar_type(value)
        named = _ARRAYLIKE_BY_ID.get(id(value))
        if named is not None and getattr(np, named[0], None) is value:
            return named[1]  # from numpy import asarray (or r_)
        if isinstance(value, types.FunctionType):
            return self.instrument(value) if self._is_user_function(value) else value
        if self.lift and isinstance(value, np.ndarray):
            return self._lifted(value)
        if isinstance(value, (int, float, str, bytes, np.ndarray, np.generic, Tracer)):
            return value
        return follow(self, value)

    def entry(self, fn):
        """The instrumented stand-in for the function being compiled: a plain function,
        a bound method (of a shadow object), a partial or a cached helper."""
        if isinstance(fn, types.FunctionType):
            return self.instrument(fn)
        return self.substitute(fn)

    def _is_user_function(self, fn) -> bool:
        module = getattr(fn, "__module__", None) or ""
        return not module.split(".")[0] in _SKIP_MODULES

    def instrument(self, fn: types.FunctionType) -> types.FunctionType:
        if fn in self.clones:
            return self.clones[fn]
        code = fn.__code__
        library = is_library_file(code.co_filename) and bool(self.clones)
        (self.library_codes if library else self.codes).update(all_codes(code))
        env = dict(fn.__globals__)
        env["__builtins__"] = self.builtins
        clone = types.FunctionType(code, env, fn.__name__, None, fn.__closure__)
        self.clones[fn] = clone  # before recursing, so recursion terminates
        used = _all_names(code)
        for name in sorted(used):  # sorted: which name a shared constant gets is stable
            if name in env:
                env[name] = self.substitute(env[name])
                self._remember_constant(name, env[name])
                if type(env[name]) is float and not library and name.isidentifier():
                    env[name] = NamedFloat.source(name, env[name])  # kept by name
            elif name in ("min", "max") and name not in env:
                env[name] = _traced_extremum(name, getattr(builtins, name))
        if fn.__closure__:
            cells = []
            for name, cell in zip(code.co_freevars, fn.__closure__):
                try:
                    value = cell.cell_contents
                except ValueError:  # an empty cell: a recursive inner function
                    cells.append(cell)
                    continue
                if name == "__class__":  # super() must see the class that defined it
                    cells.append(cell)
                    continue
                value = self.substitute(value)
                self._remember_constant(name, value)
                cells.append(types.CellType(value))
            clone = types.FunctionType(code, env, fn.__name__, None, tuple(cells))
            self.clones[fn] = clone
        if fn.__defaults__:
            clone.__defaults__ = tuple(self.substitute(v) for v in fn.__defaults__)
        if fn.__kwdefaults__:
            clone.__kwdefaults__ = {k: self.substitute(v) for k, v in fn.__kwdefaults__.items()}
        clone.__qualname__ = fn.__qualname__
        clone.__module__ = fn.__module__
        return clone

    def _lifted(self, value: np.ndarray):
        """`value` as a constant tracer (the same one wherever it is used), or itself
        when it cannot be one (a string array, too large to embed)."""
        from .builder import current_builder
        if id(value) not in self.lifted:
            lifted = value
            if value.ndim and value.dtype.kind in "fiub":
                builder = current_builder()
                try:
                    lifted = builder.tracer(builder.constant(value))
                except ConstantTooLargeError:
                    pass
            self.lifted[id(value)] = (value, lifted)
        return self.lifted[id(value)][1]

    def _remember_constant(self, name: str, value) -> None:
        if isinstance(value, Tracer) and name.isidentifier():  # lifted: name its node
            attrs = value._builder.graph.nodes[value._node]
            if attrs["op"] == "const" and attrs.get("name") is None:
                attrs["name"] = name
        if isinstance(value, (np.ndarray, np.generic)) and name.isidentifier():
            self.constant_names.setdefault(id(value), name)
