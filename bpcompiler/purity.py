"""What a trace cannot see, refused as the user's problem with the line:

- an impure function: two calls at the same arguments disagree (a call counter in a
  global, a mutated closure, random numbers drawn where the trace does not reach, such
  as inside a method of an object). `impure_line` runs the function twice under a
  line tracer and names the first line whose values differ between the calls.
- a `try`/`except` around traced computation: the trace records the path it took and
  the compiled module has no handler, so the except branch is silently compiled away.
"""

from __future__ import annotations

import ast
import hashlib
import linecache
import os
import sys

import numpy as np

from .errors import ImpureFunctionError, UnsupportedOperationError

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__))
_TRY_CACHE: dict = {}


def _try_ranges(file: str) -> list[tuple[int, int]]:
    lines = linecache.getlines(file)
    key = (file, len(lines), hash(tuple(lines[:3])))
    if key not in _TRY_CACHE:
        ranges = []
        try:
            tree = ast.parse("".join(lines))
        except (SyntaxError, ValueError):
            tree = None
        if tree is not None:
            _collect_tries(tree, False, ranges)
        _TRY_CACHE[key] = ranges
    return _TRY_CACHE[key]


def _collect_tries(node, in_function: bool, ranges: list) -> None:
    """The try statements with an except clause that run when a function is called: a
    try at module or class level (around `def f`, or an optional import) runs at import,
    not while `f` is traced."""
    tries = (ast.Try, getattr(ast, "TryStar", ast.Try))
    if in_function and isinstance(node, tries) and node.handlers:
        ranges.append((node.lineno, node.end_lineno))
    inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                              ast.Lambda))
    for child in ast.iter_child_nodes(node):
        _collect_tries(child, inside, ranges)


def refuse_compiled_away_try(graph) -> None:
    """UnsupportedOperationError when a traced operation lies inside a try statement
    that has an except clause."""
    by_file: dict = {}
    for _, attrs in graph.nodes(data=True):
        if attrs.get("file") and attrs.get("line") and attrs["op"] not in ("input", "const"):
            by_file.setdefault(attrs["file"], set()).add(attrs["line"])
    for file, lines in sorted(by_file.items()):
        for start, end in _try_ranges(file):
            if any(start <= line <= end for line in lines):
                raise UnsupportedOperationError(
                    f"a try/except (lines {start}-{end}) surrounds traced computation: the "
                    "compiled module is straight-line code, so its except branch would "
                    "be silently compiled away", file=file, line=start,
                    hint="compute both outcomes and select with np.where, or move the try "
                         "outside the function")


def _digest(value):
    if isinstance(value, np.ndarray):
        return (value.shape, str(value.dtype), hashlib.sha1(
            np.ascontiguousarray(value).tobytes()).hexdigest())
    if isinstance(value, (bool, int, float, complex, str, np.generic)):
        return repr(value)
    if isinstance(value, (list, tuple)) and len(value) < 100:
        return tuple(_digest(v) for v in value)
    return type(value).__name__


def _is_user(code) -> bool:
    path = os.path.abspath(code.co_filename)
    return not (path.startswith(_PACKAGE_DIR) or path.startswith(_NUMPY_DIR)
                or code.co_filename.startswith("<frozen"))


def _record(fn, args) -> list:
    events = []

    def local(frame, event, arg):
        if event in ("line", "return"):
            snapshot = tuple(sorted((k, _digest(v)) for k, v in frame.f_locals.items()))
            result = _digest(arg) if event == "return" else None
            events.append((frame.f_code.co_filename, frame.f_lineno, snapshot, result))
        return local

    def outer(frame, event, arg):
        return local if _is_user(frame.f_code) else None

    previous = sys.gettrace()
    sys.settrace(outer)
    try:
        with np.errstate(all="ignore"):
            fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    except Exception:
        pass
    finally:
        sys.settrace(previous)
    return events


def impure_line(fn, args) -> tuple[str, int]:
    """(file, line) of the first line whose values differ between two calls; the
    function's own line when the recordings do not tell."""
    first, second = _record(fn, args), _record(fn, args)
    for k, (a, b) in enumerate(zip(first, second)):
        if a != b:
            earlier = first[k - 1] if k and a[:2] == b[:2] and a[3] is None else a
            return earlier[0], earlier[1]
    from .verify import user_code  # NOTE: local: verify imports this module
    code = user_code(fn)
    return code.co_filename, code.co_firstlineno


def _show(value) -> str:
    try:
        return f"{float(value):.17g}"
    except (TypeError, ValueError):
        return repr(value)


def refuse_impure(fn, args, first, second, display) -> None:
    file, line = impure_line(fn, args)
    raise ImpureFunctionError(
        f"{fn.__name__} gives {_show(first)} and then {_show(second)} on two calls at the same "
        "arguments: it is not a function of its arguments alone (it reads state that "
        "changes between calls, such as a global counter or a mutated closure, or draws "
        "random numbers)", file=display(file), line=line,
        hint="make it depend only on its arguments: pass the state or the random numbers "
             "in as arguments")
