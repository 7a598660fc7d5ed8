"""The shared walk behind every pass: copy a graph node by node in topological order,
letting rewrite rules replace nodes. Passes stay pure (`Graph -> Graph`: the input graph
is never touched) and node ids come out increasing and topologically ordered.

A rule sees the new graph and a node's attributes (operands already remapped) and
returns None (no change), an int (an existing node of the new graph instead), or a dict
of attributes: the replacement. A replacement's operands may themselves be dicts: nodes
the rule builds (a constant, an inner product), made with `new`. The walk adds and
merges those first; one that is not a constant counts as unfinished work, which the
next walk rewrites like any other node. Rules never add nodes themselves.

With `merge`, each node is then looked up by structure (common-sub-expression
elimination): a node equal to one already in the new graph is that node. With `prune`,
what the rewrites left unread is dropped from the new graph before it is returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import networkx as nx
import numpy as np

from ..graph import add_node, effect_nodes, empty_like, outputs
from ..named import NamedFloat, named_scalar

Rule = Callable[[nx.DiGraph, dict], "int | dict | None"]

_ATTRS = ("shape", "dtype", "python", "phase", "name", "file", "line", "adjoint_of")
MAX_LOCAL_REWRITES = 8  # rewrites of one node within one walk (each makes it simpler)


@dataclass
class WalkStats:
    rewrites: int = 0  # rules that fired
    merges: int = 0  # nodes found equal to an earlier one
    unfinished: int = 0  # nodes that used up MAX_LOCAL_REWRITES: another walk may help


def new(op: str, args: tuple, params: dict, like: dict, **attrs) -> dict:
    """The attributes of a node a rule builds: `like`'s kind, phase and source line,
    with `attrs` (shape, dtype, python) overriding."""
    out = {"op": op, "args": tuple(args), "params": params, "shape": like["shape"],
           "dtype": like["dtype"], "python": like["python"], "phase": like["phase"],
           "name": None, "file": like["file"], "line": like["line"], "adjoint_of": None}
    out.update(attrs)
    return out


def constant(value, like: dict, python: bool, dtype: str | None = None) -> dict:
    """A scalar constant built by a rule, on `like`'s line."""
    dtype = dtype or ("float64" if python else np.asarray(value).dtype.name)
    return new("const", (), {"value": value}, like, shape=np.shape(value), dtype=dtype,
               python=python)


def rebuild(g: nx.DiGraph, rules: tuple[Rule, ...] = (), keep: Callable[[int], bool] | None = None,
            merge: bool = False, prune: bool = False, stats: WalkStats | None = None):
    walk = _Walk(empty_like(g), rules, merge, stats or WalkStats())
    remap: dict[int, int] = {}
    nodes = g._node  # NOTE: networkx's raw node dict, much cheaper than g.nodes[node]
    for node in sorted(nodes):
        if keep is not None and not keep(node):
            continue
        attrs = dict(nodes[node])
        attrs["args"] = tuple(remap[a] for a in attrs["args"])
        if attrs["adjoint_of"] is not None:
            attrs["adjoint_of"] = remap.get(attrs["adjoint_of"])
        remap[node] = walk.place(attrs)
    h = walk.h
    h.graph["inputs"] = tuple(remap[n] for n in g.graph["inputs"])
    h.graph["output"] = remap[g.graph["output"]]
    h.graph["grads"] = tuple(remap[n] for n in g.graph["grads"])
    if "output_leaves" in g.graph:  # a structured result's leaves (structured.py)
        h.graph["output_leaves"] = tuple(remap[n] for n in g.graph["output_leaves"])
    if "modes" in g.graph:
        h.graph["modes"] = {name: {"inputs": tuple(remap.get(n) for n in m["inputs"]),
                                   "outputs": tuple(remap[n] for n in m["outputs"])}
                            for name, m in g.graph["modes"].items()}
    if prune:
        _prune(h)
    return h


class _Walk:
    def __init__(self, h, rules, merge: bool, stats: WalkStats):
        self.h, self.rules, self.stats = h, rules, stats
        self.seen: dict | None = {} if merge else None
        from .cse import structural_key  # NOTE: cse.py builds on this module
        self.key = structural_key

    def place(self, attrs: dict) -> int:
        """Rewrite `attrs` until no rule fires, add what it builds, merge, add it."""
        for _ in range(MAX_LOCAL_REWRITES):
            result = self._rewrite(attrs)
            if result is None:
                break
            self.stats.rewrites += 1
            if isinstance(result, int):
                _inherit_names(self.h._node[result], attrs)
                return result
            attrs = self._built(result, attrs)
        else:
            self.stats.unfinished += 1
        return self._add(attrs)

    def _rewrite(self, attrs):
        if attrs["op"] == "input":
            return None
        for rule in self.rules:
            result = rule(self.h, attrs)
            if result is not None:
                return result
        return None

    def _built(self, result: dict, replaced: dict) -> dict:
        """The replacement with the nodes it builds placed, and the replaced node's
        source attributes where the rule left them out."""
        result = {**{k: replaced[k] for k in _ATTRS}, **result}
        if any(isinstance(a, dict) for a in result["args"]):
            result["args"] = tuple(self._built_node(a) if isinstance(a, dict) else a
                                   for a in result["args"])
        return result

    def _built_node(self, attrs: dict) -> int:
        """A node a rule built: added now (merged with an equal earlier node), and
        rewritten by the next walk, which also merges later nodes with it."""
        if attrs["op"] == "const":
            return self._add(attrs)
        self.stats.unfinished += 1
        return self._add(attrs, remember=False)

    def _add(self, attrs: dict, remember: bool = True) -> int:
        if self.seen is not None and attrs["op"] != "input":
            key = self.key(attrs)
            found = self.seen.get(key)
            if found is not None:
                self.stats.merges += 1
                _inherit_names(self.h._node[found], attrs)
                return found
        node = add_node(self.h, attrs["op"], attrs["args"], attrs["params"],
                        **{k: attrs[k] for k in _ATTRS})
        if self.seen is not None and attrs["op"] != "input" and remember:
            self.seen[key] = node
        return node


def live_nodes(g) -> set:
    """What the module's outputs (the value and the gradients) and its effects (guards)
    depend on, and the parameters (the signature)."""
    live = set(n for n in outputs(g) if n is not None)
    live |= set(g.graph["inputs"]) | set(effect_nodes(g))
    for node in sorted(g, reverse=True):
        if node in live:
            live.update(g._node[node]["args"])
    return live


def _prune(h) -> None:
    """Drop the unread nodes of `h`, a graph the walk has just built and owns: after a
    walk only a few nodes die, and copying a 200k-node graph to drop them cost seconds.
    Ids stay increasing (with gaps), so operands still come first."""
    live = live_nodes(h)
    if len(live) != len(h):
        h.remove_nodes_from([n for n in h if n not in live])
        for attrs in h._node.values():  # no reference to a dropped node
            if attrs["adjoint_of"] is not None and attrs["adjoint_of"] not in live:
                attrs["adjoint_of"] = None
        for m in h.graph.get("modes", {}).values():  # an unused tangent input
            m["inputs"] = tuple(n if n in live else None for n in m["inputs"])


def _inherit_names(kept: dict, replaced: dict) -> None:
    """When a node is replaced by an equivalent one, keep what the reader knew it as."""
    if kept["name"] is None and replaced.get("name") is not None and kept["op"] != "input":
        kept["name"] = replaced["name"]
    if kept["adjoint_of"] is None and replaced.get("adjoint_of") is not None \
            and kept["phase"] == "adjoint":
        kept["adjoint_of"] = replaced["adjoint_of"]


def hashable(value):
    """A hashable, exact key for a param value (arrays by bytes, floats by bit pattern)."""
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        return ("array", array.dtype.name, array.shape, array.tobytes())
    if isinstance(named_scalar(value), NamedFloat):  # 0.01 and L2 stay apart (named.py)
        return ("named", np.shape(value), named_scalar(value).printed().text,
                float(named_scalar(value)).hex())
    if isinstance(value, float):
        return ("float", value.hex())
    if isinstance(value, (bool, int)):
        return (type(value).__name__, value)
    if isinstance(value, (tuple, list)):
        return tuple(hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, hashable(v)) for k, v in value.items()))
    return value


def const_value(g: nx.DiGraph, node: int):
    """The value of a constant node, or None if the node is not a constant."""
    attrs = g._node[node]
    return attrs["params"]["value"] if attrs["op"] == "const" else None


def is_const_equal(g: nx.DiGraph, node: int, number: float) -> bool:
    value = const_value(g, node)
    if value is None:
        return False
    if type(value) in (float, int, bool):  # NOTE: the common case, without NumPy's overhead
        return value == number
    if isinstance(named_scalar(value), NamedFloat):
        return False  # `x * EPSILON` stays, whatever EPSILON is today (named.py)
    return bool(np.all(np.asarray(value) == number))
