"""The `# Regenerate:` command of a module compiled from Python with `out=`.

`compile_grad(f, args, out="m_grad.py")` has no command line to record, so it writes
one: the example arguments go to `m_grad.args.npz` beside the module, and the header
records `bpcompiler compile FILE.py:FUNC -o m_grad.py --wrt ... --arg NAME=SPEC ...
--args-npz m_grad.args.npz`, which `bpcompiler check` reruns like any other. A function
that cannot be named that way (a lambda, a nested function, one typed at a prompt) or
an argument no spec spells gets no command, and `check` says so.
"""

from __future__ import annotations

import io
import os
import shlex
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from . import branches
from .paths import display_path

_KINDS = {"float64": "f64", "float32": "f32", "int64": "i64", "int32": "i32", "bool": "bool"}


def spec_of(value: object) -> str | None:
    """The argument spec that reproduces the kind and shape of `value`, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not isinstance(value, np.generic):
        return "float"
    if isinstance(value, int) and not isinstance(value, np.generic):
        return "int"
    if isinstance(value, np.ndarray) and value.dtype.name in _KINDS:
        return f"{_KINDS[value.dtype.name]}[{','.join(str(d) for d in value.shape)}]"
    return None


def args_path(out: str) -> str:
    """Where the example arguments of the module `out` go: m_grad.py -> m_grad.args.npz."""
    stem = out[:-3] if out.endswith(".py") else out
    return stem + ".args.npz"


def api_command(fn: Callable[..., Any], params: Sequence[str], args: Sequence[Any],
                wrt: Sequence[str], out: str, specs: Mapping[str, str] | None = None
                ) -> tuple[str, str, bytes] | None:
    """(command, npz path, npz bytes) recording this compile, or None when it cannot be
    recorded as a command line. A parameter given a spec (`specs=` to compile_grad, which
    may name symbolic dimensions) keeps it; the others get the spec of their value."""
    code = getattr(fn, "__code__", None)
    if code is None or fn.__qualname__ != fn.__name__ or not fn.__name__.isidentifier():
        return None
    source = display_path(code.co_filename)
    if not source or source.startswith("<") or not os.path.isfile(source):
        return None
    given = specs or {}
    kinds = [given.get(name) or spec_of(a) for name, a in zip(params, args)]
    if len(params) != len(args) or None in kinds:
        return None
    module = display_path(os.path.abspath(out)) or out
    npz = args_path(module)
    buffer = io.BytesIO()
    arrays: dict[str, Any] = {name: np.asarray(a) for name, a in zip(params, args)}
    np.savez(buffer, **arrays)
    parts = ["bpcompiler", "compile", f"{source}:{fn.__name__}", "-o", module,
             "--wrt", ",".join(wrt)]
    for name, spec in zip(params, kinds):
        parts += ["--arg", f"{name}={spec}"]
    parts += ["--args-npz", npz]
    if branches.mode() != "refuse":  # (the compile being recorded follows the example's path)
        parts += ["--control-flow", branches.mode()]
    return shlex.join(parts), npz, buffer.getvalue()
