"""Exact source text for constants: Python scalars, NumPy scalars and arrays.

Array constants are embedded exactly: all-zero arrays as `np.zeros`, all-equal ones as
`np.full`, ranges, identities and the like as the expression that builds them
(recipes.py), others as `np.array([...])` of `repr` floats (round-trip exact), with
`np.nan`/`np.inf` for non-finite values.
"""

from __future__ import annotations

import math

import numpy as np

from .ops.registry import PREC_ADD, PREC_ATOM, PREC_MUL, PREC_UNARY, Expr
from .named import NamedFloat
from .recipes import recipe
from .symbolic import Dim, SymFloat


def literal(value, python: bool, np_alias: str = "np") -> Expr:
    """Exact source text for a scalar constant."""
    if isinstance(value, (Dim, SymFloat)):  # a size, or a number computed from sizes
        text = repr(value)
        return Expr(text, PREC_ATOM if text.isidentifier() or text.endswith(")") and
                    text.startswith("np.") else PREC_ADD if " + " in text or " - " in text
                    else PREC_MUL)
    if python:
        if isinstance(value, NamedFloat):  # 0.5 * L2: the source's names (named.py)
            return value.printed()
        if isinstance(value, float) and not math.isfinite(value):
            text = "math.nan" if math.isnan(value) else ("math.inf" if value > 0 else "-math.inf")
        else:
            text = repr(value)
        return Expr(text, PREC_UNARY if text.startswith("-") else PREC_ATOM)
    if isinstance(value, NamedFloat):
        return Expr(f"{np_alias}.float64({value.printed().text})", PREC_ATOM)
    array = np.asarray(value)
    item = array.item()
    inner = repr(float(item)) if array.dtype.kind == "f" else repr(item)
    if array.dtype.kind == "f" and not math.isfinite(item):
        inner = f'"{item}"'
    return Expr(f"{np_alias}.{array.dtype.name}({inner})", PREC_ATOM)


def literal_needs_math(value, python: bool) -> bool:
    """Whether `literal(value, python)` reads the math module (math.inf, math.nan)."""
    return python and isinstance(value, float) and not math.isfinite(value)


def _element(v) -> str:
    if isinstance(v, float) and not math.isfinite(v):
        return "np.nan" if math.isnan(v) else ("np.inf" if v > 0 else "-np.inf")
    return repr(v)


def _nested(items) -> str:
    if isinstance(items, list):
        return "[" + ", ".join(_nested(i) for i in items) + "]"
    return _element(items)


def array_literal(value: np.ndarray) -> str:
    """Exact source text for an array constant (see the module docstring)."""
    array = np.asarray(value)
    dtype = f"dtype=np.{array.dtype.name}"
    # Python floats (not NumPy scalars) so that repr gives the shortest exact digits.
    as_python = np.vectorize(float, otypes=[object])(array) if array.dtype.kind == "f" \
        else array.astype(object)
    flat = as_python.reshape(-1)
    same = flat.size > 1 and np.array_equal(array.reshape(-1), np.full(flat.size, array.flat[0]),
                                             equal_nan=True)
    if same and array.dtype.kind == "f":
        same = len(set(np.signbit(array.reshape(-1)).tolist())) == 1
    if same:
        return f"np.full({array.shape!r}, {_element(flat[0])}, {dtype})"
    built = recipe(array)  # a range or an identity, built rather than printed
    if built is not None:
        return built
    return f"np.array({_nested(as_python.tolist())}, {dtype})"


def is_zeros(value) -> bool:
    """All elements +0 (so `np.zeros` reproduces the array exactly, signs included)."""
    array = np.asarray(value)
    return not np.any(array != 0) and not (array.dtype.kind == "f" and np.any(np.signbit(array)))
