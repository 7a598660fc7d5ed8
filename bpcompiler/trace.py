"""Tracing: run the user's function on `Tracer`s and record a graph of what it computes.

`trace(fn, args, wrt)` checks the example arguments against the signature, makes one
input node per parameter, runs an instrumented clone of `fn` (see instrument.py), and
returns the forward graph. While it runs, a `sys.settrace` hook reads the user's local
variables at each line so that nodes get the names the source gave them (`z10`, `h`).
"""

from __future__ import annotations

import functools
import inspect
import os
import sys

import numpy as np

from .builder import Builder
from .errors import ArgumentError, CompileError, ReturnValueError
from .graph import add_node, new_graph
from .instrument import Instrumenter
from .ops.registry import dtype_name
from .tracer import Tracer


@functools.lru_cache(maxsize=256)  # NOTE: called once per traced node
def display_path(path: str | None) -> str | None:
    """A path relative to the working directory when it lies under it (stable across
    machines for headers and comments), else as given."""
    if path is None:
        return None
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def source_file(fn) -> str | None:
    try:
        return display_path(inspect.getsourcefile(fn))
    except TypeError:
        return None


def _first_line(fn) -> int | None:
    return getattr(getattr(fn, "__code__", None), "co_firstlineno", None)


def parameter_names(fn) -> tuple[str, ...]:
    file, line = source_file(fn), _first_line(fn)
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        raise ArgumentError(f"cannot read the signature of {fn!r}", file=file, line=line,
                            hint="pass a plain Python function")
    names = []
    for p in signature.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise ArgumentError(f"{fn.__name__} takes *{p.name}/**{p.name}",
                                file=file, line=line,
                                hint="list every parameter by name so each gets one example value")
        names.append(p.name)
    return tuple(names)


def describe_argument(value) -> tuple[tuple, str, bool]:
    """(shape, dtype, python) of an example argument, or raise ArgumentError."""
    if isinstance(value, (bool, int, float)) and not isinstance(value, np.generic):
        return (), dtype_name(value), True
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "fiub":
        if value.dtype.kind == "f" and value.dtype.name not in ("float64", "float32"):
            raise ArgumentError(f"{value.dtype} arrays are not supported",
                                hint="use float64 or float32")
        dtype = value.dtype.name
        if value.dtype.kind in "iu":
            dtype = "int64" if value.dtype.itemsize == 8 else dtype
        return tuple(value.shape), dtype, False
    kind = type(value).__name__
    if isinstance(value, (np.ndarray, np.generic)):
        kind = f"{value.dtype} array"
    raise ArgumentError(f"an example argument is a {kind}",
                        hint="pass a Python float or int, or a float/int/bool NumPy array")


def resolve_wrt(fn, names, avals, wrt) -> tuple[str, ...]:
    file, line = source_file(fn), _first_line(fn)
    floats = [n for n, (shape, dtype, _) in zip(names, avals) if dtype in ("float64", "float32")]
    if wrt is None:
        if not floats:
            raise ArgumentError(f"{fn.__name__} has no float parameter to differentiate",
                                file=file, line=line, hint="pass float example arguments")
        return tuple(floats)
    if isinstance(wrt, str):
        wrt = (wrt,)
    wrt = tuple(wrt)
    for name in wrt:
        if name not in names:
            raise ArgumentError(f"wrt names {name!r}, which is not a parameter of "
                                f"{fn.__name__} {names}", file=file, line=line)
        if name not in floats:
            raise ArgumentError(f"wrt names {name!r}, which is not a float parameter",
                                file=file, line=line,
                                hint="only float scalars and float arrays can be differentiated")
    if len(set(wrt)) != len(wrt):
        raise ArgumentError(f"wrt repeats a name: {wrt}", file=file, line=line)
    if not wrt:
        raise ArgumentError("wrt is empty", file=file, line=line,
                            hint="name at least one float parameter")
    return wrt


def trace(fn, args, wrt=None):
    """Trace `fn` at example `args`; return the forward graph (output set, no grads)."""
    if not callable(fn) or not hasattr(fn, "__code__"):
        raise ArgumentError(f"{fn!r} is not a plain Python function",
                            hint="pass a function defined with def or lambda")
    file, first = source_file(fn), _first_line(fn)
    names = parameter_names(fn)
    args = tuple(args)
    if len(args) != len(names):
        raise ArgumentError(f"{fn.__name__} takes {len(names)} parameters {names} but "
                            f"{len(args)} example arguments were given", file=file, line=first,
                            hint="pass one example value per parameter, in order")
    avals = []
    for name, value in zip(names, args):
        try:
            avals.append(describe_argument(value))
        except ArgumentError as exc:
            raise ArgumentError(f"parameter {name!r}: {exc.problem}", file=file, line=first,
                                hint=exc.hint) from None
        if np.issubdtype(np.asarray(value).dtype, np.floating) and \
                not np.all(np.isfinite(value)):
            raise ArgumentError(f"the example value of {name!r} contains NaN or inf",
                                file=file, line=first, hint="pass finite example values")
    wrt = resolve_wrt(fn, names, avals, wrt)

    graph = new_graph(fn.__name__, file, names)
    instrumenter = Instrumenter()
    clone = instrumenter.instrument(fn)

    def where():
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code in instrumenter.codes:
                return display_path(frame.f_code.co_filename), frame.f_lineno
            frame = frame.f_back
        return file, None

    builder = Builder(graph, "forward", where)
    builder.constant_names = instrumenter.constant_names
    inputs = []
    for index, (name, (shape, dtype, python)) in enumerate(zip(names, avals)):
        inputs.append(add_node(graph, "input", (), {"index": index}, shape=shape, dtype=dtype,
                               python=python, phase="forward", name=name, file=file,
                               line=first))
    graph.graph.update(inputs=tuple(inputs), wrt=wrt)

    namer = _LocalNamer(graph, instrumenter.codes)
    with builder.active():
        previous = sys.gettrace()
        sys.settrace(namer.global_trace)
        try:
            result = clone(*[builder.tracer(n) for n in inputs])
        except CompileError:
            raise
        except RecursionError:
            raise CompileError(f"{fn.__name__} recursed too deeply while tracing",
                               file=file, line=first,
                               hint="recursion must end after a fixed number of steps")
        finally:
            sys.settrace(previous)
        graph.graph["output"] = _output_node(builder, result, fn, file, first)
    return graph


def _output_node(builder, result, fn, file, line) -> int:
    if isinstance(result, Tracer):
        if result.shape != ():
            raise ReturnValueError(f"{fn.__name__} returns an array of shape {result.shape}",
                                   file=file, line=line,
                                   hint="return a scalar, e.g. np.sum(...) or np.mean(...)")
        if result._dtype not in ("float64", "float32"):
            raise ReturnValueError(f"{fn.__name__} returns a {result._dtype} value",
                                   file=file, line=line, hint="return a float")
        return result._node
    if isinstance(result, (float, np.floating)) or (
            isinstance(result, np.ndarray) and result.shape == () and result.dtype.kind == "f"):
        return builder.constant(result)  # does not depend on the inputs: zero gradient
    raise ReturnValueError(f"{fn.__name__} returns {type(result).__name__}, not a float",
                           file=file, line=line, hint="return one float scalar")


class _LocalNamer:
    """A `sys.settrace` hook: name each node after the first local variable bound to it."""

    def __init__(self, graph, codes):
        self.graph = graph
        self.codes = codes

    def global_trace(self, frame, event, arg):
        if frame.f_code in self.codes:
            return self.local_trace
        return None

    def local_trace(self, frame, event, arg):
        if event in ("line", "return"):
            nodes = self.graph.nodes
            for name, value in frame.f_locals.items():
                if isinstance(value, Tracer) and value._node in nodes:
                    attrs = nodes[value._node]
                    if attrs["name"] is None and attrs["op"] != "const" and \
                            name.isidentifier() and not name.startswith("."):
                        attrs["name"] = name
        return self.local_trace
