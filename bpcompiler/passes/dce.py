"""Dead-code elimination: keep only what the module's outputs (the forward value and the
gradients) depend on, and the parameters. Returns a new graph."""

from __future__ import annotations

from .rebuild import live_nodes, rebuild


def eliminate_dead_code(g):
    return rebuild(g, keep=live_nodes(g).__contains__)
