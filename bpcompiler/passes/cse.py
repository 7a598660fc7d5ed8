"""Common-sub-expression elimination by structural hashing: two nodes with the same op,
operands, params, shape and dtype are one value. Operands of commutative ops are sorted
first, so `a * b` and `b * a` merge. This is what makes the seed's shared sub-expressions
(`α'(z20)·w20_0`) computed once when several partials need them."""

from __future__ import annotations

from .rebuild import hashable, rebuild

COMMUTATIVE = {"add", "multiply", "maximum", "minimum", "equal", "not_equal"}


def cse_rule():
    """A fresh rewrite for one walk: it remembers every node it has kept."""
    seen: dict = {}

    def rewrite(h, attrs):
        if attrs["op"] == "input":
            return None
        args = attrs["args"]
        if attrs["op"] in COMMUTATIVE:
            args = tuple(sorted(args))
        key = (attrs["op"], args, hashable(attrs["params"]), attrs["shape"], attrs["dtype"],
               attrs["python"])
        if key in seen:
            return seen[key]
        seen[key] = h.graph["next_id"]  # the id the kept node is about to get
        return None

    return rewrite


def eliminate_common_subexpressions(g):
    return rebuild(g, cse_rule())
