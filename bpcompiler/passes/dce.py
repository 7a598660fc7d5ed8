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
