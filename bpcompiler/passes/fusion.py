"""Region selection for the numba target: which nodes of the joint graph one compiled
loop computes.

A region is a maximal set of elementwise nodes over arrays of one shape, connected by
their operands, plus the full reductions (`sum`, `mean` over every axis) that end them
and the `broadcast_to` nodes that feed them. One loop over the elements computes every
member, so a forward value that the backward reads again is a local of the same
iteration, never written to memory and read back: a region's outputs are only the
members read outside it (or returned).

Regions must be convex: a path that leaves a region and comes back (a value reduced,
then broadcast into the same loop) would make the loop depend on itself. So each
candidate gets a level, the number of region boundaries on its longest path from the
inputs: it keeps its operand's level through a same-shape elementwise edge and goes one
higher through anything else (a reduction, an op that is not elementwise, another
shape). A region is a connected set of candidates of one shape and one level; every
edge between regions climbs a level, so the regions and the other nodes form a DAG.

A region is kept only when the loop beats the NumPy passes it replaces by the cost
model below: NumPy's transcendental functions run on SIMD units, a compiled loop's
`math` calls one element at a time, so a region of little arithmetic around a `tanh`
(an MLP's activation) stays NumPy, and a long chain of arithmetic is fused.

`select_regions(g, roots)` is a pure function of the graph: it reads the ancestors of
`roots` only (forward's body fuses the forward alone) and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import math

import networkx as nx

from ..ops import REGISTRY
from ..ops.registry import PREC_ATOM, Aval, Expr, elementwise_rule

REDUCTIONS = ("sum", "mean")
LOOP_DTYPES = ("float64", "bool")
# Nanoseconds per element, measured on one core (tests/benchmarks/bench.py's machine):
# a NumPy pass (allocate, read, write) and a transcendental ufunc's SIMD loop, against
# a compiled loop's arithmetic and its scalar `math` call (40 ns: a chain of calls in
# one iteration waits for each result; 11 ns when independent); and per call, a
# ufunc's and a compiled loop's (numba's dispatch on the argument types), on the safe
# side.
NUMPY_PASS, NUMPY_CALL, LOOP_ARITHMETIC, LOOP_CALL = 1.0, 3.5, 0.3, 40.0
UFUNC_CALL, LOOP_CALL_OVERHEAD = 500.0, 3000.0
MAX_LOOP_OPS = 256


@dataclass
class Region:
    shape: tuple
    nodes: list  # members in topological order
    inputs: list  # operands from outside, in order of first use
    outputs: list  # members read outside the region or returned, in topological order
    level: int

    def compute(self, g) -> list:
        """The members that compute (not the broadcasts that only feed them)."""
        return [n for n in self.nodes if g._node[n]["op"] != "broadcast_to"]


def loopable(g, node: int) -> bool:
    """An elementwise op a loop writes with its `math` spelling, on float64/bool arrays
    whose array operands are float64 or bool (Python numbers of any kind may feed it)."""
    attrs = g._node[node]
    spec = REGISTRY.get(attrs["op"])
    if spec is None or spec.shape_rule is not elementwise_rule or spec.py_fn is None \
            or spec.statement is not None or not spec.in_loops:
        return False
    if attrs["python"] or not attrs["shape"] or attrs["dtype"] not in LOOP_DTYPES:
        return False
    for a in attrs["args"]:
        operand = g._node[a]
        if not operand["python"] and operand["dtype"] not in LOOP_DTYPES:
            return False
    text = math_spelling(attrs)
    return text is not None and "np." not in text and "scipy." not in text


def loop_ops() -> list[str]:
    """The ops a compiled loop writes (for the README's targets table)."""
    names = []
    for name, spec in sorted(REGISTRY.items()):
        if spec.shape_rule is not elementwise_rule or spec.py_fn is None or \
                spec.statement is not None or not spec.in_loops:
            continue
        attrs = {"op": name, "args": (0,) * max(spec.arity, 1), "params": {},
                 "dtype": "float64"}
        text = math_spelling(attrs)
        if text is not None and "np." not in text and "scipy." not in text:
            names.append(name)
    return names + list(REDUCTIONS) + ["broadcast_to"]


def math_spelling(attrs, operands: list[Expr] | None = None) -> str | None:
    """The op as the scalar emitter writes it for Python floats."""
    spec = REGISTRY[attrs["op"]]
    if operands is None:
        operands = [Expr(f"a{i}", PREC_ATOM) for i in range(len(attrs["args"]))]
    try:
        return spec.spell(operands, attrs["params"], Aval((), attrs["dtype"], True)).text
    except (KeyError, TypeError, ValueError):
        return None


def is_full_reduction(g, node: int) -> bool:
    attrs = g._node[node]
    if attrs["op"] not in REDUCTIONS or attrs["dtype"] != "float64" or attrs["python"]:
        return False
    params, rank = attrs["params"], len(g._node[attrs["args"][0]]["shape"])
    axis = params.get("axis")
    whole = axis is None or tuple(sorted(axis if isinstance(axis, tuple) else (axis,))) \
        == tuple(range(rank))
    return whole and not params.get("keepdims") and rank > 0


def _feeds(g, node: int) -> bool:
    """A broadcast of a float64 value into an array: read in the loop by index."""
    attrs = g._node[node]
    return attrs["op"] == "broadcast_to" and attrs["dtype"] == "float64" and \
        bool(attrs["shape"])


def select_regions(g, roots: tuple) -> list[Region]:
    """The regions worth a loop among the ancestors of `roots` (see the module doc).
    Where a region is not worth it, its `math` calls stay NumPy's and the arithmetic
    around them is chosen again (a second selection over the whole graph, so its
    levels, and the acyclicity they give, hold for every region together)."""
    nodes = _ancestors(g, roots)
    order = [n for n in nx.lexicographical_topological_sort(g) if n in nodes]
    first, rejected = _select(g, roots, nodes, order, frozenset())
    if not rejected:
        return first
    calls = frozenset(n for n in rejected if not REGISTRY[g._node[n]["op"]].arithmetic)
    return _select(g, roots, nodes, order, calls)[0]


def _select(g, roots, nodes, order, excluded) -> tuple[list[Region], set]:
    """(regions worth a loop, members of the regions that are not)."""
    kind = {}
    for n in order:
        if n in excluded:
            continue
        if loopable(g, n) or _feeds(g, n):
            kind[n] = "map"
        elif is_full_reduction(g, n) and kind.get(g._node[n]["args"][0]) == "map":
            kind[n] = "reduce"
    level = _raised(g, order, kind, _levels(g, order, kind), nodes)
    parent = {n: n for n in kind}

    def find(n):
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n
    for n in kind:
        for a in g._node[n]["args"]:
            if kind.get(a) == "map" and level[a] == level[n] and _shape_of(g, a, kind) == \
                    _shape_of(g, n, kind):
                parent[find(n)] = find(a)
    groups: dict = {}
    for n in order:
        if n in kind:
            groups.setdefault(find(n), []).append(n)
    readers = {n: [r for r in g._succ[n] if r in nodes] for n in nodes}
    regions = [_region(g, members, kind, readers, set(roots), level[members[0]])
               for members in groups.values()]
    regions = [r for r in regions if r is not None]
    kept = [r for r in regions if worth_a_loop(g, r)]
    rejected = {n for r in regions if r not in kept for n in r.nodes}
    pieces = [p for r in kept for p in _pieces(g, r, kind, readers, set(roots))]
    return pieces, rejected


def _pieces(g, region: Region, kind, readers, roots) -> list[Region]:
    """A region of more than MAX_LOOP_OPS members as consecutive runs of its
    topological order: numba's compile time grows faster than a loop's length (a
    2,000-op loop took minutes), and a run of a convex region is convex (a path out of
    a run and back would pass a later member before an earlier one)."""
    if len(region.nodes) <= MAX_LOOP_OPS:
        return [region]
    out = []
    for start in range(0, len(region.nodes), MAX_LOOP_OPS):
        run = _region(g, region.nodes[start:start + MAX_LOOP_OPS], kind, readers, roots,
                      region.level)
        if run is not None:
            out.append(run)
    return out


def restrict(g, regions: list[Region], roots: tuple) -> list[Region]:
    """The parts of `regions` (chosen for the joint graph) that `roots` need: the
    forward's loops compute its value with the very operations, in the very order, of
    the joint loops, so `forward` and `value_and_grad` agree to the last bit. (A part
    of a convex region is convex: a path between two of its members through a member
    left out would make that member an ancestor of the roots.)"""
    nodes = _ancestors(g, roots)
    readers = {n: [r for r in g._succ[n] if r in nodes] for n in nodes}
    kind = {n: "reduce" if g._node[n]["op"] in REDUCTIONS else "map"
            for r in regions for n in r.nodes}
    parts = []
    for r in regions:
        members = [n for n in r.nodes if n in nodes]
        part = _region(g, members, kind, readers, set(roots), r.level) if members else None
        if part is not None:
            parts.append(part)
    return parts


def _levels(g, order, kind) -> dict:
    """Each candidate's level, as soon as its operands allow (see the module doc)."""
    level, top = {}, {}
    for n in order:
        args = g._node[n]["args"]
        if n not in kind:
            top[n] = max((level[a] if a in kind else top[a] for a in args), default=-1)
            continue
        if kind[n] == "reduce":
            level[n] = level[args[0]]
            continue
        here = 0
        for a in args:
            if kind.get(a) == "map" and _shape_of(g, a, kind) == g._node[n]["shape"]:
                here = max(here, level[a])
            else:
                here = max(here, (level[a] if a in kind else top[a]) + 1)
        level[n] = here
    return level


def _raised(g, order, kind, level, nodes) -> dict:
    """Each level raised as late as its readers allow: `1 - t * t` of a backward joins
    the loop of the adjoint that reads it, not the (earlier) loop of `t`. A candidate
    may take its same-shape readers' level and must stay below any other candidate
    downstream; one with a reduction among its readers stays (the reduction is tied
    to it). Every edge keeps its order, so the regions still form a DAG."""
    level = dict(level)
    low: dict = {}  # a non-candidate: the lowest level of a candidate downstream
    for n in reversed(order):
        readers = [r for r in g._succ[n] if r in nodes]
        if n not in kind:
            low[n] = min((level[r] if r in kind else low[r] for r in readers),
                         default=None) if readers else None
            if low[n] is None:
                low[n] = float("inf")
            continue
        if kind[n] == "reduce" or any(kind.get(r) == "reduce" for r in readers):
            continue
        bound = float("inf")
        for r in readers:
            if kind.get(r) == "map" and g._node[r]["shape"] == g._node[n]["shape"]:
                bound = min(bound, level[r])
            else:
                bound = min(bound, (level[r] if r in kind else low[r]) - 1)
        if bound != float("inf") and bound > level[n]:
            level[n] = int(bound)
    return level


def _shape_of(g, n, kind) -> tuple:
    """The loop's shape a candidate belongs to (a reduction: its operand's)."""
    if kind.get(n) == "reduce":
        return g._node[g._node[n]["args"][0]]["shape"]
    return g._node[n]["shape"]


def _region(g, members, kind, readers, roots, level) -> Region | None:
    inside = set(members)
    shape = next(g._node[n]["shape"] for n in members if kind[n] == "map")
    inputs: list = []
    for n in members:
        for a in g._node[n]["args"]:
            if a not in inside and a not in inputs:
                inputs.append(a)
    outputs = [n for n in members if g._node[n]["op"] != "broadcast_to" and
               (n in roots or any(r not in inside for r in readers[n]))]
    region = Region(shape, members, inputs, outputs, level)
    if not region.compute(g) or not outputs:
        return None
    # The loop reads its extents from an operand of the loop's own shape.
    if not any(g._node[a]["shape"] == shape and not g._node[a]["python"] for a in inputs):
        return None
    return region


def worth_a_loop(g, region: Region) -> bool:
    """Whether the loop is cheaper than NumPy's passes (see the constants): NumPy makes
    a pass per computing member, each a call; the loop is one call that writes each
    array output once."""
    size = math.prod(region.shape)
    numpy = loop = 0.0
    for n in region.compute(g):
        op = g._node[n]["op"]
        cheap = REGISTRY[op].arithmetic or op in REDUCTIONS
        numpy += UFUNC_CALL + size * (NUMPY_PASS + (0.0 if cheap else NUMPY_CALL))
        loop += size * (LOOP_ARITHMETIC if cheap else LOOP_CALL)
    outputs = len([n for n in region.outputs if g._node[n]["shape"]])
    loop += LOOP_CALL_OVERHEAD + size * NUMPY_PASS * outputs
    return loop < numpy


def _ancestors(g, roots) -> set:
    seen, stack = set(roots), list(roots)
    while stack:
        for a in g._node[stack.pop()]["args"]:
            if a not in seen:
                seen.add(a)
                stack.append(a)
    return seen
