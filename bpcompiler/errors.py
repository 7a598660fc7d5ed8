"""The errors bpcompiler raises.

Every error a user can cause is a subclass of `CompileError`. Its message names the
source file and line (when one is known), says what is wrong, and says what to do
instead. A bug in bpcompiler itself is an `InternalError`, which says so and names the
stage that failed.
"""

from __future__ import annotations


class CompileError(Exception):
    """Base class: the function or its arguments cannot be compiled as given."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 hint: str | None = None):
        self.file = file
        self.line = line
        self.hint = hint
        self.problem = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        text = f"{where}{self.problem}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class TracedBranchError(CompileError):
    """Python control flow (`if`, `while`, `and`/`or`) depends on a traced value."""


class ConcreteValueError(CompileError):
    """`float()`, `int()`, `bool()` or `.item()` was asked of a traced value."""


class UnsupportedOperationError(CompileError):
    """The function calls something bpcompiler cannot trace or differentiate."""


class ShapeError(CompileError):
    """Operand shapes do not fit the operation."""


class ArgumentError(CompileError):
    """The example arguments or `wrt` do not fit the function's signature."""


class ReturnValueError(CompileError):
    """The function does not return one real scalar."""


class ConstantTooLargeError(CompileError):
    """A captured array constant is too large to embed readably in the module."""


class VerificationError(CompileError):
    """The emitted module disagrees with the function or with finite differences."""


class OutputFileError(CompileError):
    """The output path cannot be written safely."""


class InternalError(CompileError):
    """A bug in bpcompiler itself: the message names the stage and points at a dump."""
