"""Shapes of JVP rule that many declarations share (forward mode, see forward_mode.py).

A JVP rule is `jvp(tangents, y, *operands, **params) -> tangent or None`: `tangents`
holds one entry per operand, a traced tangent or None where the operand has none (a
constant, an index, a value that does not depend on the differentiated parameters).
The result may have any shape that broadcasts to `y`'s (the driver broadcasts and casts
it, as the reverse driver reduces contributions); None means a zero tangent. Rules are
written with registered ops, like VJP rules, so tangents are ordinary graph nodes.
"""

from __future__ import annotations

import numpy as np

from .registry import F


def zeros_like(x):
    """A zero of `x`'s shape and kind, as a constant (the optimiser folds it away)."""
    from ..builder import current_builder
    b = current_builder()
    value = 0.0 if x._python else np.zeros(x.shape, dtype=x._dtype)
    return b.tracer(b.constant(value))


def _is_float(x) -> bool:
    return getattr(x, "_dtype", None) in ("float64", "float32")


def _summed(terms):
    out = None
    for t in terms:
        if t is not None:
            out = t if out is None else out + t
    return out


def diagonal(vjp):
    """The JVP of an elementwise op from its VJP. Its Jacobian with respect to each
    operand is diagonal (over the broadcast), so it is its own transpose: the VJP rule's
    contribution for operand i, given that operand's tangent in place of the cotangent,
    is that operand's term of the JVP."""
    def jvp(tangents, y, *xs, **params):
        return _summed(vjp(t, y, *xs, **params)[i] for i, t in enumerate(tangents)
                       if t is not None)
    return jvp


def linear(name: str):
    """The JVP of an op linear in its float operands together (reshape, getitem, sum,
    concatenate, ...): the op itself applied to the tangents, zeros standing in for
    float operands without one; integer operands (indices) are passed as they are."""
    def jvp(tangents, y, *xs, **params):
        if all(t is None for t in tangents):
            return None
        operands = [t if t is not None else zeros_like(x) if _is_float(x) else x
                    for t, x in zip(tangents, xs)]
        return getattr(F, name)(*operands, **params)
    return jvp


def product(name: str):
    """The JVP of an op linear in each operand separately (multiply, matmul, einsum):
    the product rule, one term per operand with a tangent."""
    def jvp(tangents, y, *xs, **params):
        terms = []
        for i, t in enumerate(tangents):
            if t is not None:
                operands = list(xs)
                operands[i] = t
                terms.append(getattr(F, name)(*operands, **params))
        return _summed(terms)
    return jvp


def constant(tangents, y, *xs, **params):
    """The JVP of a leaf, or of an op whose derivative is zero almost everywhere."""
    return None
