"""The shared walk behind every pass: copy a graph node by node in topological order,
letting a rewrite function replace nodes. Passes stay pure (`Graph -> Graph`) and node
ids come out consecutive and topologically ordered."""

from __future__ import annotations

from typing import Callable

import networkx as nx
import numpy as np

from ..graph import add_node, empty_like

# A rewrite sees the new graph and the node's attributes (operands already remapped) and
# returns None (keep the node), an int (use that existing node instead), or a dict of
# attributes (add this node instead).
Rewrite = Callable[[nx.DiGraph, dict], "int | dict | None"]

_ATTRS = ("shape", "dtype", "python", "phase", "name", "file", "line", "adjoint_of")


def rebuild(g: nx.DiGraph, rewrite: Rewrite, keep: Callable[[int], bool] = lambda n: True):
    h = empty_like(g)
    remap: dict[int, int] = {}
    nodes = g._node  # NOTE: networkx's raw node dict, much cheaper than g.nodes[node]
    for node in sorted(nodes):
        if not keep(node):
            continue
        attrs = dict(nodes[node])
        attrs["args"] = tuple(remap[a] for a in attrs["args"])
        if attrs["adjoint_of"] is not None:
            attrs["adjoint_of"] = remap.get(attrs["adjoint_of"])
        result = rewrite(h, attrs)
        if result is None:
            result = attrs
        if isinstance(result, dict):
            result = add_node(h, result["op"], result["args"], result["params"],
                              **{k: result.get(k, attrs[k]) for k in _ATTRS})
        else:
            _inherit_names(h._node[result], attrs)
        remap[node] = result
    h.graph["inputs"] = tuple(remap[n] for n in g.graph["inputs"])
    h.graph["output"] = remap[g.graph["output"]]
    h.graph["grads"] = tuple(remap[n] for n in g.graph["grads"])
    if "output_leaves" in g.graph:  # a structured result's leaves (structured.py)
        h.graph["output_leaves"] = tuple(remap[n] for n in g.graph["output_leaves"])
    if "modes" in g.graph:
        h.graph["modes"] = {name: {"inputs": tuple(remap.get(n) for n in m["inputs"]),
                                   "outputs": tuple(remap[n] for n in m["outputs"])}
                            for name, m in g.graph["modes"].items()}
    return h


def _inherit_names(kept: dict, replaced: dict) -> None:
    """When a node is replaced by an equivalent one, keep what the reader knew it as."""
    if kept["name"] is None and replaced["name"] is not None and kept["op"] != "input":
        kept["name"] = replaced["name"]
    if kept["adjoint_of"] is None and replaced["adjoint_of"] is not None \
            and kept["phase"] == "adjoint":
        kept["adjoint_of"] = replaced["adjoint_of"]


def hashable(value):
    """A hashable, exact key for a param value (arrays by bytes, floats by bit pattern)."""
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        return ("array", array.dtype.name, array.shape, array.tobytes())
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
    return bool(np.all(np.asarray(value) == number))
