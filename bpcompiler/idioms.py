"""Idioms a person writes, decided on the graph while lowering a body (body.py).

A reduction's VJP restores the reduced axes with a reshape (`np.reshape(-np.sum(d_t,
axis=1), (N, 1))`); a person writes the reduction with `keepdims=True` and no reshape.
A reshape that only adds a unit axis in front or at the end is `x[None]` or
`x[..., None]`. These are choices of spelling, not of computation: the graph is not
changed, and each is decided from the nodes' shapes, never from printed text.
"""

from __future__ import annotations

from .graph import outputs
from .ops import REGISTRY
from .ops.registry import PREC_ATOM, Expr, elementwise_rule, paren


def keepdims_chains(g, nodes, module_uses) -> tuple[set, set]:
    """(reshapes printed as their operand, reductions printed with keepdims=True): a
    reshape whose operand is a reduction, maybe under elementwise ops with scalar other
    operands (`-np.sum(x, axis=1)`), each read only on that path, and whose shape is
    the reduction's with the reduced axes kept as 1."""
    identity, kept = set(), set()
    returned = set(outputs(g))  # (a returned value is read by the caller too)
    for n in sorted(nodes):
        attrs = g._node[n]
        if attrs["op"] != "reshape" or attrs["python"]:
            continue
        source = _reduction_under(g, attrs["args"][0], module_uses, returned)
        if source is None:
            continue
        r = g._node[source]
        operand = g._node[r["args"][0]]["shape"]
        axes = r["params"]["axis"]
        axes = range(len(operand)) if axes is None else \
            [a % len(operand) for a in axes]
        want = tuple(1 if i in axes else d for i, d in enumerate(operand))
        if tuple(attrs["shape"]) == want:
            identity.add(n)
            kept.add(source)
    return identity, kept


def _reduction_under(g, node, module_uses, returned) -> int | None:
    """The reduction at the bottom of a chain of elementwise ops from `node`, every node
    of it read once in the module and none returned; else None."""
    while module_uses.get(node) == 1 and node not in returned:
        attrs = g._node[node]
        op = attrs["op"]
        spec = REGISTRY[op]
        if spec.takes_keepdims and not attrs["params"].get("keepdims"):
            return node
        if spec.shape_rule is not elementwise_rule or spec.statement is not None:
            return None
        arrays = [a for a in attrs["args"] if g._node[a]["shape"] != ()]
        if len(arrays) != 1 or g._node[arrays[0]]["shape"] != attrs["shape"]:
            return None
        node = arrays[0]
    return None


def keepdims_params(params: dict) -> dict:
    return dict(params, keepdims=True)


def unit_axis(operand_shape: tuple, shape: tuple, operand: Expr) -> Expr | None:
    """`x[None]` or `x[..., None]` for a reshape that only adds a leading or trailing
    unit axis; else None."""
    operand_shape, shape = tuple(operand_shape), tuple(shape)
    if not operand_shape:
        return None
    if shape == (1,) + operand_shape:
        return Expr(f"{paren(operand, PREC_ATOM)}[None]", PREC_ATOM)
    if shape == operand_shape + (1,):
        return Expr(f"{paren(operand, PREC_ATOM)}[..., None]", PREC_ATOM)
    return None
