"""The op registry and the op tables. Importing this package registers every op."""

from . import core, elementwise, linalg, reductions, shape  # noqa: F401  (they register)
from .registry import (ARRAY_METHODS, MATH_FUNCTIONS, NUMPY_FUNCTIONS, NUMPY_UFUNCS, REGISTRY,
                       UNSUPPORTED, Aval, F, Op, get_op)

__all__ = ["ARRAY_METHODS", "MATH_FUNCTIONS", "NUMPY_FUNCTIONS", "NUMPY_UFUNCS", "REGISTRY",
           "UNSUPPORTED", "Aval", "F", "Op", "get_op"]
