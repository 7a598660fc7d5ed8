"""Gradients of a small vector unpacked into named scalars (`a, k, omega, phi = p`) as
one stack, `d_p = np.stack((d_a, -d_k, ...))`, rather than a buffer of zeros written
one entry at a time (`t = np.zeros(4); t[3] = ...; t[2] += ...; d_p -= t`).

The reverse sweep gives each `p[i]` a scatter (`zeros` with the adjoint at `i`) and sums
them; this rule merges a sum or difference of scatters at distinct indices of the first
axis, and of stacks it built, into one stack. Each entry is exactly the value the sum
gave it (`0.0 + v` is `v`, `0.0 - v` is `-v`), so the result is unchanged."""

from __future__ import annotations

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
    entries = []
    for a, b in zip(left, right):
        if a is not None and b is not None:
            return None  # an index written twice: the sum is the clearer code
        entries.append(a if b is None else b)
    nodes = h._node
    values = [e[0] for e in entries if e is not None]
    kind = {(nodes[v]["shape"], nodes[v]["dtype"]) for v in values}
    if len(kind) != 1:
        return None
    (entry_shape, dtype), = kind
    if None in entries and (entry_shape != () or dtype != "float64"):
        return None  # a zero is written as 0.0 only beside float64 numbers
    args = []
    for e in entries:
        if e is None:
            args.append(constant(0.0, attrs, python=True))
        elif e[1] < 0:
            args.append(new("negative", (e[0],), {}, nodes[e[0]]))
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
