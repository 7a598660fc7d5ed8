"""det, inv and solve, and what the other matrix modules share: `swap_last`, the shape
rule from identity stand-ins, `square` (the front ends' check) and `linalg_op`, the
declaration of a one-result matrix function.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from .registry import PREC_ATOM, Expr, F, Op, numpy_function, register
from .shape import _builder, _refuse


def swap_last(x):
    """The matrix transpose of (a stack of) matrices."""
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return F.transpose(x, axes=tuple(axes))


_swap_last = swap_last


# Masks of matrix rules are ops, not constants: an n x n literal would be refused past
# 1000 elements (builder.MAX_CONSTANT_ELEMENTS), and a symbolic n could not be written.
register(Op(name="tri", arity=0, np_fn=lambda n, m, k, dtype: np.tri(n, m, k, dtype=dtype),
            py_fn=None, spell=lambda args, params, aval: Expr(
                f"np.tri({params['n']}, {params['m']}, k={params['k']}, "
                f"dtype=np.{params['dtype']})", PREC_ATOM),
            shape_rule=lambda op, avals, params, python: ((params["n"], params["m"]),
                                                          params["dtype"]),
            differentiable=False, doc="ones on and below diagonal k: built by rules"))


def identity(n: int, dtype: str):
    return F.eye(n=n, m=n, k=0, dtype=dtype)


def strictly_lower(n: int, dtype: str, upper: bool = False):
    """1.0 below the diagonal (above it with `upper`), else 0.0."""
    lower = F.tri(n=n, m=n, k=-1, dtype=dtype)
    return swap_last(lower) if upper else lower


def _expand2(t):
    """A batch of scalars as (..., 1, 1), to scale a batch of matrices."""
    return F.reshape(t, shape=t.shape + (1, 1))


def _rows(t):
    """A batch of vectors as (..., 1, n): one row per matrix, to scale its columns."""
    return F.reshape(t, shape=t.shape[:-1] + (1,) + t.shape[-1:])


def _cofactors(x):
    """The cofactor matrix adj(X).T, d det / dX, defined at singular X too: with
    X = U S Vh, it is det(U) det(Vh) U diag(prod_{j != i} s_j) Vh."""
    u, s, vh = F.svd(x, full_matrices=False)
    eye, row = identity(s.shape[-1], s._dtype), _rows(s)
    others = F.prod(row - eye * row + eye, axis=(s.ndim,), keepdims=False)  # 1 for s_i
    sign = F.slogdet(u)[0] * F.slogdet(vh)[0]  # +-1: U and Vh are orthogonal
    return _expand2(sign) * F.matmul(u * _rows(others), vh)


def _det_vjp(g, y, x):
    return (_expand2(g) * _cofactors(x),)


def _last_two(x):
    return (x.ndim - 2, x.ndim - 1)


def _det_jvp(tangents, y, x):
    # d det = trace(adj(X) dX) = sum(cofactors * dX)
    return F.sum(_cofactors(x) * tangents[0], axis=_last_two(x), keepdims=False)


def _inv_jvp(tangents, y, x):
    return -F.matmul(F.matmul(y, tangents[0]), y)


def _solve_jvp(tangents, y, a, b):
    # x = A^-1 b: dx = A^-1 (db - dA x).
    ta, tb = tangents
    rhs = tb
    if ta is not None:
        if b.ndim == 1:  # x is one vector per matrix: dA x as a sum over the last axis
            dax = F.sum(ta * F.reshape(y, shape=y.shape[:-1] + (1,) + y.shape[-1:]),
                        axis=(max(ta.ndim, y.ndim + 1) - 1,), keepdims=False)
        else:
            dax = F.matmul(ta, y)
        rhs = -dax if rhs is None else rhs - dax
    if b.ndim == 1 and rhs.ndim > 1:  # solve each row of rhs as a column
        column = F.solve(a, F.reshape(rhs, shape=rhs.shape + (1,)))
        return F.reshape(column, shape=rhs.shape)
    return F.solve(a, rhs)


def _inv_vjp(g, y, x):
    yt = _swap_last(y)
    return (-F.matmul(F.matmul(yt, g), yt),)


def _solve_vjp(g, y, a, b):
    at = _swap_last(a)
    if b.ndim == 1:
        # NOTE: b is one vector even for a stack of matrices, but g then has the stack's
        # shape (..., n), which solve would read as a stack of (n, k) matrices: solve
        # for g as columns.
        gb = F.solve(at, g) if a.ndim == 2 else \
            F.reshape(F.solve(at, F.reshape(g, shape=g.shape + (1,))), shape=g.shape)
        return (-(F.reshape(gb, shape=gb.shape + (1,)) *
                  F.reshape(y, shape=y.shape[:-1] + (1,) + y.shape[-1:])), gb)
    gb = F.solve(at, g)
    return (-F.matmul(gb, _swap_last(y)), gb)


def _matrix_rule(op, avals, params, python):
    """Shape and dtype from identity stand-ins (ones would be singular)."""
    dummies = []
    for a in avals:
        if len(a.shape) >= 2 and a.shape[-1] == a.shape[-2]:
            dummies.append(np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape))
        else:
            dummies.append(np.broadcast_to(np.ones((), dtype=a.dtype), a.shape))
    try:
        result = op.np_fn(*dummies)
    except (ValueError, np.linalg.LinAlgError) as exc:
        listed = ", ".join(str(a.shape) for a in avals)
        raise ShapeError(f"{op.name} cannot take operands of shapes {listed}: {exc}")
    return tuple(np.shape(result)), np.asarray(result).dtype.name


def _linalg(name, fn, vjp, spelled, cases, doc="", differentiable=True, arity=1, shape=None,
            reference=None, jvp=None):
    register(Op(name=name, arity=arity, np_fn=fn, py_fn=None,
                spell=lambda args, params, aval: Expr(
                    spelled.format(*(a.text for a in args)), PREC_ATOM),
                shape_rule=shape or _matrix_rule, vjp=vjp, jvp=jvp,
                differentiable=differentiable,
                spellings=(spelled.split("(")[0],),
                cases=cases, doc=doc, domain="matrix", reference=reference))


_SQUARE = ((((3, 3),), {}), (((2, 2, 2),), {}), (((1, 1),), {}))
_linalg("det", np.linalg.det, _det_vjp, "np.linalg.det({0})", _SQUARE,
        doc="the gradient is the cofactor matrix (from an SVD): defined at singular X too",
        jvp=_det_jvp,
        reference=lambda xp, p: xp.linalg.det)
_linalg("inv", np.linalg.inv, _inv_vjp, "np.linalg.inv({0})", _SQUARE, jvp=_inv_jvp,
        reference=lambda xp, p: xp.linalg.inv)
_linalg("solve", np.linalg.solve, _solve_vjp, "np.linalg.solve({0}, {1})",
        ((((3, 3), (3,)), {}), (((3, 3), (3, 2)), {}), (((2, 3, 3), (2, 3, 1)), {})), arity=2,
        jvp=_solve_jvp,
        reference=lambda xp, p: xp.linalg.solve)


def _pinv_jvp(tangents, p, a):
    # dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P (full rank).
    da = tangents[0]
    pt, dat = swap_last(p), swap_last(da)
    left = F.matmul(p, pt)  # P P^T
    right = F.matmul(pt, p)  # P^T P
    return -F.matmul(F.matmul(p, da), p) + \
        F.matmul(F.matmul(left, dat), _minus_product(a, p)) + \
        F.matmul(F.matmul(_minus_product(p, a), dat), right)


def _minus_product(a, b):
    """I - a @ b."""
    ab = F.matmul(a, b)
    return identity(ab.shape[-1], ab._dtype) - ab


def _pinv_vjp(g, p, a):
    # The transpose of the JVP: -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A).
    pt, gt = swap_last(p), swap_last(g)
    return (-F.matmul(F.matmul(pt, g), pt) +
            F.matmul(F.matmul(_minus_product(a, p), gt), F.matmul(p, pt)) +
            F.matmul(F.matmul(F.matmul(pt, p), gt), _minus_product(p, a)),)


_linalg("pinv", np.linalg.pinv, _pinv_vjp, "np.linalg.pinv({0})",
        ((((3, 3),), {}), (((4, 2),), {}), (((2, 4),), {}), (((2, 3, 2),), {})),
        jvp=_pinv_jvp, reference=lambda xp, p: xp.linalg.pinv,
        doc="of full-rank matrices (the pseudo-inverse jumps where the rank drops)")


def square(name, x):
    """Refuse (naming the user's line) unless `x` is a (stack of) square matrices."""
    shape = np.shape(x)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        _refuse(ShapeError, f"np.linalg.{name} needs square matrices, got shape {shape}")


@numpy_function(np.linalg.det)
def _np_det(a):
    square("det", a)
    return _builder().apply("det", (a,), python=False)


@numpy_function(np.linalg.inv)
def _np_inv(a):
    square("inv", a)
    return _builder().apply("inv", (a,), python=False)


@numpy_function(np.linalg.solve)
def _np_solve(a, b):
    square("solve", a)
    return _builder().apply("solve", (a, b), python=False)


@numpy_function(np.linalg.pinv)
def _np_pinv(a, rcond=None, hermitian=False, *, rtol=None):
    if len(np.shape(a)) < 2:
        _refuse(ShapeError, f"np.linalg.pinv needs a matrix, got shape {np.shape(a)}")
    if rcond is not None or hermitian or rtol is not None:
        _refuse(UnsupportedOperationError, "np.linalg.pinv with rcond=, rtol= or hermitian=",
                "drop the argument: the gradient is that of a full-rank pseudo-inverse")
    return _builder().apply("pinv", (a,), python=False)
