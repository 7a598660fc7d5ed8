"""Common-sub-expression elimination by structural hashing: two nodes with the same op,
operands, params, shape and dtype are one value (`structural_key`; operands of ops
declared commutative are sorted first, so `a * b` and `b * a` merge). This is what
makes the seed's shared sub-expressions (`α'(z20)·w20_0`) computed once when several
partials need them. The walk does the merging (`rebuild(..., merge=True)`), so it also
merges every node a rule builds."""

from __future__ import annotations

from ..ops import REGISTRY
from .rebuild import hashable, rebuild


def structural_key(attrs: dict) -> tuple:
    """Two nodes with equal keys are one value."""
    args = attrs["args"]
    if REGISTRY[attrs["op"]].commutative:
        args = tuple(sorted(args))
    return (attrs["op"], args, hashable(attrs["params"]), attrs["shape"], attrs["dtype"],
            attrs["python"])


def eliminate_common_subexpressions(g):
    return rebuild(g, merge=True)
