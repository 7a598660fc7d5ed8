"""A summary picture of a graph too large to draw node by node.

Nodes are grouped by where they come from: one box per source line (forward, and one
per line for its gradient), or, when that is still too many, one per function, or per
file. A parameter keeps its own box, constants go into the box that reads them, and a
loop whose lines feed each other (a cycle between boxes) is merged into one box for
the lines it spans, so the picture stays a DAG laid out like the full one.
"""

from __future__ import annotations

import ast
import functools
import linecache

import networkx as nx

from .draw import Box, Edge, Scene, lay_out, shape_text

LEVELS = ("line", "function", "file")


@functools.lru_cache(maxsize=64)
def _functions(file: str) -> tuple[tuple[int, int, str], ...]:
    """(first line, last line, name) of each function in `file`, innermost last."""
    text = "".join(linecache.getlines(file))
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return ()
    spans = [(n.lineno, n.end_lineno or n.lineno, n.name) for n in ast.walk(tree)
             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return tuple(sorted(spans, key=lambda s: (s[0], -s[1])))


def _function_at(file: str | None, line: int | None) -> str:
    name = "module level"
    for first, last, fn in _functions(file or ""):
        if line is not None and first <= line <= last:
            name = f"{fn}()"
    return name


def _group(a: dict, level: str) -> tuple:
    phase = "adjoint" if a["phase"] == "adjoint" else "forward"
    if level == "line":
        return (phase, a["file"] or "?", a["line"] or 0)
    if level == "function":
        return (phase, a["file"] or "?", _function_at(a["file"], a["line"]))
    return (phase, a["file"] or "?")


def _label(key: tuple, members: list[dict], level: str) -> list[str]:
    phase, file = key[0], key[1]
    grad = "grad of " if phase == "adjoint" else ""
    lines = sorted({a["line"] for a in members if a["line"]})
    if level == "line" and len(lines) == 1:
        text = linecache.getline(file, lines[0]).strip()
        text = text if len(text) <= 44 else text[:41] + "..."
        head = f"{grad}line {lines[0]}" + (f": {text}" if text else "")
    elif level == "file" or not lines:
        head = f"{grad}{file}"
    else:
        where = f"{key[2]} " if level == "function" else ""
        head = f"{grad}{where}lines {lines[0]}-{lines[-1]}"
    ops = sorted({a["op"] for a in members})
    kinds = ", ".join(ops[:4]) + (", ..." if len(ops) > 4 else "")
    return [head, f"{len(members)} nodes: {kinds}"]


def _groups(g: nx.DiGraph, level: str) -> tuple[dict, nx.DiGraph]:
    """node -> box key, and the DAG of boxes (cycles merged)."""
    of = {}
    for n, a in g.nodes(data=True):
        of[n] = n if a["op"] == "input" else _group(a, level)
    for n, a in g.nodes(data=True):  # a constant joins the box of its first reader
        if a["op"] == "const":
            readers = sorted(g.successors(n))
            of[n] = of[readers[0]] if readers else of[n]
    boxes = nx.DiGraph()
    boxes.add_nodes_from(set(of.values()))
    boxes.add_edges_from((of[u], of[v]) for u, v in g.edges if of[u] != of[v])
    merged = nx.condensation(boxes)
    mapping = merged.graph["mapping"]
    return {n: mapping[k] for n, k in of.items()}, merged


def summary_size(g: nx.DiGraph, level: str) -> int:
    return len(_groups(g, level)[1]) + 1 + len(g.graph.get("wrt", ()))


def summary_scene(g: nx.DiGraph, level: str) -> Scene:
    """One box per group of `level` ("line", "function" or "file")."""
    of, merged = _groups(g, level)
    members: dict[int, list] = {}
    for n in sorted(g):
        members.setdefault(of[n], []).append(n)
    d = nx.DiGraph()
    for c in sorted(members):
        nodes = members[c]
        first = g.nodes[nodes[0]]
        if len(nodes) == 1 and first["op"] == "input":
            box = Box(("group", c), "input", [first["name"] or "input", shape_text(first)],
                      f"parameter {first['name']}")
        else:
            attrs = [g.nodes[n] for n in nodes]
            key = _group(next((a for a in attrs if a["op"] != "const"), attrs[0]), level)
            kind = "adjoint" if key[0] == "adjoint" else "forward"
            label = _label(key, attrs, level)
            box = Box(("group", c), kind, label, " ".join(label))
        d.add_node(("group", c), box=box)
    d.add_edges_from((("group", u), ("group", v)) for u, v in merged.edges)
    results = [("return", g.graph["output"])]
    results += [(f"∂/∂{name}", node) for name, node in zip(g.graph["wrt"], g.graph["grads"])]
    for i, (label, node) in enumerate(results):
        key = ("result", i)
        d.add_node(key, box=Box(key, "result", [label], f"{label}: %{node}"))
        d.add_edge(("group", of[node]), key)
    edges = []
    for s, t in d.edges:
        sk, tk = d.nodes[s]["box"].kind, d.nodes[t]["box"].kind
        kind = ("result" if tk == "result" else "adjoint" if sk == "adjoint" else
                "saved" if tk == "adjoint" else "forward")
        edges.append(Edge(s, t, kind))
    per = {"line": "source line", "function": "function", "file": "file"}[level]
    title = (f"{g.graph['function']} ({g.graph.get('file') or '?'}): summary of {len(g)} "
             f"nodes, one box per {per}")
    return lay_out(d, edges, title)
