"""Optimisation passes. Each is a pure `Graph -> Graph` function; `optimize` runs the
pipeline to a fixed point (with a cap), checking the graph after every pass in debug
mode so that a broken pass is named."""

from __future__ import annotations

from ..graph import check_graph
from .algebra import simplify_algebra
from .cse import eliminate_common_subexpressions
from .dce import eliminate_dead_code
from .fold import fold_constants

PIPELINE = (fold_constants, simplify_algebra, eliminate_common_subexpressions,
            eliminate_dead_code)
MAX_ROUNDS = 10


def _fingerprint(g) -> tuple:
    return tuple((a["op"], a["args"]) for _, a in sorted(g.nodes(data=True)))


def optimize(g, debug: bool = False):
    before = _fingerprint(g)
    for _ in range(MAX_ROUNDS):
        for run in PIPELINE:
            g = run(g)
            if debug:
                check_graph(g, run.__name__)
        after = _fingerprint(g)
        if after == before:
            break
        before = after
    return g


__all__ = ["PIPELINE", "optimize", "fold_constants", "simplify_algebra",
           "eliminate_common_subexpressions", "eliminate_dead_code"]
