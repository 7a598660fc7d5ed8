"""Follow the user's code wherever it goes: methods, classes, partials, cached helpers
and the modules of the user's own package are instrumented like plain functions.

`Instrumenter.substitute` (instrument.py) asks `follow(instrumenter, value)` what a
global, closure cell or default stands for while tracing:

- an instance of a user class becomes a *shadow*: an object of a subclass whose methods
  (plain, static, class, properties) are instrumented clones, sharing the real object's
  `__dict__`, so attributes read and written are the real object's own;
- a user class becomes its shadow class (so `Model.build(x)` and `Model(...)` inside
  `f` are followed too);
- `functools.partial(g, ...)` becomes a partial of the instrumented `g`, an
  `lru_cache`d helper its uncached instrumented function (a cache would keep traced
  values across traces);
- a module of the user's package, or of SciPy, becomes a view whose attributes are
  substituted as they are read (`helpers.g(x)`, `scipy.special.logsumexp(x)`).

"User" code is code outside the standard library and site-packages. Library code that is
followed (scipy.optimize.rosen) is traced, but messages name the user's line calling it.
"""

from __future__ import annotations

import functools
import os
import sys
import sysconfig
import types

_LIBRARY_DIRS = tuple(sorted({os.path.realpath(p) + os.sep for key in
                              ("stdlib", "platstdlib", "purelib", "platlib")
                              if (p := sysconfig.get_paths().get(key))}))
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


@functools.lru_cache(maxsize=1024)
def is_library_file(path: str | None) -> bool:
    if not path or path.startswith("<"):
        return False  # exec'd or interactive code is the user's
    real = os.path.realpath(path)
    return real.startswith(_LIBRARY_DIRS) or "site-packages" in real or \
        "dist-packages" in real or real.startswith(_PACKAGE_DIR)


def is_user_module(module) -> bool:
    return isinstance(module, types.ModuleType) and \
        not is_library_file(getattr(module, "__file__", None)) and \
        getattr(module, "__file__", None) is not None


def is_user_class(cls) -> bool:
    if not isinstance(cls, type):
        return False
    if cls.__module__ == "__main__":
        return True
    module = sys.modules.get(cls.__module__)
    return module is not None and is_user_module(module)


class _ModuleView(types.ModuleType):
    """A module whose attributes are substituted as they are read."""

    def __init__(self, module, instrumenter):
        super().__init__(module.__name__, module.__doc__)
        object.__setattr__(self, "_real", module)
        object.__setattr__(self, "_instrumenter", instrumenter)

    def __getattr__(self, name):
        value = getattr(self._real, name)
        return self._instrumenter.substitute(value)


def _followed_module(instrumenter, module):
    name = module.__name__
    if name == "scipy" or name.startswith("scipy.") or is_user_module(module):
        views = instrumenter.module_views
        if module not in views:
            views[module] = _ModuleView(module, instrumenter)
        return views[module]
    return module


def _shadow_namespace(instrumenter, cls) -> dict:
    """Instrumented copies of the methods `cls` itself defines."""
    namespace = {}
    for name, attr in vars(cls).items():
        if name in ("__dict__", "__weakref__", "__module__", "__qualname__"):
            continue
        if isinstance(attr, types.FunctionType):
            namespace[name] = instrumenter.instrument(attr)
        elif isinstance(attr, (staticmethod, classmethod)):
            inner = attr.__func__
            if isinstance(inner, types.FunctionType):
                namespace[name] = type(attr)(instrumenter.instrument(inner))
        elif isinstance(attr, property):
            namespace[name] = property(*(instrumenter.substitute(f) if f else None
                                         for f in (attr.fget, attr.fset, attr.fdel)),
                                       attr.__doc__)
        elif isinstance(attr, functools.cached_property):
            namespace[name] = property(instrumenter.substitute(attr.func))

    def __getattribute__(self, name, _get=object.__getattribute__):
        value = _get(self, name)
        if isinstance(value, types.MethodType) and value.__self__ is self:
            return value  # already a method of the shadow class
        return instrumenter.substitute(value)

    namespace["__getattribute__"] = __getattribute__
    namespace["__module__"] = cls.__module__
    namespace["__qualname__"] = cls.__qualname__
    return namespace


def shadow_class(instrumenter, cls):
    """A subclass of `cls` with instrumented methods. Each user base class gets its own
    shadow, listed after `cls` among the bases: `super().fun(x)` in a method of `cls`
    then finds the base's instrumented `fun` (the MRO runs shadow, cls, base's shadow,
    base, ...)."""
    shadows = instrumenter.shadows
    if cls in shadows:
        return shadows[cls]
    shadows[cls] = cls  # until built: a method naming its own class sees the real one
    bases = [(b, shadow_class(instrumenter, b)) for b in cls.__bases__ if is_user_class(b)]
    try:
        shadow = type(cls)(cls.__name__, (cls, *[s for b, s in bases if s is not b]),
                           _shadow_namespace(instrumenter, cls))
    except Exception:  # a metaclass, __init_subclass__ or MRO that refuses: leave it
        return cls
    shadows[cls] = shadow
    shadows[shadow] = shadow
    return shadow


def shadow_object(instrumenter, obj):
    key = id(obj)
    if key in instrumenter.shadow_objects:
        return instrumenter.shadow_objects[key][1]
    cls = shadow_class(instrumenter, type(obj))
    shadow = obj
    if cls is not type(obj) and hasattr(obj, "__dict__"):
        try:
            shadow = object.__new__(cls)
            object.__setattr__(shadow, "__dict__", obj.__dict__)
        except (TypeError, AttributeError):  # __slots__, or a builtin base's layout
            shadow = obj
    instrumenter.shadow_objects[key] = (obj, shadow)  # keeps obj alive: ids stay unique
    return shadow


def follow(instrumenter, value):
    """What `value` stands for in traced code, or `value` itself."""
    if isinstance(value, types.ModuleType):
        return _followed_module(instrumenter, value)
    if isinstance(value, functools.partial):
        return functools.partial(instrumenter.substitute(value.func),
                                 *[instrumenter.substitute(a) for a in value.args],
                                 **{k: instrumenter.substitute(v)
                                    for k, v in value.keywords.items()})
    wrapped = getattr(value, "__wrapped__", None)
    if isinstance(wrapped, types.FunctionType) and hasattr(value, "cache_clear"):
        return instrumenter.substitute(wrapped)  # lru_cache / cache
    if isinstance(value, types.MethodType):
        owner = value.__self__
        if isinstance(value.__func__, types.FunctionType) and (
                is_user_class(owner) or is_user_class(type(owner))):
            target = shadow_class(instrumenter, owner) if isinstance(owner, type) \
                else shadow_object(instrumenter, owner)
            return types.MethodType(instrumenter.instrument(value.__func__), target)
        return value
    if isinstance(value, type):
        return shadow_class(instrumenter, value) if is_user_class(value) else value
    if is_user_class(type(value)) and not isinstance(value, BaseException):
        return shadow_object(instrumenter, value)
    return value


def underlying_function(fn):
    """The plain function a bound method, partial or cached helper calls, or None."""
    for _ in range(10):
        if isinstance(fn, types.FunctionType):
            return fn
        if isinstance(fn, functools.partial):
            fn = fn.func
        elif isinstance(fn, (types.MethodType, staticmethod, classmethod)):
            fn = fn.__func__
        elif getattr(fn, "__wrapped__", None) is not None:
            fn = fn.__wrapped__
        else:
            return None
    return None
