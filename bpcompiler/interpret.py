"""The IR's reference semantics: evaluate a graph node by node with each op's own
implementation. Constant folding uses `evaluate_node`; tests use `interpret` to check
that optimisation passes preserve values."""

from __future__ import annotations

import math

import numpy as np

from .graph import MULTI_DTYPE
from .named import NamedArray, NamedFloat, named_scalar
from .ops import REGISTRY


def evaluate_node(attrs: dict, operand_values: list):
    op = REGISTRY[attrs["op"]]
    named = _with_names(op, attrs, operand_values)
    if named is not None:
        return named
    with np.errstate(all="ignore"):
        value = op.impl(attrs["python"])(*operand_values, **attrs["params"])
    return _as_kind(value, attrs)


def _with_names(op, attrs, values):
    """A float64 scalar op on scalars one of which is a source's named float (named.py),
    computed on Python floats so that the result remembers the names; else None."""
    values = [named_scalar(v) for v in values]
    if attrs["dtype"] != "float64" or math.prod(attrs["shape"]) != 1 or \
            not any(isinstance(v, NamedFloat) for v in values) or \
            not all(np.ndim(v) == 0 and np.asarray(v).dtype.kind == "f" for v in values):
        return None
    if op.shape_only and len(values) == 1:  # a reshape of a scalar to (1,)
        return values[0] if attrs["shape"] == () else NamedArray.of(values[0], attrs["shape"])
    if op.py_fn is None or attrs["shape"] != ():
        return None
    try:
        value = op.py_fn(*[v if isinstance(v, NamedFloat) else float(v) for v in values])
    except (ArithmeticError, ValueError, TypeError):
        return None  # (1.0 / 0.0 raises where NumPy gives inf)
    return value if isinstance(value, NamedFloat) else None


def _as_kind(value, attrs):
    if attrs["dtype"] == MULTI_DTYPE:  # a tuple of arrays, each read by a proj node
        return value
    if attrs["python"]:
        if isinstance(value, NamedFloat) and attrs["dtype"] == "float64":
            return value  # keeps the source's names (named.py)
        return {"float64": float, "int64": int, "bool": bool}[attrs["dtype"]](value)
    if np.ndim(value) == 0:
        return np.asarray(value, dtype=attrs["dtype"])[()]
    return np.asarray(value, dtype=attrs["dtype"])


def interpret(g, args) -> dict:
    """Values of every node for the example `args` (one per parameter)."""
    values = {}
    for node in sorted(g):
        attrs = g.nodes[node]
        if attrs["op"] == "input":
            values[node] = args[attrs["params"]["index"]]
        elif attrs["op"] == "const":
            values[node] = attrs["params"]["value"]
        else:
            values[node] = evaluate_node(attrs, [values[a] for a in attrs["args"]])
    return values


# ---------------------------------------------------------------------------------------
# Complex-step evaluation: verification's exact derivative of the traced forward graph.

_COMPLEX = {"float64": np.complex128, "float32": np.complex64}


class NotAnalytic(Exception):
    """The complex step cannot pass through this node: its op is not analytic."""

    def __init__(self, attrs):
        super().__init__(attrs["op"])
        self.op, self.line = attrs["op"], attrs.get("line")


def active_nodes(g, index: int) -> set:
    """The nodes that depend on input `index` (cached on the graph)."""
    cache = g.graph.setdefault("_depends_on_input", {})
    if index not in cache:
        start = g.graph["inputs"][index]
        active = {start}
        for node in sorted(g):
            if node > start and any(a in active for a in g.nodes[node]["args"]):
                active.add(node)
        cache[index] = active
    return cache[index]


def _plan(g) -> list:
    """Per node, in order: what a complex-step pass needs (cached on the graph)."""
    if "_complex_plan" not in g.graph:
        plan = []
        feeds = _feeds_output(g)
        for node in sorted(g):
            attrs = g.nodes[node]
            op = attrs["op"]
            params = attrs["params"]
            if op not in ("input", "const") and "dtype" in params and \
                    params["dtype"] in _COMPLEX:  # astype: to the complex type of the width
                params = dict(params, dtype=np.dtype(_COMPLEX[params["dtype"]]).name)
            spec = REGISTRY[op]
            # (a value the output does not read, a guard's condition, is computed from the
            # real parts whatever its ops: it cannot carry the derivative)
            plan.append((node, op, attrs["args"], params, _COMPLEX.get(attrs["dtype"]),
                         spec.analytic, spec.np_fn, attrs, node in feeds))
        g.graph["_complex_plan"] = plan
    return g.graph["_complex_plan"]


def _feeds_output(g) -> set:
    """The nodes the output depends on."""
    feeds, stack = set(), [g.graph["output"]]
    while stack:
        node = stack.pop()
        if node not in feeds:
            feeds.add(node)
            stack.extend(g.nodes[node]["args"])
    return feeds


def interpret_complex(g, args, batched: bool = False, real: dict | None = None,
                      active: set | None = None, rounding: bool = False):
    """The output of `g` for `args`, some of them complex: Im(f(x + i t v)) / t is then
    the derivative of f along v, exact to rounding (no cancellation: no step to choose).

    Analytic ops (`Op.analytic`) run on complex operands; any other float op receives
    only real operands or raises NotAnalytic. Comparisons, indices and other non-float
    values are computed from the real parts. With `batched`, every value carries one
    extra trailing batch axis (only for graphs of scalars and elementwise ops: see
    `batchable`), so one pass gives one derivative per batch slot. With `real` (the real
    values of every node, from `interpret`) only the `active` nodes are evaluated. With
    `rounding`, returns (output, the largest imaginary part of any value: the scale
    of the pass's rounding errors)."""
    values = _ValuesOver(real) if real is not None else {}
    complex_nodes = set()
    largest = 0.0
    for node, op, operands, params, ctype, analytic, np_fn, attrs, feeds in _plan(g):
        if real is not None and node not in active:
            continue
        if op == "input":
            value = values[node] = args[params["index"]]
            if np.iscomplexobj(value):
                complex_nodes.add(node)
                if rounding:
                    largest = max(largest, float(np.max(np.abs(np.imag(value)))))
            continue
        if op == "const":
            values[node] = params["value"]
            continue
        vals = [values[a] for a in operands]
        if not any(a in complex_nodes for a in operands):
            values[node] = _real_node(attrs, vals, batched)
            continue
        if not feeds:
            values[node] = _real_node(attrs, [np.real(v) for v in vals], batched)
            continue
        if attrs["dtype"] == MULTI_DTYPE:
            raise NotAnalytic(attrs)  # a decomposition (of float parts): no complex step
        if ctype is None:  # a comparison, an index: from the real parts
            values[node] = _real_node(attrs, [np.real(v) for v in vals], batched)
            continue
        if not analytic:
            raise NotAnalytic(attrs)
        value = np_fn(*vals, **params)
        if getattr(value, "dtype", None) != ctype:
            value = np.asarray(value, dtype=ctype)
        values[node] = value
        complex_nodes.add(node)
        if rounding and value.size:
            largest = max(largest, float(np.abs(value.imag).max()))
    out = values[g.graph["output"]]
    return (out, largest) if rounding else out


class _ValuesOver(dict):
    """Values computed in this pass, falling back to the real values of the point."""

    def __init__(self, real):
        super().__init__()
        self.real = real

    def __missing__(self, node):
        return self.real[node]


def _real_node(attrs, operands, batched):
    if not batched:
        return evaluate_node(attrs, operands)
    value = REGISTRY[attrs["op"]].np_fn(*operands, **attrs["params"])
    return np.asarray(value, dtype=attrs["dtype"])


def batchable(g) -> bool:
    """True when every value of `g` is a scalar and every op elementwise, so an extra
    trailing axis of directions passes through every node unchanged."""
    from .ops.registry import elementwise_rule
    if "_batchable" not in g.graph:
        g.graph["_batchable"] = all(
            attrs["shape"] == () and (attrs["op"] in ("input", "const") or (
                REGISTRY[attrs["op"]].shape_rule is elementwise_rule and
                REGISTRY[attrs["op"]].np_fn is not None))
            for _, attrs in g.nodes(data=True))
    return g.graph["_batchable"]
