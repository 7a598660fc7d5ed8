"""Writing pictures of a graph: `bpcompiler graph` and `Compiled.picture()`.

- Past `max_nodes` boxes (default `MAX_NODES`) the picture is a summary (summary.py):
  one box per source line, or per function or file when that is still too many.
- `.svg` and `.png` are laid out by Graphviz's `dot` when it is on PATH (it routes
  large graphs better), else by the built-in layout (draw.py; PNG through raster.py);
  `.dot` is Graphviz text with the same colours.
- Every picture carries a marker (an SVG/DOT comment, a PNG text chunk) so that `graph`
  replaces its own pictures but refuses, without `--force`, a file someone else made.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import struct
import zlib
from dataclasses import dataclass

import networkx as nx

from .draw import EDGE, FORMATS, SHARED, STYLE, RenderUnavailable, Scene, _sort_key, scene, to_svg
from .writer import PICTURE_MARKER

__all__ = ["FORMATS", "LAYOUTS", "MAX_NODES", "RenderUnavailable", "write_picture", "svg_picture"]

# Beyond this many boxes a node-by-node picture stops being readable.
MAX_NODES = 300
# How long Graphviz may take before the built-in layout is used instead.
DOT_SECONDS = 60
# Graphviz PNGs are capped at this many inches a side at 96 dpi (about 39 megapixels).
DOT_PNG_INCHES = 65


@dataclass
class Drawn:
    """What was drawn: the scene, whether it is a summary (and of what), the layout."""

    scene: Scene
    nodes: int
    level: str | None  # None: every node; else "line", "function" or "file"
    layout: str  # "graphviz" or "built-in"
    max_nodes: int

    def describe(self, path: str) -> str:
        size = f"{self.scene.width:.0f} x {self.scene.height:.0f} px" \
            if self.layout == "built-in" else "laid out by Graphviz"
        if self.level is None:
            return f"drew {self.nodes} nodes ({size}) to {path}"
        return (f"drew a summary of {self.nodes} nodes, {len(self.scene.boxes)} boxes, one "
                f"per source {self.level} ({size}) to {path}: the graph has more than "
                f"--max-nodes {self.max_nodes}; raise it to draw every node")


def choose_scene(g: nx.DiGraph, max_nodes: int | None = None) -> tuple[Scene, str | None]:
    """The full scene when it fits `max_nodes` boxes, else the finest summary that does
    (or the coarsest, when none does)."""
    from .summary import LEVELS, summary_scene, summary_size

    limit = MAX_NODES if max_nodes is None else max_nodes
    if len(g) + 1 + len(g.graph.get("wrt", ())) <= limit:
        return scene(g), None
    for level in LEVELS:
        if summary_size(g, level) <= limit or level == LEVELS[-1]:
            return summary_scene(g, level), level
    raise AssertionError("unreachable")


def _dot_id(key) -> str:
    return "n" + ("_".join(str(k) for k in key) if isinstance(key, tuple) else str(key))


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(s: Scene) -> str:
    lines = [f"// {PICTURE_MARKER}: {s.title}", "// render with: dot -Tsvg FILE.dot",
             "digraph bpcompiler {", '  rankdir=TB;',
             '  node [fontname="monospace", fontsize=11, style="filled"];']
    for key in sorted(s.boxes, key=_sort_key):
        b = s.boxes[key]
        fill, stroke, rounded = STYLE[b.kind]
        style = "filled,rounded" if rounded else "filled"
        shape = "box" if b.kind != "result" else "box, peripheries=2"
        pen = 3 if b.shared else 1
        label = "\\n".join(_dot_quote(line)[1:-1] for line in b.lines)
        label = f'"{label}"'
        stroke = SHARED if b.shared else stroke
        lines.append(f"  {_dot_id(key)} [label={label}, "
                     f"shape={shape}, style={_dot_quote(style)}, fillcolor={_dot_quote(fill)}, "
                     f"color={_dot_quote(stroke)}, penwidth={pen}, "
                     f"tooltip={_dot_quote(b.tooltip)}];")
    for e in s.edges:
        colour, width, dashed = EDGE[e.kind]
        lines.append(f"  {_dot_id(e.source)} -> {_dot_id(e.target)} [color={_dot_quote(colour)}"
                     f", penwidth={width}{', style=dashed' if dashed else ''}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _png_marker(data: bytes, text: str) -> bytes:
    """`data` (a PNG) with a tEXt chunk holding `Software: text` after its header."""
    payload = b"Software\0" + text.encode("latin-1", "replace")
    chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload + \
        struct.pack(">I", zlib.crc32(b"tEXt" + payload))
    end = 8 + 25  # the signature and the IHDR chunk
    return data[:end] + chunk + data[end:]


def _svg_marker(svg: str, title: str) -> str:
    comment = f"<!-- {PICTURE_MARKER}: {title.replace('--', '- -')} -->"
    head, sep, rest = svg.partition("?>\n") if svg.startswith("<?xml") else ("", "", svg)
    return head + sep + comment + "\n" + rest


def graphviz(s: Scene, kind: str) -> bytes | None:
    """The picture laid out by `dot`, or None when it is not on PATH or fails."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    argv = [exe, f"-T{kind}"] + ([f"-Gsize={DOT_PNG_INCHES},{DOT_PNG_INCHES}", "-Gdpi=96"]
                                 if kind == "png" else [])
    try:
        done = subprocess.run(argv, input=to_dot(s).encode("utf-8"), capture_output=True,
                              timeout=DOT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 or not done.stdout:
        return None
    if kind == "svg":
        return _svg_marker(done.stdout.decode("utf-8", "replace"), s.title).encode("utf-8")
    return _png_marker(done.stdout, f"{PICTURE_MARKER}: {s.title}")


LAYOUTS = ("auto", "graphviz", "builtin")


def render_scene(s: Scene, kind: str, layout: str = "auto") -> tuple[bytes, str]:
    """(bytes of the picture, "graphviz" or "built-in"). `layout` "auto" uses Graphviz
    when `dot` is on PATH, "builtin" never (reproducible pictures), "graphviz" always
    (RenderUnavailable without it)."""
    if kind == "dot":
        return to_dot(s).encode("utf-8"), "built-in"
    if layout != "builtin":
        data = graphviz(s, kind)
        if data is not None:
            return data, "graphviz"
        if layout == "graphviz":
            raise RenderUnavailable("--layout graphviz needs Graphviz's `dot` on PATH (and "
                                    "it must succeed): install graphviz, or use --layout "
                                    "builtin")
    if kind == "svg":
        return to_svg(s).encode("utf-8"), "built-in"
    from .raster import to_png

    return to_png(s), "built-in"


def write_picture(g: nx.DiGraph, path: str, max_nodes: int | None = None,
                  force: bool = False, protected: tuple[str, ...] = (),
                  layout: str = "auto") -> Drawn:
    """Draw `g` to `path` (the format from its extension), atomically. An existing file
    that is not a picture bpcompiler drew is refused unless `force`; `protected` files
    (the function's source) always."""
    from .writer import check_writable, is_generated_picture, write_atomically

    kind = os.path.splitext(path)[1].lower().lstrip(".")
    if kind not in FORMATS:
        raise ValueError(f"unknown picture format {kind!r}; expected one of {FORMATS}")
    check_writable(path, force, protected, generated=is_generated_picture)
    s, level = choose_scene(g, max_nodes)
    data, used = render_scene(s, kind, layout)  # before touching the file: PNG may be refused
    write_atomically(path, data, force, protected, generated=is_generated_picture)
    return Drawn(s, len(g), level, used, MAX_NODES if max_nodes is None else max_nodes)


def svg_picture(g: nx.DiGraph, max_nodes: int | None = None, layout: str = "auto"):
    """The picture of `g` as a `display.Picture` (SVG, shown inline by Jupyter)."""
    from .display import Picture

    s, _ = choose_scene(g, max_nodes)
    data, _ = render_scene(s, "svg", layout)
    return Picture(data.decode("utf-8"), s.width, s.height)
