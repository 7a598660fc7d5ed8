"""Dead-code elimination: keep only what the module's outputs (the forward value and the
gradients) depend on."""

from __future__ import annotations

from ..graph import outputs
from .rebuild import rebuild


def live_nodes(g) -> set:
    live = set(n for n in outputs(g) if n is not None)
    live |= set(g.graph["inputs"])  # parameters stay, used or not: they are the signature
    for node in sorted(g, reverse=True):
        if node in live:
            live.update(g.nodes[node]["args"])
    return live


def eliminate_dead_code(g):
    live = live_nodes(g)
    return rebuild(g, lambda h, attrs: None, keep=live.__contains__)


def drop_dead_code(g):
    """`eliminate_dead_code` in place, for a graph the caller has just built and owns:
    after a walk only a few nodes die, and copying a 200k-node graph to drop them cost
    seconds. Ids stay increasing (with gaps), so operands still come first."""
    live = live_nodes(g)
    if len(live) != len(g):
        g.remove_nodes_from([n for n in g if n not in live])
        for attrs in g._node.values():  # as `rebuild` does: no reference to a dropped node
            if attrs["adjoint_of"] is not None and attrs["adjoint_of"] not in live:
                attrs["adjoint_of"] = None
        for m in g.graph.get("modes", {}).values():  # an unused tangent input
            m["inputs"] = tuple(n if n in live else None for n in m["inputs"])
    return g
