"""einsum, and the products NumPy spells with it: tensordot, inner, vdot, outer.

einsum subscripts are fixed at compile time (ellipses are expanded to letters, a letter
repeated inside one operand is taken as a diagonal first), and its VJP for each operand
is another einsum. `np.inner`, `np.vdot`, `np.outer` and `np.tensordot` trace to matmul,
multiply or einsum, whichever reads best in the emitted code.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from .registry import PREC_ATOM, Expr, F, Op, evaluated_rule, numpy_function, register
from .shape import _builder, _refuse
from .tangents import product

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
            jvp=product("einsum"),
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
    if operands and not isinstance(operands[0], str):
        from .numpy_more import einsum_subscripts
        operands = einsum_subscripts(operands)  # the interleaved (operand, axes) form
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
        return _builder().apply("matmul", (a, b), python=False)
    return _np_tensordot(a, b, ((na - 1,), (nb - 1,)))


def _flat(a):
    from .shape import _reshape
    return _reshape(a, (int(np.prod(np.shape(a))),))


@numpy_function(np.vdot)
def _np_vdot(a, b):
    return _builder().apply("matmul", (_flat(a), _flat(b)), python=False)


@numpy_function(np.outer)
def _np_outer(a, b, out=None):
    if out is not None:
        _refuse(UnsupportedOperationError, "np.outer(..., out=...) writes in place",
                "drop out= and use the returned value")
    column = _flat(a)[:, None]
    return _builder().apply("multiply", (column, _flat(b)[None, :]), python=False)
