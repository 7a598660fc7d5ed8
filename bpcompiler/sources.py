"""Loading the user's source file: `FILE.py:FUNC` to a function object, as the CLI and
`bench` name functions. A file that is missing, does not import, or does not define the
function is a SourceError naming the file."""

from __future__ import annotations

import importlib.util
import os
import sys

from .errors import SourceError, UsageError


def load_function(target: str):
    """`path/to/file.py:func` -> the function object."""
    path, sep, func = target.rpartition(":")
    if not sep or not path or not func:
        raise UsageError(f"expected FILE.py:FUNCTION, got {target!r}")
    if not os.path.isfile(path):
        raise SourceError(f"no such file: {path}", file=path,
                          hint="give the path to a Python source file")
    module_name = "bpcompiler_user_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)  # so the file can import its neighbours
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise SourceError(f"syntax error: {exc.msg}", file=path, line=exc.lineno,
                          hint="fix the file so that Python can import it") from None
    except Exception as exc:
        raise SourceError(f"importing the file failed: {type(exc).__name__}: {exc}",
                          file=path, hint="the file must import without errors") from None
    finally:
        sys.path.remove(directory)
    fn = getattr(module, func, None)
    if fn is None or not callable(fn):
        defined = sorted(k for k, v in vars(module).items()
                         if callable(v) and getattr(v, "__module__", None) == module_name)
        raise SourceError(f"{path} does not define a function {func!r}", file=path,
                          hint="check the name after the colon; it defines "
                               + (", ".join(defined) if defined else "no functions"))
    return fn
