"""Elementwise ops: arithmetic, comparisons, selection and the unary functions.

Each declaration is one line of the table: name, NumPy ufunc, Python-scalar function,
VJP rule. `y` in a rule is the op's own output, reused where it makes the derivative
cheaper (`exp' = y`, `tanh' = 1 - y*y`).
"""

from __future__ import annotations

import math
import operator

import numpy as np

from ..errors import UnsupportedOperationError
from .registry import (MATH_FUNCTIONS, NUMPY_UFUNCS, PREC_ADD, PREC_CMP, PREC_COND, PREC_MUL,
                       PREC_POW, Expr, F, Op, call, elementwise_rule, infix, numpy_function,
                       paren, prefix, register)


def _builder():
    from ..builder import current_builder
    return current_builder()


def _ufunc_frontend(name: str, ufunc):
    def traced(*inputs, **kwargs):
        if kwargs:
            b = _builder()
            file, line = b.where()
            raise UnsupportedOperationError(
                f"np.{ufunc.__name__} with keyword arguments {sorted(kwargs)} is not supported",
                file=file, line=line, hint="call it with positional operands only")
        return _builder().apply(name, inputs, python=False)
    return traced


def _math_frontend(name: str, fn):
    def traced(*inputs):
        b = _builder()
        if name == "log" and len(inputs) == 2:  # math.log(x, base)
            return traced(inputs[0]) / traced(inputs[1])
        for value in inputs:
            if getattr(value, "shape", ()) != ():
                file, line = b.where()
                raise UnsupportedOperationError(
                    f"math.{fn.__name__} needs a scalar, got shape {value.shape}",
                    file=file, line=line, hint=f"use the NumPy function for arrays")
        return b.apply(name, inputs, python=True)
    return traced


def elementwise(name, ufunc, py_fn, vjp, *, spell=None, math_fns=(), py_name=None,
                differentiable=True, domain="real", doc=""):
    """Declare an elementwise op and connect its NumPy and math spellings to it."""
    spellings = (f"np.{ufunc.__name__}",) + tuple(f"math.{f.__name__}" for f in math_fns)
    if spell is None:
        spell = call(py_name or (f"math.{math_fns[0].__name__}" if math_fns else None),
                     f"np.{ufunc.__name__}")
    register(Op(name=name, arity=ufunc.nin, np_fn=ufunc, py_fn=py_fn, spell=spell,
                shape_rule=elementwise_rule, vjp=vjp, differentiable=differentiable,
                spellings=spellings, domain=domain, doc=doc))
    NUMPY_UFUNCS[ufunc] = _ufunc_frontend(name, ufunc)
    for fn in math_fns:
        MATH_FUNCTIONS[fn] = _math_frontend(name, fn)


def _where_spell(args, params, aval):
    c, a, b = args
    if aval.python:
        return Expr(f"{paren(a, PREC_COND + 1)} if {paren(c, PREC_COND + 1)} "
                    f"else {paren(b, PREC_COND)}", PREC_COND)
    return Expr(f"np.where({c.text}, {a.text}, {b.text})", 14)


def _maximum_vjp(g, y, a, b):
    # Ties split the gradient evenly, as JAX does.
    half = g * 0.5
    return (F.where(a > b, g, F.where(a == b, half, 0.0)),
            F.where(b > a, g, F.where(a == b, half, 0.0)))


def _minimum_vjp(g, y, a, b):
    half = g * 0.5
    return (F.where(a < b, g, F.where(a == b, half, 0.0)),
            F.where(b < a, g, F.where(a == b, half, 0.0)))


# Arithmetic.
elementwise("add", np.add, operator.add, lambda g, y, a, b: (g, g),
            spell=infix("+", PREC_ADD))
elementwise("subtract", np.subtract, operator.sub, lambda g, y, a, b: (g, -g),
            spell=infix("-", PREC_ADD))
elementwise("multiply", np.multiply, operator.mul, lambda g, y, a, b: (g * b, g * a),
            spell=infix("*", PREC_MUL))
elementwise("divide", np.divide, operator.truediv,
            lambda g, y, a, b: (g / b, -g * y / b), spell=infix("/", PREC_MUL),
            domain=("real", "nonzero"))
elementwise("power", np.power, operator.pow,
            lambda g, y, a, b: (g * b * a ** (b - 1), g * y * F.log(a)),
            spell=infix("**", PREC_POW, assoc="right"), math_fns=(math.pow,),
            domain=("positive", "real"))
elementwise("negative", np.negative, operator.neg, lambda g, y, a: (-g,), spell=prefix("-"))
elementwise("absolute", np.absolute, abs,
            lambda g, y, a: (F.where(a >= 0, g, -g),),  # JAX: |x|'(0) = 1
            math_fns=(math.fabs,), py_name="abs")
elementwise("maximum", np.maximum, max, _maximum_vjp)
elementwise("minimum", np.minimum, min, _minimum_vjp)

# Exponentials, logarithms, powers.
elementwise("exp", np.exp, math.exp, lambda g, y, a: (g * y,), math_fns=(math.exp,))
elementwise("log", np.log, math.log, lambda g, y, a: (g / a,), math_fns=(math.log,),
            domain="positive")
elementwise("sqrt", np.sqrt, math.sqrt, lambda g, y, a: (0.5 * g / y,),
            math_fns=(math.sqrt,), domain="positive")

# Trigonometric and hyperbolic.
elementwise("sin", np.sin, math.sin, lambda g, y, a: (g * F.cos(a),), math_fns=(math.sin,))
elementwise("cos", np.cos, math.cos, lambda g, y, a: (-g * F.sin(a),), math_fns=(math.cos,))
elementwise("tan", np.tan, math.tan, lambda g, y, a: (g * (1.0 + y * y),),
            math_fns=(math.tan,), domain="unit")
elementwise("arctan", np.arctan, math.atan, lambda g, y, a: (g / (1.0 + a * a),),
            math_fns=(math.atan,))
elementwise("tanh", np.tanh, math.tanh, lambda g, y, a: (g * (1.0 - y * y),),
            math_fns=(math.tanh,))

# Selection.
register(Op(name="where", arity=3, np_fn=np.where, py_fn=lambda c, a, b: a if c else b,
            spell=_where_spell, shape_rule=elementwise_rule,
            vjp=lambda g, y, c, a, b: (None, F.where(c, g, 0.0), F.where(c, 0.0, g)),
            spellings=("np.where",), domain=("bool", "real", "real")))

# Comparisons give masks: they have no gradient.
for _name, _ufunc, _fn, _symbol in [
        ("less", np.less, operator.lt, "<"), ("less_equal", np.less_equal, operator.le, "<="),
        ("greater", np.greater, operator.gt, ">"),
        ("greater_equal", np.greater_equal, operator.ge, ">="),
        ("equal", np.equal, operator.eq, "=="), ("not_equal", np.not_equal, operator.ne, "!=")]:
    elementwise(_name, _ufunc, _fn, None, spell=infix(_symbol, PREC_CMP, assoc="none"),
                differentiable=False)


@numpy_function(np.where)
def _np_where(condition, x=None, y=None):
    if x is None or y is None:
        b = _builder()
        file, line = b.where()
        raise UnsupportedOperationError("np.where(condition) with one argument returns indices",
                                        file=file, line=line,
                                        hint="use the three-argument form np.where(c, a, b)")
    return _builder().apply("where", (condition, x, y), python=False)

