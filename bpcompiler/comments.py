"""Provenance comments: one per statement, quoting the source line it computes.

`# line 12: z = w * x + b` above a forward statement, `# grad of line 12: ...` above a
gradient; a statement that folds in values from other lines of its phase names them
too (`# lines 11, 12: ...`), quoting its own. Consecutive statements with the same
comment share one.
"""

from __future__ import annotations

import linecache
import os

MAX_COMMENT_CHARS = 72


def reading_order(key) -> tuple:
    """The forward top down, the backward bottom up."""
    phase, file, line = key
    line = line or 0  # NOTE: the file breaks ties, so the order never depends on hashing
    return (0, line, file or "") if phase == "forward" else (1, -line, file or "")


def provenance(own, folded, main_file, def_lines=frozenset()) -> str | None:
    """The comment for a statement computing source line `own` = (phase, file, line)
    with the lines in `folded` inside it, or None when no line is known."""
    phase = own[0]
    keys = [k for k in folded if k[0] == phase and k[2] is not None and k != own]
    if own[2] is None:
        if not keys:
            return None
        own = keys.pop()
    keys = sorted(set(keys), key=reading_order) + [own]
    places = [str(line) if file == main_file else f"{file}:{line}" for _, file, line in keys]
    where = f"line {places[0]}" if len(places) == 1 else f"lines {', '.join(places)}"
    if phase == "adjoint" and len(keys) == 1 and (own[1], own[2]) in def_lines:
        # The gradients reaching a parameter are summed where the parameter is made.
        where = f"the parameters, {where}"
    text = source_line(own[1], own[2])
    if len(text) > MAX_COMMENT_CHARS - len(where):
        text = text[: max(MAX_COMMENT_CHARS - len(where) - 3, 0)] + "..."
    prefix = "grad of " if phase == "adjoint" else ""
    return f"# {prefix}{where}: {text}" if text else f"# {prefix}{where}"


def source_line(file, line) -> str:
    return linecache.getline(os.path.abspath(file), line).strip() if file else ""
