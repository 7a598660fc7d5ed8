"""Matrix decompositions, each one multi-output primitive (ops/multi.py): slogdet, eigh.

A decomposition is declared once with `decomposition(...)`: NumPy's function, the names
of its result's fields (as NumPy's result spells them), the VJP rule (all the fields'
cotangents at once, None for a field nothing reads) and the JVP rule (a tangent per
field, None for zero). The emitted code computes it once and reads its fields.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..errors import ShapeError
from .inverse import square, swap_last
from .registry import PREC_ATOM, Expr, F, Op, numpy_function, register
from .shape import _builder, _refuse


def _parts_rule(op, avals, params, python):
    """Each field's (shape, dtype), from NumPy's result on identity stand-ins."""
    dummies = []
    for a in avals:
        if len(a.shape) >= 2 and a.shape[-1] == a.shape[-2]:
            dummies.append(np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape))
        else:
            dummies.append(np.broadcast_to(np.eye(*a.shape[-2:], dtype=a.dtype), a.shape))
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
                  reference=None, domain="matrix", attributes=True):
    """Register NumPy function `fn` (spelled `np.linalg.<name>`, keyword params that
    differ from `defaults` written out) as one node with `fields`."""
    text, defaults = spelled or f"np.linalg.{name}", defaults or {}
    return register(Op(
        name=name, arity=1, np_fn=fn, py_fn=None,
        spell=lambda args, params, aval: Expr(
            f"{text}({args[0].text}{_keywords(params, defaults)})", PREC_ATOM),
        shape_rule=_parts_rule, vjp=vjp, jvp=jvp, spellings=(text,), cases=cases, doc=doc,
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
def _triangles(n: int, upper: bool):
    strict = np.triu(np.ones((n, n), dtype=bool), 1) if upper else \
        np.tril(np.ones((n, n), dtype=bool), -1)
    return strict, np.eye(n, dtype=bool)


def _fold(gbar, upper: bool):
    """The gradient with respect to A of a function of S(A), from its gradient gbar
    with respect to S: gbar + gbar.T on the triangle read, gbar's diagonal, 0 elsewhere."""
    strict, diagonal = _triangles(gbar.shape[-1], upper)
    return F.where(strict, gbar + swap_last(gbar), F.where(diagonal, gbar, 0.0))


def _symmetric_tangent(t, upper: bool):
    """The tangent of S(A) from A's: what eigh reads of it."""
    strict, diagonal = _triangles(t.shape[-1], upper)
    part = F.where(strict, t, 0.0)
    return part + swap_last(part) + F.where(diagonal, t, 0.0)


def _inverse_gaps(w):
    """F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it. NOTE: infinite where
    eigenvalues repeat (the eigenvectors are not unique there)."""
    n = w.shape[-1]
    gap = _rows(w) - F.reshape(w, shape=w.shape + (1,))
    off = ~np.eye(n, dtype=bool)
    return F.where(off, 1.0 / F.where(off, gap, 1.0), 0.0)


def _eigh_vjp(g, y, a, UPLO):
    # dS = V (diag(gw) + F o (V^T gV)) V^T
    gw, gv = g
    w, v = y
    inner = None
    if gv is not None:
        inner = _inverse_gaps(w) * F.matmul(swap_last(v), gv)
    if gw is not None:
        diagonal = F.reshape(gw, shape=gw.shape + (1,)) * np.eye(w.shape[-1])
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
              spelled="np.linalg.eigh", defaults={"UPLO": "L"},
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
