"""The op registry and the op tables. Importing this package registers every op."""

from . import (combine, core, decompositions, eig, einsum, elementwise, indexing,  # noqa: F401
               inverse, linalg, lstsq, multi, reductions, shape,
               unsupported)  # (importing registers the ops)
# Issue 11's additions, after the ops they list SciPy/NumPy spellings under:
from . import cholesky, numpy_more, special, update  # noqa: F401,E402
from . import numpy_forms, special_more  # noqa: F401,E402
from . import convolve, scipy_linalg  # noqa: F401,E402
from . import fused  # noqa: F401,E402  (the numba target's internal ops)
from . import guard  # noqa: F401,E402  (control flow specialised to the example)
from . import ufunc_methods  # noqa: F401,E402  (np.add.reduce, np.multiply.outer, ...)
from . import order_stats  # noqa: F401,E402  (np.median, np.quantile, np.percentile)
from . import numpy_apply  # noqa: F401,E402  (np.piecewise, np.apply_along_axis)
from .registry import (ARRAY_METHODS, MATH_FUNCTIONS, NUMPY_FUNCTIONS, NUMPY_UFUNCS, REGISTRY,
                       UNSUPPORTED, Aval, F, Op)

__all__ = ["ARRAY_METHODS", "MATH_FUNCTIONS", "NUMPY_FUNCTIONS", "NUMPY_UFUNCS", "REGISTRY",
           "UNSUPPORTED", "Aval", "F", "Op"]
