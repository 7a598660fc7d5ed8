"""Common-sub-expression elimination by structural hashing: two nodes with the same op,
operands, params, shape and dtype are one value. Operands of ops declared commutative
are sorted first, so `a * b` and `b * a` merge. This is what makes the seed's shared sub-expressions
(`α'(z20)·w20_0`) computed once when several partials need them."""

from __future__ import annotations

from ..ops import REGISTRY
from .rebuild import hashable, rebuild


class _Table:
    """A rewrite for one walk: it remembers every node it has kept."""

    def __init__(self):
        self.seen: dict = {}

    @staticmethod
    def _key(attrs):
        args = attrs["args"]
        if REGISTRY[attrs["op"]].commutative:
            args = tuple(sorted(args))
        return (attrs["op"], args, hashable(attrs["params"]), attrs["shape"], attrs["dtype"],
                attrs["python"])

    def __call__(self, h, attrs):
        if attrs["op"] == "input":
            return None
        key = self._key(attrs)
        if key in self.seen:
            return self.seen[key]
        self.seen[key] = h.graph["next_id"]  # the id the kept node is about to get
        return None

    def canonical(self, h, node: int) -> int:
        """For a node already in `h` (one a rule added itself): the equal node kept
        before it, or the node itself, now remembered."""
        return self.seen.setdefault(self._key(h._node[node]), node)


def cse_rule():
    """A fresh rewrite for one walk (see `_Table`)."""
    return _Table()


def eliminate_common_subexpressions(g):
    return rebuild(g, cse_rule())
