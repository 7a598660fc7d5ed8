"""The IR's reference semantics: evaluate a graph node by node with each op's own
implementation. Constant folding uses `evaluate_node`; tests use `interpret` to check
that optimisation passes preserve values."""

from __future__ import annotations

import numpy as np

from .ops import REGISTRY


def evaluate_node(attrs: dict, operand_values: list):
    op = REGISTRY[attrs["op"]]
    with np.errstate(all="ignore"):
        value = op.impl(attrs["python"])(*operand_values, **attrs["params"])
    return _as_kind(value, attrs)


def _as_kind(value, attrs):
    if attrs["python"]:
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
