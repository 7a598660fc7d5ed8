"""Load autograd 1.9.1's example modules from its sdist, as the original code.

The examples are scripts: besides their functions they load MNIST, plot with
matplotlib and run optimisers at import or under `__main__`. `load(name)` executes
only a module's imports, function and class definitions, the assignments that name
library objects (`convolve = autograd.scipy.signal.convolve`) and the `defvjp`/
`register` calls that complete a definition, with matplotlib replaced by a stand-in
(it is not installed here, and nothing is drawn). The tests build each objective from
these functions the way the original's `__main__` does, with the port's data.
"""

from __future__ import annotations

import ast
import os
import sys
import tarfile
import types

VERSION = "1.9.1"
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "bpcompiler")
_KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
_loaded: dict[str, dict] = {}


def examples_dir(tmp_root: str) -> str | None:
    """The sdist's examples/ (extracted once under tmp_root), or None without it."""
    sdist = os.environ.get("BP_AUTOGRAD_SDIST") or os.path.join(
        CACHE, f"autograd-{VERSION}.tar.gz")
    if not os.path.exists(sdist):
        return None
    target = os.path.join(tmp_root, f"autograd-{VERSION}", "examples")
    if not os.path.isdir(target):
        with tarfile.open(sdist) as tar:
            members = [m for m in tar.getmembers() if "/examples/" in m.name
                       and m.name.endswith(".py")]
            tar.extractall(tmp_root, members=members, filter="data")
    return target


class _Anything(types.ModuleType):
    """matplotlib and friends: any attribute, any call, nothing happens."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything(name)

    def __call__(self, *args, **kwargs):
        return _Anything("result")


def _stub_matplotlib() -> None:
    for name in ("matplotlib", "matplotlib.pyplot", "matplotlib.image", "matplotlib.cm"):
        sys.modules.setdefault(name, _Anything(name))


def _wanted(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("matplotlib"):
        return False
    if isinstance(node, ast.Import) and any(a.name.startswith("matplotlib")
                                            for a in node.names):
        return False
    if isinstance(node, _KEEP):
        return True
    if isinstance(node, ast.Assign):  # an alias of a library object
        return isinstance(node.value, (ast.Attribute, ast.Name))
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in ("defvjp", "register")
    return False


def load(directory: str, name: str, **globals_) -> dict:
    """The namespace of examples/<name>.py's definitions (see the module docstring);
    `globals_` are set first: the data an original reads from its `__main__` block."""
    key = name + repr(sorted(globals_))
    if key in _loaded and not globals_:
        return _loaded[key]
    path = os.path.join(directory, name + ".py")
    tree = ast.parse(open(path).read(), path)
    tree.body = [node for node in tree.body if _wanted(node)]
    before = set(sys.modules)
    sys.path.insert(0, directory)
    _stub_matplotlib()
    try:
        namespace = {"__name__": f"autograd_example_{name}", "__file__": path, **globals_}
        exec(compile(tree, path, "exec"), namespace)
    finally:
        sys.path.remove(directory)
        # The examples import each other by bare names (`data`, `rnn`): keep those
        # names from shadowing anything else the suite imports.
        for mod in set(sys.modules) - before:
            if not mod.startswith(("autograd", "scipy", "numpy")):
                del sys.modules[mod]
    if not globals_:
        _loaded[key] = namespace
    return namespace


def nth_definition(directory: str, name: str, function: str, n: int, **globals_):
    """The n-th (0-based) definition of `function` in examples/<name>.py, for a script
    that defines the same name twice (sinusoid.py's two `fun`s)."""
    namespace = load(directory, name, **globals_)
    path = os.path.join(directory, name + ".py")
    tree = ast.parse(open(path).read(), path)
    defs = [node for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name == function]
    exec(compile(ast.Module([defs[n]], []), path, "exec"), namespace)
    return namespace[function]
