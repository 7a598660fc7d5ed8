"""Gradients of a small vector unpacked into named scalars (`a, k, omega, phi = p`) as
one stack, `d_p = np.stack((d_a, -d_k, ...))`, rather than a buffer of zeros written
one entry at a time (`t = np.zeros(4); t[3] = ...; t[2] += ...; d_p -= t`).

The reverse sweep gives each `p[i]` a scatter (`zeros` with the adjoint at `i`) and sums
them; this rule merges a sum or difference of scatters at integer indices of the first axis,
and of stacks it built, into one stack. An entry one side alone writes is exactly the
value the sum gave it (`0.0 + v` is `v`, `0.0 - v` is `-v`); an entry both write is
their sum, as the scatters' sum gave it."""

from __future__ import annotations

import numpy as np

from .rebuild import constant, is_const_equal, new

MAX_ENTRIES = 8  # a longer vector keeps its scatters: a stack of many zeros reads worse


def stack_scatters(h, attrs, ops):
    """add/subtract of two scatters (or stacks) into a short vector -> one stack."""
    shape = attrs["shape"]
    if attrs["phase"] != "adjoint" or not shape or not 2 <= shape[0] <= MAX_ENTRIES:
        return None
    n = shape[0]
    left, right = (_entries(h, a, n) for a in attrs["args"])
    if left is None or right is None:
        return None
    if attrs["op"] == "subtract":
        right = [None if e is None else (e[0], -e[1]) for e in right]
    nodes = h._node
    entries = []
    for a, b in zip(left, right):
        if a is not None and b is not None:  # an index written twice: the entries' sum
            if nodes[a[0]]["shape"] != nodes[b[0]]["shape"]:
                return None
            if a[1] == b[1]:
                a = (new("add", (a[0], b[0]), {}, nodes[a[0]]), a[1])
            else:
                plus, minus = (a[0], b[0]) if a[1] > 0 else (b[0], a[0])
                a = (new("subtract", (plus, minus), {}, nodes[plus]), 1)
            b = None
        entries.append(a if b is None else b)
    def of(v):  # a node's attributes, or those of a sum built above
        return v if isinstance(v, dict) else nodes[v]
    kind = {(of(e[0])["shape"], of(e[0])["dtype"]) for e in entries if e is not None}
    if len(kind) != 1:
        return None
    (entry_shape, dtype), = kind
    if None in entries and entry_shape != ():
        return None  # a zero entry is a number: the stack of rows keeps its scatters
    args = []
    for e in entries:
        if e is None:  # 0.0 beside float64 numbers, else a zero of their dtype
            args.append(constant(0.0, attrs, python=True) if dtype == "float64" else
                        constant(np.dtype(dtype).type(0.0), attrs, python=False))
        elif e[1] < 0:
            args.append(new("negative", (e[0],), {}, of(e[0])))
        else:
            args.append(e[0])
    return dict(attrs, op="stack", args=tuple(args), params={"axis": 0})


def _entries(h, node, n):
    """The node as n entries along its first axis, each (value, sign) or None for a
    zero, when it is a scatter at one integer index, a stack along axis 0, or the
    negation of one; else None."""
    attrs = h._node[node]
    if attrs["shape"][:1] != (n,):
        return None
    sign = 1
    if attrs["op"] == "negative":
        sign, node = -1, attrs["args"][0]
        attrs = h._node[node]
    if attrs["op"] == "scatter":
        index = attrs["params"]["index"]
        if len(index) != 1 or index[0][0] != "int":
            return None
        entries = [None] * n
        entries[index[0][1] % n] = (attrs["args"][0], sign)
        return entries
    if attrs["op"] == "stack" and attrs["params"]["axis"] == 0 and len(attrs["args"]) == n:
        return [None if is_const_equal(h, a, 0) else (a, sign) for a in attrs["args"]]
    return None
