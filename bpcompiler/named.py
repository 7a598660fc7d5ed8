"""Module-level float constants of the source, kept by name in the emitted module.

`L2 = 0.01` at the top of the user's file and `0.5 * L2 * np.sum(w * w)` in the function:
Python computes `0.5 * L2` before any tracer sees it, so the name would be lost and the
module would read `0.005 * np.sum(w * w)`. The instrumenter (instrument.py) therefore
hands the traced function a `NamedFloat` for each float global it reads: a real float
(every use that needs a number gets one: `range`, `if`, f-strings, `float(L2)`), whose
arithmetic with numbers and other named floats also remembers how it was computed.
`literal()` prints a constant holding one as that expression, and lower.py defines each
name it reads at module level (`L2 = 0.01`).

Products with numbers are kept as a coefficient times named factors, so folding the
gradient's `0.5 * L2 * 2.0` gives `L2` rather than a longer expression; anything else
(sums, powers, quotients by a name) is kept as text. The value is always what the
source's Python computed; the printed expression agrees with it to rounding.
"""

from __future__ import annotations

import numpy as np

from .ops.registry import PREC_ADD, PREC_ATOM, PREC_MUL, PREC_POW, PREC_UNARY, Expr, paren

_MAX_COEF_CHARS = 8  # a coefficient whose repr grows longer keeps the text as written


class NamedFloat(float):
    """A float computed from the source's named module-level floats (see the module
    docstring). `sources` maps each name read to its value; `coef` and `factors` (a
    product of named factors) are set when the value is `coef * factor * ...`."""

    def __new__(cls, value, expr: Expr | None = None, sources: dict | None = None,
                coef: float | None = None, factors: tuple = ()):
        self = super().__new__(cls, value)
        self.expr, self.sources, self.coef, self.factors = expr, dict(sources or {}), \
            coef, factors
        return self

    @classmethod
    def source(cls, name: str, value: float) -> "NamedFloat":
        atom = Expr(name, PREC_ATOM)
        return cls(value, atom, {name: float(value)}, 1.0, (atom,))

    def __reduce__(self):
        return (NamedFloat, (float(self), self.expr, self.sources, self.coef, self.factors))

    def printed(self) -> Expr:
        """The expression this value prints as."""
        if self.coef is None or not self.factors:
            return self.expr
        product = " * ".join(paren(f, PREC_UNARY) for f in self.factors)
        prec = PREC_MUL if len(self.factors) > 1 else self.factors[0].prec
        if self.coef == 1.0:
            return Expr(product, prec)
        if self.coef == -1.0:
            return Expr(f"-{paren(Expr(product, prec), PREC_UNARY)}", PREC_UNARY)
        return Expr(f"{_number(self.coef)} * {paren(Expr(product, prec), PREC_MUL + 1)}",
                    PREC_MUL)

    # -- arithmetic that remembers the names ----------------------------------------
    def __mul__(self, other):
        return _product(self, other, float.__mul__(self, other)) if _number_like(other) \
            else NotImplemented

    def __rmul__(self, other):
        return _product(self, other, float.__rmul__(self, other)) if _number_like(other) \
            else NotImplemented

    def __truediv__(self, other):
        if not _number_like(other):
            return NotImplemented
        value = float.__truediv__(self, other)
        if not isinstance(other, NamedFloat) and other != 0 and self.coef is not None:
            coef = self.coef / other
            if len(repr(coef)) <= _MAX_COEF_CHARS:
                return NamedFloat(value, None, self.sources, coef, self.factors)
        return _binary(self, other, "/", PREC_MUL, value)

    def __rtruediv__(self, other):
        return _binary(other, self, "/", PREC_MUL, float.__rtruediv__(self, other)) \
            if _number_like(other) else NotImplemented

    def __add__(self, other):
        return _binary(self, other, "+", PREC_ADD, float.__add__(self, other)) \
            if _number_like(other) else NotImplemented

    def __radd__(self, other):
        return _binary(other, self, "+", PREC_ADD, float.__radd__(self, other)) \
            if _number_like(other) else NotImplemented

    def __sub__(self, other):
        return _binary(self, other, "-", PREC_ADD, float.__sub__(self, other)) \
            if _number_like(other) else NotImplemented

    def __rsub__(self, other):
        return _binary(other, self, "-", PREC_ADD, float.__rsub__(self, other)) \
            if _number_like(other) else NotImplemented

    def __pow__(self, other, mod=None):
        if mod is not None or not _number_like(other):
            return NotImplemented
        return _binary(self, other, "**", PREC_POW, float.__pow__(self, other))

    def __rpow__(self, other, mod=None):
        if mod is not None or not _number_like(other):
            return NotImplemented
        return _binary(other, self, "**", PREC_POW, float.__rpow__(self, other))

    def __neg__(self):
        value = float.__neg__(self)
        if self.coef is not None:
            return NamedFloat(value, None, self.sources, -self.coef, self.factors)
        return NamedFloat(value, Expr(f"-{paren(self.printed(), PREC_UNARY)}", PREC_UNARY),
                          self.sources)

    def __pos__(self):
        return self


def _number_like(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, (bool, np.generic))


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else repr(value)


def _expr(value) -> Expr:
    if isinstance(value, NamedFloat):
        return value.printed()
    text = _number(value)
    return Expr(text, PREC_UNARY if text.startswith("-") else PREC_ATOM)


def _sources(*values) -> dict:
    out: dict = {}
    for v in values:
        if isinstance(v, NamedFloat):
            out.update(v.sources)
    return out


def _product(a, b, value) -> NamedFloat:
    """`a * b`: coefficients multiply and factors join while both are products."""
    if isinstance(a, NamedFloat) and isinstance(b, NamedFloat):
        if a.coef is not None and b.coef is not None:
            coef = a.coef * b.coef
            if len(repr(coef)) <= _MAX_COEF_CHARS:
                return NamedFloat(value, None, _sources(a, b), coef, a.factors + b.factors)
        return _binary(a, b, "*", PREC_MUL, value)
    named, number = (a, b) if isinstance(a, NamedFloat) else (b, a)
    if named.coef is not None:
        coef = named.coef * number
        if len(repr(coef)) <= _MAX_COEF_CHARS:
            return NamedFloat(value, None, named.sources, coef, named.factors)
    return _binary(a, b, "*", PREC_MUL, value)


def _binary(a, b, symbol: str, prec: int, value) -> NamedFloat:
    """`a <symbol> b` as text, parenthesised as Python reads it."""
    left, right = _expr(a), _expr(b)
    if symbol == "**":  # right-associative; the exponent may be unary
        text = f"{paren(left, prec + 1)}**{paren(right, PREC_UNARY)}"
    else:
        text = f"{paren(left, prec)} {symbol} {paren(right, prec + 1)}"
    expr = Expr(text, prec)
    if prec == PREC_POW or prec == PREC_ATOM:  # a power is one factor of a product
        return NamedFloat(value, expr, _sources(a, b), 1.0, (expr,))
    return NamedFloat(value, expr, _sources(a, b))


def sources_of(g) -> dict:
    """{name: value} of every named module float the constants of graph `g` read."""
    out: dict = {}
    for attrs in g._node.values():
        value = attrs["params"].get("value") if attrs["op"] == "const" else None
        if isinstance(value, NamedFloat):
            out.update(value.sources)
    return dict(sorted(out.items()))


def named_constants(g, space) -> tuple:
    """(graph, module lines `L2 = 0.01`): each named float the constants read claims its
    name in `space`; one another name has taken (a dimension `N`, a parameter) prints
    as its number instead, in a copy of the graph."""
    lines, lost = [], set()
    for name, value in sources_of(g).items():
        if name in space.taken:
            lost.add(name)
        else:
            lines.append(f"{space.claim(name)} = {value!r}")
    if lost:
        g = g.copy()
        for attrs in g._node.values():
            value = attrs["params"].get("value") if attrs["op"] == "const" else None
            if isinstance(value, NamedFloat) and lost & set(value.sources):
                attrs["params"] = dict(attrs["params"], value=float(value))
    return g, lines


class NamedArray(np.ndarray):
    """A one-element array holding a named float, as a reshape of it leaves it (the
    adjoint of a sum restores the summed axes): `named` is the float."""

    named: NamedFloat

    @classmethod
    def of(cls, value: NamedFloat, shape: tuple) -> "NamedArray":
        array = np.full(shape, float(value)).view(cls)
        array.named = value
        return array

    def __array_finalize__(self, obj):
        self.named = getattr(obj, "named", None)


def named_scalar(value):
    """The NamedFloat a constant's value holds (itself, or a NamedArray's), else the value."""
    if isinstance(value, NamedArray) and value.named is not None and value.size == 1:
        return value.named
    return value


def words(value: NamedFloat, numbers: dict) -> str | None:
    """The value in words for a name built from it: `l2`, `two_epsilon` (2.0 * EPSILON),
    `sigma2` (SIGMA**2); None when it is more than a number times names. `numbers`
    gives the words of a coefficient (naming.py's)."""
    if value.coef is None or not value.factors:
        return None
    parts = [] if value.coef == 1.0 else [numbers.get(value.coef)]
    for f in value.factors:
        name, _, power = f.text.partition("**")
        parts.append(name.lower() + power if name.isidentifier() and
                     (not power or power.isdigit()) else None)
    return None if None in parts else "_".join(parts)
