"""Reverse mode: one back-to-front sweep over the forward DAG.

For each active node, in reverse topological order, the contributions that its users
sent it are summed into its total adjoint (the value is read several times, so the
chain rule adds one term per read), and its op's VJP rule turns that adjoint into a
contribution for each active operand. The rules build ordinary graph nodes in the same
graph, so the result is one joint forward-and-backward graph that later passes optimise
as a whole. This is the seed document's section 3, done mechanically.

`unbroadcast` is the one place that reduces a contribution back to its operand's shape.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from .builder import Builder
from .errors import CompileError
from .graph import is_float, is_multi
from .ops import REGISTRY, F


def active_nodes(g: nx.DiGraph, sources=None, output: int | None = None) -> set:
    """Float nodes on some path from a source (default: the `wrt` inputs) to `output`
    (default: the graph's): only these get adjoints."""
    # Node ids are topological, so one sweep forward and one back find both sets in
    # linear time (networkx's descendants per input would be quadratic).
    reached = set(_wrt_nodes(g) if sources is None else sources)
    order = sorted(g)
    nodes = g.nodes
    for n in order:
        # NOTE: a non-differentiable op with a float result (slogdet's sign) is locally
        # constant: no gradient flows through it, and it has no VJP rule to call.
        if n not in reached and REGISTRY[nodes[n]["op"]].differentiable and \
                any(a in reached for a in nodes[n]["args"]):
            reached.add(n)
    needed = {g.graph["output"] if output is None else output}
    for n in reversed(order):
        if n in needed:
            needed.update(nodes[n]["args"])
    return {n for n in reached & needed if is_float(nodes[n]) or is_multi(nodes[n])}


def _wrt_nodes(g: nx.DiGraph) -> list[int]:
    names = g.graph["params"]
    return [g.graph["inputs"][names.index(n)] for n in g.graph["wrt"]]


def unbroadcast(c, shape: tuple, dtype: str, python: bool):
    """Sum contribution `c` over the axes broadcasting added, giving `shape` and `dtype`
    (and a Python float for a Python-float operand)."""
    if c.shape != shape:
        lead = len(c.shape) - len(shape)
        axes = tuple(range(max(lead, 0))) + tuple(
            lead + i for i, n in enumerate(shape)
            if lead >= 0 and n == 1 and c.shape[lead + i] != 1)
        if axes:
            c = F.sum(c, axis=axes, keepdims=False)
        if c.shape != shape:
            size_matches = int(np.prod(c.shape)) == int(np.prod(shape))
            c = F.reshape(c, shape=shape) if size_matches else F.broadcast_to(c, shape=shape)
    if python and not c._python:  # float() gives a Python float: say so
        return c._builder.apply("to_float", (c,), python=True)
    if c._dtype != dtype or c._python != python:
        c = F.astype(c, dtype=dtype)
    return c


def _exact_type(builder, grad: int, param: dict) -> int:
    """The gradient as its parameter's own type: a Python float for a float, a NumPy
    scalar for a NumPy scalar, a 0-d array for a 0-d array (NumPy's arithmetic turns
    0-d arrays into scalars and back), each in the parameter's dtype."""
    a, kind = builder.graph.nodes[grad], param["params"].get("kind")
    grad = builder.tracer(grad)
    if kind == "python" and not (a["python"] and a["dtype"] == "float64"):
        return builder.apply("to_float", (grad,), python=True)._node
    if kind == "scalar" and a["op"] != "to_numpy":
        return builder.apply("to_numpy", (grad,), {"dtype": param["dtype"]}, python=False)._node
    if kind == "array" and param["shape"] == ():
        return builder.apply("to_array", (grad,), {"dtype": param["dtype"]}, python=False)._node
    return grad._node


def _may_be_masked(g: nx.DiGraph, node: int, memo: dict) -> bool:
    """Whether adjoint `node` can hold exact zeros written by a mask (an untaken branch):
    some adjoint node it is computed from is of a masking op (`where`, which the rules
    of maximum, abs, clip, ... build). Memoised: each node is looked at
    once per differentiation, however many singular ops ask."""
    stack = [node]
    while stack:
        n = stack[-1]
        if n in memo:
            stack.pop()
            continue
        attrs = g.nodes[n]
        if attrs["phase"] != "adjoint":
            memo[n] = False
            stack.pop()
            continue
        if REGISTRY[attrs["op"]].masking:
            memo[n] = True
            stack.pop()
            continue
        pending = [a for a in attrs["args"] if a not in memo]
        if pending:
            stack.extend(pending)
            continue
        memo[n] = any(memo[a] for a in attrs["args"])
        stack.pop()
    return memo[node]


def _may_be_nonfinite(g: nx.DiGraph, node: int, memo: dict) -> bool:
    """Whether forward value `node` can be inf or NaN at finite arguments: a singular op
    (log, sqrt, /, exp, ...) computes it, or it is computed from such a value."""
    stack = [node]
    while stack:
        n = stack[-1]
        if n in memo:
            stack.pop()
            continue
        attrs = g.nodes[n]
        if REGISTRY[attrs["op"]].singular:
            memo[n] = True
            stack.pop()
            continue
        pending = [a for a in attrs["args"] if a not in memo]
        if pending:
            stack.extend(pending)
            continue
        memo[n] = any(memo[a] for a in attrs["args"])
        stack.pop()
    return memo[node]


def _reads_nonfinite(g: nx.DiGraph, c: int, mark: int, memo: dict) -> bool:
    """Whether contribution `c`, built by one VJP rule (its new nodes are numbered from
    `mark`), multiplies by a forward value that may be inf or NaN: then a zero cotangent
    from a mask would still give 0 * inf (`np.where(x > 0, np.log(x) ** 2, 0.0)`)."""
    stack, seen = [c], set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        attrs = g.nodes[n]
        if n >= mark:
            stack.extend(attrs["args"])
        elif attrs["phase"] != "adjoint" and _may_be_nonfinite(g, n, memo):
            return True
    return False


def _masked(total, c):
    """`c` where the cotangent is nonzero, exactly 0 where it is 0: an untaken branch
    contributes nothing even where its derivative is infinite or NaN (0 * inf).
    This is what makes `np.where(x > 0, np.sqrt(x), 0.0)` safe at x <= 0."""
    if c.shape != total.shape:
        return c  # a broadcast operand: the mask of a sum of terms is not the sum's mask
    return F.where(total == 0, 0.0, c)


def _collect(contributions: dict, attrs: dict, total, active: set) -> None:
    """Add a proj node's cotangent to its primitive's {field index: cotangent}."""
    whole = attrs["args"][0]
    if whole in active:
        fields = contributions.setdefault(whole, {})
        i = attrs["params"]["index"]
        fields[i] = fields[i] + total if i in fields else total


def differentiate(forward: nx.DiGraph) -> nx.DiGraph:
    """Return a new graph: `forward` plus adjoint nodes, with `graph["grads"]` set."""
    g = forward.copy()
    g.graph["grads"] = backward(g)
    return g


def backward(g: nx.DiGraph, seed: int | None = None, active: set | None = None, *,
             output: int | None = None, sources: list[int] | None = None,
             phase: str = "adjoint", max_nodes: int | None = None) -> tuple[int, ...]:
    """Add to `g`, in place, the adjoints of the output for cotangent node `seed` (None:
    the scalar 1); return the gradient node of each `wrt` parameter. A VJP of an array
    output, and each row of a reverse-mode Jacobian, is one such sweep. A derivative
    taken inside the traced function (nested.py) names its own `output` and `sources`
    and builds "forward" nodes: they are part of the function being compiled."""
    output = g.graph["output"] if output is None else output
    sources = _wrt_nodes(g) if sources is None else sources
    active = active_nodes(g, sources, output) if active is None else active
    where = [(g.graph["file"], None)]
    builder = Builder(g, phase, lambda: where[0])
    builder.max_nodes = max_nodes
    # Each value's adjoint so far: a contribution is added as it arrives, at the line of
    # the read it comes from (so `d_x += ...` quotes that line, not the parameter list).
    contributions: dict[int, object] = {}
    totals: dict[int, object] = {}
    masked_memo: dict[int, bool] = {}
    nonfinite_memo: dict[int, bool] = {}
    with builder.active():
        if output in active and seed is not None:
            contributions[output] = builder.tracer(seed)
        elif output in active:
            out = g.nodes[output]
            one = 1.0 if out["python"] else np.ones((), dtype=out["dtype"])[()]
            contributions[output] = builder.tracer(builder.constant(one))
        order = sorted(active)  # ids are topological
        for node in reversed(order):
            total = contributions.pop(node, None)
            if total is None:
                continue
            attrs = g.nodes[node]
            where[0] = (attrs["file"], attrs["line"])
            op = REGISTRY[attrs["op"]]
            if op.outputs:  # {field: cotangent}, from the proj nodes below
                total = tuple(total.get(i) for i in range(len(op.outputs)))
            elif phase == "adjoint" and g.nodes[total._node]["adjoint_of"] is None:
                g.nodes[total._node]["adjoint_of"] = node
            totals[node] = total
            if attrs["op"] == "proj":  # a field's cotangent waits for its primitive's rule
                _collect(contributions, attrs, total, active)
                continue
            if not attrs["args"]:
                continue
            operands = [builder.tracer(a) for a in attrs["args"]]
            if not attrs["python"] and all(o._python for o in operands):
                # A NumPy op on Python scalars: its derivative keeps NumPy's semantics too
                # (inf or nan under a mask, never ZeroDivisionError or a math domain error).
                operands = [builder.tracer(builder.numpy_scalar(o._node)) if o._python else o
                            for o in operands]
            mark = g.graph["next_id"]
            y = builder.parts(node) if op.outputs else builder.tracer(node)
            results = op.vjp(total, y, *operands, **attrs["params"])
            if not op.outputs and _may_be_masked(g, total._node, masked_memo):
                results = tuple(c if c is None or isinstance(c, CompileError) or not (
                    op.singular or _reads_nonfinite(g, c._node, mark, nonfinite_memo))
                    else _masked(total, c) for c in results)
            # An operand read twice (`x * x`) gets its two parts summed here, as one
            # contribution: `g*x + g*x` becomes `(g*x) * 2` once CSE has merged them.
            own: dict[int, object] = {}
            for arg, c in zip(attrs["args"], results):
                if c is None or arg not in active:
                    continue
                if isinstance(c, CompileError):  # a rule's refusal for an operand that
                    raise c                      # has no gradient (gammainc's a)
                target = g.nodes[arg]
                c = unbroadcast(c, target["shape"], target["dtype"], target["python"])
                own[arg] = own[arg] + c if arg in own else c
            for arg, c in own.items():
                contributions[arg] = contributions[arg] + c if arg in contributions else c
        return tuple(_gradient(builder, g, node, totals) for node in sources)


def _gradient(builder, g: nx.DiGraph, node: int, totals: dict) -> int:
    """The total adjoint of source `node` (zero when nothing reached it), as its type."""
    if node in totals:
        grad = totals[node]._node
    else:
        attrs = g.nodes[node]
        grad = builder.constant(0.0 if attrs["python"] else
                                np.zeros(attrs["shape"], attrs["dtype"]))
    return _exact_type(builder, grad, g.nodes[node])
