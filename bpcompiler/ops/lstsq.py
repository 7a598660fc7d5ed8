"""np.linalg.lstsq of a full-rank matrix: one multi-output node (x, residuals, rank, s).

For a full-rank A, the solution is x = pinv(A) b (the least-squares one when A is tall,
the least-norm one when it is wide), so its rules are the pseudo-inverse's (inverse.py);
the residuals (sums of squared errors, present when A is tall) move only with the error
e = A x - b, since A^T e = 0; the singular values are the SVD's. The rank has none.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from .decompositions import decomposition
from .inverse import _pinv_jvp, _pinv_vjp, identity, swap_last
from .registry import F, numpy_function
from .shape import _builder, _refuse


def _column(v):
    """A vector right-hand side as an (m, 1) matrix; a matrix unchanged."""
    return F.reshape(v, shape=v.shape + (1,)) if v.ndim == 1 else v


def _lstsq_vjp(g, y, a, b, rcond):
    gx, gres, _, gs = g
    x = y[0]
    p = F.pinv(a)
    ga, gb = None, None
    if gx is not None:
        gb = F.matmul(swap_last(p), gx)
        ga = _pinv_vjp(F.matmul(_column(gx), swap_last(_column(b))), p, a)[0]
    if gres is not None and a.shape[0] > a.shape[1]:
        e = _column(F.matmul(a, x) - b)  # d res_j = 2 e_j^T (dA x_j - db_j)
        weighted = e * gres * 2.0
        ga_res = F.matmul(weighted, swap_last(_column(x)))
        gb_res = -weighted if b.ndim == 2 else -F.reshape(weighted, shape=b.shape)
        ga = ga_res if ga is None else ga + ga_res
        gb = gb_res if gb is None else gb + gb_res
    if gs is not None:
        u, _, vh = F.svd(a, full_matrices=False)
        ga_s = F.matmul(u * F.reshape(gs, shape=(1,) + gs.shape), vh)
        ga = ga_s if ga is None else ga + ga_s
    return ga, gb


def _lstsq_jvp(tangents, y, a, b, rcond):
    ta, tb = tangents
    x = y[0]
    p = F.pinv(a)
    dx = None if tb is None else F.matmul(p, tb)
    if ta is not None:
        dp_b = F.matmul(_pinv_jvp((ta,), p, a), b)
        dx = dp_b if dx is None else dx + dp_b
    dres = None
    if a.shape[0] > a.shape[1]:
        e = _column(F.matmul(a, x) - b)
        moved = None if ta is None else _column(F.matmul(ta, x))
        if tb is not None:
            moved = -_column(tb) if moved is None else moved - _column(tb)
        dres = F.sum(e * moved, axis=(0,), keepdims=False) * 2.0
    ds = None
    if ta is not None:
        u, s, vh = F.svd(a, full_matrices=False)
        rotated = F.matmul(F.matmul(swap_last(u), ta), swap_last(vh))
        ds = F.sum(rotated * identity(s.shape[-1], s._dtype), axis=(1,), keepdims=False)
    return dx, dres, None, ds


decomposition("lstsq", lambda a, b, rcond: np.linalg.lstsq(a, b, rcond=rcond),
              ("x", "residuals", "rank", "s"), _lstsq_vjp, _lstsq_jvp,
              ((((4, 2), (4,)), {"rcond": None}), (((4, 2), (4, 3)), {"rcond": None}),
               (((3, 3), (3,)), {"rcond": None}), (((2, 4), (2,)), {"rcond": None})),
              arity=2, attributes=False,
              reference=lambda xp, p: lambda a, b: xp.linalg.lstsq(a, b, numpy_resid=True),
              doc="of a full-rank matrix: the solution, the residuals (when A is tall), "
                  "the rank (no gradient) and the singular values")


@numpy_function(np.linalg.lstsq)
def _np_lstsq(a, b, rcond=None):
    ashape, bshape = np.shape(a), np.shape(b)
    if len(ashape) != 2 or len(bshape) not in (1, 2) or bshape[0] != ashape[0]:
        _refuse(ShapeError, f"np.linalg.lstsq of shapes {ashape} and {bshape}: A must be "
                            "one matrix and b have as many rows")
    if rcond is not None:
        _refuse(UnsupportedOperationError, "np.linalg.lstsq with rcond=",
                "drop rcond= (the gradient is that of a full-rank problem)")
    return _builder().apply("lstsq", (a, b), {"rcond": None}, python=False)
