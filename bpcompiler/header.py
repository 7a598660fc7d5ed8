"""The emitted module's header: what made it, how to regenerate it, how it was verified.

The module is emitted, formatted and imported once, so the verification result goes
into the header after the fact: `header_lines` writes a pending line and
`with_verification` replaces it. A comment line changes no code and no line number,
so the module verified is the module written.
"""

from __future__ import annotations

from . import __version__
from .errors import ArgumentError, InternalError
from .fingerprint import source_hash
from .modes import modes_header
from .replay import api_command
from .trace import source_file
from .writer import MARKER

PENDING = "# Verified: (pending)"


def header_lines(f, base, joint, args, out, command, specs, emits, sig) -> tuple:
    """(the header's lines, the recorded command or None). Records in the joint graph
    how to regenerate the module (`regenerate`, `command`: the guards quote them)."""
    file, name = source_file(base), base.__name__
    recorded = None if command or out is None else \
        api_command(f, joint.graph["params"], args, joint.graph["wrt"], str(out), specs or {})
    regenerate = command or (recorded[0] if recorded else
                             f"compile_grad({name}, ...) from Python (no command recorded)")
    joint.graph["regenerate"] = regenerate
    joint.graph["command"] = command or (recorded[0] if recorded else
                                         f"compile_grad({name}, ...) at the new shape")
    header = [f"{MARKER} {__version__}. Do not edit: regenerate instead.",
              f"# Source: {file}:{name} (sha256 {source_hash(base)})",
              f"# Regenerate: {regenerate}", PENDING]
    if emits != ("grad",):
        header.insert(3, modes_header(joint))
        if any(p.structured or p.static for p in sig.params):
            raise ArgumentError(
                f"emit={emits!r} needs plain parameters: {name} has a structured or "
                "compile-time constant parameter", file=file,
                line=getattr(base, "__code__", None) and base.__code__.co_firstlineno,
                hint="emit grad only, or pass each array as its own parameter")
    return header, recorded


def with_verification(source: str, verification, extra) -> str:
    """`source` with its pending header line replaced by the verification's summary
    (`extra`: the other functions' checks, or None)."""
    verified = f"# Verified: {verification.summary() if verification else ''}"
    if extra is not None:
        verified += ("; " if verification else "") + extra.summary()
    if PENDING not in source or "\n" in verified:
        raise InternalError("internal error: the header's verification line is missing")
    return source.replace(PENDING, verified, 1)
