"""The op registry and the op tables. Importing this package registers every op."""

from . import (combine, core, decompositions, eig, einsum, elementwise, indexing,  # noqa: F401
               inverse, linalg, lstsq, multi, reductions, shape,
               unsupported)  # (importing registers the ops)
# Issue 11's additions, after the ops they list SciPy/NumPy spellings under:
from . import cholesky, numpy_more, special, update  # noqa: F401,E402
from . import numpy_forms, special_more  # noqa: F401,E402
from . import convolve, scipy_linalg  # noqa: F401,E402
from . import fused  # noqa: F401,E402  (the numba target's internal ops)
from .registry import (ARRAY_METHODS, MATH_FUNCTIONS, NUMPY_FUNCTIONS, NUMPY_UFUNCS, REGISTRY,
                       UNSUPPORTED, Aval, F, Op)

__all__ = ["ARRAY_METHODS", "MATH_FUNCTIONS", "NUMPY_FUNCTIONS", "NUMPY_UFUNCS", "REGISTRY",
           "UNSUPPORTED", "Aval", "F", "Op"]
