"""Adding operations to a graph: the one place nodes are created from operands.

Tracing (trace.py) and differentiation (autodiff.py) both build nodes by applying
registered ops to `Tracer`s. A `Builder` owns the graph being built, converts plain
Python and NumPy operands into constant nodes, runs the op's shape rule, and stamps
each node with its phase and source provenance.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import Callable

import numpy as np

from .errors import (CompileError, ConstantTooLargeError, TraceLimitError,
                     UnsupportedOperationError)
from .graph import MULTI_DTYPE, add_node
from .ops.multi import proj_params
from .recipes import recipe
from .ops.registry import PREC_ATOM, REGISTRY, Aval, Expr, dtype_name
from .tracer import Tracer

_STACK: list["Builder"] = []
# An array constant with more elements than this, not all equal, is refused rather than
# embedded in the module as a literal (ConstantTooLargeError): pass it as an argument.
MAX_CONSTANT_ELEMENTS = 1000


class StaticNeeded(BaseException):
    """An int parameter must be a compile-time constant (see Builder.concrete_needed).
    A BaseException, so no `except Exception` in the user's code swallows it."""

    def __init__(self, names: frozenset):
        super().__init__(", ".join(sorted(names)))
        self.names = names


def current_builder() -> "Builder":
    if not _STACK:
        raise RuntimeError("no graph is being built")
    return _STACK[-1]


class Builder:
    def __init__(self, graph, phase: str, where: Callable[[], tuple]):
        self.graph = graph
        self.phase = phase
        self.where = where  # -> (file, line) of the user code being traced
        self.constant_names: dict[int, str] = {}  # id(array) -> the user's name for it
        self.mutable: set[int] = set()  # input nodes whose example value is an ndarray
        self.max_nodes: int | None = None  # refuse to grow the graph past this
        self.static_candidates: dict[int, str] = {}  # int inputs that may become constants
        # node -> weak references to the tracers made for it (ops/update.py asks whether
        # any value still shows an array before a write through one of its views)
        self.tracers_of: dict[int, list] = {}
        self.example: list | None = None  # the example's value of each input (trace.py)
        self.example_values: dict = {}  # node -> its value at the example (example_value)
        # "refuse" or "guard": control flow on a traced value (branches.py)
        self.control_flow = "refuse"

    @contextlib.contextmanager
    def active(self):
        _STACK.append(self)
        try:
            yield self
        finally:
            _STACK.pop()

    def tracer(self, node: int) -> Tracer:
        a = self.graph.nodes[node]
        t = Tracer(self, node, a["shape"], a["dtype"], a["python"])
        self.tracers_of.setdefault(node, []).append(weakref.ref(t))
        return t

    def repoint(self, t: Tracer, node: int) -> None:
        """`t` now stands for `node` (an in-place write made it a new value)."""
        t._node = node
        self.tracers_of.setdefault(node, []).append(weakref.ref(t))

    def node_of(self, value) -> int:
        if isinstance(value, Tracer):
            if value._builder.graph is not self.graph:
                raise UnsupportedOperationError(
                    "a traced value escaped its trace (stored in a global or closure?)",
                    hint="pass values between functions as arguments and return values")
            return value._node
        return self.constant(value)

    def constant(self, value) -> int:
        file, line = self.where()
        if isinstance(value, (list, tuple)) and not _holds_tracer(value):
            value = np.asarray(value)  # an array-like, as NumPy accepts it
        if isinstance(value, (bool, int, float)) and not isinstance(value, np.generic):
            return add_node(self.graph, "const", (), {"value": value}, shape=(),
                            dtype=dtype_name(value), python=True, phase=self.phase,
                            file=file, line=line)
        if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "fiub":
            array = np.array(value, copy=True)
            name = self.constant_names.get(id(value))
            if array.size > MAX_CONSTANT_ELEMENTS and not _uniform(array) and \
                    recipe(array) is None:  # (np.arange(2000.0) is built, not printed)
                raise ConstantTooLargeError(
                    f"the array constant {name or ''} of shape {array.shape} "
                    f"({array.size} elements) is too large to embed in the module "
                    f"(limit {MAX_CONSTANT_ELEMENTS} elements unless all are equal or it "
                    "is a range or an identity the module can build)",
                    file=file, line=line,
                    hint="make it a parameter of the function and pass it as an argument")
            self._count(file, line)
            return add_node(self.graph, "const", (), {"value": array}, shape=array.shape,
                            dtype=array.dtype.name, python=False, phase=self.phase,
                            name=name, file=file, line=line)
        kind = type(value).__name__
        if isinstance(value, (np.ndarray, np.generic)):
            kind = f"{value.dtype} array"
        raise UnsupportedOperationError(
            f"cannot use a {kind} value in a traced computation", file=file, line=line,
            hint="use Python floats or ints, or float/int/bool NumPy arrays")

    def apply(self, name: str, operands, params: dict | None = None,
              python: bool | None = None) -> Tracer:
        op = REGISTRY[name]
        params = params or {}
        nodes = tuple(self.node_of(v) for v in operands)
        attrs = [self.graph.nodes[n] for n in nodes]
        avals = [Aval(a["shape"], a["dtype"], a["python"]) for a in attrs]
        if python is False and avals and all(a.python for a in avals) and \
                not _spelled_with_numpy(op, params, len(avals)):
            # NumPy semantics on Python scalars (np.divide(1.0, 0.0) is inf; `1.0 / 0.0`
            # raises): one operand becomes a NumPy scalar, so the operator is NumPy's.
            first = next(i for i, a in enumerate(attrs) if a["op"] != "const") \
                if any(a["op"] != "const" for a in attrs) else 0
            nodes = nodes[:first] + (self.numpy_scalar(nodes[first]),) + nodes[first + 1:]
            attrs = [self.graph.nodes[n] for n in nodes]
            avals = [Aval(a["shape"], a["dtype"], a["python"]) for a in attrs]
        if python is None:
            python = name == "to_float" or all(a.python for a in avals) and \
                op.py_fn is not None  # (float() always gives a Python float)
        if self.phase == "forward" and attrs and all(a["op"] == "const" for a in attrs) and \
                any(isinstance(v, Tracer) for v in operands) and not op.outputs:
            folded = self._fold(op, attrs, params, python)
            if folded is not None:
                return folded
        file, line = self.where()
        self._count(file, line)
        try:
            shape, dtype = op.shape_rule(op, avals, params, python)
        except CompileError as exc:
            if exc.file is None:
                exc.__init__(exc.problem, file=file, line=line, hint=exc.hint)
            raise
        if op.outputs:  # one node for the tuple, a proj node per field (ops/multi.py)
            node = add_node(self.graph, name, nodes, params, shape=(), dtype=MULTI_DTYPE,
                            python=False, phase=self.phase, file=file, line=line)
            return self.parts(node, tuple(zip(shape, dtype)))
        node = add_node(self.graph, name, nodes, params, shape=shape, dtype=dtype,
                        python=python, phase=self.phase, file=file, line=line)
        return self.tracer(node)

    def parts(self, whole: int, avals: tuple | None = None) -> tuple:
        """The fields of multi-output node `whole` as tracers: its proj nodes, those the
        graph lacks built (with `avals`, the (shape, dtype) of each, or from the rule)."""
        op = REGISTRY[self.graph._node[whole]["op"]]
        found = {}
        for user in self.graph._succ[whole]:
            attrs = self.graph._node[user]
            if attrs["op"] == "proj":
                found.setdefault(attrs["params"]["index"], user)
        if avals is None and len(found) < len(op.outputs):
            attrs = self.graph._node[whole]
            operands = [self.graph._node[a] for a in attrs["args"]]
            shapes, dtypes = op.shape_rule(op, [Aval(a["shape"], a["dtype"], a["python"])
                                                for a in operands], attrs["params"], False)
            avals = tuple(zip(shapes, dtypes))
        out = []
        for i in range(len(op.outputs)):
            if i in found:
                out.append(self.tracer(found[i]))
            else:
                out.append(self.apply("proj", (self.tracer(whole),),
                                      proj_params(op, i, *avals[i]), python=False))
        return tuple(out)

    def _fold(self, op, attrs, params, python):
        """An op on constant tracers (np.zeros(n) in traced code, see ops/update.py) is
        computed now: its result is a constant that still answers `if` and float()."""
        try:
            with np.errstate(all="ignore"):
                value = op.impl(python)(*[a["params"]["value"] for a in attrs], **params)
        except Exception:  # noqa: BLE001  left to the graph (and its own checks)
            return None
        if isinstance(value, np.ndarray) and value.dtype.kind not in "fiub":
            return None
        if np.size(value) > MAX_CONSTANT_ELEMENTS and not _uniform(np.asarray(value)) \
                and recipe(np.asarray(value)) is None:
            # too large to embed (`mask = np.zeros((40, 60)); mask[10:30, 10:30] = 1.0`):
            # the op stays in the graph, and the module builds the array the same way
            return None
        return self.tracer(self.constant(value))

    def example_value(self, tracer):
        """`tracer`'s value at the example arguments, or None when tracing has none (a
        value check at trace time: eig refuses a complex spectrum; a guarded branch).
        Values are kept, so a loop that asks at every step evaluates each node once."""
        if self.example is None or self.phase != "forward":
            return None
        from .interpret import evaluate_node
        nodes, values = self.graph._node, self.example_values
        needed, stack = set(), [tracer._node]
        while stack:
            n = stack.pop()
            if n not in values and n not in needed:
                needed.add(n)
                stack.extend(nodes[n]["args"])
        for n in sorted(needed):
            attrs = nodes[n]
            if attrs["op"] == "input":
                values[n] = self.example[attrs["params"]["index"]]
            elif attrs["op"] == "const":
                values[n] = attrs["params"]["value"]
            else:
                values[n] = evaluate_node(attrs, [values[a] for a in attrs["args"]])
        return values[tracer._node]

    def concrete_needed(self, tracer) -> None:
        """Raise StaticNeeded when `tracer`'s value follows from int (or bool) parameters
        alone (`static_candidates`: input node -> parameter name), so that trace() can
        make them compile-time constants; else return (the tracer refuses)."""
        if not self.static_candidates:
            return
        found, stack, seen = set(), [tracer._node], set()
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            a = self.graph.nodes[n]
            if a["op"] == "input":
                if n not in self.static_candidates:
                    return
                found.add(self.static_candidates[n])
            stack.extend(a["args"])
        if found:
            raise StaticNeeded(frozenset(found))

    def numpy_scalar(self, node: int) -> int:
        """A node holding Python scalar `node` as the NumPy scalar NumPy would make of it."""
        a = self.graph.nodes[node]
        file, line = self.where()
        self._count(file, line)
        return add_node(self.graph, "to_numpy", (node,), {"dtype": a["dtype"]}, shape=(),
                        dtype=a["dtype"], python=False, phase=self.phase, file=file,
                        line=line)

    def _count(self, file, line) -> None:
        if self.max_nodes is not None and self.graph.graph["next_id"] >= self.max_nodes:
            raise TraceLimitError(
                f"the traced graph grew past {self.max_nodes} operations",
                file=file, line=line,
                hint="a loop with a huge or unbounded trip count? bpcompiler unrolls loops; "
                     "use whole-array NumPy operations instead of element-wise loops")


def _spelled_with_numpy(op, params: dict, arity: int) -> bool:
    """Whether `op` on NumPy operands prints as a NumPy call (`np.tanh(x)`), which gives
    NumPy's result on Python scalars too, rather than as an operator (`a / b`)."""
    try:
        text = op.spell([Expr("x", PREC_ATOM)] * arity, params, Aval((), "float64", False)).text
    except Exception:  # noqa: BLE001 (a spelling that needs more than names: convert)
        return False
    return text.startswith("np.")


def _uniform(array: np.ndarray) -> bool:
    """All elements equal, signs of zero included (so np.full reproduces it exactly)."""
    flat = array.reshape(-1)
    if flat.size == 0:
        return True
    first = flat[:1]
    same = (flat == first) | (np.isnan(flat) & np.isnan(first) if flat.dtype.kind == "f"
                              else False)
    if flat.dtype.kind == "f":
        same &= np.signbit(flat) == np.signbit(first)
    return bool(np.all(same))


def _holds_tracer(value) -> bool:
    if isinstance(value, Tracer):
        return True
    return isinstance(value, (list, tuple)) and any(_holds_tracer(v) for v in value)
