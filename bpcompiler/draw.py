"""Pictures of the joint forward/adjoint graph: SVG, PNG and Graphviz DOT.

    write_picture(compiled.graph, "output/seed_network_graph.svg")

The layout is computed here, in Python, so SVG needs nothing beyond bpcompiler's own
dependencies (no graphviz binary): nodes are placed in layers by longest path from the
parameters (`networkx` gives the topological order), then ordered within each layer by
the barycentre of their neighbours to reduce crossings. One `Scene` of boxes and edges is
computed once and written by each back end:
- `.svg`: written directly as text;
- `.png`: rasterised with Pillow, an optional extra (`pip install "bpcompiler[png]"`);
  without it `RenderUnavailable` says so;
- `.dot`: plain text for Graphviz users (it carries the same colours, not the layout).

What the picture shows
- forward nodes (rounded, blue), parameters (green), constants (grey, small) and adjoint
  nodes (square corners, orange); each labelled with its source name (`d_<name>` for a
  gradient, as in the emitted module) or its op, and its shape;
- the results as white double-bordered boxes: the returned value and one `∂/∂<param>`
  per differentiated parameter;
- edges: forward to forward grey, a saved forward value read by the backward pass dashed
  blue, backward to backward orange;
- shared sub-expressions: an adjoint node whose value is used more than once (by other
  nodes or as a returned gradient) is outlined red and its outgoing edges are red. For
  the seed's network this is `d_z10 = α'(z20)·w20_0·α'(z10)`, feeding both ∂/∂w10 and
  ∂/∂b10, and `d_z20 = α'(z20)`, feeding every second-layer gradient.
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import networkx as nx

from .graph import outputs
from .naming import base_name
from .writer import PICTURE_MARKER

FORMATS = ("svg", "png", "dot")


class RenderUnavailable(Exception):
    """The requested picture format needs an optional package that is not installed."""


# -- what each kind of node looks like ------------------------------------------------
STYLE = {  # kind -> (fill, stroke, rounded)
    "input": ("#dcfce7", "#15803d", True),
    "forward": ("#dbeafe", "#1d4ed8", True),
    "const": ("#f3f4f6", "#6b7280", True),
    "adjoint": ("#ffedd5", "#c2410c", False),
    "result": ("#ffffff", "#111827", False),
}
SHARED = "#dc2626"
EDGE = {  # (kind of source, kind of target) class -> (colour, width, dashed)
    "forward": ("#64748b", 1.2, False),
    "saved": ("#3b82f6", 1.2, True),
    "adjoint": ("#ea580c", 1.5, False),
    "shared": (SHARED, 2.6, False),
    "result": ("#111827", 1.0, False),
}
SYMBOLS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "**",
           "matmul": "@", "negative": "-x"}
DTYPES = {"float64": "f64", "float32": "f32", "int64": "i64", "int32": "i32", "bool": "bool"}

LEGEND = (("input", "parameter"), ("forward", "forward"), ("const", "constant"),
          ("adjoint", "adjoint (backward)"), ("shared", "shared: used more than once"),
          ("result", "result"))

FONT = 12  # px; labels are monospace so their width is known without a font file
CHAR_W = 0.62 * FONT
ROW_GAP = 44  # vertical space between layers
COL_GAP = 18  # minimum horizontal space between boxes
MARGIN = 24


@dataclass
class Box:
    key: object  # graph node id, or ("result", i)
    kind: str
    lines: list
    tooltip: str
    shared: bool = False
    x: float = 0.0  # centre
    y: float = 0.0  # top
    w: float = 0.0
    h: float = 0.0


@dataclass
class Edge:
    source: object
    target: object
    kind: str
    points: list = field(default_factory=list)  # cubic Bézier: start, c1, c2, end


@dataclass
class Scene:
    title: str
    boxes: dict
    edges: list
    width: float
    height: float


# -- labels -------------------------------------------------------------------------------
def shape_text(attrs: dict) -> str:
    if attrs["python"]:
        return {"float64": "float", "int64": "int", "bool": "bool"}.get(attrs["dtype"],
                                                                        attrs["dtype"])
    dims = ",".join(str(d) for d in attrs["shape"])
    return f"{DTYPES.get(attrs['dtype'], attrs['dtype'])}[{dims}]"


def _const_text(attrs: dict) -> str | None:
    value = attrs["params"].get("value")
    if attrs["shape"] == () and value is not None:
        text = repr(float(value)) if attrs["dtype"].startswith("float") else repr(value)
        return text if len(text) <= 10 else f"{float(value):.3g}"
    return None


def node_box(g: nx.DiGraph, node: int) -> Box:
    a = g.nodes[node]
    if a["op"] == "input":
        kind = "input"
    elif a["phase"] == "adjoint":
        kind = "adjoint"
    elif a["op"] == "const":
        kind = "const"
    else:
        kind = "forward"
    name = a["name"] if a["phase"] == "forward" else None
    if a["op"] == "const":
        kind = "const"
        lines = [name or _const_text(a) or "const", shape_text(a)]
    elif name or a["adjoint_of"] is not None:
        # A named value shows its op spelled out ("add float"), which reads better under
        # a name than a bare symbol; an unnamed one is labelled by its symbol.
        lines = [base_name(g, node), f"{a['op']} {shape_text(a)}" if kind != "input"
                 else shape_text(a)]
    else:
        lines = [SYMBOLS.get(a["op"], a["op"]), shape_text(a)]
    where = "no source line"
    if a["line"]:
        # The hover text quotes the source line, as the emitted module's comments do.
        text = linecache.getline(a["file"] or "", a["line"]).strip()
        where = f"line {a['line']}" + (f": {text}" if text else "")
    tooltip = f"%{node} {a['op']} {shape_text(a)} ({a['phase']}, {where})"
    return Box(node, kind, lines, tooltip)


# -- layout -------------------------------------------------------------------------------
def _layers(d: nx.DiGraph) -> dict:
    """Layer of each node: longest path from a source. Constants and adjoint nodes then
    sink to just above their first consumer, so an adjoint that only reads parameters
    (`W.T` for a matmul's gradient) sits by the gradient that uses it, not at the top."""
    order = list(nx.topological_sort(d))
    layer = {}
    for node in order:
        preds = list(d.predecessors(node))
        layer[node] = 1 + max(layer[p] for p in preds) if preds else 0
    for node in reversed(order):
        box = d.nodes[node]["box"]
        if box.kind in ("const", "adjoint") and d.out_degree(node):
            below = min(layer[s] for s in d.successors(node)) - 1
            layer[node] = max(layer[node], below)
    return layer


def _order(d: nx.DiGraph, layer: dict) -> list[list]:
    rows: dict[int, list] = {}
    for node in sorted(d, key=_sort_key):
        rows.setdefault(layer[node], []).append(node)
    rows = [rows[k] for k in sorted(rows)]
    pos = {n: i for row in rows for i, n in enumerate(row)}

    def barycentre(node, neighbours):
        near = [pos[m] for m in neighbours]
        return sum(near) / len(near) if near else pos[node]

    # Alternate downward sweeps (by predecessors) and upward sweeps (by successors).
    for sweep in range(6):
        sequence = rows if sweep % 2 == 0 else rows[::-1]
        for row in sequence:
            get = d.predecessors if sweep % 2 == 0 else d.successors
            row.sort(key=lambda n: (barycentre(n, list(get(n))), pos[n]))
            # Spread positions to a common scale so long layers and short ones compare.
            scale = 1.0 / max(1, len(row) - 1)
            for i, n in enumerate(row):
                pos[n] = i * scale if len(row) > 1 else 0.5
    return rows


def _sort_key(node):
    """Graph nodes by id, an inlined constant just before the node that reads it, the
    results last in WRT order."""
    if not isinstance(node, tuple):
        return (0, node, 1)
    if node[0] == "const":
        return (0, node[2], 0, node[1])
    return (1, node[1], 0)


def _place(d: nx.DiGraph, rows: list[list]) -> tuple[float, float]:
    """Coordinates: each row's boxes at the barycentre of what they read, pushed apart."""
    for row in rows:
        for n in row:
            box = d.nodes[n]["box"]
            box.w = max(len(t) for t in box.lines) * CHAR_W + 16
            box.h = len(box.lines) * (FONT + 3) + 10
            if box.kind == "const":
                box.h -= 4
    widest = max(sum(d.nodes[n]["box"].w + COL_GAP for n in row) for row in rows)
    y = MARGIN
    for row in rows:
        boxes = [d.nodes[n]["box"] for n in row]
        total = sum(b.w + COL_GAP for b in boxes) - COL_GAP
        x = (widest - total) / 2 + MARGIN
        wanted = []
        for n, b in zip(row, boxes):
            preds = [d.nodes[p]["box"] for p in d.predecessors(n)]  # all in rows above
            even = x + b.w / 2
            wanted.append(sum(p.x for p in preds) / len(preds) if preds else even)
            x += b.w + COL_GAP
        # Pull each box towards where its operands are, keeping order and spacing.
        xs = []
        for b, want in zip(boxes, wanted):
            lo = xs[-1][0] + xs[-1][1].w / 2 + COL_GAP + b.w / 2 if xs else MARGIN + b.w / 2
            xs.append((max(lo, want), b))
        overflow = xs[-1][0] + xs[-1][1].w / 2 - (widest + MARGIN)
        if overflow > 0:  # shift back left, still keeping the spacing
            right = widest + MARGIN
            for i in range(len(xs) - 1, -1, -1):
                cx, b = xs[i]
                cx = min(cx, right - b.w / 2)
                xs[i] = (cx, b)
                right = cx - b.w / 2 - COL_GAP
        for cx, b in xs:
            b.x, b.y = cx, y
        y += max(b.h for b in boxes) + ROW_GAP
    return widest + 2 * MARGIN, y - ROW_GAP + MARGIN


def _route(d: nx.DiGraph, edge: Edge) -> None:
    s, t = d.nodes[edge.source]["box"], d.nodes[edge.target]["box"]
    x0, y0, x1, y1 = s.x, s.y + s.h, t.x, t.y
    bend = max(ROW_GAP * 0.8, (y1 - y0) * 0.45)
    edge.points = [(x0, y0), (x0, y0 + bend), (x1, y1 - bend), (x1, y1)]


def scene(g: nx.DiGraph) -> Scene:
    """Boxes and edges of the joint graph, laid out top (parameters) to bottom (gradients)."""
    d = nx.DiGraph()
    # Scalar constants (1.0 in 1 - y*y, 0.5, ...) are drawn once per use, next to the
    # node that reads them, rather than as one node with long edges across the picture.
    inline = {n for n in g if g.nodes[n]["op"] == "const" and g.nodes[n]["shape"] == ()
              and n not in outputs(g)}
    for node in sorted(g):
        if node not in inline:
            d.add_node(node, box=node_box(g, node))
    for node in sorted(g):
        for arg in dict.fromkeys(g.nodes[node]["args"]):
            if arg in inline:
                key = ("const", arg, node)
                box = node_box(g, arg)
                box.key, box.kind = key, "const"
                d.add_node(key, box=box)
                arg = key
            if node not in inline:
                d.add_edge(arg, node)
    results = [("return", g.graph["output"])]
    results += [(f"∂/∂{name}", node) for name, node in zip(g.graph["wrt"], g.graph["grads"])]
    for i, (label, node) in enumerate(results):
        key = ("result", i)
        d.add_node(key, box=Box(key, "result", [label], f"{label}: %{node}"))
        d.add_edge(node, key)
    for node in d:
        box = d.nodes[node]["box"]
        box.shared = box.kind == "adjoint" and d.out_degree(node) > 1
    edges = []
    for s, t in d.edges:
        sk, tk = d.nodes[s]["box"], d.nodes[t]["box"]
        if sk.kind == "const":
            kind = "forward"
        elif tk.kind == "result":
            kind = "shared" if sk.shared else "result"
        elif sk.shared:
            kind = "shared"
        elif tk.kind == "adjoint":
            kind = "adjoint" if sk.kind == "adjoint" else "saved"
        else:
            kind = "forward"
        edges.append(Edge(s, t, kind))
    forward = sum(1 for n in g if g.nodes[n]["phase"] == "forward")
    title = (f"{g.graph['function']} ({g.graph.get('file') or '?'}): {forward} forward + "
             f"{len(g) - forward} adjoint nodes")
    return lay_out(d, edges, title)


def lay_out(d: nx.DiGraph, edges: list[Edge], title: str) -> Scene:
    """Place the boxes of `d` (each node's "box") in layers and route `edges`."""
    rows = _order(d, _layers(d))
    width, height = _place(d, rows)
    for e in edges:
        _route(d, e)
    # Room at the top for the title and the legend.
    top = 2 * FONT + 40
    for box in (d.nodes[n]["box"] for n in d):
        box.y += top
    for e in edges:
        e.points = [(x, y + top) for x, y in e.points]
    return Scene(title, {n: d.nodes[n]["box"] for n in d}, edges,
                 max(width, 760, _legend_width()), height + top)


# -- SVG ----------------------------------------------------------------------------------
def _svg_box(b: Box, out: list) -> None:
    fill, stroke, rounded = STYLE[b.kind]
    width = 1.2
    if b.shared:
        stroke, width = SHARED, 3.0
    r = 8 if rounded else 1
    x, y = b.x - b.w / 2, b.y
    out.append(f'<g class="node {b.kind}{" shared" if b.shared else ""}">'
               f'<title>{escape(b.tooltip)}</title>')
    out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{b.w:.1f}" height="{b.h:.1f}" rx="{r}" '
               f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>')
    if b.kind == "result":
        out.append(f'<rect x="{x + 3:.1f}" y="{y + 3:.1f}" width="{b.w - 6:.1f}" '
                   f'height="{b.h - 6:.1f}" fill="none" stroke="{stroke}" stroke-width="1"/>')
    for i, line in enumerate(b.lines):
        weight = ' font-weight="bold"' if i == 0 else ' fill="#374151"'
        ty = y + 5 + (i + 1) * (FONT + 3) - 3
        out.append(f'<text x="{b.x:.1f}" y="{ty:.1f}"{weight}>{escape(line)}</text>')
    out.append("</g>")


def to_svg(s: Scene) -> str:
    out = [f"<!-- {PICTURE_MARKER}: {escape(s.title).replace('--', '- -')} -->",
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{s.width:.0f}" '
           f'height="{s.height:.0f}" viewBox="0 0 {s.width:.0f} {s.height:.0f}" '
           f'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="{FONT}" '
           f'text-anchor="middle">',
           '<defs>' + "".join(
               f'<marker id="arrow-{k}" viewBox="0 0 10 10" refX="10" refY="5" '
               f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
               f'<path d="M 0 0 L 10 5 L 0 10 z" fill="{c}"/></marker>'
               for k, (c, _, _) in EDGE.items()) + '</defs>',
           f'<rect width="100%" height="100%" fill="#ffffff"/>',
           f'<text x="{MARGIN}" y="{MARGIN + FONT}" text-anchor="start" font-weight="bold" '
           f'font-size="{FONT + 2}">{escape(s.title)}</text>']
    _svg_legend(out)
    for e in sorted(s.edges, key=lambda e: e.kind == "shared"):  # red edges on top
        colour, width, dashed = EDGE[e.kind]
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = e.points
        dash = ' stroke-dasharray="5,3"' if dashed else ""
        out.append(f'<path d="M {x0:.1f} {y0:.1f} C {x1:.1f} {y1:.1f}, {x2:.1f} {y2:.1f}, '
                   f'{x3:.1f} {y3:.1f}" fill="none" stroke="{colour}" '
                   f'stroke-width="{width}"{dash} marker-end="url(#arrow-{e.kind})"/>')
    for key in sorted(s.boxes, key=_sort_key):
        _svg_box(s.boxes[key], out)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _legend_boxes() -> list[Box]:
    boxes, x = [], MARGIN
    for kind, text in LEGEND:
        b = Box(kind, "adjoint" if kind == "shared" else kind, [text], text,
                shared=kind == "shared")
        b.w, b.h = len(text) * CHAR_W + 16, FONT + 13
        b.x, b.y = x + b.w / 2, MARGIN + FONT + 10
        x += b.w + 10
        boxes.append(b)
    return boxes


_SAVED_LEGEND = "saved forward value read backward"


def _legend_width() -> float:
    """Where the legend's last text ends, plus the margin: the picture is at least this wide."""
    right = max(b.x + b.w / 2 for b in _legend_boxes())
    return right + 16 + 36 + len(_SAVED_LEGEND) * CHAR_W + MARGIN


def _svg_legend(out: list) -> None:
    boxes = _legend_boxes()
    for b in boxes:
        _svg_box(b, out)
    x = max(b.x + b.w / 2 for b in boxes) + 16
    y = MARGIN + FONT + 10 + (FONT + 13) / 2
    for kind, text in (("saved", _SAVED_LEGEND),):
        colour, width, _ = EDGE[kind]
        out.append(f'<path d="M {x:.1f} {y:.1f} L {x + 30:.1f} {y:.1f}" stroke="{colour}" '
                   f'stroke-width="{width}" stroke-dasharray="5,3" '
                   f'marker-end="url(#arrow-{kind})"/>')
        out.append(f'<text x="{x + 36:.1f}" y="{y + 4:.1f}" text-anchor="start">'
                   f'{escape(text)}</text>')


# -- entry point ------------------------------------------------------------------------------
def render(g: nx.DiGraph, kind: str) -> str | bytes:
    """The picture of every node of `g` as `kind` ("svg", "png" or "dot"), with the
    built-in layout: text, or bytes for PNG. (`picture.py` adds Graphviz and summaries.)"""
    from .picture import to_dot
    from .raster import to_png

    writers = {"svg": to_svg, "png": to_png, "dot": to_dot}
    if kind not in writers:
        raise ValueError(f"unknown picture format {kind!r}; expected one of {FORMATS}")
    return writers[kind](scene(g))
