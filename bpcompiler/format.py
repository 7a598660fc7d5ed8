"""Formatting with black: the only module that imports black (black has no stable
Python API, so every use of it stays here)."""

from __future__ import annotations

import black

MODE = black.Mode(target_versions={black.TargetVersion.PY311})


def format_source(source: str) -> str:
    try:
        return black.format_str(source, mode=MODE)
    except black.InvalidInput as exc:
        from .errors import InternalError
        raise InternalError(f"internal error in emit: black cannot parse the module ({exc})",
                            hint="this is a bug in bpcompiler; please report it") from None


def is_formatted(source: str) -> bool:
    return format_source(source) == source
