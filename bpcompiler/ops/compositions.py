"""Front ends that are compositions of registered elementwise ops, not ops of their own:
`np.fix` (trunc), `math.log(x, base)` (a quotient of logs), `math.hypot` of more than two
coordinates (nested hypots), `np.triu`/`np.tril` (a `where` with a constant mask) and
`np.polyval` (Horner's rule). Their gradients follow from the ops they are made of.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import UnsupportedOperationError
from .elementwise import _builder, _math_frontend
from .registry import MATH_FUNCTIONS, numpy_function


@numpy_function(np.fix)
def _np_fix(x, out=None):
    return _builder().apply("trunc", (x,), python=False)


def _math_log(x, base=None):
    if base is None:
        return MATH_FUNCTIONS_LOG(x)
    return MATH_FUNCTIONS_LOG(x) / MATH_FUNCTIONS_LOG(base)


MATH_FUNCTIONS_LOG = MATH_FUNCTIONS[math.log]
MATH_FUNCTIONS[math.log] = _math_log


def _math_hypot(*coordinates):
    hypot = _math_frontend("hypot", math.hypot)
    if not coordinates:
        return 0.0
    result = abs(coordinates[0]) if len(coordinates) == 1 else hypot(*coordinates[:2])
    for c in coordinates[2:]:
        result = hypot(result, c)
    return result


MATH_FUNCTIONS[math.hypot] = _math_hypot


def _triangle(keep):
    def traced(m, k=0):
        shape = np.shape(m)
        if len(shape) < 2:
            b = _builder()
            file, line = b.where()
            raise UnsupportedOperationError("np.triu/np.tril of a 1-d array", file=file,
                                            line=line, hint="pass a matrix")
        mask = keep(np.ones(shape[-2:], dtype=bool), k)
        b = _builder()
        # x * mask, written as where so that inf/NaN entries outside the triangle vanish
        return b.apply("where", (mask, m, 0.0), python=False)
    return traced


numpy_function(np.triu)(_triangle(np.triu))
numpy_function(np.tril)(_triangle(np.tril))


@numpy_function(np.polyval)
def _np_polyval(p, x):
    """Horner's rule over the coefficients, highest power first, as NumPy defines it."""
    if isinstance(p, (list, tuple)) and not any(hasattr(c, "_node") for c in p):
        p = np.asarray(p)  # as NumPy does: float64 coefficients make a float64 result
    coefficients = [p[i] for i in range(len(p))]
    if len(coefficients) == 1:
        return coefficients[0] + x * 0.0  # the constant, with x's shape
    result = coefficients[0]
    for c in coefficients[1:]:
        result = result * x + c
    return result
