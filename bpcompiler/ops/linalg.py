"""Linear algebra: matrix products, einsum, trace, norms, det/slogdet, inv, solve.

`np.dot` and `.dot()` on operands of at most two dimensions are the same as `matmul`
(or `multiply` when one side is a scalar), so they trace to those ops; `np.inner`,
`np.vdot`, `np.outer` and `np.tensordot` trace to matmul, multiply or einsum, whichever
reads best in the emitted code. einsum subscripts are fixed at compile time (ellipses
are expanded to letters), and its VJP for each operand is another einsum.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from .registry import (PREC_ATOM, PREC_MUL, Expr, F, Op, array_method, evaluated_rule, infix,
                       numpy_function, register)
from .shape import _builder, _refuse


def _matmul_rule(op, avals, params, python):
    a, b = avals
    if not a.shape or not b.shape:
        raise ShapeError("matmul (@) does not take scalars", hint="use * for scalars")
    a2 = a.shape if len(a.shape) > 1 else (1,) + a.shape
    b2 = b.shape if len(b.shape) > 1 else b.shape + (1,)
    if a2[-1] != b2[-2]:
        raise ShapeError(f"matmul (@): shapes {a.shape} and {b.shape} do not align "
                         f"({a2[-1]} != {b2[-2]})",
                         hint="check the operand order, or transpose one operand with .T")
    try:
        batch = tuple(np.broadcast_shapes(a2[:-2], b2[:-2]))
    except ValueError:
        raise ShapeError(f"matmul (@): batch dimensions of {a.shape} and {b.shape} "
                         "do not broadcast")
    shape = batch + (a2[-2],) * (len(a.shape) > 1) + (b2[-1],) * (len(b.shape) > 1)
    return shape, np.result_type(np.dtype(a.dtype), np.dtype(b.dtype)).name


def _matmul_vjp(g, y, a, b):
    # Matrix-vector products as a person writes their gradients: A.T @ g, not a reshape
    # of A.T @ g as a column; outer products as a broadcast product.
    if a.ndim == 2 and b.ndim == 1:  # A @ x
        return F.reshape(g, shape=g.shape + (1,)) * b, F.matmul(_swap_last(a), g)
    if a.ndim == 1 and b.ndim == 2:  # x @ B
        return F.matmul(b, g), F.reshape(a, shape=a.shape + (1,)) * g
    if a.ndim == 1 and b.ndim == 1:  # x @ y
        return g * b, g * a
    # Treat 1-D operands as a row (left) or column (right) matrix, then use the 2-D rules;
    # the driver sums any broadcast batch dimensions away.
    a2 = a if a.ndim > 1 else F.reshape(a, shape=(1,) + a.shape)
    b2 = b if b.ndim > 1 else F.reshape(b, shape=b.shape + (1,))
    g2_shape = y.shape
    if a.ndim == 1:
        g2_shape = g2_shape[:-1] + (1, g2_shape[-1]) if b.ndim > 1 else g2_shape + (1,)
    if b.ndim == 1:
        g2_shape = g2_shape + (1,)
    g2 = g if g2_shape == g.shape else F.reshape(g, shape=g2_shape)
    da = F.matmul(g2, _swap_last(b2))
    db = F.matmul(_swap_last(a2), g2)
    if a.ndim == 1:
        da = F.reshape(da, shape=da.shape[:-2] + (da.shape[-1],))
    if b.ndim == 1:
        db = F.reshape(db, shape=db.shape[:-1])
    return da, db


def _swap_last(x):
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return F.transpose(x, axes=tuple(axes))


register(Op(name="matmul", arity=2, np_fn=np.matmul, py_fn=None, spell=infix("@", PREC_MUL),
            shape_rule=_matmul_rule, vjp=_matmul_vjp,
            spellings=("@", "np.matmul", "np.dot", ".dot()", "np.vdot", "np.inner (1-d)",
                       "np.linalg.multi_dot"),
            cases=((((2, 3), (3, 4)), {}), (((3,), (3, 4)), {}), (((2, 3), (3,)), {}),
                   (((3,), (3,)), {}), (((5, 2, 3), (3, 4)), {}), (((3,), (5, 3, 2)), {}),
                   (((5, 2, 3), (5, 3, 2)), {}), (((1, 2, 3), (4, 3, 2)), {})),
            linear_in=(0, 1), reference=lambda xp, p: xp.matmul, names_as="{0}_at_{1}", analytic=True))


def _np_matmul(a, b, **kwargs):
    if kwargs:
        _refuse(UnsupportedOperationError, f"np.matmul with {sorted(kwargs)} is not supported")
    return _builder().apply("matmul", (a, b), python=False)


def _ndim(value) -> int:
    # np.ndim/np.shape would dispatch back to the tracer; read the attribute instead.
    return len(value.shape) if hasattr(value, "shape") else 0


@numpy_function(np.dot)
def _np_dot(a, b, out=None):
    if out is not None:
        _refuse(UnsupportedOperationError, "np.dot(..., out=...) writes in place",
                "drop out= and use the returned value")
    nd_a, nd_b = _ndim(a), _ndim(b)
    if nd_a == 0 or nd_b == 0:
        return _builder().apply("multiply", (a, b), python=False)
    if nd_a > 2 or nd_b > 2:  # sum over a's last axis and b's second-to-last
        return _np_tensordot(a, b, ((nd_a - 1,), (max(nd_b - 2, 0),)))
    return _np_matmul(a, b)


array_method("dot")(_np_dot)

from .registry import NUMPY_UFUNCS  # noqa: E402  (matmul is a ufunc in NumPy 2)

NUMPY_UFUNCS[np.matmul] = _np_matmul


# -- einsum ---------------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_spell(args, params, aval):
    return Expr(f"np.einsum({params['subscripts']!r}, {', '.join(a.text for a in args)})",
                PREC_ATOM)


def _einsum_vjp(g, y, *xs, subscripts):
    inputs, output = subscripts.split("->")
    terms = inputs.split(",")
    out = []
    for i, x in enumerate(xs):
        others = [t for j, t in enumerate(terms) if j != i]
        available = set(output).union(*others) if others else set(output)
        target = "".join(c for c in terms[i] if c in available)
        operands = [xs[j] for j in range(len(xs)) if j != i]
        if output:
            c = einsum_of([g] + operands, [output] + others, target)
        else:  # a scalar result: scale by g instead of passing it through einsum
            c = g * einsum_of(operands, others, target) if operands else g
        if target != terms[i]:  # letters summed in x alone: broadcast over them
            c = F.reshape(c, shape=tuple(n if l in target else 1
                                         for l, n in zip(terms[i], x.shape)))
            c = F.broadcast_to(c, shape=x.shape)
        out.append(c)
    return tuple(out)


def einsum_of(operands, terms, target):
    """einsum(terms -> target) of `operands`, as a plain sum/transpose when it is one."""
    if len(operands) == 1:
        (x,), (term,) = operands, terms
        summed = tuple(k for k, l in enumerate(term) if l not in target)
        if summed:
            x = F.sum(x, axis=summed, keepdims=False)
        kept = "".join(l for l in term if l in target)
        if kept != target:
            x = F.transpose(x, axes=tuple(kept.index(l) for l in target))
        return x
    return F.einsum(*operands, subscripts=",".join(terms) + "->" + target)


register(Op(name="einsum", arity=-1, np_fn=lambda *xs, subscripts: np.einsum(subscripts, *xs),
            py_fn=None, spell=_einsum_spell, shape_rule=evaluated_rule, vjp=_einsum_vjp,
            spellings=("np.einsum", "np.tensordot", "np.inner", "np.dot (n-d)"),
            doc="subscripts are constants; a letter repeated inside one operand (a "
                "diagonal, 'ii->') is taken as np.diagonal first",
            cases=((((2, 3), (3, 4)), {"subscripts": "ij,jk->ik"}),
                   (((2, 3),), {"subscripts": "ij->j"}),
                   (((2, 3), (4,)), {"subscripts": "ij,k->ikj"}),
                   (((3,), (3,)), {"subscripts": "i,i->"}),
                   (((2, 3, 4), (2, 4, 5)), {"subscripts": "bij,bjk->bik"}),
                   (((2, 3), (3,), (2,)), {"subscripts": "ij,j,i->"})),
            reference=lambda xp, p: lambda *xs: xp.einsum(p["subscripts"], *xs), analytic=True))


def _normalize_subscripts(subscripts: str, shapes) -> str:
    s = subscripts.replace(" ", "")
    inputs, arrow, output = s.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        _refuse(ShapeError, f"einsum subscripts {subscripts!r} name {len(terms)} operands "
                            f"but {len(shapes)} were given")
    used = set(c for c in s if c.isalpha())
    spare = [c for c in _LETTERS if c not in used]
    ell_ndim = max([len(shape) - len(t.replace("...", "")) for t, shape in zip(terms, shapes)
                    if "..." in t] + [0])
    ell = "".join(spare[:ell_ndim])
    expanded = []
    for t, shape in zip(terms, shapes):
        if "..." in t:
            k = len(shape) - len(t.replace("...", ""))
            t = t.replace("...", ell[ell_ndim - k:] if k else "")
        if len(t) != len(shape):
            _refuse(ShapeError, f"einsum term {t!r} does not fit an operand of shape {shape}")
        expanded.append(t)
    if arrow:
        output = output.replace("...", ell)
    else:
        counts = {}
        for t in expanded:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        output = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    return ",".join(expanded) + "->" + output


@numpy_function(np.einsum)
def _np_einsum(*operands, out=None, optimize=False, **kwargs):
    if not operands or not isinstance(operands[0], str):
        _refuse(UnsupportedOperationError, "einsum in the interleaved (operand, axes) form",
                "pass the subscripts as a string first: np.einsum('ij,jk->ik', a, b)")
    if out is not None or kwargs:
        _refuse(UnsupportedOperationError, "np.einsum with out=, dtype= or order=",
                "drop the argument")
    subscripts, arrays = operands[0], list(operands[1:])
    spec = _normalize_subscripts(subscripts, [tuple(np.shape(a)) for a in arrays])
    inputs, output = spec.split("->")
    terms = inputs.split(",")
    for i, term in enumerate(terms):  # a letter repeated in one operand: its diagonal
        arrays[i], terms[i] = _take_diagonals(arrays[i], term)
    spec = ",".join(terms) + "->" + output
    if len(arrays) == 1 and len(set(output)) == len(output):
        return einsum_of(arrays, terms, output)
    return _builder().apply("einsum", tuple(arrays), {"subscripts": spec}, python=False)


def _take_diagonals(x, term: str):
    """(x with the diagonal taken for every letter it repeats, the new term): 'ii' -> 'i'."""
    from .indexing import _np_diagonal
    from .shape import _np_moveaxis
    while len(set(term)) != len(term):
        letter = next(c for c in term if term.count(c) > 1)
        i = term.index(letter)
        j = term.index(letter, i + 1)
        if np.shape(x)[i] != np.shape(x)[j]:
            _refuse(ShapeError, f"einsum: the axes labelled {letter!r} differ in length")
        x = _np_moveaxis(x, (i, j), (-2, -1))
        x = _np_diagonal(x, 0, -2, -1)  # the diagonal axis comes last
        term = "".join(c for k, c in enumerate(term) if k not in (i, j)) + letter
    return x, term


@numpy_function(np.tensordot)
def _np_tensordot(a, b, axes=2):
    na, nb = len(np.shape(a)), len(np.shape(b))
    if isinstance(axes, (int, np.integer)):
        axes_a, axes_b = tuple(range(na - axes, na)), tuple(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = (axes_a,) if isinstance(axes_a, (int, np.integer)) else tuple(axes_a)
        axes_b = (axes_b,) if isinstance(axes_b, (int, np.integer)) else tuple(axes_b)
    axes_a = tuple(int(i) % na for i in axes_a)
    axes_b = tuple(int(i) % nb for i in axes_b)
    ta = list(_LETTERS[:na])
    tb = list(_LETTERS[na:na + nb])
    for i, j in zip(axes_a, axes_b):
        tb[j] = ta[i]
    out = [c for i, c in enumerate(ta) if i not in axes_a] + \
        [c for j, c in enumerate(tb) if j not in axes_b]
    spec = f"{''.join(ta)},{''.join(tb)}->{''.join(out)}"
    return _builder().apply("einsum", (a, b), {"subscripts": spec}, python=False)


@numpy_function(np.inner)
def _np_inner(a, b):
    na, nb = len(np.shape(a)), len(np.shape(b))
    if na == 0 or nb == 0:
        return _builder().apply("multiply", (a, b), python=False)
    if na == 1 and nb == 1:
        return _np_matmul(a, b)
    return _np_tensordot(a, b, ((na - 1,), (nb - 1,)))


def _flat(a):
    from .shape import _reshape
    return _reshape(a, (int(np.prod(np.shape(a))),))


@numpy_function(np.vdot)
def _np_vdot(a, b):
    return _np_matmul(_flat(a), _flat(b))


@numpy_function(np.outer)
def _np_outer(a, b, out=None):
    if out is not None:
        _refuse(UnsupportedOperationError, "np.outer(..., out=...) writes in place",
                "drop out= and use the returned value")
    column = _flat(a)[:, None]
    return _builder().apply("multiply", (column, _flat(b)[None, :]), python=False)


# -- trace ----------------------------------------------------------------------------
def _trace_vjp(g, y, x, offset):
    n, m = x.shape[0], x.shape[1]
    eye = F.eye(n=n, m=m, k=offset, dtype=x._dtype)
    extra = x.ndim - 2
    if extra:
        eye = F.reshape(eye, shape=(n, m) + (1,) * extra)
    return (F.reshape(g, shape=(1, 1) + g.shape) * eye if extra else g * eye,)


register(Op(name="eye", arity=0, np_fn=lambda n, m, k, dtype: np.eye(n, m, k, dtype=dtype),
            py_fn=None, spell=lambda args, params, aval: Expr(
                f"np.eye({params['n']}, {params['m']}, k={params['k']}, "
                f"dtype=np.{params['dtype']})", PREC_ATOM),
            shape_rule=lambda op, avals, params, python: ((params["n"], params["m"]),
                                                          params["dtype"]),
            differentiable=False, doc="the identity (with offset k): built by rules"))
register(Op(name="trace", arity=1, np_fn=lambda x, offset: np.trace(x, offset), py_fn=None,
            spell=lambda args, params, aval: Expr(
                f"np.trace({args[0].text}" + (f", {params['offset']})" if params["offset"]
                                              else ")"), PREC_ATOM),
            shape_rule=evaluated_rule, vjp=_trace_vjp, spellings=("np.trace", ".trace()"),
            cases=((((3, 3),), {"offset": 0}), (((3, 4),), {"offset": 1}),
                   (((3, 3, 2),), {"offset": 0})),
            reference=lambda xp, p: lambda x: xp.trace(x, p["offset"]), analytic=True))


@numpy_function(np.trace)
def _np_trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    if (axis1, axis2) != (0, 1) or dtype is not None or out is not None:
        _refuse(UnsupportedOperationError, "np.trace with axis1=, axis2=, dtype= or out=",
                "move the axes first with np.moveaxis")
    if len(np.shape(a)) < 2:
        _refuse(ShapeError, "np.trace needs at least two dimensions")
    return _builder().apply("trace", (a,), {"offset": int(offset)}, python=False)


array_method("trace")(_np_trace)


# -- norm -----------------------------------------------------------------------------
def _norm_spell(args, params, aval):
    text = args[0].text
    axis = params["axis"]
    if axis is not None:
        text += f", axis={axis[0] if len(axis) == 1 else axis!r}"
    if params["keepdims"]:
        text += ", keepdims=True"
    return Expr(f"np.linalg.norm({text})", PREC_ATOM)


def _norm_vjp(g, y, x, axis, keepdims):
    from .reductions import _keep, _spread
    # x / |x|, taken as 0 at x = 0 (a subgradient) rather than NaN.
    yk = _keep(y, x, axis, keepdims)
    return (_spread(g, x, axis, keepdims) * x / F.where(yk == 0, 1.0, yk),)


def _norm_keywords(params):
    from .reductions import _axis_keywords
    return _axis_keywords(params)


register(Op(name="norm", arity=1,
            np_fn=lambda x, axis, keepdims: np.linalg.norm(x, axis=axis, keepdims=keepdims),
            py_fn=None, spell=_norm_spell, shape_rule=evaluated_rule, vjp=_norm_vjp,
            spellings=("np.linalg.norm",),
            doc="the 2-norm (Frobenius for matrices); its gradient at 0 is 0, not NaN; "
                "ord=1, inf, -inf and p-norms are traced as sums and maxima of abs",
            cases=((((4,),), {"axis": None, "keepdims": False}),
                   (((2, 3),), {"axis": None, "keepdims": False}),
                   (((2, 3),), {"axis": (1,), "keepdims": False}),
                   (((2, 3),), {"axis": (0,), "keepdims": True}),
                   (((2, 3, 4),), {"axis": (1, 2), "keepdims": False})),
            reference=lambda xp, p: lambda x: xp.linalg.norm(x, **_norm_keywords(p))))


@numpy_function(np.linalg.norm)
def _np_norm(x, ord=None, axis=None, keepdims=False):
    b = _builder()
    ndim = len(np.shape(x))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    axes = tuple(range(ndim)) if axis is None else tuple(int(a) % ndim for a in axis)
    normalized = None if axis is None else tuple(sorted(axes))
    if ord is None or ord == "fro" or (ord == 2 and len(axes) == 1):
        if ord == "fro" and len(axes) != 2:
            _refuse(ShapeError, "the Frobenius norm needs a matrix (two axes)")
        return b.apply("norm", (x,), {"axis": normalized, "keepdims": bool(keepdims)},
                       python=False)
    if len(axes) != 1:
        _refuse(UnsupportedOperationError, f"np.linalg.norm of a matrix with ord={ord!r}",
                "spectral and nuclear norms need an SVD; use ord=None (Frobenius)")
    ax = {"axis": axes, "keepdims": bool(keepdims)}
    magnitude = b.apply("absolute", (x,), python=False)
    if ord == np.inf:
        return b.apply("max", (magnitude,), ax, python=False)
    if ord == -np.inf:
        return b.apply("min", (magnitude,), ax, python=False)
    if ord == 1:
        return b.apply("sum", (magnitude,), ax, python=False)
    if isinstance(ord, (int, float)) and ord > 0:
        total = b.apply("sum", (magnitude ** float(ord),), ax, python=False)
        return total ** (1.0 / float(ord))
    _refuse(UnsupportedOperationError, f"np.linalg.norm with ord={ord!r}",
            "use ord=None, 1, 2, inf, -inf or a positive p")


# -- det, slogdet, inv, solve -----------------------------------------------------------
def _expand2(t):
    """A batch of scalars as (..., 1, 1), to scale a batch of matrices."""
    return F.reshape(t, shape=t.shape + (1, 1))


def _det_vjp(g, y, x):
    # d det / dX = det * inv(X)^T. NOTE: needs an invertible X.
    return (_expand2(g * y) * _swap_last(F.inv(x)),)


def _logabsdet_vjp(g, y, x):
    return (_expand2(g) * _swap_last(F.inv(x)),)


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
            reference=None):
    register(Op(name=name, arity=arity, np_fn=fn, py_fn=None,
                spell=lambda args, params, aval: Expr(
                    spelled.format(*(a.text for a in args)), PREC_ATOM),
                shape_rule=shape or _matrix_rule, vjp=vjp, differentiable=differentiable,
                spellings=(spelled.split("(")[0],),
                cases=cases, doc=doc, domain="matrix", reference=reference))


_SQUARE = ((((3, 3),), {}), (((2, 2, 2),), {}), (((1, 1),), {}))
_linalg("det", np.linalg.det, _det_vjp, "np.linalg.det({0})", _SQUARE,
        doc="the rule uses inv(X): X must be invertible",
        reference=lambda xp, p: xp.linalg.det)
_linalg("slogdet", lambda x: np.linalg.slogdet(x).logabsdet, _logabsdet_vjp,
        "np.linalg.slogdet({0}).logabsdet", _SQUARE,
        doc="np.linalg.slogdet(X) traces to a sign (no gradient) and this log|det X|",
        reference=lambda xp, p: lambda x: xp.linalg.slogdet(x)[1])
_linalg("slogdet_sign", lambda x: np.linalg.slogdet(x).sign, None,
        "np.linalg.slogdet({0}).sign", (), differentiable=False)
_linalg("inv", np.linalg.inv, _inv_vjp, "np.linalg.inv({0})", _SQUARE,
        reference=lambda xp, p: xp.linalg.inv)
_linalg("solve", np.linalg.solve, _solve_vjp, "np.linalg.solve({0}, {1})",
        ((((3, 3), (3,)), {}), (((3, 3), (3, 2)), {}), (((2, 3, 3), (2, 3, 1)), {})), arity=2,
        reference=lambda xp, p: xp.linalg.solve)


def _square(name, x):
    shape = np.shape(x)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        _refuse(ShapeError, f"np.linalg.{name} needs square matrices, got shape {shape}")


@numpy_function(np.linalg.det)
def _np_det(a):
    _square("det", a)
    return _builder().apply("det", (a,), python=False)


@numpy_function(np.linalg.inv)
def _np_inv(a):
    _square("inv", a)
    return _builder().apply("inv", (a,), python=False)


@numpy_function(np.linalg.slogdet)
def _np_slogdet(a):
    _square("slogdet", a)
    b = _builder()
    return SlogdetResult(b.apply("slogdet_sign", (a,), python=False),
                         b.apply("slogdet", (a,), python=False))


@numpy_function(np.linalg.solve)
def _np_solve(a, b):
    _square("solve", a)
    return _builder().apply("solve", (a, b), python=False)


SlogdetResult = namedtuple("SlogdetResult", "sign logabsdet")


# -- front ends written with the ops above ------------------------------------------------
@numpy_function(np.linalg.multi_dot)
def _np_multi_dot(arrays, *, out=None):
    if out is not None:
        _refuse(UnsupportedOperationError, "multi_dot(..., out=...) writes in place",
                "drop out= and use the returned value")
    result = arrays[0]
    for a in arrays[1:]:  # left to right: the order the user wrote
        result = _np_dot(result, a)
    return result


@numpy_function(np.cross)
def _np_cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors along the last axis, component by component."""
    if axis is not None or (axisa, axisb, axisc) != (-1, -1, -1) or \
            np.shape(a)[-1:] != (3,) or np.shape(b)[-1:] != (3,):
        _refuse(UnsupportedOperationError, "np.cross of other than 3-vectors along the last axis",
                "move the vector axis last; 2-vectors: write a[0]*b[1] - a[1]*b[0]")
    from .combine import _np_stack
    x = [a[..., i] for i in range(3)]
    y = [b[..., i] for i in range(3)]
    return _np_stack([x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2],
                      x[0] * y[1] - x[1] * y[0]], axis=-1)


# -- eigh: eigenvalues and eigenvectors of a symmetric matrix ---------------------------
# NumPy's eigh reads only the lower triangle (UPLO="L"), so the function it computes is
# eig(S) with S = tril(A) + tril(A, -1).T, and the gradient lands on the lower triangle.
def _fold_lower(gbar):
    """The gradient with respect to A of a function of S(A), from its gradient gbar
    with respect to S: dA = tril(gbar + gbar.T, -1) + diag(gbar)."""
    n = gbar.shape[-1]
    both = gbar + _swap_last(gbar)
    strict = np.tril(np.ones((n, n), dtype=bool), -1)
    diagonal = np.eye(n, dtype=bool)
    return F.where(strict, both, F.where(diagonal, gbar, 0.0))


def _eigvalsh_vjp(g, w, a):
    v = F.eigh_vectors(a)
    return (_fold_lower(F.matmul(v * F.reshape(g, shape=g.shape[:-1] + (1,) + g.shape[-1:]),
                                 _swap_last(v))),)


def _eigvecs_vjp(g, v, a):
    # dV = V (F o (V^T dS V)) with F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it.
    # NOTE: infinite where eigenvalues repeat (the eigenvectors are not unique there).
    w = F.eigh_values(a)
    n = w.shape[-1]
    gap = F.reshape(w, shape=w.shape[:-1] + (1, n)) - F.reshape(w, shape=w.shape + (1,))
    off = ~np.eye(n, dtype=bool)
    inverse_gap = F.where(off, 1.0 / F.where(off, gap, 1.0), 0.0)
    inner = inverse_gap * F.matmul(_swap_last(v), g)
    return (_fold_lower(F.matmul(F.matmul(v, inner), _swap_last(v))),)


_SYMMETRIC = ((((3, 3),), {}), (((2, 3, 3),), {}))
_linalg("eigh_values", lambda x: np.linalg.eigh(x).eigenvalues, _eigvalsh_vjp,
        "np.linalg.eigh({0}).eigenvalues", _SYMMETRIC,
        doc="np.linalg.eigh(A) traces to eigenvalues and eigenvectors; like NumPy it reads "
            "only the lower triangle, so the gradient lands there")
_linalg("eigh_vectors", lambda x: np.linalg.eigh(x).eigenvectors, _eigvecs_vjp,
        "np.linalg.eigh({0}).eigenvectors", _SYMMETRIC,
        doc="the gradient is infinite where eigenvalues repeat")


@numpy_function(np.linalg.eigh)
def _np_eigh(a, UPLO="L"):
    _square("eigh", a)
    if UPLO != "L":
        a = _swap_last(a)  # the upper triangle of A is the lower triangle of A.T
    b = _builder()
    return EighResult(b.apply("eigh_values", (a,), python=False),
                      b.apply("eigh_vectors", (a,), python=False))


@numpy_function(np.linalg.eigvalsh)
def _np_eigvalsh(a, UPLO="L"):
    return _np_eigh(a, UPLO).eigenvalues


EighResult = namedtuple("EighResult", "eigenvalues eigenvectors")
