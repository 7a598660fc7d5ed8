"""Constant folding: an op whose operands are all constants becomes a constant, computed
with the op's own implementation (so the folded value is exactly what the emitted code
would have computed). Results larger than a few elements are left unfolded so the
module does not fill up with array literals."""

from __future__ import annotations

import numpy as np

from ..interpret import evaluate_node
from .rebuild import const_value, rebuild

MAX_FOLDED_SIZE = 16


def fold_constants(g):
    def rewrite(h, attrs):
        if attrs["op"] in ("input", "const") or not attrs["args"]:
            return None
        values = [const_value(h, a) for a in attrs["args"]]
        if any(v is None for v in values) or int(np.prod(attrs["shape"])) > MAX_FOLDED_SIZE:
            return None
        value = evaluate_node(attrs, values)
        return dict(attrs, op="const", args=(), params={"value": value})

    return rebuild(g, rewrite)
