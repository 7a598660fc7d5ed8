"""np.linalg.eig and eigvals of matrices with a real spectrum: one multi-output node.

A = V diag(w) V^-1 with NumPy's unit-norm eigenvector columns. With M = V^-1 dA V,
dw = diag(M) and dV = N(V (F o M)), F_ij = 1 / (w_j - w_i) off the diagonal, where N
removes each column's change along itself (the columns keep unit norm): N(X) = X -
V diag(V^T X). The VJP is the transpose: gA = V^-T (diag(gw) + F o (V^T N(gV))) V^T
(N is its own transpose). NumPy returns complex arrays for a complex spectrum, which
has no real gradient: the front end refuses an example whose spectrum is complex, at
trace time, naming the line.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..errors import UnsupportedOperationError
from .decompositions import _inverse_gaps, _rows, decomposition
from .domains import Domain
from .inverse import identity, square, swap_last
from .guard import domain_guard
from .registry import F, numpy_function
from .shape import _builder, _refuse


def _keep_norm(x, v):
    """N(x): x less each column's component along that column of V."""
    return x - v * _rows(F.sum(v * x, axis=(v.ndim - 2,), keepdims=False))


def _eig_vjp(g, y, a):
    gw, gv = g
    w, v = y
    inner = None
    if gv is not None:
        inner = _inverse_gaps(w) * F.matmul(swap_last(v), _keep_norm(gv, v))
    if gw is not None:
        diagonal = F.reshape(gw, shape=gw.shape + (1,)) * identity(w.shape[-1], w._dtype)
        inner = diagonal if inner is None else inner + diagonal
    return (F.matmul(F.matmul(swap_last(F.inv(v)), inner), swap_last(v)),)


def _eig_jvp(tangents, y, a):
    w, v = y
    m = F.matmul(F.matmul(F.inv(v), tangents[0]), v)
    dw = F.sum(m * identity(w.shape[-1], w._dtype), axis=(m.ndim - 1,), keepdims=False)
    return dw, _keep_norm(F.matmul(v, _inverse_gaps(w) * m), v)


def _real_spectrum(rng, shape):
    """Matrices V diag(w) V^-1 with well separated real eigenvalues."""
    n = shape[-1]
    w = np.arange(1.0, n + 1.0) * 1.5 + rng.uniform(-0.3, 0.3, size=shape[:-1])
    v = np.eye(n) + 0.3 * rng.uniform(-1.0, 1.0, size=shape)
    return v @ (w[..., None] * np.linalg.inv(v))


REAL_SPECTRUM = Domain("real_spectrum", _real_spectrum)
decomposition("eig", np.linalg.eig, ("eigenvalues", "eigenvectors"), _eig_vjp, _eig_jvp,
              ((((3, 3),), {}), (((2, 3, 3),), {}), (((1, 1),), {})), domain=REAL_SPECTRUM,
              spellings=("np.linalg.eigvals",),
              doc="of matrices with a real spectrum (a complex one is refused at trace "
                  "time); the gradient is infinite where eigenvalues repeat")


@numpy_function(np.linalg.eig)
def _np_eig(a):
    square("eig", a)
    value = _builder().example_value(a)
    if value is not None and np.iscomplexobj(np.linalg.eig(value).eigenvalues):
        _refuse(UnsupportedOperationError,
                "np.linalg.eig: the example matrix has complex eigenvalues, and only "
                "real spectra are supported (NumPy returns complex arrays then)",
                "for a symmetric matrix use np.linalg.eigh; else pass an example whose "
                "eigenvalues are real, or work with the characteristic polynomial")
    result = EigResult(*_builder().apply("eig", (a,), python=False))
    # Another matrix may have a complex spectrum: the module raises then, as the trace did.
    domain_guard(_builder(), _builder().apply("isrealobj", (result.eigenvalues,)),
                 "np.linalg.eig: the matrix has complex eigenvalues here, and this module "
                 "differentiates real spectra only")
    return result


@numpy_function(np.linalg.eigvals)
def _np_eigvals(a):
    return _np_eig(a).eigenvalues


EigResult = namedtuple("EigResult", "eigenvalues eigenvectors")
