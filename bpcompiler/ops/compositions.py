"""Front ends that are compositions of registered elementwise ops, not ops of their own:
`np.fix` (trunc), `math.log(x, base)` (a quotient of logs), `math.hypot` of more than two
coordinates (nested hypots). Their gradients follow from the ops they are made of.
(`np.triu`/`np.tril` are in numpy_forms.py, `np.polyval` in numpy_more.py.)
"""

from __future__ import annotations

import math

import numpy as np

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
