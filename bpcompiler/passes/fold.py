"""Constant folding: an op whose operands are all constants becomes a constant, computed
with the op's own implementation (so the folded value is exactly what the emitted code
would have computed). Results larger than a few elements, or larger than their
operands (a broadcast scalar), are left unfolded so the module does not fill up with
array literals."""

from __future__ import annotations

import numpy as np

from ..graph import MULTI_DTYPE
from ..interpret import evaluate_node
from .rebuild import const_value, rebuild

MAX_FOLDED_SIZE = 16


def fold_rule(h, attrs):
    """The rule behind fold_constants (see rebuild.py)."""
    if attrs["op"] in ("input", "const", "to_array") or not attrs["args"] or \
            attrs["dtype"] == MULTI_DTYPE:  # (a tuple cannot be a constant node)
        return None  # (a 0-d array constant would print as a NumPy scalar)
    nodes = h._node
    for a in attrs["args"]:
        if nodes[a]["op"] != "const":
            return None  # NOTE: the common case, decided without building a list
    values = [const_value(h, a) for a in attrs["args"]]
    size = int(np.prod(attrs["shape"]))
    if size > MAX_FOLDED_SIZE or size > max(int(np.size(v)) for v in values):
        return None  # never turn a scalar into an array literal by broadcasting it
    value = evaluate_node(attrs, values)
    return dict(attrs, op="const", args=(), params={"value": value})


def fold_constants(g):
    return rebuild(g, (fold_rule,))
