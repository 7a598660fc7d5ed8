"""Call-time guards: every emitted entry point checks its arguments before computing.

A module is compiled for each parameter's kind (Python scalar or NumPy array), rank,
static dimensions and dtype. Called with anything else it would at best crash somewhere
inside and at worst return a gradient that is silently wrong (a mean's 1/N baked in for
another N), so each function starts with one readable check per parameter:

    if type(X) is not np.ndarray or X.shape != (64, 8) or X.dtype != np.float64:
        _wrong_argument("X", X)

The test is a fast, conservative filter; `_wrong_argument` (emitted once per module)
re-checks precisely, returns when the value is in fact acceptable (an ndarray subclass,
a NumPy scalar for a 0-d parameter, a Python int for a float), and otherwise raises
TypeError (wrong kind) or ValueError (wrong shape), naming the parameter, what it got,
what the module needs and the command that recompiles it for the new shape.

A dimension declared symbolic in a spec (`f64[N,8]`) is not checked against a number:
the first parameter that has it binds it (`N = X.shape[0]`), later ones must agree, and
the body reads the bound name wherever the size matters.

A Python-scalar parameter that reaches the result only through `math` calls needs no
check of its own: `math.tanh` refuses an array itself, so the seed network pays nothing.
"""

from __future__ import annotations

import networkx as nx

from .ops import REGISTRY
from .guard_helpers import array_helpers, scalar_helpers
from .structure import path_text
from .ops.registry import PREC_ATOM, Aval, Expr

HELPER = "_wrong_argument"
ARRAY_HINT = "npt.NDArray[Any]"  # what `_wrong_dimension` takes (guard_helpers.py)
_SHORT = {"f64": "float64", "f32": "float32", "i64": "int64", "i32": "int32", "bool": "bool"}


def labels(g: nx.DiGraph) -> dict[str, str]:
    """How messages name each traced input: its parameter, or the leaf of a structured
    parameter as the source reads it (`params[0][1]`, `p["W"]`)."""
    sig = g.graph.get("signature")
    if sig is None:
        return {}
    return {leaf.name: path_text(sig.params[leaf.param].name, leaf.path)
            for leaf in sig.leaves}


def parameter_kinds(g: nx.DiGraph) -> dict[str, tuple]:
    """{parameter: (python, dtype, shape)} as compiled, shape entries int or dim name."""
    symbolic = g.graph.get("symbolic_dims", {})  # {parameter: {axis: name}}
    kinds = {}
    for name, node in zip(g.graph["params"], g.graph["inputs"]):
        attrs = g._node[node]
        dims = symbolic.get(name, {})
        shape = tuple(dims.get(axis, size) for axis, size in enumerate(attrs["shape"]))
        kinds[name] = (attrs["python"], attrs["dtype"], shape)
    return kinds


def guard_lines(g: nx.DiGraph, local: dict[str, str] | None = None) -> list[str]:
    """The checks at the top of an entry point; `local` maps a parameter to the name the
    body reads it by, where that differs (a parameter called `np` is read as `np_arg`)."""
    local = local or {}
    lines, bound = ["# The arguments must be what this module was compiled for (ARGUMENTS)."], set()
    forced = _checked_by_math(g)
    scalars_only = _scalars_only(g)
    label = labels(g)
    for name, (python, dtype, shape) in parameter_kinds(g).items():
        value = local.get(name, name)
        shown = label.get(name, name)
        if python:
            if name in forced or scalars_only:
                continue
            kind = "float" if dtype.startswith("float") else ("bool" if dtype == "bool" else "int")
            test = f"type({value}) is not {kind}"
        else:
            tests = [f"type({value}) is not np.ndarray"]
            if all(isinstance(d, int) for d in shape):
                tests.append(f"{value}.shape != {shape!r}")
            else:
                tests += _rank_and_static_tests(value, shape)
            tests.append(f"{value}.dtype != np.{dtype}")
            test = " or ".join(tests)
        lines.append(f"if {test}:\n    {HELPER}({shown!r}, {value})")
        for axis, d in enumerate(shape if not python else ()):
            if not isinstance(d, str):
                continue
            if d in bound:  # a dimension an earlier parameter bound: they must agree
                lines.append(f"if {value}.shape[{axis}] != {d}:\n"
                             f"    _wrong_dimension({shown!r}, {value}, {axis}, {d!r}, {d})")
            else:
                bound.add(d)
                lines.append(f"{d} = {value}.shape[{axis}]")
    return lines if len(lines) > 1 else []


def _rank_and_static_tests(value: str, shape: tuple) -> list[str]:
    """`X.shape[1:] != (8,)` when the named axes lead, else one test per axis."""
    lead = next(i for i, d in enumerate(shape + (0,)) if not isinstance(d, str))
    tail = shape[lead:]
    if tail and all(isinstance(d, int) for d in tail):
        return [f"{value}.shape[{lead}:] != {tail!r}"]
    return [f"{value}.ndim != {len(shape)}"] + [f"{value}.shape[{axis}] != {d}"
                                                 for axis, d in enumerate(shape)
                                                 if isinstance(d, int)]


def _scalars_only(g: nx.DiGraph) -> bool:
    """Every parameter and the result are Python scalars: an array argument would make
    the result an array, so one check of the result replaces a check per parameter."""
    output = g._node[g.graph["output"]]
    if any(k != v for k, v in labels(g).items()):
        return False  # (a structure's leaves are not locals: each gets its own check)
    return output["python"] and all(g._node[n]["python"] for n in g.graph["inputs"])


def result_check_lines(g: nx.DiGraph, value: str) -> list[str]:
    """For modules of Python scalars only: the check of the result before it is returned
    (in place of a check per parameter at the top, which would cost more than the body)."""
    if not _scalars_only(g) or set(g.graph["params"]) <= _checked_by_math(g):
        return []
    kind = "float" if g._node[g.graph["output"]]["dtype"].startswith("float") else "int"
    return ["# An argument that is not a Python scalar makes the result an array.",
            f"if type({value}) is not {kind}:\n    _check_scalars(locals())"]


def _checked_by_math(g: nx.DiGraph) -> set[str]:
    """Python-scalar parameters every path of which to the result passes through a
    `math.` call (which raises TypeError for anything but a real number)."""
    output = g.graph["output"]
    forcing = {n for n, a in g.nodes(data=True)
               if a["python"] and a["args"] and _spelled_with_math(a)}
    forced = set()
    for name, node in zip(g.graph["params"], g.graph["inputs"]):
        if not g._node[node]["python"] or node == output:
            continue
        # Remove the forcing nodes: if the output is still reachable, some path avoids them.
        stack, seen, escapes = [node], {node}, False
        while stack and not escapes:
            for succ in g.successors(stack.pop()):
                if succ in seen or succ in forcing or g._node[succ]["phase"] != "forward":
                    continue
                if succ == output:
                    escapes = True
                    break
                seen.add(succ)
                stack.append(succ)
        if not escapes:
            forced.add(name)
    return forced


def _spelled_with_math(attrs: dict) -> bool:
    op = REGISTRY[attrs["op"]]
    if op.statement is not None:
        return False
    dummy = [Expr(f"a{i}", PREC_ATOM) for i in range(len(attrs["args"]))]
    aval = Aval(attrs["shape"], attrs["dtype"], attrs["python"])
    try:
        return op.spell(dummy, attrs["params"], aval).text.startswith("math.")
    except Exception:  # NOTE: a spelling that needs real operands is simply not math
        return False


def describe_kind(python: bool, dtype: str, shape: tuple) -> str:
    """A spec-like description: `float`, `f64[N,8]`, `i64[64]`."""
    if python:
        return "float" if dtype.startswith("float") else ("bool" if dtype == "bool" else "int")
    short = {v: k for k, v in _SHORT.items()}.get(dtype, dtype)
    return f"{short}[{','.join(str(d) for d in shape)}]"


def module_lines(g: nx.DiGraph, command: str) -> list[str]:
    """ARGUMENTS (what the module was compiled for) and, when a guard calls it, the
    `_wrong_argument` helper."""
    label = labels(g)
    kinds = {label.get(name, name): kind for name, kind in parameter_kinds(g).items()}
    if result_check_lines(g, "value"):
        return ["# What each parameter must be, as a spec: the entry points check every call.",
                _arguments(kinds), f"RECOMPILE = {command!r}",
                scalar_helpers(check_all=True)]
    if not guard_lines(g):
        return ["# What each parameter must be, as a spec (math itself refuses anything "
                "else).", _arguments(kinds)]
    arguments = _arguments(kinds)
    uses_numpy = any(not python for python, _, _ in kinds.values())
    lines = ["# What each parameter must be, as a spec: the entry points check every call.",
             arguments, f"RECOMPILE = {command!r}"]
    if uses_numpy:
        used = {describe_kind(*kind).partition("[")[0] for kind in kinds.values()}
        dtypes = ", ".join(f'"{k}": np.{v}' for k, v in _SHORT.items() if k in used)
        lines.append(f"DTYPES = {{{dtypes}}}")
    return lines + [array_helpers("numpy", ARRAY_HINT) if uses_numpy else
                    scalar_helpers(check_all=False)]


def _arguments(kinds: dict) -> str:
    rows = [f"    {name!r}: {describe_kind(*kind)!r}," for name, kind in kinds.items()]
    return "ARGUMENTS = {\n" + "\n".join(rows) + "\n}" if rows else \
        "ARGUMENTS: dict[str, str] = {}"
