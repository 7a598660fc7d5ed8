"""Constant sub-expressions computed once, at import: decided on the graph before lowering.

A node whose operands are all constants (transitively) but whose value was too large
to fold (`passes.fold.MAX_FOLDED_SIZE`), such as the gradient factor `OFF_DIAGONAL *
2.0`, would otherwise be recomputed on every call. `hoist(g)` returns a copy of the graph
in which each such value that the functions read is a constant with a `recipe` (the op,
operands and params it was made with), so every later stage treats it as a constant;
lower.py prints it as a module-level line, `OFF_DIAGONAL_TIMES_TWO = OFF_DIAGONAL * 2.0`,
spelled as the body would have spelled it, so the value is bit-for-bit the same.
Constant values read only inside another hoisted expression are printed inside it.

Values that depend on a symbolic dimension (read from the arguments at call time) are
never hoisted, nor Python scalars (those fold), nor ops printed as statements.
"""

from __future__ import annotations

import numpy as np

from .graph import _clear_cache, outputs
from .literals import is_zeros, literal
from .named import NamedFloat
from .named import words as named_words
from .naming import _NUMBER_WORDS, base_name
from .ops import REGISTRY
from .ops.registry import PREC_ATOM, Aval, Expr
from .symbolic import is_symbolic

MAX_DESCRIBED_CHARS = 32  # a longer description falls back to the gradient's own name


def hoist(g):
    """(graph, {hoisted node: module-level base name}); the graph is `g` itself when
    nothing is hoisted."""
    values = _constant_values(g)
    if not values:
        return g, {}
    reads: dict[int, list[int]] = {n: [] for n in values}
    for n, attrs in g._node.items():
        for a in attrs["args"]:
            if a in reads:
                reads[a].append(n)
    roots = set(outputs(g))
    named = [n for n in sorted(values) if n in roots or len(reads[n]) > 1
             or reads[n] and reads[n][0] not in values]
    h = g.copy()
    names = {}
    for n in named:
        names[n] = _module_name(g, n)
        attrs = h._node[n]
        recipe = (attrs["op"], attrs["args"], attrs["params"])
        h._node[n] = dict(attrs, op="const", args=(), name=names[n],
                          params={"value": values[n], "recipe": recipe})
        for a in set(attrs["args"]):
            del h._succ[a][n]
        h._pred[n] = {}
    _clear_cache(h)
    return h, names


def _constant_values(g) -> dict:
    """{node: its value} for the array nodes computed from constants alone."""
    nodes = g._node
    values: dict[int, np.ndarray] = {}
    for n in sorted(g):  # operands come first
        attrs = nodes[n]
        if attrs["op"] in ("input", "const") or attrs["python"] or not attrs["shape"] \
                or not attrs["args"] or REGISTRY[attrs["op"]].statement is not None \
                or _symbolic(attrs["params"]):
            continue
        operands = []
        for a in attrs["args"]:
            if a in values:
                operands.append(values[a])
            elif nodes[a]["op"] == "const" and not is_symbolic(nodes[a]["params"]["value"]):
                operands.append(nodes[a]["params"]["value"])
            else:
                break
        else:
            try:
                with np.errstate(all="ignore"):
                    value = REGISTRY[attrs["op"]].impl(False)(*operands, **attrs["params"])
            except Exception:  # noqa: BLE001  (left to the function body)
                continue
            if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
                values[n] = value
    return values


def _symbolic(value) -> bool:
    if isinstance(value, dict):
        return any(_symbolic(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return any(_symbolic(v) for v in value)
    return is_symbolic(value)


def _module_name(g, node: int) -> str:
    """What the constant holds in words (`off_diagonal_times_two`), else the name of the
    gradient it is (`d_s6`), in capitals as a module constant."""
    words = _words(g, node, 2)
    if words is None or len(words) > MAX_DESCRIBED_CHARS:
        words = base_name(g, node)
    return words.upper()


def _words(g, node: int, depth: int) -> str | None:
    attrs = g._node[node]
    if attrs["op"] == "const":
        value = attrs["params"]["value"]
        if isinstance(value, NamedFloat):
            return named_words(value, _NUMBER_WORDS)
        if type(value) in (float, int):
            return _NUMBER_WORDS.get(value)
        return attrs["name"].lower() if attrs["name"] else None
    spec = REGISTRY[attrs["op"]]
    if depth == 0 or spec.names_as is None:
        return None
    parts = [_words(g, a, depth - 1) for a in attrs["args"]]
    return None if None in parts else spec.names_as.format(*parts)


def recipe_text(h, node: int, constants: dict) -> str:
    """The module-level expression of hoisted `node` in graph `h` (see hoist), reading
    the module's other constants by their names (`constants`: node -> name)."""
    op, args, params = h._node[node]["params"]["recipe"]
    attrs = h._node[node]
    return _spelled(h, op, args, params, attrs, constants).text


def _spelled(h, op, args, params, attrs, constants) -> Expr:
    operands = [_operand(h, a, constants) for a in args]
    return REGISTRY[op].spell(operands, params, Aval(attrs["shape"], attrs["dtype"],
                                                      attrs["python"]))


def _operand(h, node: int, constants: dict) -> Expr:
    if node in constants:
        return Expr(constants[node], PREC_ATOM)
    attrs = h._node[node]
    if attrs["op"] != "const":  # a constant value read only here: printed inside
        return _spelled(h, attrs["op"], attrs["args"], attrs["params"], attrs, constants)
    value = attrs["params"]["value"]
    if not attrs["python"] and np.ndim(value) > 0 and is_zeros(value):
        return Expr(f"np.zeros({tuple(np.shape(value))!r}, dtype=np.{attrs['dtype']})",
                    PREC_ATOM)
    return literal(value, attrs["python"])
