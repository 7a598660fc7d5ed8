"""Forward mode: one front-to-back sweep that adds tangent nodes to a graph.

Given seed tangents for some nodes (a parameter's tangent, an HVP's vector), each node
downstream of a seed, in topological order (node ids), gets its tangent from its op's
JVP rule (`Op.jvp`), built with registered ops into the same graph. The tangents are
ordinary nodes of phase "tangent": the optimiser and the emitter treat them as they
treat adjoints. Swept over a joint forward-and-backward graph, the tangents of the
gradient nodes are Hessian-vector products (forward-over-reverse), and the forward
values are shared: a module computes them once.

`fit` is the one place a rule's result is broadcast and cast to its node's shape and
kind (the forward twin of autodiff.unbroadcast).
"""

from __future__ import annotations

import networkx as nx

from .builder import Builder
from .errors import UnsupportedOperationError
from .graph import is_float, is_multi
from .ops import REGISTRY, F

TANGENT_PREFIX = "t_"


def fit(t, shape: tuple, dtype: str, python: bool):
    """Tangent `t` broadcast to `shape` and cast to `dtype` (a Python float for a
    Python-float value)."""
    if t.shape != shape:
        t = F.broadcast_to(t, shape=shape)
    if python and not t._python:
        return F.to_float(t)
    if t._dtype != dtype or t._python != python:
        t = F.astype(t, dtype=dtype)
    return t


def tangent_sweep(g: nx.DiGraph, seeds: dict, restrict: set | None = None) -> dict:
    """Add the tangents of the nodes downstream of `seeds` ({node: its tangent node}) to
    `g`, in place; return {node: tangent node} for every node with a nonzero tangent.
    With `restrict`, only nodes in that set get tangents (the rest are not needed)."""
    where = [(g.graph["file"], None)]
    builder = Builder(g, "tangent", lambda: where[0])
    tangents = dict(seeds)
    fields: dict[int, tuple] = {}  # a multi-output node's tangent: one per field, or None
    order = sorted(g)  # ids are topological; the tangents added come after them all
    with builder.active():
        for node in order:
            attrs = g._node[node]
            if node in tangents or not attrs["args"] or \
                    not (is_float(attrs) or is_multi(attrs)) or \
                    (restrict is not None and node not in restrict):
                continue
            op = REGISTRY[attrs["op"]]
            if op.name == "proj":  # its part of the primitive's tangents, if any
                whole = fields.get(attrs["args"][0])
                t = None if whole is None else whole[attrs["params"]["index"]]
                if t is not None:
                    tangents[node] = fit(t, attrs["shape"], attrs["dtype"], False)._node
                    _name(g, tangents[node], node)
                continue
            ts = [tangents.get(a) for a in attrs["args"]]
            if not op.differentiable or all(t is None for t in ts):
                continue  # locally constant (a sign, a mask), or independent of the seeds
            where[0] = (attrs["file"], attrs["line"])
            if op.jvp is None:
                raise UnsupportedOperationError(
                    f"{op.name} has no JVP rule, so forward mode cannot go through it",
                    file=attrs["file"], line=attrs["line"],
                    hint="emit grad or vjp (reverse mode) instead, or add a jvp= rule "
                         "to the op's declaration")
            y = builder.parts(node) if op.outputs else builder.tracer(node)
            result = op.jvp(tuple(None if t is None else builder.tracer(t) for t in ts),
                            y, *[builder.tracer(a) for a in attrs["args"]], **attrs["params"])
            if op.outputs:
                fields[node] = tuple(result)
                continue
            if result is None:
                continue
            result = fit(result, attrs["shape"], attrs["dtype"], attrs["python"])
            tangents[node] = result._node
            _name(g, result._node, node)
    return tangents


def _name(g, tangent: int, node: int) -> None:
    """`t_z` for the tangent of a value the source named, `t_d_z` for that of its
    gradient (an HVP's)."""
    t, attrs = g._node[tangent], g._node[node]
    if t["phase"] != "tangent" or t["name"] is not None:
        return
    if attrs["phase"] == "forward" and attrs["name"]:
        t["name"] = TANGENT_PREFIX + attrs["name"]
    elif attrs["phase"] == "adjoint" and attrs["adjoint_of"] is not None:
        of = g._node[attrs["adjoint_of"]]
        if of["name"]:
            t["name"] = TANGENT_PREFIX + "d_" + of["name"]
