"""The numba target's loops: one region (passes/fusion.py) as the source of one
`@numba.njit(cache=True)` function.

The function reads its extents from an operand of the loop's own shape, allocates its
array outputs with `np.empty`, and walks the elements once: each member is a scalar
local written with its op's `math` spelling (the scalar emitter's), a member read once
is folded into its reader as the NumPy body folds, an operand of a smaller shape is
indexed as it broadcasts (`b1[i1]`), and a full reduction is accumulated in a local.
It returns its outputs in the region's order, a tuple when there are several.

`error_model="numpy"` makes `x / 0.0` give inf or nan as NumPy does, not raise.
"""

from __future__ import annotations

from dataclasses import dataclass

from .literals import literal
from .naming import Namespace
from .ops import REGISTRY
from .ops.registry import PREC_ATOM, PREC_CMP, PREC_COND, Aval, Expr, paren
from .passes.fusion import Region
from .symbolic import Dim, SymFloat

MAX_INLINE_CHARS = 60
# Where Python's spelling of an op differs from NumPy's value on NaN (`max(nan, 1.0)` is
# nan, `max(1.0, nan)` is 1.0; np.maximum gives nan both ways, np.fmax 1.0 both ways),
# a loop writes it out. `{0} != {0}` is the test for NaN.
NAN_AWARE = {
    "maximum": "{0} if {0} >= {1} or {0} != {0} else {1}",
    "minimum": "{0} if {0} <= {1} or {0} != {0} else {1}",
    "fmax": "{0} if {0} >= {1} or {1} != {1} else {1}",
    "fmin": "{0} if {0} <= {1} or {1} != {1} else {1}",
}
DECORATOR = '@numba.njit(cache=True, error_model="numpy")'


@dataclass
class Loop:
    """A region as written: its function's name and text, and how the body calls it."""
    name: str
    source: str
    args: list  # the region inputs the call passes, in order
    casts: tuple  # per argument: "float"/"bool" to pass a 0-d value as a number, or ""


def inlined(g, node: int) -> bool:
    """A constant the loop writes as a literal instead of taking it as an argument."""
    attrs = g._node[node]
    if attrs["op"] != "const":
        return False
    value = attrs["params"]["value"]
    if isinstance(value, (Dim, SymFloat)):
        return False  # (a formula of the sizes: the body has the sizes, the loop not)
    if attrs["python"]:
        return type(value) in (float, int, bool)
    return not attrs["shape"] and attrs["dtype"] in ("float64", "bool")


def _number(g, node: int) -> Expr:
    attrs = g._node[node]
    value = attrs["params"]["value"]
    if not attrs["python"]:
        import numpy as np
        value = np.asarray(value).item()
    return literal(value, True)


def write_loop(g, region: Region, name: str, bases: dict) -> Loop:
    """The njit function computing `region` (see the module docstring)."""
    bases = dict(bases)
    if g._node[g.graph["output"]]["name"] is None:  # the value is the function's
        bases[g.graph["output"]] = g.graph["function"]
    space = Namespace(fixed=(name, "np", "numba", "math", "range"))
    rank = len(region.shape)
    index = ["i"] if rank == 1 else [f"i{k}" for k in range(rank)]
    extents = ["n"] if rank == 1 else [f"n{k}" for k in range(rank)]
    for claimed in index + extents:
        space.claim(claimed)
    args = [a for a in region.inputs if not inlined(g, a)]
    params = {a: space.claim(_clean(bases.get(a, "a"))) for a in args}
    casts = tuple(("bool" if g._node[a]["dtype"] == "bool" else "float")
                  if not g._node[a]["shape"] and not g._node[a]["python"] else ""
                  for a in args)
    full = next(a for a in args if g._node[a]["shape"] == region.shape
                and not g._node[a]["python"])
    exprs: dict[int, Expr] = {}
    for a in region.inputs:
        exprs[a] = _number(g, a) if a not in params else \
            Expr(_element(params[a], g._node[a], region.shape, index), PREC_ATOM)
    outputs = {n: space.claim(_clean(bases.get(n, "t")) + ("" if _scalar(g, n) else "_out"))
               for n in region.outputs}
    head, body, tail = _statements(g, region, bases, space, exprs, params, outputs, index,
                                   extents)
    hinted = [f"{params[a]}: {_hint(g._node[a], cast)}" for a, cast in zip(args, casts)]
    returns = [_output_hint(g, n) for n in region.outputs]
    returned = returns[0] if len(returns) == 1 else f"tuple[{', '.join(returns)}]"
    lines = [DECORATOR, f"def {name}({', '.join(hinted)}) -> {returned}:",
             f'    """{_doc(g, region)}"""',
             f"    {_tuple(extents) if rank > 1 else extents[0]} = "
             f"{params[full]}.shape{'' if rank > 1 else '[0]'}"]
    lines += [f"    {h}" for h in head]
    indent = "    "
    for k in range(rank):
        lines.append(f"{indent}for {index[k]} in range({extents[k]}):")
        indent += "    "
    lines += [indent + b for b in body]
    lines += [f"    {t}" for t in tail]
    lines.append(f"    return {', '.join(outputs[n] for n in region.outputs)}")
    return Loop(name, "\n".join(lines), args, casts)


def _hint(attrs, cast: str) -> str:
    """A loop parameter's type: a number (a Python one, or a 0-d value the call passes
    as one, see `Loop.casts`) or an array. (Of any dtype: NumPy's stubs type some
    float arrays the body passes as floating[Any] or even integer arrays; and a size-1
    array, np.sum(x, keepdims=True), as a scalar or an array: it is Any.)"""
    if cast:
        return cast
    if attrs["python"]:
        return "bool" if attrs["dtype"] == "bool" else "int" if attrs["dtype"].startswith(
            ("int", "uint")) else "float"
    return "Any" if all(n == 1 for n in attrs["shape"]) else "npt.NDArray[Any]"


def _output_hint(g, n) -> str:
    """A loop result's type: a reduction is a float, an array output is allocated as
    float64 (or bool, see `_statements`)."""
    if _scalar(g, n):
        return "float"
    return "npt.NDArray[np.bool_]" if g._node[n]["dtype"] == "bool" else \
        "npt.NDArray[np.float64]"


def _uses(g, region: Region) -> dict:
    """How often the loop reads each member (a NaN-aware spelling reads its operands
    more than once, so they are bound to a local)."""
    inside = set(region.nodes)
    uses = {n: sum(len(edge["positions"]) for r, edge in g._succ[n].items() if r in inside)
            for n in region.nodes}
    for n in region.nodes:
        if g._node[n]["op"] in NAN_AWARE:
            for a in g._node[n]["args"]:
                uses[a] = uses.get(a, 0) + 2
    return uses


def _statements(g, region, bases, space, exprs, params, outputs, index, extents):
    """(lines before the loop, the loop's body, lines after it): each member a local
    or folded into its reader, each array output stored, each reduction accumulated."""
    uses = _uses(g, region)
    head, body, tail = [], [], []
    rank = len(index)
    for n in region.nodes:
        attrs = g._node[n]
        if attrs["op"] == "broadcast_to":  # read by index: the broadcast is the indexing
            source = attrs["args"][0]
            exprs[n] = _rebroadcast(g, source, exprs[source], params, region.shape, index)
            continue
        if attrs["op"] in ("sum", "mean"):
            acc = outputs[n]
            # (declared: NumPy's stubs make the extents, and so the mean, Any)
            head.append(f"{acc}: float = 0.0")
            body.append(f"{acc} += {exprs[attrs['args'][0]].text}")
            if attrs["op"] == "mean":
                size = extents[0] if rank == 1 else f"({' * '.join(extents)})"
                tail.append(f"{acc} = {acc} / {size}")
            continue
        expr = _spelled(g, n, exprs)
        text = expr.text
        if n in outputs:
            local = space.claim(_clean(bases.get(n, "t")))
            body.append(f"{local} = {text}")
            body.append(f"{outputs[n]}[{', '.join(index)}] = {local}")
            exprs[n] = Expr(local, PREC_ATOM)
        elif uses[n] == 1 and len(text) <= MAX_INLINE_CHARS:
            exprs[n] = expr
        else:
            local = space.claim(_clean(bases.get(n, "t")))
            body.append(f"{local} = {text}")
            exprs[n] = Expr(local, PREC_ATOM)
    for n, out in outputs.items():
        if not _scalar(g, n):
            dtype = "np.bool_" if g._node[n]["dtype"] == "bool" else "np.float64"
            head.append(f"{out} = np.empty({_tuple(extents)}, dtype={dtype})")
    return head, body, tail


def _is_number(text: str) -> bool:
    try:
        return float(text) == float(text)
    except ValueError:
        return False


def _scalar(g, n) -> bool:
    return not g._node[n]["shape"]


def _clean(base: str) -> str:
    return base if base.isidentifier() else "t"


def _tuple(items: list) -> str:
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _element(param: str, attrs, shape: tuple, index: list) -> str:
    """An operand's element at the loop's index, indexed as it broadcasts."""
    if attrs["python"] or not attrs["shape"]:
        return param
    own = attrs["shape"]
    offset = len(shape) - len(own)
    parts = ["0" if own[k] == 1 and shape[offset + k] != 1 else index[offset + k]
             for k in range(len(own))]
    return f"{param}[{', '.join(parts)}]"


def _rebroadcast(g, source, expr: Expr, params, shape, index) -> Expr:
    """A broadcast member: its operand's element (the operand is a loop input)."""
    attrs = g._node[source]
    if source in params:
        return Expr(_element(params[source], attrs, shape, index), PREC_ATOM)
    return expr  # a literal, or a member of the loop (broadcast of a computed scalar)


def _spelled(g, n, exprs) -> Expr:
    """A member as the scalar emitter writes it for Python floats, its operands
    parenthesised as its precedence needs (or NaN-aware, see NAN_AWARE)."""
    attrs = g._node[n]
    operands = [exprs[a] for a in attrs["args"]]
    if attrs["op"] in NAN_AWARE:
        texts = [paren(e, PREC_CMP + 1) for e in operands]
        text = NAN_AWARE[attrs["op"]].format(*texts)
        for t in texts:  # (a number that is not NaN needs no test)
            if _is_number(t):
                text = text.replace(f" or {t} != {t}", "")
        return Expr(text, PREC_COND)
    spec = REGISTRY[attrs["op"]]
    return spec.spell(operands, attrs["params"], Aval((), attrs["dtype"], True))


def _doc(g, region: Region) -> str:
    lines = sorted({g._node[n]["line"] for n in region.nodes if g._node[n]["line"]})
    phases = {g._node[n]["phase"] for n in region.nodes}
    where = "" if not lines else (f"line {lines[0]}" if len(lines) == 1 else
                                  f"lines {', '.join(map(str, lines[:6]))}"
                                  + (", ..." if len(lines) > 6 else ""))
    what = "forward and backward" if len(phases) > 1 else \
        "backward" if "adjoint" in phases else "forward"
    count = len(region.compute(g))
    return (f"{count} elementwise ops ({what}{', ' + where if where else ''}) in one "
            "pass over the elements.")
