"""Algebraic simplification. Every rule keeps the node's shape, dtype and kind exactly
(a rule that would change any of them does not fire), so `x * 1.0` on an int or a
broadcasting `x + zeros` stay as they are."""

from __future__ import annotations

from .rebuild import is_const_equal, rebuild


def _same(h, node: int, attrs: dict) -> bool:
    other = h.nodes[node]
    return (other["shape"], other["dtype"], other["python"]) == \
        (attrs["shape"], attrs["dtype"], attrs["python"])


def _rule(h, attrs):
    """A replacement for the node (an existing id or new attributes), or None."""
    op, args, params = attrs["op"], attrs["args"], attrs["params"]
    ops = [h.nodes[a]["op"] for a in args]

    def one(i):
        return is_const_equal(h, args[i], 1)

    def zero(i):
        return is_const_equal(h, args[i], 0)

    candidates = []
    if op == "multiply":
        candidates += [args[0]] if one(1) else []
        candidates += [args[1]] if one(0) else []
    elif op == "add":
        candidates += [args[0]] if zero(1) else []
        candidates += [args[1]] if zero(0) else []
        if ops[1] == "negative":  # a + (-b) -> a - b
            return dict(attrs, op="subtract", args=(args[0], h.nodes[args[1]]["args"][0]))
        if ops[0] == "negative":  # (-a) + b -> b - a
            return dict(attrs, op="subtract", args=(args[1], h.nodes[args[0]]["args"][0]))
    elif op == "subtract":
        candidates += [args[0]] if zero(1) else []
        if ops[1] == "negative":  # a - (-b) -> a + b
            return dict(attrs, op="add", args=(args[0], h.nodes[args[1]]["args"][0]))
    elif op in ("divide", "power"):
        candidates += [args[0]] if one(1) else []
    elif op == "negative" and ops[0] == "negative":
        candidates.append(h.nodes[args[0]]["args"][0])
    elif op in ("reshape", "broadcast_to", "transpose", "astype", "sum", "mean"):
        candidates.append(args[0])  # kept below only if it is a no-op
        if op == "reshape" and ops[0] == "reshape":
            return dict(attrs, args=h.nodes[args[0]]["args"])
        if op in ("sum", "mean") and params["axis"] not in ((), None) and not all(
                h.nodes[args[0]]["shape"][a] == 1 for a in params["axis"]):
            candidates.pop()
        if op in ("sum", "mean") and params["axis"] is None and h.nodes[args[0]]["shape"]:
            candidates.pop()
    elif op == "where" and args[1] == args[2]:
        candidates.append(args[1])
    for c in candidates:
        if _same(h, c, attrs):
            return c
    return None


def simplify_algebra(g):
    return rebuild(g, _rule)
