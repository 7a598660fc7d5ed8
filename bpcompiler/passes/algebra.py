"""Algebraic simplification. Every rule keeps the node's shape, dtype and kind exactly
(a rule that would change any of them does not fire), so `x * 1.0` on an int or a
broadcasting `x + zeros` stay as they are."""

from __future__ import annotations

import numpy as np

from ..ops import REGISTRY
from ..graph import add_node
from ..ops.registry import Aval, elementwise_rule
from .rebuild import is_const_equal, rebuild

_SHAPE_ONLY = ("reshape", "broadcast_to")


def _same(h, node: int, attrs: dict) -> bool:
    other = h._node[node]
    return (other["shape"], other["dtype"], other["python"]) == \
        (attrs["shape"], attrs["dtype"], attrs["python"])


def _rule(h, attrs):
    """A replacement for the node (an existing id or new attributes), or None."""
    op, args, params = attrs["op"], attrs["args"], attrs["params"]
    nodes = h._node  # NOTE: networkx's raw node dict; `h.nodes[...]` builds a view per access
    ops = [nodes[a]["op"] for a in args]

    def one(i):
        return is_const_equal(h, args[i], 1)

    def zero(i):
        return is_const_equal(h, args[i], 0)

    # A chain of reshapes and broadcasts of a one-element value is one broadcast of it.
    if op in _SHAPE_ONLY and ops[0] in _SHAPE_ONLY:
        inner = nodes[args[0]]["args"][0]
        if int(np.prod(nodes[inner]["shape"])) == 1 and len(nodes[inner]["shape"]) <= len(
                attrs["shape"]):
            return dict(attrs, op="broadcast_to", args=(inner,),
                        params={"shape": attrs["shape"]})
    # Elementwise ops broadcast by themselves: drop an explicit broadcast of an operand
    # when the result's shape does not depend on it.
    if REGISTRY[op].shape_rule is elementwise_rule and "broadcast_to" in ops:
        new_args = tuple(nodes[a]["args"][0] if o == "broadcast_to" else a
                         for a, o in zip(args, ops))
        shapes = [nodes[a]["shape"] for a in new_args]
        if tuple(np.broadcast_shapes(*shapes)) == attrs["shape"]:
            return dict(attrs, args=new_args)
    if REGISTRY[op].shape_rule is elementwise_rule:
        scalarized = _scalarize_constants(h, attrs)
        if scalarized is not None:
            return scalarized

    candidates = []
    if op == "multiply":
        candidates += [args[0]] if one(1) else []
        candidates += [args[1]] if one(0) else []
    elif op == "add":
        candidates += [args[0]] if zero(1) else []
        candidates += [args[1]] if zero(0) else []
        if ops[1] == "negative":  # a + (-b) -> a - b
            return dict(attrs, op="subtract", args=(args[0], nodes[args[1]]["args"][0]))
        if ops[0] == "negative":  # (-a) + b -> b - a
            return dict(attrs, op="subtract", args=(args[1], nodes[args[0]]["args"][0]))
    elif op == "subtract":
        candidates += [args[0]] if zero(1) else []
        if ops[1] == "negative":  # a - (-b) -> a + b
            return dict(attrs, op="add", args=(args[0], nodes[args[1]]["args"][0]))
    elif op in ("divide", "power"):
        candidates += [args[0]] if one(1) else []
    elif op == "negative" and ops[0] == "negative":
        candidates.append(nodes[args[0]]["args"][0])
    elif op in ("reshape", "broadcast_to", "transpose", "astype", "sum", "mean"):
        candidates.append(args[0])  # kept below only if it is a no-op
        if op == "reshape" and ops[0] == "reshape":
            return dict(attrs, args=nodes[args[0]]["args"])
        if op in ("sum", "mean") and params["axis"] not in ((), None) and not all(
                nodes[args[0]]["shape"][a] == 1 for a in params["axis"]):
            candidates.pop()
        if op in ("sum", "mean") and params["axis"] is None and nodes[args[0]]["shape"]:
            candidates.pop()
    elif op == "where" and args[1] == args[2]:
        candidates.append(args[1])
    for c in candidates:
        if _same(h, c, attrs):
            return c
    return None


def _scalarize_constants(h, attrs):
    """In an elementwise op, a one-element NumPy constant becomes a Python scalar literal
    (`-0.0625 * Y`, not a module-level array) when that keeps shape, dtype and kind."""
    args = list(attrs["args"])
    nodes = h._node
    changed = False
    for i, a in enumerate(args):
        c = nodes[a]
        if c["op"] != "const" or c["python"] or np.size(c["params"]["value"]) != 1 \
                or c["dtype"] not in ("float64", "int64", "bool"):
            continue
        value = np.asarray(c["params"]["value"]).reshape(()).item()
        avals = [Aval(nodes[b]["shape"], nodes[b]["dtype"], nodes[b]["python"])
                 for b in args]
        avals[i] = Aval((), c["dtype"], True)
        op = REGISTRY[attrs["op"]]
        if op.shape_rule(op, avals, attrs["params"], attrs["python"]) != \
                (attrs["shape"], attrs["dtype"]):
            continue
        if all(av.python for av in avals) and not attrs["python"]:
            continue  # operators on Python scalars only would give a Python scalar
        args[i] = add_node(h, "const", (), {"value": value}, shape=(), dtype=c["dtype"],
                           python=True, phase=c["phase"], file=c["file"], line=c["line"])
        changed = True
    return dict(attrs, args=tuple(args)) if changed else None


def algebra_rule(h, attrs):
    """The rewrite behind simplify_algebra (see rebuild.Rewrite)."""
    return _rule(h, attrs)


def simplify_algebra(g):
    return rebuild(g, algebra_rule)
