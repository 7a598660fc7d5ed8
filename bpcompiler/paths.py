"""How source paths are shown in headers, provenance comments and error messages."""

from __future__ import annotations

import functools
import os


def display_path(path: str | None) -> str | None:
    """A path relative to the working directory when it lies under it (stable across
    machines for headers and comments), else as given."""
    if path is None:
        return None
    return _relative(path, os.getcwd())


@functools.lru_cache(maxsize=256)  # NOTE: called once per traced node; keyed by the cwd
def _relative(path: str, cwd: str) -> str:
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel
