"""Structured results: a function returning a tuple, list or dict of arrays and floats
(for jvp, vjp and jacobian).

The graph keeps one output node, as every sweep expects: the leaves raveled and
concatenated into one float vector. `g.graph["output_leaves"]` holds the leaf nodes and
`g.graph["output_structure"]` the container ("tuple", n), ("list", n) or ("dict", keys),
so the emitted functions return the leaves in the function's own structure, take a
cotangent in that structure, and split the Jacobian by leaf.
"""

from __future__ import annotations

import math

from .errors import ReturnValueError
from .ops import F


def is_structured(result) -> bool:
    return isinstance(result, (tuple, list, dict))


def pack_output(builder, result, fn, file, line, single) -> int:
    """The packed output node of a structured result; `single(value)` is the node of one
    leaf (an array or a float, checked as a single result is)."""
    g = builder.graph
    if isinstance(result, dict):
        keys = tuple(result)
        if not all(isinstance(k, str) for k in keys):
            raise ReturnValueError(f"{fn.__name__} returns a dict with keys that are not "
                                   "strings", file=file, line=line, hint="use string keys")
        values, structure = [result[k] for k in keys], ("dict", keys)
    else:
        values, structure = list(result), (type(result).__name__, len(result))
    if not values or any(is_structured(v) for v in values):
        raise ReturnValueError(f"{fn.__name__} returns an empty or nested "
                               f"{type(result).__name__}", file=file, line=line,
                               hint="return a flat tuple, list or dict of arrays")
    leaves = [single(v) for v in values]
    dtypes = {g._node[n]["dtype"] for n in leaves}
    if len(dtypes) > 1:
        raise ReturnValueError(f"{fn.__name__} returns values of dtypes "
                               f"{', '.join(sorted(dtypes))}", file=file, line=line,
                               hint="cast them to one float dtype with .astype()")
    with builder.active():
        parts = []
        for n in leaves:
            t = builder.tracer(n)
            if t._python:
                t = F.astype(t, dtype=t._dtype)
            parts.append(F.reshape(t, shape=(int(math.prod(t.shape)),)))
        packed = parts[0] if len(parts) == 1 else F.concatenate(*parts, axis=0)
    g.graph["output_leaves"] = tuple(leaves)
    g.graph["output_structure"] = structure
    return packed._node


def spell_structure(structure, items: list[str]) -> str:
    """`items` in the container `structure`, as Python source."""
    kind = structure[0]
    if kind == "dict":
        return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(structure[1], items)) + "}"
    if kind == "list":
        return "[" + ", ".join(items) + "]"
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def flatten(structure, value) -> list:
    """The leaves of a value of `structure`, in order."""
    if structure[0] == "dict":
        return [value[k] for k in structure[1]]
    return list(value)
