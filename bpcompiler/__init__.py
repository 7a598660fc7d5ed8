"""bpcompiler: compile a plain Python function into a standalone, verified module that
computes its gradient by reverse-mode automatic differentiation (back-propagation)."""

__version__ = "0.1.0"

from .api import Compiled, CompileReport, compile_grad  # noqa: E402
from .errors import (ArgumentError, CompileError, ConcreteValueError,  # noqa: E402
                     ConstantTooLargeError, FunctionRaisedError, ImpureFunctionError,
                     InPlaceMutationError,
                     InternalError, NonFiniteError, OutputFileError, RandomnessError,
                     ReturnValueError, ShapeError, SourceError, TraceLimitError,
                     TracedBranchError, UnsupportedOperationError, VerificationError)

__all__ = ["compile_grad", "Compiled", "CompileReport", "CompileError", "ArgumentError",
           "ConcreteValueError", "ConstantTooLargeError", "FunctionRaisedError",
           "ImpureFunctionError",
           "InPlaceMutationError", "InternalError", "NonFiniteError", "OutputFileError",
           "RandomnessError", "ReturnValueError", "ShapeError", "SourceError",
           "TraceLimitError", "TracedBranchError", "UnsupportedOperationError",
           "VerificationError", "__version__"]
