"""Project settings: the `[tool.bpcompiler]` table of the project's `pyproject.toml`.

    [tool.bpcompiler]
    output = "src/mypkg/grads"     # where `compile` writes and `check` looks (default output)
    quiet = true                   # default -q for compile and graph
    verbose = false                # default -v
    allow-outside = false          # let `check` run sources outside the project root

    [tool.bpcompiler.specs]        # specs for parameters that have no annotation
    W = "f64[784,256]"
    X = "f64[64,784] data"

The project root is the nearest directory at or above the start that holds a
`pyproject.toml`, or else a `.git`; `check` only runs sources inside it.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field

from .errors import UsageError

_KEYS = {"output": str, "quiet": bool, "verbose": bool, "allow-outside": bool, "specs": dict}


@dataclass
class Config:
    """The settings in force for a directory (defaults where the project sets none)."""

    root: str | None = None  # the project root, or None outside any project
    path: str | None = None  # the pyproject.toml they were read from
    output: str = "output"
    quiet: bool = False
    verbose: bool = False
    allow_outside: bool = False
    specs: dict[str, str] = field(default_factory=dict)


def find_root(start: str = ".") -> str | None:
    """The project root at or above `start`: the nearest directory holding
    `pyproject.toml`, else the nearest holding `.git`, else None."""
    directory = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    git = None
    while True:
        if os.path.isfile(os.path.join(directory, "pyproject.toml")):
            return directory
        if git is None and os.path.exists(os.path.join(directory, ".git")):
            git = directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return git
        directory = parent


def load_config(start: str = ".") -> Config:
    """The settings for `start`; a malformed table is a UsageError naming the file."""
    root = find_root(start)
    path = os.path.join(root, "pyproject.toml") if root else None
    if path is None or not os.path.isfile(path):
        return Config(root=root)
    try:
        with open(path, "rb") as f:
            table = tomllib.load(f).get("tool", {}).get("bpcompiler", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    config = Config(root=root, path=path)
    for key, value in table.items():
        if key not in _KEYS:
            raise UsageError(f"{path}: [tool.bpcompiler] has no setting {key!r} (settings: "
                             f"{', '.join(sorted(_KEYS))})")
        if not isinstance(value, _KEYS[key]):
            raise UsageError(f"{path}: [tool.bpcompiler] {key} must be a "
                             f"{_KEYS[key].__name__}, not {value!r}")
        setattr(config, key.replace("-", "_"), value)
    for name, spec in config.specs.items():
        if not isinstance(spec, str):
            raise UsageError(f"{path}: [tool.bpcompiler.specs] {name} must be a spec string "
                             f"such as \"f64[3,4]\", not {spec!r}")
    if config.output and not os.path.isabs(config.output):
        config.output = os.path.relpath(os.path.join(root, config.output))
    return config


def inside(path: str, root: str) -> bool:
    """True when `path` (following symlinks) lies inside the directory `root`."""
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)
