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


def _weights(n: int, diagonal: float) -> np.ndarray:
    return np.tril(np.ones((n, n))) - (1.0 - diagonal) * np.eye(n)


def _cholesky_vjp(g, y, a):
    n = y.shape[-1]
    lt = _swap_last(y)
    p = F.matmul(lt, g) * _weights(n, 0.5)  # Phi(L^T G)
    s = _swap_last(F.solve(lt, _swap_last(F.solve(lt, p))))  # L^-T P L^-1
    return ((s + _swap_last(s)) * _weights(n, 0.5),)


def _rule(op, avals, params, python):
    shape = avals[0].shape
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ShapeError(f"np.linalg.cholesky needs square matrices, got shape {shape}")
    return tuple(shape), avals[0].dtype


register(Op(name="cholesky", arity=1, np_fn=np.linalg.cholesky, py_fn=None,
            spell=lambda args, params, aval: Expr(f"np.linalg.cholesky({args[0].text})",
                                                  PREC_ATOM),
            shape_rule=_rule, vjp=_cholesky_vjp, spellings=("np.linalg.cholesky",),
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
