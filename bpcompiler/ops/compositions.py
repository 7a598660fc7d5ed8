"""Front ends that are compositions of registered elementwise ops, not ops of their own:
`np.fix` (trunc), `math.log(x, base)` (a quotient of logs), `math.hypot` of more than two
coordinates (nested hypots). Their gradients follow from the ops they are made of.
One op of its own: `math.fsum`, whose exact rounding no sum of additions keeps.
(`np.triu`/`np.tril` are in numpy_forms.py, `np.polyval` in numpy_more.py.)
"""

from __future__ import annotations

import math

import numpy as np

from .elementwise import _builder, _math_frontend
from .registry import MATH_FUNCTIONS, PREC_ATOM, Expr, Op, numpy_function, register
from .tangents import linear


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


# -- math.fsum: an exactly rounded sum, kept as the source wrote it -------------------------
def _fsum_impl(*xs):
    return math.fsum(xs)


def _fsum_spell(args, params, aval):
    text = f"math.fsum([{', '.join(a.text for a in args)}])"
    return Expr(text if aval.python else f"np.float64({text})", PREC_ATOM)


register(Op(name="fsum", arity=-1, np_fn=lambda *xs: np.float64(math.fsum(xs)),
            py_fn=_fsum_impl, spell=_fsum_spell,
            shape_rule=lambda op, avals, params, python: ((), "float64"),
            vjp=lambda g, y, *xs: (g,) * len(xs), jvp=linear("fsum"),
            linear_in=(), spellings=("math.fsum",),
            cases=((((), (), ()), {}), (((),), {})),
            doc="math.fsum of floats: the exactly rounded sum; each term's gradient is "
                "the sum's"))


def _math_fsum(iterable):
    terms = tuple(iterable)
    if not terms:
        return 0.0
    return _builder().apply("fsum", terms, python=True)


MATH_FUNCTIONS[math.fsum] = _math_fsum
