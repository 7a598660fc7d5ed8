"""Names in the emitted module: the source's own names for forward values, `d_<name>`
for the gradient of a named value, a description built from operand names for other
temporaries (`exp_z`). Names never
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

from .named import NamedFloat
from .named import words as named_words
from .ops import REGISTRY

RESERVED = (set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins))
            | {"np", "math", "numpy", "forward", "grad", "value_and_grad", "WRT",
               # the call-time guards' module-level names (guards.py)
               "ARGUMENTS", "RECOMPILE", "DTYPES", "_wrong_argument", "_wrong_dimension",
               "_wrong_structure"})
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


def reuse_names(statements: list[Statement], base, pinned: set, space: Namespace,
                last_read: dict | None = None, kind=None) -> dict:
    """{node: name} for the statements of one function, in order. A value's name is free
    once the last statement reading it has run (`last_read`: {value: statement index},
    computed from the statements when not given), unless it is `pinned` (returned, or a
    buffer written in place); the next value with the same `base(node)` takes the
    earliest-claimed free name of that base, else claims a new one from `space`. With
    `kind`, only a value of the same `kind(node)` takes a name (one type per name, as a
    type checker requires)."""
    if last_read is None:
        last_read = {}
        for i, s in enumerate(statements):
            for v in s.reads:
                last_read[v] = i
    dying: dict[int, list] = {}
    for v, i in last_read.items():
        if v not in pinned:
            dying.setdefault(i, []).append(v)
    names: dict[int, str] = {}
    key = base if kind is None else (lambda n: (base(n), kind(n)))
    claimed: dict[str, object] = {}  # name -> the key it was claimed for
    order: dict[str, int] = {}  # name -> when it was first claimed
    free: dict[object, list] = {}  # key -> heap of (claim order, name)

    def release(i: int) -> None:
        for v in dying.get(i, ()):
            if v in names:
                name = names[v]
                heapq.heappush(free.setdefault(claimed[name], []), (order[name], name))

    for i, s in enumerate(statements):
        if s.reads_first:
            release(i)
        if s.binds:
            k = key(s.node)
            if free.get(k):
                names[s.node] = heapq.heappop(free[k])[1]
            else:
                name = space.claim(base(s.node))
                claimed[name], order[name] = k, len(order)
                names[s.node] = name
        if not s.reads_first:
            release(i)
    return names


MAX_NAME_CHARS = 20  # a longer description falls back to `t`, as a person writes it
_NUMBER_WORDS = {0.0: "zero", 1.0: "one", 2.0: "two", 3.0: "three", 0.5: "half",
                 10.0: "ten", 100.0: "hundred"}
TEMPORARY = "t"


def base_names(g) -> dict:
    """{node: base_name(g, node)} for every node, each computed once."""
    memo: dict[int, str] = {}
    for node in sorted(g):  # operands (and the values adjoints are of) come first
        memo[node] = base_name(g, node, memo)
    return memo


def base_name(g, node: int, memo: dict | None = None) -> str:
    """What a node would like to be called, before collisions are resolved: its source
    name, `d_<name>` for the gradient of a named value, else a description of what it
    holds from its operands' names (`exp_z`, `exp_z_plus_one`, `X_T`), as Tangent's
    namer does, when two levels of operands describe it in a few words; else `t`.
    Never an op's name alone."""
    if memo is not None and node in memo:
        return memo[node]
    own = _own_name(g, node, memo)
    if own is not None:
        return own
    name = _described(g, node, 3, memo)
    if name is not None and len(name) <= MAX_NAME_CHARS:
        return name
    # (beside a parameter called t, `t_1` would read as a value of it)
    return "tmp" if TEMPORARY in g.graph["params"] else TEMPORARY


def _own_name(g, node: int, memo=None) -> str | None:
    attrs = g._node[node]
    if attrs["phase"] == "adjoint" and attrs["adjoint_of"] is not None:
        return ADJOINT_PREFIX + base_name(g, attrs["adjoint_of"], memo)
    if attrs["name"] is not None and (attrs["phase"] in ("forward", "tangent")
                                      or attrs["op"] == "input"):
        return attrs["name"]
    return None


def _described(g, node: int, depth: int, memo=None, top: bool = True) -> str | None:
    """`node` in words from operands at most `depth` deep, or None when some operand
    has no words (an unnamed value further down, a constant other than 1, 2, 0.5, ...)."""
    attrs = g._node[node]
    if attrs["op"] == "to_numpy":  # x_np = np.float64(x)
        inner = _described(g, attrs["args"][0], depth, memo, top)
        return None if inner is None else inner + "_np"
    if attrs["op"] == "const":
        value = attrs["params"]["value"]
        if isinstance(value, NamedFloat):  # the source's L2 reads as l2
            return named_words(value, _NUMBER_WORDS)
        return _NUMBER_WORDS.get(value) if type(value) in (float, int) else None
    own = None if top else _own_name(g, node, memo)
    if own is not None or depth == 0:
        return own
    spec = REGISTRY[attrs["op"]]
    args = list(attrs["args"])
    if spec.commutative and len(args) == 2 and g._node[args[0]]["op"] == "const":
        args.reverse()  # `1.0 + e` reads as e_plus_one
    parts = [_described(g, a, depth - 1, memo, False) for a in args]
    if not parts or None in parts:
        return None
    if spec.names_as is not None:
        return spec.names_as.format(*parts, **attrs["params"])
    return "_".join([attrs["op"]] + parts)
