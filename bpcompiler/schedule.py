"""Statement order: a topological order of one emitted function's nodes that lets values
die early.

Node ids give the forward in source order, then the backward sweep. Printed in that
order, every forward value the backward reads stays alive until the backward starts,
so an unrolled loop (`valley` computed 99 times) holds all 99 copies, where a
hand-written loop folds each step's gradient in as it goes and keeps none.

`schedule` is a list scheduler over statements: a node together with the operands the
emitter folds into it (`glued`: read once, so printed inside their reader). Of the
statements whose operands are computed it takes the earliest (by id, so in source
order) among those that cost no memory: whose result is no larger than the operands it
is the last reader of, or that, with the one reader they complete, free at least what
they make (`d_valley * x` costs a float, but lets `d_x = ...` free three). When none
does, it takes the earliest. A backward statement therefore moves up beside the forward
it reads only when that lets a value die; everything else keeps its order. The emitter
then passes dead values' names on and deletes large arrays after their last use, which
is what actually frees the memory.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from .ops import REGISTRY

_OBJECT_BYTES = 64  # an ndarray header, roughly
_FLOAT_BYTES = 24  # a Python float


def value_bytes(attrs: dict) -> int:
    """About what a value costs to keep alive."""
    if attrs["python"]:
        return _FLOAT_BYTES
    if REGISTRY[attrs["op"]].view or REGISTRY[attrs["op"]].outputs:
        # a view shares its operand's memory; a tuple's parts are its fields' (proj) size
        return _OBJECT_BYTES
    return _OBJECT_BYTES + math.prod(attrs["shape"]) * np.dtype(attrs["dtype"]).itemsize


def schedule(g, nodes: set, roots: tuple[int, ...], freeable, glued) -> list[int]:
    """`nodes` (closed under operands) in a topological order; see the module docstring.
    `freeable(node)`: whether the emitted code can free that value after its last
    reader; `glued(node)`: whether it is printed inside its one reader."""
    attrs_of = g._node
    members, outside = _statements(g, nodes, glued)
    readers: dict[int, list[int]] = {n: [] for n in members}
    unread = dict.fromkeys(members, 0)  # reads of each value not yet scheduled
    waiting: dict[int, int] = {}  # distinct values each statement still waits for
    for s, reads in outside.items():
        for a, count in reads.items():
            readers[a].append(s)
            unread[a] += count
        waiting[s] = len(reads)
    kept = set(roots) | {n for n in members if attrs_of[n]["op"] in ("input", "const")
                         or not freeable(n)}
    size = {n: 0 if attrs_of[n]["op"] in ("input", "const") else value_bytes(attrs_of[n])
            for n in members}

    def net(s: int, after: dict | None = None) -> int:
        """Bytes statement `s` adds, less those of the values it is the last reader of
        (once the reads in `after` have run too)."""
        after = after or {}
        freed = sum(size[a] for a, count in outside[s].items()
                    if a not in kept and unread[a] - after.get(a, 0) == count)
        return size[s] - freed

    def is_free(s: int) -> bool:
        cost = net(s)
        if cost <= 0:
            return True
        # Look one step on: a reader that `s` completes may free enough for both.
        for r in readers[s]:
            if waiting[r] == 1 and cost + net(r, outside[s]) <= 0:
                return True
        return False

    free_heap: list[int] = []  # ready statements that cost nothing
    any_heap: list[int] = []  # every ready statement (the free ones too)
    done: set[int] = set()

    def make_ready(s: int) -> None:
        heapq.heappush(any_heap, s)
        if is_free(s):
            heapq.heappush(free_heap, s)

    for s in sorted(members):
        if waiting[s] == 0:
            make_ready(s)
    order: list[int] = []
    while len(done) < len(members):
        s = heapq.heappop(free_heap if free_heap else any_heap)
        if s in done:
            continue
        done.add(s)
        order += members[s]
        for a, count in outside[s].items():
            unread[a] -= count
            # A reader that is now the last one left may have become free to compute,
            # and so may a statement waiting only for that reader.
            if a not in kept and 0 < unread[a] <= 2:
                for r in readers[a]:
                    if r in done:
                        continue
                    if waiting[r] == 0 and is_free(r):
                        heapq.heappush(free_heap, r)
                    elif waiting[r] == 1:
                        for q in outside[r]:
                            if q not in done and waiting[q] == 0 and is_free(q):
                                heapq.heappush(free_heap, q)
        ready = []
        for r in readers[s]:
            waiting[r] -= 1
            if waiting[r] == 0:
                ready.append(r)
        for r in ready:  # after every count is down, so the look-ahead sees them all
            make_ready(r)
    return order


def _statements(g, nodes: set, glued) -> tuple[dict, dict]:
    """{statement: its nodes, in id (topological) order} and {statement: the values it
    reads, with counts}: a statement is a node with the operands glued into it."""
    members: dict[int, list[int]] = {}
    outside: dict[int, dict] = {}
    for n in nodes:
        if glued(n):
            continue
        group, stack, reads = [n], [n], {}
        while stack:
            for a in g._node[stack.pop()]["args"]:
                if glued(a):
                    group.append(a)
                    stack.append(a)
                else:
                    reads[a] = reads.get(a, 0) + 1
        members[n] = sorted(group)
        outside[n] = reads
    return members, outside
