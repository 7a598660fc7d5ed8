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

from . import branches
from .builder import Builder, StaticNeeded
from .errors import (ArgumentError, CompileError, ConcreteValueError, FunctionRaisedError,
                     InternalError, NonFiniteError, ReturnValueError, TraceLimitError)
from .graph import FLOAT_DTYPES, add_node, new_graph
from .follow import is_library_file, underlying_function
from .instrument import Instrumenter
from .nested import autograd_traced
from .paths import display_path
from .signature import Leaf, bind, is_literal
from .structure import check_structure, flatten, is_structure, leaf_name, path_text
from .ops.registry import dtype_name
from .structured import is_structured, pack_output
from .tracer import LiftNeeded, Tracer

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
    """The names of `fn`'s parameters (ArgumentError for *args, **kwargs); for a bound
    method or a partial, those left to pass."""
    target = underlying_function(fn) or fn
    file, line = source_file(target), _first_line(target)
    return tuple(p.name for p in bind(fn, {}, file=file, line=line, complete=False).params)


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


def resolve_wrt(fn, sig, avals, wrt) -> tuple[str, ...]:
    """The parameters to differentiate: `wrt`, checked, or by default every parameter
    whose leaves are all floats, has no default and is not a compile-time constant."""
    file, line = source_file(fn), _first_line(fn)
    names = tuple(p.name for p in sig.params)
    kinds = {}
    for leaf, (shape, dtype, _) in zip(sig.leaves, avals):
        kinds.setdefault(sig.params[leaf.param].name, set()).add(dtype)
    floats = [p.name for p in sig.params if p.name in kinds
              and kinds[p.name] <= set(FLOAT_DTYPES)]
    if wrt is None:
        chosen = tuple(n for n in floats if not sig.param(n).has_default)
        if not chosen:
            raise ArgumentError(f"{fn.__name__} has no float parameter to differentiate",
                                file=file, line=line,
                                hint="pass float example arguments (parameters with "
                                     "defaults are differentiated only when wrt names them)")
        return chosen
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
        if sig.param(name).static:
            raise ArgumentError(f"wrt names {name!r}, which is a compile-time constant "
                                f"(its example is {sig.param(name).value!r})", file=file,
                                line=line, hint="differentiate float parameters only")
        if name not in floats:
            what = "a structure whose leaves are not all floats" if \
                sig.param(name).structured else "not a float parameter"
            raise ArgumentError(f"wrt names {name!r}, which is {what}",
                                file=file, line=line,
                                hint="only float scalars and float arrays (or structures "
                                     "of them) can be differentiated")
    if len(set(wrt)) != len(wrt):
        raise ArgumentError(f"wrt repeats a name: {wrt}", file=file, line=line,
                            hint="name each parameter once")
    if not wrt:
        raise ArgumentError("wrt is empty", file=file, line=line,
                            hint="name at least one float parameter")
    return wrt


def trace(fn, args, wrt=None, arrays: bool = False):
    """Trace `fn` at example `args` (a tuple in signature order, or a dict by name);
    return the forward graph (output set, no grads). An int parameter the function
    needs as a concrete number is made a compile-time constant, and `fn` traced again.
    With `arrays`, the function may return a float array (for jvp, vjp and jacobian)."""
    if not callable(fn) or underlying_function(fn) is None:
        raise ArgumentError(f"{fn!r} is not a plain Python function",
                            hint="pass a function defined with def or lambda (or a method, "
                                 "functools.partial or lru_cache of one)")
    static: frozenset = frozenset()
    lift = False
    while True:
        try:
            with autograd_traced():  # before instrumenting: clones copy autograd's globals
                return _trace(fn, args, wrt, static, arrays, lift)
        except StaticNeeded as need:
            if need.names <= static:  # NOTE: cannot happen: constants are not inputs
                raise InternalError(f"internal error in trace: {need} stayed traced")
            static |= need.names
        except LiftNeeded:
            lift = True  # (raised only while lift is False)


def _leaves(fn, sig, file, first) -> list:
    """Classify each parameter (static, structured or plain) and list the traced leaves
    with their (shape, dtype, python)."""
    avals = []
    for index, p in enumerate(sig.params):
        label = f"parameter {p.name!r}"
        if p.static:
            if not is_literal(p.value):
                raise ArgumentError(f"{label} is a compile-time constant (a loop bound, "
                                    f"size or branch) whose example {p.value!r} cannot be "
                                    "written into the module", file=file, line=first,
                                    hint="pass a Python int or bool")
            continue
        problem = check_structure(p.value, p.name)
        if problem:
            raise ArgumentError(f"{label}: {problem}", file=file, line=first,
                                hint="use lists, tuples, NamedTuples, dataclasses and "
                                     "dicts with string keys, of arrays and numbers")
        if is_structure(p.value):
            p.structured = True
            pairs = flatten(p.value)
        else:
            pairs = [((), p.value)]
        for path, value in pairs:
            where = path_text(p.name, path)
            try:
                aval = describe_argument(value)
            except ArgumentError as exc:
                if not path and p.has_default and is_literal(value):
                    # an option (None, a string): a compile-time constant
                    p.static = True
                    break
                raise ArgumentError(f"{'parameter ' + repr(where) if path else label}: "
                                    f"{exc.problem}", file=file, line=first,
                                    hint=exc.hint) from None
            if np.issubdtype(np.asarray(value).dtype, np.floating) and \
                    not np.all(np.isfinite(value)):
                raise NonFiniteError(f"the example value of {where!r} contains NaN or inf",
                                     file=file, line=first, hint="pass finite example values")
            name = leaf_name(p.name, path) if path else p.name
            while path and any(leaf.name == name for leaf in sig.leaves):
                name += "_"  # two keys that read the same as identifiers
            sig.leaves.append(Leaf(index, path, name, value))
            avals.append(aval)
    return avals


def _trace(fn, args, wrt, static, arrays=False, lift=False):
    given, target = fn, underlying_function(fn)
    file, first = source_file(target), _first_line(target)
    sig = bind(given, args, static, file=file, line=first)
    fn = target  # `fn` names the function in messages from here on
    avals = _leaves(fn, sig, file, first)
    wrt_params = resolve_wrt(fn, sig, avals, wrt)
    names = tuple(leaf.name for leaf in sig.leaves)
    wrt = tuple(leaf.name for w in wrt_params for leaf in sig.leaves_of(w))

    graph = new_graph(target.__name__, file, names)
    instrumenter = Instrumenter()
    clone = None if lift else instrumenter.entry(given)

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
    builder.control_flow = branches.mode()
    builder.example = [leaf.value for leaf in sig.leaves]  # (for ops that check values)
    builder.constant_names = instrumenter.constant_names
    builder.max_nodes = MAX_TRACE_NODES
    inputs = []
    for index, (leaf, (shape, dtype, python)) in enumerate(zip(sig.leaves, avals)):
        kind = "python" if python else "scalar" if isinstance(leaf.value, np.generic) \
            else "array"  # what the gradient must be: float, NumPy scalar or ndarray
        inputs.append(add_node(graph, "input", (), {"index": index, "kind": kind},
                               shape=shape, dtype=dtype, python=python, phase="forward",
                               name=None if leaf.path else leaf.name, file=file, line=first))
        if not leaf.path and dtype in ("int64", "int32", "bool") and shape == () and \
                not sig.params[leaf.param].structured:
            builder.static_candidates[inputs[-1]] = leaf.name
    graph.graph.update(inputs=tuple(inputs), wrt=wrt, signature=sig, wrt_params=wrt_params)
    builder.mutable = {node for node, leaf in zip(inputs, sig.leaves)
                       if isinstance(leaf.value, np.ndarray)}
    builder.lift_constants = lift
    if lift:  # the constant arrays become constant tracers, numbered after the inputs
        instrumenter.lift = True
        with builder.active():
            clone = instrumenter.entry(given)

    namer = _LocalNamer(graph, instrumenter.codes, fn.__code__)
    with builder.active():
        previous = sys.gettrace()
        sys.settrace(namer.global_trace)
        try:
            result = sig.call(clone, [builder.tracer(n) for n in inputs])
        except CompileError as exc:
            _name_library(exc, instrumenter.codes)
            raise
        except StaticNeeded:
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
        namer.name_returned_values()
        line = namer.return_line or first
        if arrays and is_structured(result):  # a tuple or dict of arrays (structured.py)
            graph.graph["output"] = pack_output(
                builder, result, fn, file, line,
                lambda r: _output_node(builder, r, fn, file, line, True))
        else:
            graph.graph["output"] = _output_node(builder, result, fn, file, line, arrays)
    _name_leaves(graph, sig)
    return graph


def _name_leaves(graph, sig) -> None:
    """Structured leaves take the names the source gave them (`(W1, b1), (W2, b2) =
    params`) when those are unique; else their path's (`params_0_1`)."""
    from .naming import RESERVED
    nodes = graph.graph["inputs"]
    taken = {p.name for p in sig.params}
    wanted = [graph.nodes[n]["name"] if leaf.path else None
              for n, leaf in zip(nodes, sig.leaves)]
    counts = {w: wanted.count(w) for w in wanted if w is not None}
    rename = {}
    for node, leaf, want in zip(nodes, sig.leaves, wanted):
        if leaf.path:
            ok = want is not None and counts[want] == 1 and want not in taken \
                and want not in RESERVED
            name = want if ok else leaf.name
            while name in taken:
                name += "_"
            rename[leaf.name] = name
            leaf.name = name
            taken.add(name)
            graph.nodes[node]["name"] = name
    graph.graph["params"] = tuple(leaf.name for leaf in sig.leaves)
    graph.graph["wrt"] = tuple(rename.get(w, w) for w in graph.graph["wrt"])


def library_callee(tb, codes) -> str | None:
    """The library function (`scipy.stats.entropy`) the user's innermost traced line in
    traceback `tb` called, when the exception came from inside it; else None."""
    callee = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if code in codes:
            callee = None
            following = tb.tb_next
            if following is not None:
                inner = following.tb_frame
                path = os.path.abspath(inner.f_code.co_filename)
                if inner.f_code not in codes and is_library_file(path) and \
                        not path.startswith(_PACKAGE_DIR + os.sep):
                    callee = _spelled_call(tb) or _public_name(inner)
        tb = tb.tb_next
    return callee


def _spelled_call(tb) -> str | None:
    """The callee as the user's line spells it (`st.entropy` in `st.entropy(p)`), read
    from the source positions of the call instruction traceback entry `tb` stopped at."""
    import dis
    import linecache
    found = None  # the instruction at tb_lasti (or before it, past its inline caches)
    for ins in dis.get_instructions(tb.tb_frame.f_code):
        if ins.offset > tb.tb_lasti:
            break
        found = ins
    p = found.positions if found is not None else None
    if p is None or not p.lineno or p.col_offset is None:
        return None
    text = linecache.getline(tb.tb_frame.f_code.co_filename, p.lineno)[p.col_offset:]
    name = text.split("(", 1)[0].strip()
    return name if name and name.replace(".", "").replace("_", "").isalnum() else None


def _public_name(frame) -> str:
    """`scipy.linalg.expm` for a frame of scipy.linalg._matfuncs.expm."""
    parts = (frame.f_globals.get("__name__", "") or "").split(".")
    cut = next((i for i, p in enumerate(parts) if p.startswith("_")), len(parts))
    return ".".join(parts[:cut] + [frame.f_code.co_name])


def _name_library(exc: CompileError, codes) -> None:
    """A refusal raised inside library code names the library function too: the user's
    line is `st.entropy(p)`, and `.mask()` is entropy's, not theirs."""
    callee = library_callee(exc.__traceback__, codes)
    if callee and "a concrete NumPy array" in exc.problem and \
            isinstance(exc, ConcreteValueError):
        # NOTE: the library's own code asked for the numbers (it calls compiled code,
        # LAPACK): the function, not that line of it, is what is not traced.
        exc.__init__(f"{callee} of traced values is not supported: its code needs "
                     "concrete numbers", file=exc.file, line=exc.line,
                     hint="`bpcompiler ops` lists what is traced; or compute it outside "
                     "the function and pass the value in")
    elif callee and callee.split(".")[-1] not in exc.problem:
        exc.__init__(f"inside {callee} (library code called on this line): {exc.problem}",
                     file=exc.file, line=exc.line, hint=exc.hint)


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
    callee = library_callee(exc.__traceback__, codes)
    if callee:
        message = f"{message} (inside {callee}, library code called on this line)"
    hint = "the function must run on any values of the example's shapes and dtypes"
    if isinstance(exc, (TypeError, AttributeError)):
        hint = ("bpcompiler runs the function on traced stand-ins for its parameters; "
                "operands must be floats, ints or NumPy arrays and only supported "
                "operations can be applied (run `bpcompiler ops`)")
    raise FunctionRaisedError(f"{fn.__name__} raised {type(exc).__name__}: {message} "
                              "while being traced", file=where_file, line=where_line,
                              hint=hint) from exc


def _output_node(builder, result, fn, file, line, arrays=False) -> int:
    """The output node for the function's return value (`line`: the return statement)."""
    if isinstance(result, Tracer):
        if result.shape != () and not arrays:
            raise ReturnValueError(f"{fn.__name__} returns an array of shape {result.shape}",
                                   file=file, line=line,
                                   hint="a gradient needs a scalar, e.g. np.sum(...); for "
                                        "an array, emit vjp or jacobian instead of grad "
                                        "(compile_grad(..., emit=('jacobian',)), "
                                        "--emit jacobian)")
        if result._dtype not in FLOAT_DTYPES:
            raise ReturnValueError(f"{fn.__name__} returns a {result._dtype} value",
                                   file=file, line=line,
                                   hint="return a float: a comparison or an int count "
                                        "has no gradient")
        return result._node
    if isinstance(result, (float, np.floating)) or (
            isinstance(result, np.ndarray) and (result.shape == () or arrays)
            and result.dtype.kind == "f"):
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
    """A `sys.settrace` hook: name each node after the first local variable bound to it,
    and a value a helper returns that no variable holds after the helper's name
    (`return shifted - np.log(...)` in `log_softmax` reads as `log_softmax`)."""

    def __init__(self, graph, codes, top=None):
        self.graph = graph
        self.codes = codes
        self.top = top  # the traced function's own code: its last `return` line is kept
        self.return_line = None
        self.returned_by: dict[int, str] = {}  # node -> the helper that returned it

    def name_returned_values(self) -> None:
        """Give a helper's name to what it returned, where no local took the value."""
        nodes = self.graph.nodes
        for node, helper in self.returned_by.items():
            if node in nodes and nodes[node]["name"] is None:
                nodes[node]["name"] = helper

    def global_trace(self, frame, event, arg):
        if frame.f_code in self.codes:
            return self.local_trace
        return None

    def local_trace(self, frame, event, arg):
        if event == "return" and frame.f_code is self.top:
            self.return_line = frame.f_lineno
        elif event == "return" and isinstance(arg, Tracer):
            helper = frame.f_code.co_name
            if helper.isidentifier() and not helper.startswith("__"):
                self.returned_by.setdefault(arg._node, helper)
        if event in ("line", "return"):
            nodes = self.graph.nodes
            for name, value in frame.f_locals.items():
                if isinstance(value, Tracer) and value._node in nodes:
                    attrs = nodes[value._node]
                    if attrs["name"] is None and attrs["op"] != "const" and \
                            name.isidentifier() and not name.startswith("."):
                        attrs["name"] = name
        return self.local_trace
