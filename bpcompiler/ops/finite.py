"""Gradient rules written to stay finite where JAX's are (issue 11): x ** n at x = 0 and
hypot at the origin. (cumprod's, exact at zeros, is with the other cumulative ops.)"""

from __future__ import annotations

import numpy as np

from ..tracer import _NOT_CONSTANT
from .registry import F


def power_vjp(g, y, a, b):
    """As JAX: x ** 0 has gradient 0 in x even at x == 0 (not 0 * inf), an integer
    exponent n that is 0 at run time too; and the gradient in the exponent is 0 where
    the base is 0 (x ** y is 0 there for y > 0: log(0) is replaced by log(1))."""
    n = b._concrete()
    if n is not _NOT_CONSTANT and np.all(np.asarray(n) == 0):
        da = None  # a constant: x ** 0 == 1
    elif n is _NOT_CONSTANT and b._dtype.startswith("int"):
        da = g * b * a ** F.where(b == 0, 1, b - 1)
    else:
        da = g * b * a ** (b - 1)
    return da, g * y * F.log(F.where(a == 0, 1.0, a))


def hypot_vjp(g, y, a, b):
    # At (0, 0), where the cone has no derivative, 0.5 each, as JAX: never 0 / 0.
    origin = y == 0
    safe = F.where(origin, 1.0, y)
    return g * F.where(origin, 0.5, a / safe), g * F.where(origin, 0.5, b / safe)
