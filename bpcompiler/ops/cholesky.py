"""np.linalg.cholesky: L with L @ L.T = A, read from A's lower triangle (as LAPACK does).

The rule is Murray's ("Differentiation of the Cholesky decomposition", 2016): with
Phi(X) the lower triangle of X with its diagonal halved, S = L^-T Phi(L^T G) L^-1. The
symmetric gradient would be (S + S^T) / 2; because NumPy reads only the lower triangle,
the gradient of the function as NumPy computes it puts (S + S^T) below the diagonal, S
on it and 0 above (what central differences of np.linalg.cholesky see).
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError

from .registry import PREC_ATOM, Expr, F, Op, numpy_function, register


def _swap_last(x):
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return F.transpose(x, axes=axes)


def _weights(like, diagonal: float):
    """The lower triangle's weights, `diagonal` on it: ops, not an n x n constant (which
    would be refused past 1000 elements)."""
    n, dtype = like.shape[-1], like._dtype
    return F.tri(n=n, m=n, k=0, dtype=dtype) - F.eye(n=n, m=n, k=0, dtype=dtype) * \
        (1.0 - diagonal)


def _cholesky_vjp(g, y, a):
    lt = _swap_last(y)
    p = F.matmul(lt, g) * _weights(y, 0.5)  # Phi(L^T G)
    s = _swap_last(F.solve(lt, _swap_last(F.solve(lt, p))))  # L^-T P L^-1
    return ((s + _swap_last(s)) * _weights(y, 0.5),)


def _cholesky_jvp(tangents, y, a):
    # dL = L Phi(L^-1 dS L^-T), dS the symmetric matrix of t's lower triangle (what
    # cholesky reads) and Phi the lower triangle with half the diagonal.
    t = tangents[0]
    lower = t * _weights(t, 0.0)  # (the strict lower triangle)
    ds = lower + _swap_last(lower) + t * F.eye(n=t.shape[-1], m=t.shape[-1], k=0, dtype=t._dtype)
    inner = F.solve(y, _swap_last(F.solve(y, ds)))  # L^-1 dS L^-T (dS symmetric)
    return F.matmul(y, inner * _weights(y, 0.5))


def _rule(op, avals, params, python):
    shape = avals[0].shape
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ShapeError(f"np.linalg.cholesky needs square matrices, got shape {shape}")
    return tuple(shape), avals[0].dtype


register(Op(name="cholesky", arity=1, np_fn=np.linalg.cholesky, py_fn=None,
            spell=lambda args, params, aval: Expr(f"np.linalg.cholesky({args[0].text})",
                                                  PREC_ATOM),
            shape_rule=_rule, vjp=_cholesky_vjp, jvp=_cholesky_jvp,
            spellings=("np.linalg.cholesky",),
            domain="spd", cases=((((3, 3),), {}), (((2, 2, 2),), {}), (((1, 1),), {})),
            doc="reads the lower triangle, as NumPy does: the gradient is 0 above it"))


@numpy_function(np.linalg.cholesky)
def _np_cholesky(a, /, *, upper=False):
    from ..builder import current_builder
    b = current_builder()
    if upper:
        file, line = b.where()
        raise UnsupportedOperationError("np.linalg.cholesky(..., upper=True)", file=file,
                                        line=line, hint="take the lower factor's transpose")
    return b.apply("cholesky", (a,), python=False)
