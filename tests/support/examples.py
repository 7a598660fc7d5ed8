"""The example programs (examples/*.py), imported by path: no test puts examples/ on
sys.path. Each is imported once, under its own module name (so `seed_network.py`'s
functions keep `__module__ == "seed_network"`, as the CLI imports them)."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent.parent / "examples"


def example(name: str):
    """The module examples/<name>.py."""
    module = sys.modules.get(name)
    if module is not None and pathlib.Path(getattr(module, "__file__", "")) == \
            EXAMPLES / f"{name}.py":
        return module
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
