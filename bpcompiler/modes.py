"""What a module offers beyond the gradient: the graph nodes of each function that
`compile_grad(..., emit=...)` asks for, added to the one joint graph.

    jvp(*args, tangents)    -> (value, tangent)       one forward-mode sweep
    vjp(*args, cotangent)   -> (value, gradients)     one reverse sweep from `cotangent`
    jacobian(*args)         -> one array per WRT parameter, out.shape + param.shape:
                               a forward sweep per parameter element, or a reverse
                               sweep per output element, whichever is fewer
    hvp(*args, vectors)     -> H @ v per WRT parameter: forward over reverse, the JVP
                               sweep applied to the gradient nodes
    hessian(*args)          -> [i][j] blocks of shape p_i.shape + p_j.shape

Every function reads the same forward nodes, so each computes the forward once. Each
records its extra input nodes (tangents, cotangent, vectors) and the nodes it returns in
`g.graph["modes"]`; lower.py names and prints them.
"""

from __future__ import annotations

import math

import numpy as np

from .autodiff import active_nodes, backward
from .builder import Builder
from .errors import CompileError
from .forward_mode import fit, tangent_sweep
from .graph import add_node
from .ops import REGISTRY, F

EMITS = ("grad", "jvp", "vjp", "jacobian", "hvp", "hessian")
NEED_SCALAR = ("grad", "hvp", "hessian")
# A Jacobian or Hessian is unrolled into one sweep per column (or row): past this many
# the module would be huge, and a loop over jvp/vjp/hvp calls is the better program.
MAX_SWEEPS = 64


class ModeError(CompileError):
    """An emit= choice that this function cannot have."""


def check_emit(emit) -> tuple[str, ...]:
    emit = (emit,) if isinstance(emit, str) else tuple(emit)
    unknown = [e for e in emit if e not in EMITS]
    if unknown or not emit:
        raise ModeError(f"emit={emit!r}: unknown function {', '.join(unknown) or '(none)'}",
                        hint=f"choose from {', '.join(EMITS)}")
    return tuple(e for e in EMITS if e in emit)


def add_modes(g, emit: tuple[str, ...]) -> None:
    """Add the nodes of each function in `emit` (but grad, already there) to `g`."""
    modes = g.graph["modes"] = {}
    forward = {n for n in g if g._node[n]["phase"] == "forward"}
    wrt = _wrt_inputs(g)
    if "jvp" in emit:
        tangents = [_extra_input(g, node, "t_" + name) for name, node in wrt]
        found = tangent_sweep(g, {node: t for (_, node), t in zip(wrt, tangents)}, forward)
        leaves = g.graph.get("output_leaves", (g.graph["output"],))
        modes["jvp"] = {"inputs": tuple(tangents),
                        "outputs": tuple(_tangent(g, found, n) for n in leaves)}
    if "vjp" in emit:
        cotangent = _extra_input(g, g.graph["output"], "cotangent")
        modes["vjp"] = {"inputs": (cotangent,),
                        "outputs": backward(g, cotangent, _active(g, forward))}
    if "jacobian" in emit:
        blocks = _jacobian(g, wrt, forward)
        if "output_leaves" in g.graph:
            blocks = _split_by_leaf(g, wrt, blocks)
        modes["jacobian"] = {"inputs": (), "outputs": blocks}
    if "hvp" in emit or "hessian" in emit:
        needed = _ancestors(g, g.graph["grads"])
        if "hvp" in emit:
            vectors = [_extra_input(g, node, "v_" + name) for name, node in wrt]
            found = tangent_sweep(g, {node: v for (_, node), v in zip(wrt, vectors)}, needed)
            modes["hvp"] = {"inputs": tuple(vectors),
                            "outputs": tuple(_tangent(g, found, d) for d in g.graph["grads"])}
        if "hessian" in emit:
            modes["hessian"] = {"inputs": (), "outputs": _hessian(g, wrt, needed)}


def _wrt_inputs(g) -> list[tuple[str, int]]:
    names = g.graph["params"]
    return [(name, g.graph["inputs"][names.index(name)]) for name in g.graph["wrt"]]


def _extra_input(g, like: int, name: str) -> int:
    """A new input node shaped like node `like`: a tangent, cotangent or vector argument."""
    a = g._node[like]
    index = len(g.graph["params"]) + sum(1 for n in g if g._node[n]["op"] == "input"
                                         and g._node[n]["phase"] == "tangent")
    return add_node(g, "input", (), {"index": index}, shape=a["shape"], dtype=a["dtype"],
                    python=a["python"], phase="tangent", name=name, file=a["file"],
                    line=a["line"])


def _active(g, forward: set) -> set:
    return active_nodes(g) & forward


def _ancestors(g, roots) -> set:
    seen, stack = set(roots), list(roots)
    while stack:
        for a in g._node[stack.pop()]["args"]:
            if a not in seen:
                seen.add(a)
                stack.append(a)
    return seen


def _zero_like(builder, a: dict):
    return builder.constant(0.0 if a["python"] else np.zeros(a["shape"], a["dtype"]))


def _tangent(g, found: dict, node: int) -> int:
    """The tangent node of `node`, or a zero constant where it has none."""
    if node in found:
        return found[node]
    builder = Builder(g, "tangent", lambda: (g.graph["file"], None))
    return _zero_like(builder, g._node[node])


def size_of(a: dict) -> int:
    return int(math.prod(a["shape"]))


def _basis(builder, a: dict, k: int, name: str):
    """The k-th unit vector of a value shaped like `a` (a constant seed)."""
    if a["python"]:
        return builder.constant(1.0)
    e = np.zeros(size_of(a), a["dtype"])
    e[k] = 1.0
    node = builder.constant(e.reshape(a["shape"]))
    if a["shape"]:
        builder.graph._node[node]["name"] = name
    return node


def _refuse_size(what: str, count: int, instead: str) -> None:
    if count > MAX_SWEEPS:
        raise ModeError(f"the {what} needs {count} sweeps, one per element (the limit is "
                        f"{MAX_SWEEPS})", hint=f"emit {instead} and call it in a loop or "
                        "from an iterative method (scipy.sparse.linalg.LinearOperator)")


def _block(builder, parts: list, shape: tuple, axis: int) -> int:
    """One Jacobian or Hessian block of shape `shape` from its columns (or rows): the
    parts stacked on `axis`, then shaped."""
    if len(parts) == 1:
        t = builder.tracer(parts[0])
        return t._node if t.shape == shape else F.reshape(t, shape=shape)._node
    stacked = F.stack(*[builder.tracer(p) for p in parts], axis=axis)
    return F.reshape(stacked, shape=shape)._node


def _jacobian(g, wrt, forward: set) -> tuple[int, ...]:
    """One block per WRT parameter: forward mode (a sweep per parameter element) when
    the parameters have fewer elements than the output, else reverse mode (a sweep per
    output element). The choice is recorded for the module's header."""
    output = g.graph["output"]
    out = g._node[output]
    n_in = sum(size_of(g._node[n]) for _, n in wrt)
    n_out = size_of(out)
    mode = g.graph["jacobian_mode"] = "forward" if n_in <= n_out else "reverse"
    _refuse_size("Jacobian", min(n_in, n_out), "jvp or vjp")
    builder = Builder(g, "tangent", lambda: (g.graph["file"], None))
    blocks = []
    with builder.active():
        if mode == "forward":
            for name, node in wrt:
                a = g._node[node]
                columns = []
                for k in range(size_of(a)):
                    seed = _basis(builder, a, k, f"e_{name}_{k}")
                    columns.append(_tangent(g, tangent_sweep(g, {node: seed}, forward),
                                            output))
                blocks.append(_block(builder, columns, out["shape"] + a["shape"],
                                     len(out["shape"])))
            return tuple(blocks)
        active = _active(g, forward)
        rows = [backward(g, _basis(builder, out, k, f"e_out_{k}"), active)
                for k in range(n_out)]
        for i, (name, node) in enumerate(wrt):
            a = g._node[node]
            blocks.append(_block(builder, [r[i] for r in rows], out["shape"] + a["shape"], 0))
    return tuple(blocks)


def _split_by_leaf(g, wrt, blocks) -> tuple[int, ...]:
    """A structured result's Jacobian blocks (rows of the packed output) cut into one
    block per leaf and parameter, parameter by parameter: leaf.shape + param.shape."""
    builder = Builder(g, "tangent", lambda: (g.graph["file"], None))
    out = []
    with builder.active():
        for (_, node), block in zip(wrt, blocks):
            start = 0
            for leaf in g.graph["output_leaves"]:
                a = g._node[leaf]
                stop = start + size_of(a)
                rows = F.getitem(builder.tracer(block),
                                 index=(("slice", start, stop, None),))
                out.append(F.reshape(rows, shape=a["shape"] + g._node[node]["shape"])._node)
                start = stop
    return tuple(out)


def _hessian(g, wrt, needed: set) -> tuple[int, ...]:
    """Blocks [i][j] (flattened row by row): the tangents of the gradients for a unit
    seed on each element of parameter j, stacked."""
    n_in = sum(size_of(g._node[n]) for _, n in wrt)
    _refuse_size("Hessian", n_in, "hvp")
    builder = Builder(g, "tangent", lambda: (g.graph["file"], None))
    columns = []  # per parameter j: per element k, the tangent of each gradient
    with builder.active():
        for name, node in wrt:
            a = g._node[node]
            per_k = []
            for k in range(size_of(a)):
                found = tangent_sweep(g, {node: _basis(builder, a, k, f"e_{name}_{k}")},
                                      needed)
                per_k.append([_tangent(g, found, d) for d in g.graph["grads"]])
            columns.append(per_k)
        blocks = []
        for i, (_, ni) in enumerate(wrt):
            for j, (_, nj) in enumerate(wrt):
                shape = g._node[ni]["shape"] + g._node[nj]["shape"]
                blocks.append(_block(builder, [col[i] for col in columns[j]], shape,
                                     len(g._node[ni]["shape"])))
    return tuple(blocks)


def modes_header(g) -> str:
    """The header line saying what the module offers and, for a Jacobian, which mode."""
    emit = g.graph["emit"]
    parts = []
    for e in emit:
        if e == "jacobian":
            parts.append(f"jacobian ({g.graph['jacobian_mode']} mode: "
                         + ("a JVP per parameter element)" if g.graph["jacobian_mode"] ==
                            "forward" else "a VJP per output element)"))
        elif e == "hessian":
            parts.append("hessian (forward over reverse, an HVP per parameter element)")
        elif e == "hvp":
            parts.append("hvp (forward over reverse)")
        else:
            parts.append(e)
    return "# Functions: forward, " + ", ".join(parts)


def result_names(g) -> dict:
    """{function: the name each returned node is given}, in the order it returns them."""
    wrt = g.graph["wrt"]
    leaves = g.graph.get("output_structure")
    n = 1 if leaves is None else len(g.graph["output_leaves"])
    suffix = [""] if leaves is None else [f"_{k}" for k in range(n)]
    return {"jvp": [f"t_out{s}" for s in suffix], "vjp": ["d_" + p for p in wrt],
            "jacobian": [f"jac_{p}{s}" for p in wrt for s in suffix],
            "hvp": ["hvp_" + p for p in wrt],
            "hessian": [f"h_{p}_{q}" for p in wrt for q in wrt]}


def name_results(g) -> None:
    """Name each returned tangent node after what it is (`jac_w`), once the optimiser is
    done with the graph, so the body computes it under that name. A node returned twice,
    or that is also a forward value, an input or a constant, keeps its own name."""
    modes = g.graph.get("modes", {})
    returned = [n for m in modes.values() for n in m["outputs"]]
    names = result_names(g)
    for mode, m in modes.items():
        for node, name in zip(m["outputs"], names[mode]):
            attrs = g._node[node]
            if attrs["phase"] == "tangent" and attrs["op"] not in ("input", "const") \
                    and not REGISTRY[attrs["op"]].view and returned.count(node) == 1:
                attrs["name"] = name
