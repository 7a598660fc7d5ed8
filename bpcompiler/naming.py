"""Names in the emitted module: the source's own names for forward values, `d_<name>`
for the gradient of a named value, the op's name for other temporaries. Names never
shadow keywords, builtins, the module aliases, the module's own functions or a
parameter, and collisions get `_1`, `_2`, ... in statement order, so names are the
same on every run.

A value whose last reader has run hands its name to the next value of the same kind,
as the source itself rebinds `total` in a loop: rebinding is what frees the old value
in CPython, at no cost, where keeping a fresh name per value holds every one of them
until the function returns."""

from __future__ import annotations

import builtins
import heapq
import keyword
import unicodedata
from dataclasses import dataclass

RESERVED = (set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins))
            | {"np", "math", "numpy", "forward", "grad", "value_and_grad", "WRT"})
ADJOINT_PREFIX = "d_"


class Namespace:
    def __init__(self, fixed: tuple[str, ...] = ()):
        self.taken = set(RESERVED) | {unicodedata.normalize("NFKC", n) for n in fixed}
        self.next_suffix: dict[str, int] = {}  # NOTE: keeps claim() O(1) for 100k names

    def claim(self, base: str) -> str:
        # NOTE: Python reads identifiers in NFKC form (`ﬁ` is `fi`), so compare them so.
        base = unicodedata.normalize("NFKC", base)
        base = base if base.isidentifier() else "v"
        name, k = base, self.next_suffix.get(base, 0)
        if k:
            name = f"{base}_{k}"
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.next_suffix[base] = k
        self.taken.add(name)
        return name

    def copy(self) -> "Namespace":
        other = Namespace.__new__(Namespace)
        other.taken, other.next_suffix = set(self.taken), dict(self.next_suffix)
        return other


@dataclass
class Statement:
    """One printed statement, as name reuse sees it."""
    node: int  # the value it computes
    reads: tuple  # the statement values its text reads
    binds: bool  # binds a name to `node` (False: accumulates into a buffer in place)
    reads_first: bool  # one `name = expr` line: its operands' names may be reused for it


def reuse_names(statements: list[Statement], base, pinned: set, space: Namespace) -> dict:
    """{node: name} for the statements of one function, in order. A value's name is free
    once the last statement reading it has run, unless it is `pinned` (returned, or a
    buffer written in place); the next value with the same `base(node)` takes the
    earliest-claimed free name of that base, else claims a new one from `space`."""
    last_read: dict[int, int] = {}
    for i, s in enumerate(statements):
        for v in s.reads:
            last_read[v] = i
    dying: dict[int, list] = {}
    for v, i in last_read.items():
        if v not in pinned:
            dying.setdefault(i, []).append(v)
    names: dict[int, str] = {}
    kind: dict[str, str] = {}  # name -> the base it was claimed for
    order: dict[str, int] = {}  # name -> when it was first claimed
    free: dict[str, list] = {}  # base -> heap of (claim order, name)

    def release(i: int) -> None:
        for v in dying.get(i, ()):
            if v in names:
                name = names[v]
                heapq.heappush(free.setdefault(kind[name], []), (order[name], name))

    for i, s in enumerate(statements):
        if s.reads_first:
            release(i)
        if s.binds:
            b = base(s.node)
            if free.get(b):
                names[s.node] = heapq.heappop(free[b])[1]
            else:
                name = space.claim(b)
                kind[name], order[name] = b, len(order)
                names[s.node] = name
        if not s.reads_first:
            release(i)
    return names


def base_name(g, node: int) -> str:
    """What a node would like to be called, before collisions are resolved."""
    attrs = g.nodes[node]
    if attrs["phase"] == "adjoint" and attrs["adjoint_of"] is not None:
        return ADJOINT_PREFIX + base_name(g, attrs["adjoint_of"])
    if attrs["name"] is not None and attrs["phase"] == "forward":
        return attrs["name"]
    if attrs["op"] == "to_numpy":  # x_np = np.float64(x)
        return base_name(g, attrs["args"][0]) + "_np"
    return attrs["op"]
