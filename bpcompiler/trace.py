"""Tracing: run the user's function on `Tracer`s and record a graph of what it computes.

`trace(fn, args, wrt)` checks the example arguments against the signature, makes one
input node per parameter, runs an instrumented clone of `fn` (see instrument.py), and
returns the forward graph. While it runs, a `sys.settrace` hook reads the user's local
variables at each line so that nodes get the names the source gave them (`z10`, `h`).

Whatever the function does wrong while it runs becomes a `CompileError` naming the
user's line: an exception it raises itself (`FunctionRaisedError`), recursion past
Python's limit or a graph larger than `MAX_TRACE_NODES` (`TraceLimitError`). An
exception raised inside bpcompiler's own code is left alone: the pipeline reports it
as an internal error.
"""

from __future__ import annotations

import inspect
import os
import sys
import traceback

import numpy as np

from .builder import Builder
from .errors import (ArgumentError, CompileError, FunctionRaisedError, NonFiniteError,
                     ReturnValueError, TraceLimitError)
from .graph import FLOAT_DTYPES, add_node, new_graph
from .instrument import Instrumenter
from .paths import display_path
from .ops.registry import dtype_name
from .tracer import Tracer

# The largest forward graph a trace may build. A loop that unrolls further (or never
# ends) is refused with TraceLimitError after several seconds of tracing. Issue 6 asks
# that a 100,000-node forward graph compile (in under 30 s), so the limit is above that.
MAX_TRACE_NODES = 250_000
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


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
            star = "*" if p.kind == p.VAR_POSITIONAL else "**"
            raise ArgumentError(f"{fn.__name__} takes {star}{p.name}",
                                file=file, line=line,
                                hint="list every parameter by name so each gets one example value")
        if p.kind == p.KEYWORD_ONLY:
            raise ArgumentError(f"{fn.__name__} has the keyword-only parameter {p.name!r}",
                                file=file, line=line,
                                hint="make it positional (before any *) so it gets an "
                                     "example value, or make it a constant")
        names.append(p.name)
    return tuple(names)


def describe_argument(value) -> tuple[tuple, str, bool]:
    """(shape, dtype, python) of an example argument, or raise ArgumentError."""
    if isinstance(value, (bool, int, float)) and not isinstance(value, np.generic):
        return (), dtype_name(value), True
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "fiub":
        if value.dtype.kind == "f" and value.dtype.name not in FLOAT_DTYPES:
            raise ArgumentError(f"{value.dtype} arrays are not supported",
                                hint="use float64 or float32")
        dtype = value.dtype.name
        if value.dtype.kind in "iu":
            dtype = "int64" if value.dtype.itemsize == 8 else dtype
        return tuple(value.shape), dtype, False
    kind = type(value).__name__
    hint = "pass a Python float or int, or a float/int/bool NumPy array"
    if isinstance(value, (np.ndarray, np.generic)):
        kind = f"{value.dtype} array"
    if isinstance(value, (list, tuple)):
        hint = "convert it with np.array(...), or make each element its own parameter"
    elif isinstance(value, complex) or np.iscomplexobj(value) and \
            isinstance(value, (np.ndarray, np.generic)):
        hint = ("bpcompiler differentiates real functions: pass the real and imaginary "
                "parts as separate float parameters")
    elif value is None:
        kind = "None"
    raise ArgumentError(f"its example value is a {kind}", hint=hint)


def resolve_wrt(fn, names, avals, wrt) -> tuple[str, ...]:
    file, line = source_file(fn), _first_line(fn)
    floats = [n for n, (shape, dtype, _) in zip(names, avals) if dtype in FLOAT_DTYPES]
    if wrt is None:
        if not floats:
            raise ArgumentError(f"{fn.__name__} has no float parameter to differentiate",
                                file=file, line=line, hint="pass float example arguments")
        return tuple(floats)
    if isinstance(wrt, str):
        wrt = (wrt,)
    if not isinstance(wrt, (tuple, list)) or not all(isinstance(w, str) for w in wrt):
        raise ArgumentError(f"wrt must be a parameter name or a tuple of names, not {wrt!r}",
                            file=file, line=line, hint=f"e.g. wrt={names[:1]!r}")
    wrt = tuple(wrt)
    for name in wrt:
        if name not in names:
            raise ArgumentError(f"wrt names {name!r}, which is not a parameter of "
                                f"{fn.__name__} {names}", file=file, line=line,
                                hint="name parameters from the signature")
        if name not in floats:
            raise ArgumentError(f"wrt names {name!r}, which is not a float parameter",
                                file=file, line=line,
                                hint="only float scalars and float arrays can be differentiated")
    if len(set(wrt)) != len(wrt):
        raise ArgumentError(f"wrt repeats a name: {wrt}", file=file, line=line,
                            hint="name each parameter once")
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
            raise NonFiniteError(f"the example value of {name!r} contains NaN or inf",
                                 file=file, line=first, hint="pass finite example values")
    wrt = resolve_wrt(fn, names, avals, wrt)

    graph = new_graph(fn.__name__, file, names)
    instrumenter = Instrumenter()
    clone = instrumenter.instrument(fn)

    shown: dict[str, str | None] = {}  # co_filename -> display path (relpath is slow)

    def where():
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code in instrumenter.codes:
                name = frame.f_code.co_filename
                if name not in shown:
                    shown[name] = display_path(name)
                return shown[name], frame.f_lineno
            frame = frame.f_back
        return file, None

    builder = Builder(graph, "forward", where)
    builder.constant_names = instrumenter.constant_names
    builder.max_nodes = MAX_TRACE_NODES
    inputs = []
    for index, (name, (shape, dtype, python)) in enumerate(zip(names, avals)):
        inputs.append(add_node(graph, "input", (), {"index": index}, shape=shape, dtype=dtype,
                               python=python, phase="forward", name=name, file=file,
                               line=first))
    graph.graph.update(inputs=tuple(inputs), wrt=wrt)
    builder.mutable = {node for node, value in zip(inputs, args)
                       if isinstance(value, np.ndarray)}

    namer = _LocalNamer(graph, instrumenter.codes, fn.__code__)
    with builder.active():
        previous = sys.gettrace()
        sys.settrace(namer.global_trace)
        try:
            result = clone(*[builder.tracer(n) for n in inputs])
        except CompileError:
            raise
        except RecursionError:
            raise TraceLimitError(f"{fn.__name__} recursed past Python's recursion limit "
                                  "while being traced", file=file, line=first,
                                  hint="recursion must end after a fixed number of steps "
                                       "that does not depend on traced values") from None
        except Exception as exc:
            _raise_user_error(exc, fn, instrumenter.codes, file, first)
        finally:
            sys.settrace(previous)
        graph.graph["output"] = _output_node(builder, result, fn, file,
                                             namer.return_line or first)
    return graph


def _raise_user_error(exc: Exception, fn, codes, file, first) -> None:
    """Re-raise `exc`, from the user's function, as a FunctionRaisedError naming the
    user's line; an exception raised inside bpcompiler itself propagates unchanged."""
    frames = traceback.extract_tb(exc.__traceback__)
    innermost = frames[-1] if frames else None
    inside = innermost is not None and os.path.abspath(innermost.filename).startswith(
        _PACKAGE_DIR + os.sep)
    # NOTE: instrument.py's traced `math`/min/max pass calls without traced operands to
    # the real function: an exception there (math.tanh(an_array)) is the user's.
    passthrough = inside and os.path.basename(innermost.filename) == "instrument.py"
    if inside and not passthrough:
        raise exc  # a bug in bpcompiler: the pipeline reports it as internal
    where_file, where_line = file, first
    tb = exc.__traceback__
    while tb is not None:  # the innermost frame that is the user's traced code
        if tb.tb_frame.f_code in codes:
            where_file, where_line = display_path(tb.tb_frame.f_code.co_filename), tb.tb_lineno
        tb = tb.tb_next
    message = str(exc).replace("Tracer", "traced value")
    hint = "the function must run on any values of the example's shapes and dtypes"
    if isinstance(exc, (TypeError, AttributeError)):
        hint = ("bpcompiler runs the function on traced stand-ins for its parameters; "
                "operands must be floats, ints or NumPy arrays and only supported "
                "operations can be applied (run `bpcompiler ops`)")
    raise FunctionRaisedError(f"{fn.__name__} raised {type(exc).__name__}: {message} "
                              "while being traced", file=where_file, line=where_line,
                              hint=hint) from exc


def _output_node(builder, result, fn, file, line) -> int:
    """The output node for the function's return value (`line`: the return statement)."""
    if isinstance(result, Tracer):
        if result.shape != ():
            raise ReturnValueError(f"{fn.__name__} returns an array of shape {result.shape}",
                                   file=file, line=line,
                                   hint="return a scalar, e.g. np.sum(...) or np.mean(...)")
        if result._dtype not in FLOAT_DTYPES:
            raise ReturnValueError(f"{fn.__name__} returns a {result._dtype} value",
                                   file=file, line=line,
                                   hint="return a float: a comparison or an int count "
                                        "has no gradient")
        return result._node
    if isinstance(result, (float, np.floating)) or (
            isinstance(result, np.ndarray) and result.shape == () and result.dtype.kind == "f"):
        return builder.constant(result)  # does not depend on the inputs: zero gradient
    if result is None:
        raise ReturnValueError(f"{fn.__name__} returns None", file=file, line=line,
                               hint="is a return statement missing? return one float scalar")
    if isinstance(result, (tuple, list)):
        raise ReturnValueError(f"{fn.__name__} returns a {type(result).__name__} of "
                               f"{len(result)} values", file=file, line=line,
                               hint="return one float scalar: compile each output "
                                    "separately, or combine them (e.g. their sum)")
    kind = type(result).__name__
    if isinstance(result, np.ndarray):
        kind = f"{result.dtype} array of shape {result.shape}"
    raise ReturnValueError(f"{fn.__name__} returns a {kind}, not a float",
                           file=file, line=line, hint="return one float scalar")


class _LocalNamer:
    """A `sys.settrace` hook: name each node after the first local variable bound to it."""

    def __init__(self, graph, codes, top=None):
        self.graph = graph
        self.codes = codes
        self.top = top  # the traced function's own code: its last `return` line is kept
        self.return_line = None

    def global_trace(self, frame, event, arg):
        if frame.f_code in self.codes:
            return self.local_trace
        return None

    def local_trace(self, frame, event, arg):
        if event == "return" and frame.f_code is self.top:
            self.return_line = frame.f_lineno
        if event in ("line", "return"):
            nodes = self.graph.nodes
            for name, value in frame.f_locals.items():
                if isinstance(value, Tracer) and value._node in nodes:
                    attrs = nodes[value._node]
                    if attrs["name"] is None and attrs["op"] != "const" and \
                            name.isidentifier() and not name.startswith("."):
                        attrs["name"] = name
        return self.local_trace
