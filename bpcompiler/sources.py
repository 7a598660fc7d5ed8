"""Loading the user's function from a target, as the CLI and `bench` name functions:

- `path/to/file.py:func`: the file is imported; when it lies inside a package (its
  directory holds `__init__.py`) it is imported as that package's module, so relative
  imports (`from .helpers import f`) work;
- `pkg.mod:func`: the module is imported by name, from the working directory (or its
  `src/`) first, then the usual `sys.path`.

A file that is missing, does not import, or does not define the function is a
SourceError naming the file. `sys.exit()` while the file is imported is reported the
same way, with the line that called it.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .errors import SourceError, UsageError

_MODULE_NAME = r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*"


def is_module_target(source: str) -> bool:
    """`pkg.mod` (a dotted module name) rather than a path to a file."""
    import re

    return not source.endswith(".py") and re.fullmatch(_MODULE_NAME, source) is not None


def module_roots() -> list[str]:
    """Where `pkg.mod` targets are looked up before `sys.path`: the working directory
    and its `src/` (the two usual project layouts)."""
    here = os.getcwd()
    return [here] + ([os.path.join(here, "src")] if os.path.isdir("src") else [])


def locate_module(name: str, roots: list[str] | None = None) -> str | None:
    """The file `pkg.mod` names under `roots`, found without importing anything."""
    parts = name.split(".")
    for root in roots or module_roots():
        base = os.path.join(root, *parts)
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
    return None


def target_file(target: str) -> str | None:
    """The source file a target names (for `check`'s project-root rule), or None."""
    source = target.rpartition(":")[0]
    return locate_module(source) if is_module_target(source) else source


def _package_of(path: str) -> tuple[str, str] | None:
    """(directory to put on sys.path, dotted module name) for a file inside a package."""
    directory = os.path.dirname(os.path.abspath(path))
    parts = [os.path.splitext(os.path.basename(path))[0]]
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        parts.insert(0, os.path.basename(directory))
        directory = os.path.dirname(directory)
    if len(parts) == 1 or not all(p.isidentifier() for p in parts):
        return None
    return directory, ".".join(parts)


@contextmanager
def _on_path(directories: list[str]) -> Iterator[None]:
    added = [d for d in directories if d not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for d in added:
            if d in sys.path:
                sys.path.remove(d)


def user_line(exc: BaseException) -> tuple[str, int] | None:
    """(file, line) of the innermost frame of the user's code in `exc`'s traceback."""
    from .fingerprint import is_user_file
    from .paths import display_path

    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if is_user_file(frame.filename):
            found = (display_path(frame.filename) or frame.filename, frame.lineno or 0)
    return found


def _import(path: str, import_module: Callable[[], types.ModuleType]) -> types.ModuleType:
    try:
        return import_module()
    except SyntaxError as exc:
        from .paths import display_path

        file = path if not exc.filename or os.path.isfile(path) and os.path.exists(
            exc.filename) and os.path.samefile(exc.filename, path) else display_path(exc.filename)
        raise SourceError(f"syntax error: {exc.msg}", file=file,
                          line=exc.lineno,
                          hint="fix the file so that Python can import it") from None
    except SystemExit as exc:
        file, line = user_line(exc) or (path, None)
        raise SourceError(f"importing the file called sys.exit({exc.code!r})", file=file,
                          line=line, hint="bpcompiler imports the file to find the "
                          "function: guard script code with `if __name__ == \"__main__\":`") \
            from None
    except Exception as exc:
        file, line = user_line(exc) or (path, None)
        raise SourceError(f"importing the file failed: {type(exc).__name__}: {exc}",
                          file=file, line=line,
                          hint="the file must import without errors") from None


def _load_file(path: str) -> types.ModuleType:
    if not os.path.isfile(path):
        raise SourceError(f"no such file: {path}", file=path,
                          hint="give the path to a Python source file")
    package = _package_of(path)
    if package is not None:  # imported as pkg.mod, so its relative imports work
        directory, name = package
        with _on_path([directory]):
            module = _import(path, lambda: importlib.import_module(name))
        if os.path.realpath(getattr(module, "__file__", "") or "") == os.path.realpath(path):
            return module
    module_name = "bpcompiler_user_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise SourceError(f"cannot import {path}", file=path,
                          hint="give the path to a Python source file ending in .py")
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    with _on_path([os.path.dirname(os.path.abspath(path))]):  # it can import neighbours
        def run() -> types.ModuleType:
            loader.exec_module(module)
            return module
        _import(path, run)
    return module


def _load_module(name: str) -> types.ModuleType:
    with _on_path(module_roots()):
        try:
            found = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            found = None
        if found is None:
            raise SourceError(f"no module named {name!r}", file=name,
                              hint="give pkg.mod importable from the working directory, "
                                   "its src/ or sys.path, or a path to a .py file")
        return _import(name, lambda: importlib.import_module(name))


def load_function(target: str) -> Callable:
    """`path/to/file.py:func` or `pkg.mod:func` -> the function object."""
    source, sep, func = target.rpartition(":")
    if not sep or not source or not func:
        raise UsageError(f"expected FILE.py:FUNCTION or pkg.module:FUNCTION, got {target!r}")
    module = _load_module(source) if is_module_target(source) else _load_file(source)
    fn = getattr(module, func, None)
    if fn is None or not callable(fn):
        defined = sorted(k for k, v in vars(module).items()
                         if callable(v) and getattr(v, "__module__", None) == module.__name__)
        raise SourceError(f"{source} does not define a function {func!r}", file=source,
                          hint="check the name after the colon; it defines "
                               + (", ".join(defined) if defined else "no functions"))
    return fn
