"""Matrix decompositions, each one multi-output primitive (ops/multi.py): slogdet, eigh.

A decomposition is declared once with `decomposition(...)`: NumPy's function, the names
of its result's fields (as NumPy's result spells them), the VJP rule (all the fields'
cotangents at once, None for a field nothing reads) and the JVP rule (a tangent per
field, None for zero). The emitted code computes it once and reads its fields.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from .inverse import identity, square, strictly_lower, swap_last
from .registry import PREC_ATOM, Expr, F, Op, numpy_function, register
from .shape import _builder, _refuse


def _parts_rule(op, avals, params, python):
    """Each field's (shape, dtype), from NumPy's result on identity stand-ins."""
    dummies = []
    for a in avals:
        eye = np.eye(*a.shape[-2:], dtype=a.dtype) if len(a.shape) >= 2 else \
            np.ones((), dtype=a.dtype)  # (full rank: a rectangular one has ones on its diagonal)
        dummies.append(np.broadcast_to(eye, a.shape))
    try:
        result = tuple(op.np_fn(*dummies, **params))
    except (ValueError, np.linalg.LinAlgError) as exc:
        listed = ", ".join(str(a.shape) for a in avals)
        raise ShapeError(f"{op.name} cannot take operands of shapes {listed}: {exc}")
    return (tuple(tuple(np.shape(r)) for r in result),
            tuple(np.asarray(r).dtype.name for r in result))


def _keywords(params, defaults) -> str:
    return "".join(f", {k}={v!r}" for k, v in sorted(params.items()) if defaults.get(k) != v)


def decomposition(name, fn, fields, vjp, jvp, cases, *, spelled=None, doc="", defaults=None,
                  reference=None, domain="matrix", attributes=True, arity=1, spellings=()):
    """Register NumPy function `fn` (spelled `np.linalg.<name>`, keyword params that
    differ from `defaults` written out) as one node with `fields`."""
    text, defaults = spelled or f"np.linalg.{name}", defaults or {}
    return register(Op(
        name=name, arity=arity, np_fn=fn, py_fn=None,
        spell=lambda args, params, aval: Expr(
            f"{text}({', '.join(a.text for a in args)}{_keywords(params, defaults)})",
            PREC_ATOM),
        shape_rule=_parts_rule, vjp=vjp, jvp=jvp, spellings=(text,) + spellings,
        cases=cases, doc=doc,
        domain=domain, reference=reference, outputs=tuple(fields),
        output_attributes=attributes))


def _expand2(t):
    """A batch of scalars as (..., 1, 1), to scale a batch of matrices."""
    return F.reshape(t, shape=t.shape + (1, 1))


def _rows(t):
    """A batch of vectors as (..., 1, n): one row per matrix, to scale its columns."""
    return F.reshape(t, shape=t.shape[:-1] + (1,) + t.shape[-1:])


def _trace_of_product(a, b):
    """trace(a @ b) for (stacks of) square matrices, as a sum of a * b.T."""
    return F.sum(swap_last(a) * b, axis=(b.ndim - 2, b.ndim - 1), keepdims=False)


# -- slogdet: the sign (locally constant) and log|det X| ---------------------------------
def _slogdet_vjp(g, y, x):
    _, glog = g
    return (None if glog is None else _expand2(glog) * swap_last(F.inv(x)),)


def _slogdet_jvp(tangents, y, x):
    return None, _trace_of_product(F.inv(x), tangents[0])


_SQUARE = ((((3, 3),), {}), (((2, 2, 2),), {}), (((1, 1),), {}))
decomposition("slogdet", np.linalg.slogdet, ("sign", "logabsdet"), _slogdet_vjp, _slogdet_jvp,
              _SQUARE, reference=lambda xp, p: xp.linalg.slogdet,
              doc="the sign has no gradient; log|det X|'s is inv(X).T")


@numpy_function(np.linalg.slogdet)
def _np_slogdet(a):
    square("slogdet", a)
    return SlogdetResult(*_builder().apply("slogdet", (a,), python=False))


SlogdetResult = namedtuple("SlogdetResult", "sign logabsdet")


# -- eigh: eigenvalues and eigenvectors of a symmetric matrix ---------------------------
# NumPy's eigh reads one triangle (UPLO="L": the lower), so the function it computes is
# eig(S) with S = tril(A) + tril(A, -1).T, and the gradient lands on that triangle.
def _triangles(x, upper: bool):
    """(the strict triangle, the diagonal) as 0/1 masks of x's matrices' shape."""
    n = x.shape[-1]
    return strictly_lower(n, x._dtype, upper), identity(n, x._dtype)


def _fold(gbar, upper: bool):
    """The gradient with respect to A of a function of S(A), from its gradient gbar
    with respect to S: gbar + gbar.T on the triangle read, gbar's diagonal, 0 elsewhere."""
    strict, diagonal = _triangles(gbar, upper)
    return (gbar + swap_last(gbar)) * strict + gbar * diagonal


def _symmetric_tangent(t, upper: bool):
    """The tangent of S(A) from A's: what eigh reads of it."""
    strict, diagonal = _triangles(t, upper)
    part = t * strict
    return part + swap_last(part) + t * diagonal


def _inverse_gaps(w):
    """F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it, as 1 / (gap + I) - I. NOTE:
    infinite where eigenvalues repeat (the eigenvectors are not unique there)."""
    eye = identity(w.shape[-1], w._dtype)
    return 1.0 / (_rows(w) - F.reshape(w, shape=w.shape + (1,)) + eye) - eye


def _eigh_vjp(g, y, a, UPLO):
    # dS = V (diag(gw) + F o (V^T gV)) V^T
    gw, gv = g
    w, v = y
    inner = None
    if gv is not None:
        inner = _inverse_gaps(w) * F.matmul(swap_last(v), gv)
    if gw is not None:
        diagonal = F.reshape(gw, shape=gw.shape + (1,)) * identity(w.shape[-1], w._dtype)
        inner = diagonal if inner is None else inner + diagonal
    return (_fold(F.matmul(F.matmul(v, inner), swap_last(v)), UPLO == "U"),)


def _eigh_jvp(tangents, y, a, UPLO):
    # With M = V^T dS V: dw = diag(M), dV = V (F o M).
    w, v = y
    ds_v = F.matmul(_symmetric_tangent(tangents[0], UPLO == "U"), v)
    dw = F.sum(v * ds_v, axis=(v.ndim - 2,), keepdims=False)
    return dw, F.matmul(v, _inverse_gaps(w) * F.matmul(swap_last(v), ds_v))


_SYMMETRIC = ((((3, 3),), {"UPLO": "L"}), (((2, 3, 3),), {"UPLO": "L"}),
              (((3, 3),), {"UPLO": "U"}))
decomposition("eigh", lambda x, UPLO: np.linalg.eigh(x, UPLO=UPLO),
              ("eigenvalues", "eigenvectors"), _eigh_vjp, _eigh_jvp, _SYMMETRIC,
              spelled="np.linalg.eigh", defaults={"UPLO": "L"}, spellings=("np.linalg.eigvalsh",),
              doc="reads one triangle (UPLO), as NumPy does, so the gradient lands there; "
                  "the eigenvectors' is infinite where eigenvalues repeat")


@numpy_function(np.linalg.eigh)
def _np_eigh(a, UPLO="L"):
    square("eigh", a)
    if UPLO not in ("L", "U"):
        _refuse(ShapeError, f"np.linalg.eigh: UPLO={UPLO!r}", "use UPLO='L' or 'U'")
    return EighResult(*_builder().apply("eigh", (a,), {"UPLO": UPLO}, python=False))


@numpy_function(np.linalg.eigvalsh)
def _np_eigvalsh(a, UPLO="L"):
    return _np_eigh(a, UPLO).eigenvalues


EighResult = namedtuple("EighResult", "eigenvalues eigenvectors")


# -- qr: A = Q R, Q with orthonormal columns, R upper triangular (reduced, m >= n) ------
def _right_solve_rt(x, r):
    """x @ inv(R).T, as a solve: solve(R, x.T).T."""
    return swap_last(F.solve(r, swap_last(x)))


def _symmetrized_lower(m):
    """The symmetric matrix with m's lower triangle: tril(m) + tril(m, -1).T."""
    return _symmetric_tangent(m, False)


def _qr_vjp(g, y, a, mode):
    # With M = R gR^T - gQ^T Q: gA = (gQ + Q sym(tril M)) R^-T (m >= n).
    gq, gr = g
    q, r = y
    m = None if gr is None else F.matmul(r, swap_last(gr))
    if gq is not None:
        qtq = F.matmul(swap_last(gq), q)
        m = -qtq if m is None else m - qtq
    inner = F.matmul(q, _symmetrized_lower(m))
    return (_right_solve_rt(inner if gq is None else gq + inner, r),)


def _qr_jvp(tangents, y, a, mode):
    # With C = Q^T dA R^-1 and W = tril(C, -1) - tril(C, -1)^T (skew):
    # dQ = Q (W - C) + dA R^-1, dR = (C - W) R.
    q, r = y
    n = r.shape[-1]
    da_rinv = F.solve(swap_last(r), swap_last(tangents[0]))  # (dA R^-1)^T
    da_rinv = swap_last(da_rinv)
    c = F.matmul(swap_last(q), da_rinv)
    lower = c * strictly_lower(n, c._dtype)
    w = lower - swap_last(lower)
    return F.matmul(q, w - c) + da_rinv, F.matmul(c - w, r)


_TALL = ((((3, 3),), {"mode": "reduced"}), (((4, 2),), {"mode": "reduced"}),
         (((2, 4, 3),), {"mode": "reduced"}))
decomposition("qr", lambda x, mode: np.linalg.qr(x, mode=mode), ("Q", "R"), _qr_vjp, _qr_jvp,
              _TALL, defaults={"mode": "reduced"}, spelled="np.linalg.qr",
              reference=lambda xp, p: lambda x: xp.linalg.qr(x),
              doc="reduced, of square and tall matrices (more rows than columns)")


@numpy_function(np.linalg.qr)
def _np_qr(a, mode="reduced"):
    shape = np.shape(a)
    if len(shape) < 2 or shape[-2] < shape[-1]:
        _refuse(ShapeError, f"np.linalg.qr of shape {shape}: only square and tall matrices "
                            "(rows >= columns) have a gradient here",
                "factor the transpose: Q, R = np.linalg.qr(A.T) gives A = R.T @ Q.T")
    if mode not in ("reduced", "r") and not (mode == "complete" and shape[-2] == shape[-1]):
        _refuse(UnsupportedOperationError, f"np.linalg.qr(..., mode={mode!r})",
                "use mode='reduced' (the default) or 'r'")
    q, r = _builder().apply("qr", (a,), {"mode": "reduced"}, python=False)
    return r if mode == "r" else QRResult(q, r)


QRResult = namedtuple("QRResult", "Q R")


# -- svd: A = U diag(S) Vh, the reduced factors (full_matrices=False) ------------------
def _svd_gaps(s):
    """F_ij = 1 / (s_j^2 - s_i^2) off the diagonal, 0 on it. NOTE: infinite where
    singular values repeat (the singular vectors are not unique there)."""
    return _inverse_gaps(s * s)


def _svd_vjp(g, y, a, full_matrices):
    # gA = U [(J + J^T) S + diag(gS) + S (K + K^T)] V^T, J = F o (U^T gU) and
    # K = F o (V^T gV), plus, for a tall A, (I - U U^T) gU S^-1 V^T and, for a wide one,
    # U S^-1 gV^T (I - V V^T) (Townsend, "Differentiating the SVD", 2016).
    gu, gs, gvh = g
    u, s, vh = y
    m, n = a.shape[-2], a.shape[-1]
    inner = None if gs is None else \
        F.reshape(gs, shape=gs.shape + (1,)) * identity(s.shape[-1], s._dtype)
    ut, v = swap_last(u), swap_last(vh)
    if gu is not None:
        j = _svd_gaps(s) * F.matmul(ut, gu)
        term = (j + swap_last(j)) * _rows(s)
        inner = term if inner is None else inner + term
    gv = None if gvh is None else swap_last(gvh)
    if gv is not None:
        k = _svd_gaps(s) * F.matmul(vh, gv)
        term = F.reshape(s, shape=s.shape + (1,)) * (k + swap_last(k))
        inner = term if inner is None else inner + term
    out = F.matmul(F.matmul(u, inner), vh)
    if gu is not None and m > n:
        rest = gu - F.matmul(u, F.matmul(ut, gu))
        out = out + F.matmul(rest / _rows(s), vh)
    if gv is not None and n > m:
        rest = gv - F.matmul(v, F.matmul(vh, gv))
        out = out + F.matmul(u / _rows(s), swap_last(rest))
    return (out,)


def _svd_jvp(tangents, y, a, full_matrices):
    # With dP = U^T dA V: dS = diag(dP), dU = U (F o (dP S + S dP^T)) and
    # dV = V (F o (S dP + dP^T S)), plus the parts outside the span of U (or V).
    u, s, vh = y
    da = tangents[0]
    m, n = a.shape[-2], a.shape[-1]
    ut, v = swap_last(u), swap_last(vh)
    dp = F.matmul(F.matmul(ut, da), v)
    ds = F.sum(dp * identity(s.shape[-1], s._dtype), axis=(dp.ndim - 1,), keepdims=False)
    gaps, column = _svd_gaps(s), F.reshape(s, shape=s.shape + (1,))
    dps = dp * _rows(s)
    sdp = column * dp
    du = F.matmul(u, gaps * (dps + swap_last(dps)))
    dv = F.matmul(v, gaps * (sdp + swap_last(sdp)))
    if m > n:
        dav = F.matmul(da, v)
        du = du + (dav - F.matmul(u, F.matmul(ut, dav))) / _rows(s)
    if n > m:
        datu = F.matmul(swap_last(da), u)
        dv = dv + (datu - F.matmul(v, F.matmul(vh, datu))) / _rows(s)
    return du, ds, swap_last(dv)


_ANY = ((((3, 3),), {"full_matrices": False}), (((4, 2),), {"full_matrices": False}),
        (((2, 4),), {"full_matrices": False}), (((2, 3, 2),), {"full_matrices": False}))
decomposition("svd", lambda x, full_matrices: np.linalg.svd(x, full_matrices=full_matrices),
              ("U", "S", "Vh"), _svd_vjp, _svd_jvp, _ANY, spelled="np.linalg.svd",
              spellings=("np.linalg.svdvals", "np.linalg.norm (ord 2, -2, 'nuc')"),
              reference=lambda xp, p: lambda x: xp.linalg.svd(x, full_matrices=False),
              doc="the reduced factors (full_matrices=False); the gradient needs distinct "
                  "nonzero singular values, as the factors are not unique otherwise")


def singular_values(a):
    """The singular values of (a stack of) matrices, largest first: the svd node's S."""
    shape = np.shape(a)
    if len(shape) < 2:
        _refuse(ShapeError, f"singular values need a matrix, got shape {shape}")
    return _builder().apply("svd", (a,), {"full_matrices": False}, python=False)[1]


@numpy_function(np.linalg.svd)
def _np_svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    if hermitian:
        _refuse(UnsupportedOperationError, "np.linalg.svd(..., hermitian=True)",
                "use np.linalg.eigh for symmetric matrices, or drop hermitian=")
    if not compute_uv:
        return singular_values(a)
    shape = np.shape(a)
    if full_matrices and len(shape) >= 2 and shape[-1] != shape[-2]:
        _refuse(UnsupportedOperationError, "np.linalg.svd with full_matrices=True of a "
                f"non-square matrix (shape {shape}): the extra singular vectors are not "
                "unique, so they have no gradient",
                "pass full_matrices=False (the reduced factors)")
    if len(shape) < 2:
        singular_values(a)  # (refuses)
    return SVDResult(*_builder().apply("svd", (a,), {"full_matrices": False}, python=False))


@numpy_function(np.linalg.svdvals)
def _np_svdvals(x, /):
    return singular_values(x)


SVDResult = namedtuple("SVDResult", "U S Vh")
