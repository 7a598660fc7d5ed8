"""The numba target: the NumPy module, with each region of elementwise ops (chosen on the
joint graph by passes/fusion.py) computed by one compiled loop (fused_emit.py).

`compile_grad(..., target="numba")` lowers the graph twice, each time with its regions
replaced by calls (`fused_loop` nodes, and `loop_output` for each of a loop's several
results): once with the regions of the forward alone, for `forward`, and once with
those of the joint graph, for `value_and_grad` and `grad`, where one loop computes a
forward value and the backward values that read it. Everything else (matmuls, linear
algebra, indexing, scatters, reductions over some axes) is the NumPy target's code, and
the loops are module-level functions above `forward`. Only this target imports numba.

numba compiles a loop at its first call, for the argument types of that call, and
`cache=True` keeps the machine code in `__pycache__` beside the module, so a later
import in another process loads it instead of compiling again. `jit_phase` makes that
first compile a phase of its own in the compile report.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
import types

import networkx as nx

from .errors import CompileError, InternalError
from .fused_emit import Loop, write_loop
from .graph import _clear_cache, add_node, effect_nodes
from .lower import Module, lower
from .naming import Namespace, base_names
from .passes.fusion import Region, restrict, select_regions

NOTE = ("Elementwise regions, forward and backward together, run as loops compiled by "
        "numba (`@numba.njit(cache=True)`: compiled at the first call, then cached in "
        "__pycache__ beside the module); matmuls and everything else are NumPy.")


_DIRECTORY: str | None = None  # where this process's modules are verified from
_LOADED = 0


class NumbaMissingError(CompileError):
    """target='numba' without numba installed."""


def check_numba() -> None:
    try:
        import numba  # noqa: F401  (the emitted modules import it)
    except ImportError:
        raise NumbaMissingError("target='numba' needs numba, which is not installed",
                                hint="pip install 'bpcompiler[numba]', or compile for "
                                     "the default NumPy target") from None


def lower_fused(g) -> Module:
    """The module for target="numba" (see the module docstring)."""
    bases = base_names(g)
    sig_names = tuple(g.graph["params"])
    dims = tuple(sorted({d for axes in g.graph.get("symbolic_dims", {}).values()
                         for d in axes.values()}))
    space = Namespace(fixed=sig_names + dims + ("forward", "value_and_grad", "grad"))
    effects = effect_nodes(g)  # (guards: every function checks them)
    forward_roots = tuple(g.graph.get("output_leaves", (g.graph["output"],))) + effects
    joint_roots = (g.graph["output"],) + tuple(g.graph["grads"]) + effects
    loops: dict = {}  # (members, outputs) -> Loop (forward's part may be a joint loop)

    def loop_of(region: Region) -> Loop:
        key = (frozenset(region.nodes), tuple(region.outputs))
        if key not in loops:
            loops[key] = write_loop(g, region, space.claim("_loop"), bases)
        return loops[key]
    joint_regions = select_regions(g, joint_roots)
    forward_regions = restrict(g, joint_regions, forward_roots)
    forward_graph = replace_regions(g, [(r, loop_of(r)) for r in forward_regions], bases)
    joint_graph = replace_regions(g, [(r, loop_of(r)) for r in joint_regions], bases)
    module, forward_module = lower(joint_graph), lower(forward_graph)
    # forward's own hoisted constants (a product of constants a joint loop computes
    # inside) join the module's; a name both claim must be the same line
    extra = [c for c in forward_module.constants if c not in module.constants]
    taken = {c.split(" = ")[0] for c in module.constants}
    if any(c.split(" = ")[0] in taken for c in extra):
        raise InternalError("internal error: the numba target's two lowerings named the "
                            "module's constants differently")
    module.constants += extra
    module.functions[0] = forward_module.functions[0]
    module.constants += [loop.source for loop in loops.values()]
    text = "\n".join(loop.source for loop in loops.values())
    wanted = ["import math"] * ("math." in text) + ["import numba"] * bool(loops) + \
        ["import numpy as np"] * bool(loops) + ["import numpy.typing as npt"] * bool(loops)
    imports = set(module.imports) | set(wanted)
    module.imports = _grouped(_with_any(imports) if loops else imports)
    return module


def _with_any(imports: set) -> set:
    """`imports` with `Any` among the names from typing (a loop's array parameters)."""
    head = "from typing import "
    old = next((line for line in imports if line.startswith(head)), None)
    names = set() if old is None else set(old[len(head):].split(", "))
    return (imports - {old}) | {head + ", ".join(sorted(names | {"Any"}))}


def _grouped(lines: set) -> list[str]:
    """The standard library's imports, a blank line, then the others (as isort does)."""
    lines = {line for line in lines if line}
    standard = sorted(line for line in lines if line.split()[1] in ("math", "types", "typing"))
    third = sorted(lines - set(standard))
    return standard + [""] * bool(standard and third) + third


def replace_regions(g, regions: list[tuple[Region, Loop]], bases: dict):
    """A copy of `g` where each region is a call of its loop; a member the call replaces
    is gone, except a broadcast still read outside (a view costs nothing) and a value
    a surviving gradient is named after (kept as a placeholder nobody reads)."""
    h = g.copy()
    replaced: dict[int, int] = {}
    members: set = set()
    for region, loop in regions:
        params = {"kernel": loop.name, "casts": loop.casts}
        members |= set(region.nodes)
        if len(region.outputs) == 1:
            out = g._node[region.outputs[0]]
            replaced[region.outputs[0]] = add_node(
                h, "fused_loop", tuple(loop.args), dict(params, scalar=not out["shape"]),
                shape=out["shape"],
                dtype=out["dtype"], python=False, phase=out["phase"], name=out["name"],
                file=out["file"], line=out["line"], adjoint_of=out["adjoint_of"])
            continue
        first = g._node[region.nodes[0]]
        phases = {g._node[n]["phase"] for n in region.nodes}
        call = add_node(h, "fused_loop", tuple(loop.args), params, shape=region.shape,
                        dtype="float64", python=False,
                        phase="forward" if "forward" in phases else "adjoint",
                        name="loop", file=first["file"], line=first["line"])
        for i, n in enumerate(region.outputs):
            out = g._node[n]
            replaced[n] = add_node(h, "loop_output", (call,),
                                   {"index": i, "scalar": not out["shape"]},
                                   shape=out["shape"], dtype=out["dtype"], python=False,
                                   phase=out["phase"], name=out["name"], file=out["file"],
                                   line=out["line"], adjoint_of=out["adjoint_of"])
    for node in list(h):
        if node in members or not any(a in replaced for a in h._node[node]["args"]):
            continue
        _set_args(h, node, tuple(replaced.get(a, a) for a in h._node[node]["args"]))
    _redirect_roots(h, replaced)
    _remove(h, members, bases)
    return _renumbered(h)


def _set_args(h, node: int, args: tuple) -> None:
    for p in list(h._pred[node]):
        del h._succ[p][node]
    h._pred[node] = {}
    h._node[node]["args"] = args
    for position, arg in enumerate(args):
        edge = h._pred[node].get(arg)
        if edge is None:
            h._pred[node][arg] = h._succ[arg][node] = {"positions": (position,)}
        else:
            edge["positions"] += (position,)


def _redirect_roots(h, replaced: dict) -> None:
    h.graph["output"] = replaced.get(h.graph["output"], h.graph["output"])
    h.graph["grads"] = tuple(replaced.get(n, n) for n in h.graph["grads"])
    if "output_leaves" in h.graph:
        h.graph["output_leaves"] = tuple(replaced.get(n, n) for n in h.graph["output_leaves"])


def _remove(h, members: set, bases: dict) -> None:
    """Drop the members nothing reads any more; a member a kept node's `adjoint_of`
    names stays as a constant read by nothing that has the member's name, so the
    gradient is still called after it (`d_t`)."""
    named = {h._node[n]["adjoint_of"] for n in h if n not in members}
    for n in sorted(members, reverse=True):  # readers before their operands
        if h._succ[n]:
            continue  # still read: a broadcast outside the loop, or (in the graph lowered
            # for forward alone) a forward value the unfused backward reads
        if n in named:
            _set_args(h, n, ())
            h._node[n].update(op="const", params={"value": 0.0}, python=True, shape=(),
                              dtype="float64", phase="forward", name=bases[n])
            continue
        h.remove_node(n)
    _clear_cache(h)


def _renumbered(h):
    """`h` with node ids in a topological order again, as the scheduler and the body
    expect (a call comes after readers of its outputs by id, being new)."""
    order = list(nx.lexicographical_topological_sort(h))
    new = {old: i for i, old in enumerate(order)}
    out = nx.DiGraph()
    out.graph.update(h.graph)
    out.graph["next_id"] = 0
    for old in order:
        attrs = dict(h._node[old])
        node = add_node(out, attrs.pop("op"), tuple(new[a] for a in attrs.pop("args")),
                        attrs.pop("params"), **attrs)
        if out._node[node]["adjoint_of"] is not None:
            out._node[node]["adjoint_of"] = new.get(out._node[node]["adjoint_of"])
    for key in ("inputs", "grads", "output_leaves"):
        if key in out.graph:
            out.graph[key] = tuple(new[n] for n in out.graph[key])
    out.graph["output"] = new[out.graph["output"]]
    return out


def load_cached(source: str, name: str, load) -> types.ModuleType:
    """Import a numba module from a file of a temporary directory: numba caches only
    functions that have a file, and the module is written to its `out` path only once
    it is verified."""
    global _DIRECTORY, _LOADED
    if _DIRECTORY is None:
        _DIRECTORY = tempfile.mkdtemp(prefix="bpcompiler-numba-")
        atexit.register(shutil.rmtree, _DIRECTORY, True)
    _LOADED += 1  # (a file per module: numba's cache is keyed by the file)
    filename = os.path.join(_DIRECTORY, f"{name}_{_LOADED}.py")
    with open(filename, "w", encoding="utf-8") as f:
        f.write(source)
    return load(source, name, filename)


def jit_phase(module, args) -> float:
    """Seconds the first call of value_and_grad takes at the example (numba compiles
    every loop for the example's types, or loads them from its cache)."""
    start = time.perf_counter()
    module.value_and_grad(*args)
    if hasattr(module, "forward"):
        module.forward(*args)
    return time.perf_counter() - start
