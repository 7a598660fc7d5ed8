"""The intermediate representation: a `networkx.DiGraph` of operations.

One node per value. Node ids are integers handed out in creation order (a pass that drops
dead nodes may leave gaps), so every operand has a smaller id than its user and
`sorted(g)` is a topological order; the same program always gets the same ids.

Node attributes
---------------
op        name of the operation in the op registry (`"mul"`, `"tanh"`, `"input"`, ...)
args      ordered operand node ids; `x * x` is `args=(x, x)`. Edges mirror `args`
          (an edge `a -> n` carries `positions`, the operand slots `a` fills), because
          an edge set alone cannot hold an operand twice or keep operand order.
params    static parameters as a dict (`axis`, `keepdims`, a constant's `value`, ...)
shape     tuple of ints; `()` for scalars
dtype     NumPy dtype name: `"float64"`, `"float32"`, `"int64"`, `"bool"`
python    True for a Python scalar (computed with `math` and operators), False for a
          NumPy array or NumPy scalar (computed with `np`)
phase     `"forward"` for the traced computation, `"adjoint"` for gradient nodes,
          `"tangent"` for forward-mode nodes (forward_mode.py)
name      the source variable name bound to the value, or None
file, line  where in the user's source the value was computed, or None
adjoint_of  for an adjoint node that is the total gradient of a forward value, that
          value's id (used to name it `d_<name>`), else None

Graph attributes (`g.graph`)
----------------------------
function, file   the traced function's name and source file
params           parameter names in signature order
inputs           node id of each parameter, in signature order
output           node id of the forward result
wrt              names of the differentiated parameters
grads            node id of each gradient, in `wrt` order (after differentiation)
modes            (only with emit= beyond grad) {function: {"inputs": its extra input
                 nodes (tangents, cotangent, vectors; None once dropped as unused),
                 "outputs": the nodes it returns}} (see modes.py)
next_id          the id the next new node gets
"""

from __future__ import annotations

import networkx as nx

from .errors import InternalError

FLOAT_DTYPES = ("float64", "float32")
# The dtype of a multi-output primitive's node (eigh, slogdet, qr): its value is a tuple,
# read only by `proj` nodes (ops/multi.py), which carry each part's shape and dtype.
MULTI_DTYPE = "tuple"
# What networkx's own mutators call after a change (backend caches; networkx >= 3.3).
_clear_cache = getattr(nx, "_clear_cache", lambda g: None)


def new_graph(function: str, file: str | None, params: tuple[str, ...]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.graph.update(function=function, file=file, params=tuple(params), inputs=(),
                   output=None, wrt=(), grads=(), next_id=0)
    return g


def empty_like(g: nx.DiGraph) -> nx.DiGraph:
    """A graph with `g`'s graph attributes and no nodes (for passes that rebuild)."""
    h = nx.DiGraph()
    h.graph.update(g.graph)
    h.graph["next_id"] = 0
    return h


def add_node(g: nx.DiGraph, op: str, args: tuple[int, ...], params: dict, *, shape: tuple,
             dtype: str, python: bool, phase: str, name: str | None = None,
             file: str | None = None, line: int | None = None,
             adjoint_of: int | None = None) -> int:
    node = g.graph["next_id"]
    g.graph["next_id"] = node + 1
    # NOTE: written straight into networkx's adjacency dicts (`_node`, `_succ`, `_pred`,
    # its documented data structure): `add_node`/`add_edge` check and re-check what a
    # brand-new node cannot have, and that was a third of a 100k-node compile's passes.
    g._node[node] = {"op": op, "args": tuple(args), "params": params, "shape": tuple(shape),
                     "dtype": dtype, "python": python, "phase": phase, "name": name,
                     "file": file, "line": line, "adjoint_of": adjoint_of}
    preds = g._pred[node] = {}
    g._succ[node] = {}
    for position, arg in enumerate(args):
        edge = preds.get(arg)
        if edge is None:
            preds[arg] = g._succ[arg][node] = {"positions": (position,)}
        else:
            edge["positions"] += (position,)
    _clear_cache(g)
    return node


def outputs(g: nx.DiGraph) -> tuple[int, ...]:
    """The nodes the emitted module returns: the forward value, then the gradients, then
    what the other functions return (`modes`: jvp, vjp, jacobian, hvp, hessian)."""
    extra = tuple(n for m in g.graph.get("modes", {}).values() for n in m["outputs"])
    return (g.graph["output"],) + tuple(g.graph["grads"]) + extra + \
        tuple(g.graph.get("output_leaves", ()))


def effect_nodes(g: nx.DiGraph) -> tuple[int, ...]:
    """The nodes kept though nothing reads them: effects (ops' `effect`, the guards of
    control flow specialised to the example). Tracing sets `effects` when it adds one,
    so graphs without any pay no scan."""
    if not g.graph.get("effects"):
        return ()
    from .ops import REGISTRY  # (the ops import this module)
    return tuple(n for n in sorted(g) if REGISTRY[g._node[n]["op"]].effect)


def is_float(attrs: dict) -> bool:
    return attrs["dtype"] in FLOAT_DTYPES


def is_multi(attrs: dict) -> bool:
    """A multi-output primitive's node: a tuple of values (see MULTI_DTYPE)."""
    return attrs["dtype"] == MULTI_DTYPE


def check_graph(g: nx.DiGraph, stage: str) -> None:
    """Raise InternalError naming `stage` if `g` breaks an invariant of the IR."""
    from .ops import REGISTRY, Aval  # local: ops imports graph helpers indirectly

    def fail(problem: str) -> None:
        raise InternalError(f"internal error after {stage}: {problem}",
                            hint="this is a bug in bpcompiler; please report it with the dump")

    for node, attrs in g.nodes(data=True):
        if attrs["op"] not in REGISTRY:
            fail(f"node {node} has unknown op {attrs['op']!r}")
        for arg in attrs["args"]:
            if arg not in g or arg >= node:
                fail(f"node {node} ({attrs['op']}) reads {arg}, which is not an earlier node")
        expected: dict[int, tuple] = {}
        for position, arg in enumerate(attrs["args"]):
            expected[arg] = expected.get(arg, ()) + (position,)
        if attrs["adjoint_of"] is not None and attrs["adjoint_of"] not in g:
            fail(f"node {node} is the gradient of {attrs['adjoint_of']}, which is gone")
        actual = {pred: g.edges[pred, node]["positions"] for pred in g.predecessors(node)}
        if expected != actual:
            fail(f"edges into node {node} do not mirror its operands")
        if attrs["args"]:  # the recorded shape and dtype are what the op's rule gives
            op = REGISTRY[attrs["op"]]
            avals = [Aval(g.nodes[a]["shape"], g.nodes[a]["dtype"], g.nodes[a]["python"])
                     for a in attrs["args"]]
            rule = op.shape_rule(op, avals, attrs["params"], attrs["python"])
            if op.outputs:  # the parts' shapes are on its proj nodes
                rule = ((), MULTI_DTYPE)
            if tuple(rule) != (attrs["shape"], attrs["dtype"]):
                fail(f"node {node} ({attrs['op']}) records {attrs['dtype']}{attrs['shape']} "
                     f"but its operands give {rule[1]}{rule[0]}")
    for node in outputs(g):
        if node is None or node not in g:
            fail(f"graph output {node} is missing")


def dump(g: nx.DiGraph, limit: int = 200) -> str:
    """A bounded, human-readable listing of the graph for bug reports."""
    lines = []
    for node in sorted(g)[:limit]:
        a = g.nodes[node]
        params = {k: v for k, v in a["params"].items() if k != "value"} if a["params"] else {}
        lines.append(f"%{node} = {a['op']}{list(a['args'])} {params or ''} "
                     f"{a['dtype']}{list(a['shape'])} {a['phase']} name={a['name']} line={a['line']}")
    if len(g) > limit:
        lines.append(f"... {len(g) - limit} more nodes")
    return "\n".join(lines)
