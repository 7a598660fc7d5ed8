"""The fingerprint in a module's `# Source:` header: a hash of what the compile read.

That is the function and every user function it can reach (through its globals, its
closure and attributes of user modules), each as its syntax tree, so a comment or a
blank line anywhere, or a change to an unrelated function in the same file, leaves the
hash (and so `check`) alone. Constants the function reads are embedded in the emitted
code, so a change to one shows in the module text itself.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import os
import sysconfig
import textwrap
import types

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_LIBRARY_DIRS = tuple(os.path.realpath(p) + os.sep for p in {
    sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")})


def is_user_file(path: str | None) -> bool:
    """True for a source file of the user's (not bpcompiler, the standard library or an
    installed package)."""
    if not path or path.startswith("<"):
        return False
    real = os.path.realpath(path)
    return not real.startswith(_LIBRARY_DIRS) and not real.startswith(_PACKAGE_DIR + os.sep)


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names) | set(code.co_freevars)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _is_user_function(value) -> bool:
    return isinstance(value, types.FunctionType) and is_user_file(value.__code__.co_filename)


def reached_functions(fn) -> list[types.FunctionType]:
    """`fn` and every user function reachable from it, in a stable order."""
    seen: dict[types.FunctionType, None] = {}
    todo = [fn]
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen[f] = None
        names = _names(f.__code__)
        cells = dict(zip(f.__code__.co_freevars, f.__closure__ or ()))
        for name in sorted(names):
            if name in cells:
                try:
                    values = [cells[name].cell_contents]
                except ValueError:  # an empty cell: a recursive inner function
                    continue
            else:
                values = [f.__globals__.get(name)]
            if isinstance(values[0], types.ModuleType) and \
                    is_user_file(getattr(values[0], "__file__", None)):
                values = [getattr(values[0], n, None) for n in sorted(names)]
            todo += [v for v in values if _is_user_function(v) and v not in seen]
    return sorted(seen, key=lambda f: (f.__qualname__, _shape(f)))


def _shape(fn: types.FunctionType) -> str:
    """The function's syntax tree without positions, or its bytecode without a source."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
        return ast.dump(tree, include_attributes=False)
    except (OSError, TypeError, SyntaxError, IndentationError):
        code = fn.__code__
        return repr((code.co_code, code.co_consts, code.co_names))


def source_hash(fn) -> str:
    """16 hex digits of sha256 over what compiling `fn` reads (see the module docstring)."""
    digest = hashlib.sha256()
    if not isinstance(fn, types.FunctionType):
        return hashlib.sha256(repr(fn).encode()).hexdigest()[:16]
    for f in reached_functions(fn):
        # NOTE: not the module's name: the CLI, `check` and a notebook import the same
        # file under different names, and the hash must not depend on which.
        digest.update(f"{f.__qualname__}\n{_shape(f)}\n".encode())
    return digest.hexdigest()[:16]
