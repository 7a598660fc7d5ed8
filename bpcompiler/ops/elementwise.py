"""Elementwise ops: arithmetic, comparisons and logical masks, selection (where, clip),
the unary functions of NumPy and `math`, and piecewise-constant rounding.

Each declaration is one line of the table: name, NumPy ufunc, Python-scalar function,
VJP rule. `y` in a rule is the op's own output, reused where it makes the derivative
cheaper (`exp' = y`, `tanh' = 1 - y*y`, `logaddexp' = exp(a - y)`). Rule constants are
Python scalars, so float32 stays float32 (NEP 50: Python scalars are weak).

`singular=True` marks ops whose derivative can be infinite (sqrt, log, divide) or
overflow (exp, cosh): when a masked cotangent reaches them, the driver guards the
contribution so an untaken `np.where` branch gives exactly 0, never NaN.
Ambiguous points follow JAX: ties in maximum/minimum split the gradient evenly,
|x|'(0) = 1, rounding and sign have zero gradient.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from ..errors import UnsupportedOperationError
from .finite import hypot_vjp, power_vjp
from .tangents import constant, diagonal, product
from .registry import (PREC_ATOM, MATH_FUNCTIONS, NUMPY_UFUNCS, PREC_ADD, PREC_CMP, PREC_COND, PREC_MUL,
                       PREC_POW, Expr, F, Op, array_method, call, elementwise_rule, infix,
                       numpy_function, paren, prefix, register, standard)


def _builder():
    from ..builder import current_builder
    return current_builder()


_UFUNC_DEFAULTS = {"where": True, "casting": "same_kind", "order": "K", "dtype": None,
                   "subok": True, "signature": None}


def _refuse_keywords(ufunc, kwargs):
    extra = sorted(k for k, v in kwargs.items()
                   if k not in _UFUNC_DEFAULTS or not _is_default(v, _UFUNC_DEFAULTS[k]))
    if extra:
        b = _builder()
        file, line = b.where()
        raise UnsupportedOperationError(
            f"np.{ufunc.__name__} with keyword arguments {extra} is not supported",
            file=file, line=line,
            hint="call it with operands only; select with np.where, cast with .astype()")


def _ufunc_frontend(name: str, ufunc):
    def traced(*inputs, **kwargs):
        _refuse_keywords(ufunc, kwargs)
        return _builder().apply(name, inputs, python=False)
    return traced


def _is_default(value, default) -> bool:
    return value is default or (isinstance(value, (bool, str)) and value == default)


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
                    file=file, line=line, hint="use the NumPy function for arrays")
        # math converts its arguments to Python floats (math.pow(np.float32(x), 2.0) is a
        # Python float): so does the graph, and the gradient flows back through float().
        inputs = [b.apply("to_float", (v,), python=True)
                  if getattr(v, "_python", True) is False and v._dtype != "bool" else v
                  for v in inputs]
        return b.apply(name, inputs, python=True)
    return traced


# The array API standard's elementwise functions, and the NumPy names of those it names
# differently: an op whose ufunc is one of them is portable as that function.
STANDARD_FUNCTIONS = frozenset(
    "abs acos acosh asin asinh atan atan2 atanh ceil cos cosh exp expm1 floor hypot "
    "isfinite isinf isnan log log1p log2 log10 logaddexp logical_and logical_not "
    "logical_or logical_xor maximum minimum round sign sin sinh sqrt square tan tanh trunc".split())
STANDARD_NAMES = {"absolute": "abs", "fabs": "abs", "arccos": "acos", "arccosh": "acosh",
                  "arcsin": "asin", "arcsinh": "asinh", "arctan": "atan", "arctan2": "atan2",
                  "arctanh": "atanh", "rint": "round"}
_DEFAULT = object()


def elementwise(name, ufunc, py_fn, vjp, *, spell=None, math_fns=(), py_name=None,
                differentiable=True, domain="real", doc="", aliases=(), singular=False,
                arity=None, also=(), standard_spell=_DEFAULT, jvp=None, **facts):
    """Declare an elementwise op and connect its NumPy and math spellings to it.

    `ufunc` is None for a function only the `math` module has (erf): such an op works on
    Python floats only. `aliases` are further ufuncs that mean the same (np.fabs).
    `facts` are further `Op` fields (commutative, linear_in, kink, ...).
    `standard_spell` is how the array API standard writes it (Op.array_api); by default
    the standard's function of the ufunc's name (STANDARD_NAMES), if it has one.
    The JVP rule defaults to the VJP's diagonal (`tangents.diagonal`): an elementwise
    op's Jacobian is diagonal, so the VJP applied to a tangent is the JVP's term.
    """
    if jvp is None and differentiable:
        jvp = diagonal(vjp)
    ufuncs = ((ufunc,) if ufunc is not None else ()) + tuple(aliases)
    spellings = tuple(also) + tuple(f"np.{u.__name__}" for u in ufuncs) + \
        tuple(f"math.{f.__name__}" for f in math_fns)
    if spell is None:
        spell = call(py_name or (f"math.{math_fns[0].__name__}" if math_fns else None),
                     f"np.{ufunc.__name__}" if ufunc is not None else None)
    if standard_spell is _DEFAULT:
        known = STANDARD_NAMES.get(ufunc.__name__, ufunc.__name__) if ufunc else None
        standard_spell = standard(known) if known in STANDARD_FUNCTIONS else None
    register(Op(name=name, arity=arity or ufunc.nin, np_fn=ufunc, py_fn=py_fn, spell=spell,
                shape_rule=elementwise_rule, vjp=vjp, jvp=jvp,
                differentiable=differentiable, array_api=standard_spell,
                spellings=spellings, domain=domain, doc=doc, singular=singular, **facts))
    for u in ufuncs:
        NUMPY_UFUNCS[u] = _ufunc_frontend(name, u)
    for fn in math_fns:
        MATH_FUNCTIONS[fn] = _math_frontend(name, fn)


def _python_spell(template: str, np_name: str):
    """`template` (with {0}, {1}) for Python floats, `np.<np_name>(...)` for arrays."""
    def spell(args, params, aval):
        if aval.python:
            return Expr(template.format(*(paren(a, PREC_POW + 1) for a in args)), PREC_MUL)
        return Expr(f"np.{np_name}({', '.join(a.text for a in args)})", 14)
    return spell


def _where_spell(args, params, aval):
    c, a, b = args
    if aval.python:
        return Expr(f"{paren(a, PREC_COND + 1)} if {paren(c, PREC_COND + 1)} "
                    f"else {paren(b, PREC_COND)}", PREC_COND)
    return Expr(f"np.where({c.text}, {a.text}, {b.text})", 14)


def _where_vjp(g, y, c, a, b):
    return (None, F.where(c, g, 0.0), F.where(c, 0.0, g))


def _maximum_vjp(g, y, a, b):
    # Ties split the gradient evenly, as JAX does.
    half = g * 0.5
    return (F.where(a > b, g, F.where(a == b, half, 0.0)),
            F.where(b > a, g, F.where(a == b, half, 0.0)))


def _minimum_vjp(g, y, a, b):
    half = g * 0.5
    return (F.where(a < b, g, F.where(a == b, half, 0.0)),
            F.where(b < a, g, F.where(a == b, half, 0.0)))


# Distances from kinks and jumps (Op.kink, Op.jump), for the fuzzer.
def _tie(a, b):
    return np.abs(a - b)


def _to_integer(x):
    return np.abs(x - np.round(x))


def _to_half(x, *decimals):
    return np.abs(x - np.floor(x) - 0.5)


def _modulo_distance(a, b):
    return _to_integer(a / b) * np.abs(b)


# Arithmetic.
elementwise("add", np.add, operator.add, lambda g, y, a, b: (g, g),
            also=("+", "sum()", "np.polyval"), commutative=True, names_as="{0}_plus_{1}",
            arithmetic=True,
            spell=infix("+", PREC_ADD), standard_spell=infix("+", PREC_ADD),
            analytic=True)
elementwise("subtract", np.subtract, operator.sub, lambda g, y, a, b: (g, -g), also=("-",),
            names_as="{0}_minus_{1}", arithmetic=True,
            spell=infix("-", PREC_ADD), standard_spell=infix("-", PREC_ADD),
            analytic=True)
elementwise("multiply", np.multiply, operator.mul, lambda g, y, a, b: (g * b, g * a),
            jvp=product("multiply"),
            also=("*", "np.outer"), commutative=True, linear_in=(0, 1),
            names_as="{0}_times_{1}", arithmetic=True,
            spell=infix("*", PREC_MUL), standard_spell=infix("*", PREC_MUL),
            analytic=True)
elementwise("divide", np.divide, operator.truediv,
            lambda g, y, a, b: (g / b, -g * y / b), spell=infix("/", PREC_MUL),
            standard_spell=infix("/", PREC_MUL),
            domain=("real", "nonzero"), singular=True, also=("/", "np.true_divide"),
            linear_in=(0,), names_as="{0}_over_{1}", analytic=True, arithmetic=True)
elementwise("power", np.power, operator.pow, power_vjp, also=("**", "pow()"),
            spell=infix("**", PREC_POW, assoc="right"), math_fns=(math.pow,),
            standard_spell=infix("**", PREC_POW, assoc="right"),
            domain=("positive", "real"), singular=True, names_as="{0}_pow_{1}", analytic=True,
            arithmetic=True)
elementwise("negative", np.negative, operator.neg, lambda g, y, a: (-g,), spell=prefix("-"),
            standard_spell=prefix("-"), also=("-x",), linear_in=(0,), names_as="minus_{0}",
            analytic=True, arithmetic=True)
elementwise("absolute", np.absolute, abs,
            lambda g, y, a: (F.where(a >= 0, g, -g),),
            py_name="abs", also=("abs()", "np.abs"),
            doc="abs; the gradient at 0 is +1, as in JAX", kink=np.abs, arithmetic=True)
elementwise("fabs", np.fabs, math.fabs, lambda g, y, a: (F.where(a >= 0, g, -g),),
            math_fns=(math.fabs,), doc="abs as a float; the gradient at 0 is +1, as in JAX",
            kink=np.abs, arithmetic=True)
elementwise("maximum", np.maximum, max, _maximum_vjp, also=("max(a, b)",), py_name="max",
            doc="ties split the gradient evenly between the operands, as in JAX",
            commutative=True, kink=_tie, arithmetic=True)
elementwise("minimum", np.minimum, min, _minimum_vjp, also=("min(a, b)",), py_name="min",
            doc="ties split the gradient evenly between the operands, as in JAX",
            commutative=True, kink=_tie, arithmetic=True)
elementwise("fmax", np.fmax, max, _maximum_vjp, kink=_tie, py_name="max",
            doc="maximum ignoring NaN; ties split the gradient evenly, as in JAX",
            arithmetic=True)
elementwise("fmin", np.fmin, min, _minimum_vjp, kink=_tie, py_name="min",
            doc="minimum ignoring NaN; ties split the gradient evenly, as in JAX",
            arithmetic=True)

# Exponentials, logarithms, powers.
elementwise("exp", np.exp, math.exp, lambda g, y, a: (g * y,), math_fns=(math.exp,),
            singular=True, analytic=True)  # overflows to inf: an untaken branch must not give 0 * inf
elementwise("log", np.log, math.log, lambda g, y, a: (g / a,), math_fns=(math.log,),
            domain="positive", singular=True, analytic=True)
elementwise("sqrt", np.sqrt, math.sqrt, lambda g, y, a: (0.5 * g / y,),
            math_fns=(math.sqrt,), domain="positive", singular=True, analytic=True)

# Trigonometric and hyperbolic.
elementwise("sin", np.sin, math.sin, lambda g, y, a: (g * F.cos(a),), math_fns=(math.sin,), analytic=True)
elementwise("cos", np.cos, math.cos, lambda g, y, a: (-g * F.sin(a),), math_fns=(math.cos,), analytic=True)
elementwise("tan", np.tan, math.tan, lambda g, y, a: (g * (1.0 + y * y),),
            math_fns=(math.tan,), domain="unit", singular=True, analytic=True)
elementwise("arctan", np.arctan, math.atan, lambda g, y, a: (g / (1.0 + a * a),),
            math_fns=(math.atan,), analytic=True)
elementwise("tanh", np.tanh, math.tanh, lambda g, y, a: (g * (1.0 - y * y),),
            math_fns=(math.tanh,), analytic=True)

LN2, LN10 = math.log(2.0), math.log(10.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

elementwise("exp2", np.exp2, math.exp2, lambda g, y, a: (g * y * LN2,),
            math_fns=(math.exp2,), singular=True, in_loops=False,
            standard_spell=lambda args, params, aval: Expr(
                f"2.0 ** {paren(args[0], PREC_POW)}", PREC_POW),
            analytic=True)
elementwise("expm1", np.expm1, math.expm1, lambda g, y, a: (g * (y + 1.0),),
            math_fns=(math.expm1,), singular=True, analytic=True)
elementwise("log2", np.log2, math.log2, lambda g, y, a: (g / (a * LN2),),
            math_fns=(math.log2,), domain="positive", singular=True, analytic=True)
elementwise("log10", np.log10, math.log10, lambda g, y, a: (g / (a * LN10),),
            math_fns=(math.log10,), domain="positive", singular=True, analytic=True)
elementwise("log1p", np.log1p, math.log1p, lambda g, y, a: (g / (a + 1.0),),
            math_fns=(math.log1p,), domain="positive", singular=True, analytic=True)
elementwise("cbrt", np.cbrt, math.cbrt, lambda g, y, a: (g / (3.0 * y * y),),
            math_fns=(math.cbrt,), domain="nonzero", singular=True, in_loops=False)
elementwise("square", np.square, lambda x: x * x, lambda g, y, a: (g * (2.0 * a),),
            spell=_python_spell("{0} ** 2", "square"), analytic=True, arithmetic=True)
elementwise("reciprocal", np.reciprocal, lambda x: 1.0 / x, lambda g, y, a: (-g * y * y,),
            spell=_python_spell("1.0 / {0}", "reciprocal"), domain="nonzero", singular=True,
            standard_spell=lambda args, params, aval: Expr(f"1.0 / {paren(args[0], PREC_MUL + 1)}",
                                                           PREC_MUL),
            analytic=True, arithmetic=True)
elementwise("logaddexp", np.logaddexp, None,
            # exp(a - y) <= 1 with y = log(e^a + e^b): stable for any magnitudes
            lambda g, y, a, b: (g * F.exp(a - y), g * F.exp(b - y)),
            doc="log(exp(a) + exp(b)); the rule uses exp(a - y), which never overflows")
elementwise("logaddexp2", np.logaddexp2, None,
            lambda g, y, a, b: (g * F.exp2(a - y), g * F.exp2(b - y)))

elementwise("remainder", np.remainder, lambda a, b: a % b,
            lambda g, y, a, b: (g, -g * F.floor(a / b)), also=("%", "np.mod"),
            spell=_python_spell("{0} % {1}", "remainder"), domain=("real", "nonzero"),
            standard_spell=infix("%", PREC_MUL),
            jump=_modulo_distance,
            doc="a - floor(a / b) * b; the gradient ignores the jumps, as in JAX")
elementwise("floor_divide", np.floor_divide, operator.floordiv, lambda g, y, a, b: (None, None),
            also=("//",), spell=infix("//", PREC_MUL), domain=("real", "nonzero"),
            standard_spell=infix("//", PREC_MUL),
            jump=_modulo_distance, in_loops=False,
            doc="floor(a / b): zero gradient, as in JAX")
elementwise("fmod", np.fmod, math.fmod, lambda g, y, a, b: (g, -g * F.trunc(a / b)),
            math_fns=(math.fmod,), domain=("real", "nonzero"), jump=_modulo_distance, in_loops=False,
            doc="a - trunc(a / b) * b; the gradient ignores the jumps, as in JAX")

# Trigonometric and hyperbolic (more).
elementwise("arcsin", np.arcsin, math.asin, lambda g, y, a: (g / F.sqrt(1.0 - a * a),),
            math_fns=(math.asin,), domain="unit", singular=True, analytic=True)
elementwise("arccos", np.arccos, math.acos, lambda g, y, a: (-g / F.sqrt(1.0 - a * a),),
            math_fns=(math.acos,), domain="unit", singular=True, analytic=True)
elementwise("arctan2", np.arctan2, math.atan2,
            lambda g, y, a, b: (g * b / (a * a + b * b), -g * a / (a * a + b * b)),
            math_fns=(math.atan2,), domain=("nonzero", "nonzero"), singular=True)
elementwise("hypot", np.hypot, math.hypot, hypot_vjp, math_fns=(math.hypot,),
            domain=("nonzero", "nonzero"), kink=lambda a, b: np.hypot(a, b),
            doc="at (0, 0) the gradient is 0.5 in each operand, as in JAX")
elementwise("sinh", np.sinh, math.sinh, lambda g, y, a: (g * F.cosh(a),), math_fns=(math.sinh,),
            singular=True, analytic=True)
elementwise("cosh", np.cosh, math.cosh, lambda g, y, a: (g * F.sinh(a),), math_fns=(math.cosh,),
            singular=True, analytic=True)
elementwise("arcsinh", np.arcsinh, math.asinh,
            lambda g, y, a: (g / F.sqrt(a * a + 1.0),), math_fns=(math.asinh,), analytic=True)
elementwise("arccosh", np.arccosh, math.acosh,
            lambda g, y, a: (g / F.sqrt(a * a - 1.0),), math_fns=(math.acosh,),
            domain="above1", singular=True, analytic=True)
elementwise("arctanh", np.arctanh, math.atanh, lambda g, y, a: (g / (1.0 - a * a),),
            math_fns=(math.atanh,), domain="unit", singular=True, analytic=True)
elementwise("deg2rad", np.deg2rad, math.radians, lambda g, y, a: (g * (math.pi / 180.0),),
            math_fns=(math.radians,), aliases=(np.radians,))
elementwise("rad2deg", np.rad2deg, math.degrees, lambda g, y, a: (g * (180.0 / math.pi),),
            math_fns=(math.degrees,), aliases=(np.degrees,))

# Special functions the math module has and NumPy does not: Python floats only.
elementwise("erf", None, math.erf,
            lambda g, y, a: (g * TWO_OVER_SQRT_PI * F.exp(-(a * a)),), math_fns=(math.erf,),
            arity=1)
elementwise("erfc", None, math.erfc,
            lambda g, y, a: (-g * TWO_OVER_SQRT_PI * F.exp(-(a * a)),), math_fns=(math.erfc,),
            arity=1)

# Piecewise-constant functions: zero gradient almost everywhere (and, as in JAX, at the
# jumps too). math.floor/ceil/trunc return ints, as in Python.
_ZERO = lambda g, y, a: (None,)  # noqa: E731
elementwise("sign", np.sign, None, _ZERO, doc="gradient 0 everywhere, as in JAX", jump=np.abs)
elementwise("floor", np.floor, math.floor, _ZERO, math_fns=(math.floor,), jump=_to_integer,
            in_loops=False)
elementwise("ceil", np.ceil, math.ceil, _ZERO, math_fns=(math.ceil,), jump=_to_integer,
            in_loops=False)
elementwise("trunc", np.trunc, math.trunc, _ZERO, math_fns=(math.trunc,), also=("np.fix",),
            jump=_to_integer, in_loops=False)
elementwise("rint", np.rint, None, _ZERO, jump=_to_half)

# Selection.
register(Op(name="where", arity=3, np_fn=np.where, py_fn=lambda c, a, b: a if c else b,
            spell=_where_spell, shape_rule=elementwise_rule, doc="the gradient of the "
            "branch not taken is exactly 0 (see Op.singular for the double-where guard)",
            vjp=_where_vjp, jvp=diagonal(_where_vjp),
            spellings=("np.where", "np.triu", "np.tril"), domain=("bool", "real", "real"),
            masking=True, array_api=standard("where"), analytic=True, arithmetic=True))

# Comparisons and logical ops give masks: they have no gradient.
for _name, _ufunc, _fn, _symbol in [
        ("less", np.less, operator.lt, "<"), ("less_equal", np.less_equal, operator.le, "<="),
        ("greater", np.greater, operator.gt, ">"),
        ("greater_equal", np.greater_equal, operator.ge, ">="),
        ("equal", np.equal, operator.eq, "=="), ("not_equal", np.not_equal, operator.ne, "!=")]:
    elementwise(_name, _ufunc, _fn, None, spell=infix(_symbol, PREC_CMP, assoc="none"),
                standard_spell=infix(_symbol, PREC_CMP, assoc="none"), differentiable=False, also=(_symbol,),
                commutative=_name in ("equal", "not_equal"), arithmetic=True)
_MASK_SYMBOLS = {"logical_and": ("&",), "logical_or": ("|",), "logical_xor": ("^",),
                 "logical_not": ("~",)}
for _name, _ufunc, _fn in [
        ("logical_and", np.logical_and, lambda a, b: bool(a) and bool(b)),
        ("logical_or", np.logical_or, lambda a, b: bool(a) or bool(b)),
        ("logical_xor", np.logical_xor, lambda a, b: bool(a) != bool(b)),
        ("logical_not", np.logical_not, lambda a: not a),
        ("isfinite", np.isfinite, math.isfinite), ("isnan", np.isnan, math.isnan),
        ("isinf", np.isinf, math.isinf)]:
    elementwise(_name, _ufunc, None, None, differentiable=False,
                also=_MASK_SYMBOLS.get(_name, ()))


def _bitwise_frontend(name: str, ufunc):
    """np.bitwise_and/or/xor: NumPy's own `&`, `|`, `^` reach these when the left operand
    is a NumPy array (`constant_mask & (x > 0)`); on booleans they are the logical ops,
    and the Tracer's operators decide (they refuse integers, as bitwise ops)."""
    def traced(a, b, **kwargs):
        _refuse_keywords(ufunc, kwargs)
        if hasattr(a, "_mask_op"):
            return a._mask_op(name, b)
        return b._mask_op(name, a, True)
    return traced


for _name, _ufunc in (("logical_and", np.bitwise_and), ("logical_or", np.bitwise_or),
                      ("logical_xor", np.bitwise_xor)):
    NUMPY_UFUNCS[_ufunc] = _bitwise_frontend(_name, _ufunc)


@numpy_function(np.where)
def _np_where(condition, x=None, y=None):
    if x is None or y is None:
        b = _builder()
        file, line = b.where()
        raise UnsupportedOperationError("np.where(condition) with one argument returns indices",
                                        file=file, line=line,
                                        hint="use the three-argument form np.where(c, a, b)")
    return _builder().apply("where", (condition, x, y), python=False)



# -- clip: min(max(x, lo), hi), differentiated the way JAX differentiates that composition.
def _clip_vjp(g, y, x, lo, hi):
    inner = F.maximum(x, lo)
    g_inner, g_hi = _minimum_vjp(g, y, inner, hi)
    g_x, g_lo = _maximum_vjp(g_inner, inner, x, lo)
    return g_x, g_lo, g_hi


def _clip_distance(x, lo, hi):
    return np.minimum(np.abs(x - lo), np.abs(x - hi))


def _clip_spell(args, params, aval):
    # (Python scalars stay Python floats: np.clip would make a NumPy scalar of them)
    x, lo, hi = (a.text for a in args)
    return Expr(f"min(max({x}, {lo}), {hi})" if aval.python else f"np.clip({x}, {lo}, {hi})",
                PREC_ATOM)


register(Op(name="clip", arity=3, np_fn=np.clip, py_fn=lambda x, lo, hi: min(max(x, lo), hi),
            spell=_clip_spell, shape_rule=elementwise_rule, vjp=_clip_vjp,
            jvp=diagonal(_clip_vjp),
            spellings=("np.clip", ".clip()"), kink=_clip_distance,
            reference=lambda xp, p: xp.clip, array_api=standard("clip"), arithmetic=True,
            doc="np.clip(x, lo, hi) = minimum(maximum(x, lo), hi): the gradient goes to x "
                "inside [lo, hi], to the bound outside it; ties split evenly, as in JAX"))


@numpy_function(np.clip)
def _np_clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **kwargs):
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    if out is not None or kwargs:
        b = _builder()
        file, line = b.where()
        raise UnsupportedOperationError("np.clip with out= or ufunc keywords is not supported",
                                        file=file, line=line, hint="drop the keyword")
    if lo is None and hi is None:
        return a
    if lo is None:
        return _builder().apply("minimum", (a, hi), python=False)
    if hi is None:
        return _builder().apply("maximum", (a, lo), python=False)
    return _builder().apply("clip", (a, lo, hi), python=False)


array_method("clip")(_np_clip)
# NOTE: a NumPy array's own .clip() with traced bounds (`LIMITS.clip(lo, x)`) calls NumPy's
# internal clip ufunc on the tracer, not np.clip: the same op.
_CLIP_UFUNC = getattr((np._core if hasattr(np, "_core") else np.core).umath, "clip", None)
if isinstance(_CLIP_UFUNC, np.ufunc):
    NUMPY_UFUNCS[_CLIP_UFUNC] = lambda a, lo, hi, **kwargs: _np_clip(
        a, lo, hi, **{k: v for k, v in kwargs.items() if v is not None})


# -- round: NumPy's round half to even at a number of decimals; zero gradient.
def _round_spell(args, params, aval):
    decimals = params["decimals"]
    extra = f", {decimals}" if decimals else ""
    return Expr(f"np.round({args[0].text}{extra})", 14)


register(Op(name="round", arity=1, np_fn=lambda x, decimals: np.round(x, decimals),
            py_fn=None, spell=_round_spell, shape_rule=elementwise_rule,
            vjp=lambda g, y, x, decimals: (None,), jvp=constant,
            spellings=("np.round", "np.around", ".round()"),
            cases=((((3,),), {"decimals": 0}), (((2, 3),), {"decimals": -1})),
            doc="zero gradient, as in JAX", jump=_to_half,
            # the standard's round has no decimals (and rounds half to even, as NumPy)
            array_api=lambda args, params, aval: None if params["decimals"] else Expr(
                f"xp.round({args[0].text})", 14)))


@numpy_function(np.round, np.around)
def _np_round(a, decimals=0, out=None):
    return _builder().apply("round", (a,), {"decimals": int(decimals)}, python=False)


array_method("round")(_np_round)


# Front ends composed of these ops (math.log with a base, math.hypot of many, np.fix).
from . import compositions  # noqa: E402,F401
