"""How a `Compiled` shows itself: a one-line `repr` at a prompt, and in Jupyter the
highlighted source with the report (`_repr_markdown_`, `_repr_html_`) and a picture of
the graph (`Compiled.picture()`, an SVG that displays inline)."""

from __future__ import annotations

import html
import os


class Picture:
    """An SVG picture of a graph: shown inline by Jupyter (`_repr_svg_`), written with
    `save(path)`; `str()` is the SVG text."""

    def __init__(self, svg: str, width: float, height: float):
        self.svg = svg
        self.width = width
        self.height = height

    def _repr_svg_(self) -> str:
        return self.svg

    def __str__(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        return f"<bpcompiler Picture: SVG {self.width:.0f} x {self.height:.0f} px>"

    def save(self, path: str, force: bool = False) -> str:
        """Write the SVG to `path` (refusing a file bpcompiler did not draw unless
        `force`); returns the path."""
        from .writer import is_generated_picture, write_atomically

        return write_atomically(path, self.svg, force=force, generated=is_generated_picture)


def one_line(compiled) -> str:
    r = compiled.report
    v = r.verification
    checked = f"gradient max rel error {v.gradient_error:.2g}" if v else "not verified"
    where = f", written to {compiled.path}" if compiled.path else ""
    return (f"<Compiled gradient of {compiled.function_name}: {r.forward_nodes} forward + "
            f"{r.adjoint_nodes} backward nodes, {r.lines} lines, {checked}{where}>")


def markdown(compiled) -> str:
    name = os.path.basename(compiled.path) if compiled.path else "the emitted module"
    return (f"**bpcompiler**: gradient of `{compiled.function_name}` ({name})\n\n"
            f"```\n{compiled.report.summary()}\n```\n\n```python\n{compiled.source}```\n")


def to_html(compiled) -> str:
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        code = f"<pre>{html.escape(compiled.source)}</pre>"
    else:
        code = highlight(compiled.source, PythonLexer(), HtmlFormatter(noclasses=True))
    title = html.escape(f"gradient of {compiled.function_name}")
    report = html.escape(compiled.report.summary())
    return (f"<details open><summary><b>bpcompiler</b>: {title}</summary>"
            f"<pre>{report}</pre>{code}</details>")
