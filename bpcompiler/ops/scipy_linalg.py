"""scipy.linalg's functions that NumPy lacks: `expm` (below), and the solvers `solve_sylvester(a, b, q)` (X with
a X + X b = q) and `solve_banded((l, u), ab, b)` (A x = b, A given by its diagonals in
LAPACK's band storage ab[u + i - j, j] = A[i, j]). Each is an op spelled with SciPy
(the module then imports scipy.linalg), with rules written with the op itself:

- sylvester: with Y = solve_sylvester(a.T, b.T, g), d q = Y, d a = -Y X.T, d b = -X.T Y;
  its tangent is solve_sylvester(a, b, dq - da X - X db).
- banded: d b = solve_banded((u, l), ab_T, g) with ab_T the band storage of A.T, and
  d ab is -outer(d b, x) read at the band's positions; its tangent is
  solve_banded((l, u), ab, db - dA x), dA the dense matrix of d ab.
The band positions are constant index arrays; the corners of ab outside the band,
which SciPy never reads, get no gradient and never reach a result.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from .registry import PREC_ATOM, Expr, F, Op, register
from .tangents import zeros_like


def _linalg():
    import scipy.linalg
    return scipy.linalg


# -- solve_sylvester -------------------------------------------------------------------
def _sylvester_shape(op, avals, params, python):
    a, b, q = (tuple(v.shape) for v in avals)
    if len(a) != 2 or a[0] != a[1] or len(b) != 2 or b[0] != b[1] or q != (a[0], b[0]):
        raise ShapeError(f"scipy.linalg.solve_sylvester of shapes {a}, {b} and {q}",
                         hint="pass a of shape (m, m), b of shape (n, n) and q of (m, n)")
    return q, np.result_type(*(v.dtype for v in avals)).name


def _t(x):
    return F.transpose(x, axes=(1, 0))


def _sylvester_vjp(g, y, a, b, q):
    w = F.solve_sylvester(_t(a), _t(b), g)
    return -F.matmul(w, _t(y)), -F.matmul(_t(y), w), w


def _sylvester_jvp(tangents, y, a, b, q):
    ta, tb, tq = tangents
    terms = [t for t in (tq, None if ta is None else -F.matmul(ta, y),
                         None if tb is None else -F.matmul(y, tb)) if t is not None]
    if not terms:
        return None
    rhs = terms[0]
    for t in terms[1:]:
        rhs = rhs + t
    return F.solve_sylvester(a, b, rhs)


def _sylvester_reference(xp, params):
    if not xp.__name__.startswith("autograd"):
        return None  # JAX has no solve_sylvester
    import autograd.scipy.linalg
    return autograd.scipy.linalg.solve_sylvester


register(Op(name="solve_sylvester", arity=3,
            np_fn=lambda a, b, q: _linalg().solve_sylvester(a, b, q), py_fn=None,
            spell=lambda args, params, aval: Expr(
                "scipy.linalg.solve_sylvester({}, {}, {})".format(*(e.text for e in args)),
                PREC_ATOM),
            shape_rule=_sylvester_shape, vjp=_sylvester_vjp, jvp=_sylvester_jvp,
            spellings=("scipy.linalg.solve_sylvester",),
            cases=((((3, 3), (2, 2), (3, 2)), {}), (((2, 2), (2, 2), (2, 2)), {})),
            reference=_sylvester_reference, names_as="sylvester_{2}",
            doc="X with a @ X + X @ b == q"))


# -- solve_banded ----------------------------------------------------------------------
def _band_index(n, l, u, transpose=False):
    """(rows, cols, mask) reading, for each band position (r, j) (shape (l+u+1, n)),
    the element of ab that the band storage of A.T holds there (transpose=True), or
    the row of the dense matrix that A's band position holds (transpose=False: cols
    are that row, rows unused)."""
    r = np.arange(l + u + 1)[:, None]
    j = np.arange(n)[None, :]
    if transpose:  # ab_T[r, j] = A[j, i] = ab[l + u - r, j + r - l]
        cols = j + r - l
        rows = np.broadcast_to(l + u - r, cols.shape)
    else:  # ab[r, j] = A[r - u + j, j]
        cols = r - u + j
        rows = None
    mask = (cols >= 0) & (cols < n)
    return rows, np.clip(cols, 0, n - 1), mask


def _dense_of_band(ab, l, u, n):
    """The (n, n) matrix whose band ab holds (zero outside the band)."""
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    r = u + i - j
    mask = (r >= 0) & (r <= l + u)
    return F.where(mask, ab[np.clip(r, 0, l + u), np.broadcast_to(j, r.shape)], 0.0)


def _banded_shape(op, avals, params, python):
    ab, b = (tuple(v.shape) for v in avals)
    l, u = params["l_and_u"]
    if len(ab) != 2 or ab[0] != l + u + 1 or len(b) not in (1, 2) or b[0] != ab[1]:
        raise ShapeError(f"scipy.linalg.solve_banded(({l}, {u}), ab, b) with ab of shape "
                         f"{ab} and b of shape {b}",
                         hint=f"ab has l + u + 1 = {l + u + 1} rows and as many columns as "
                         "b has rows")
    return b, np.result_type(*(v.dtype for v in avals)).name


def _banded_vjp(g, y, ab, b, l_and_u):
    l, u = l_and_u
    n = ab.shape[1]
    rows, cols, mask = _band_index(n, l, u, transpose=True)
    ab_t = F.where(mask, ab[rows, cols], 0.0)
    gb = F.solve_banded(ab_t, g, l_and_u=(u, l))
    _, at_row, band = _band_index(n, l, u)
    picked = gb[at_row]  # (l+u+1, n[, k]): d b at the row each band position is on
    if len(y.shape) == 1:
        outer = picked * y
    else:
        outer = F.sum(picked * y, axis=(2,), keepdims=False)
    return F.where(band, -outer, 0.0), gb


def _banded_jvp(tangents, y, ab, b, l_and_u):
    tab, tb = tangents
    l, u = l_and_u
    rhs = tb
    if tab is not None:
        dax = F.matmul(_dense_of_band(tab, l, u, ab.shape[1]), y)
        rhs = -dax if rhs is None else rhs - dax
    return None if rhs is None else F.solve_banded(ab, rhs, l_and_u=l_and_u)


def _banded_reference(xp, params):
    if not xp.__name__.startswith("autograd"):
        return None  # JAX has no solve_banded
    import autograd.scipy.linalg
    return lambda ab, b: autograd.scipy.linalg.solve_banded(params["l_and_u"], ab, b)


register(Op(name="solve_banded", arity=2,
            np_fn=lambda ab, b, l_and_u: _linalg().solve_banded(l_and_u, ab, b), py_fn=None,
            spell=lambda args, params, aval: Expr(
                f"scipy.linalg.solve_banded({tuple(params['l_and_u'])!r}, "
                f"{args[0].text}, {args[1].text})", PREC_ATOM),
            shape_rule=_banded_shape, vjp=_banded_vjp, jvp=_banded_jvp,
            spellings=("scipy.linalg.solve_banded",),
            cases=((((3, 5), (5,)), {"l_and_u": (1, 1)}),
                   (((2, 4), (4, 2)), {"l_and_u": (1, 0)}),
                   (((4, 4), (4,)), {"l_and_u": (0, 3)})),
            reference=_banded_reference, doc="x with A @ x == b, A banded (LAPACK storage)"))


# -- expm: its derivative is a block of the exponential of a block matrix ---------------
def _expm_shape(op, avals, params, python):
    a = tuple(avals[0].shape)
    if len(a) < 2 or a[-1] != a[-2]:
        raise ShapeError(f"scipy.linalg.expm of shape {a}",
                         hint="pass a square matrix (or a stack of them)")
    return a, avals[0].dtype


def _frechet(a, e):
    """L(a, e), the derivative of expm at a along e: the top-right block of
    expm([[a, e], [0, a]]) (Mathias 1996), written with expm itself, so that it can be
    differentiated again."""
    n = a.shape[-1]
    top = F.concatenate(a, e, axis=len(a.shape) - 1)
    bottom = F.concatenate(zeros_like(a), a, axis=len(a.shape) - 1)
    block = F.expm(F.concatenate(top, bottom, axis=len(a.shape) - 2))
    return block[(Ellipsis, slice(0, n), slice(n, 2 * n))]


def _swap(x):
    axes = tuple(range(len(x.shape)))
    return F.transpose(x, axes=axes[:-2] + (axes[-1], axes[-2]))


def _expm_reference(xp, params):
    if xp.__name__.startswith("jax"):
        import jax.scipy.linalg
        return jax.scipy.linalg.expm
    return None  # (autograd has no expm)


register(Op(name="expm", arity=1, np_fn=lambda a: _linalg().expm(a), py_fn=None,
            spell=lambda args, params, aval: Expr(f"scipy.linalg.expm({args[0].text})",
                                                  PREC_ATOM),
            shape_rule=_expm_shape, vjp=lambda g, y, a: (_frechet(_swap(a), g),),
            jvp=lambda tangents, y, a: _frechet(a, tangents[0]),
            spellings=("scipy.linalg.expm",),
            cases=((((3, 3),), {}), (((2, 2, 2),), {}), (((1, 1),), {})),
            reference=_expm_reference, names_as="expm_{0}",
            doc="the matrix exponential; its derivative is a block of the exponential of "
                "[[A.T, G], [0, A.T]]"))


# -- front ends ------------------------------------------------------------------------
def _refuse(cls, problem, hint=None):
    from ..builder import current_builder
    file, line = current_builder().where()
    raise cls(problem, file=file, line=line, hint=hint)


def _apply(name, operands, params=None):
    from ..arraylike import stacked
    from ..builder import current_builder
    operands = tuple(stacked(x) for x in operands)
    return current_builder().apply(name, operands, params or {}, python=False)


def solve_sylvester(a, b, q):
    return _apply("solve_sylvester", (a, b, q))


def solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
    from ..arraylike import holds_tracer
    if holds_tracer(l_and_u):
        _refuse(UnsupportedOperationError, "scipy.linalg.solve_banded with a traced (l, u)",
                "pass the numbers of sub- and super-diagonals as constant ints")
    l, u = (int(v) for v in l_and_u)
    return _apply("solve_banded", (ab, b), {"l_and_u": (l, u)})


def expm(A):
    return _apply("expm", (A,))


def functions(linalg) -> dict:
    """id(scipy.linalg function) -> its traced front end (SciPy's own without tracers)."""
    from .scipy_front import _or_real
    return {id(getattr(linalg, name)): _or_real(getattr(linalg, name), fn)
            for name, fn in (("solve_sylvester", solve_sylvester),
                             ("solve_banded", solve_banded), ("expm", expm))}
