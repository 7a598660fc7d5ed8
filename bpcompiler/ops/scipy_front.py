"""Front ends for the Python functions of scipy.special: logsumexp, softmax, log_softmax
and polygamma, with SciPy's signatures. Each takes NumPy's path when no argument holds a
traced value; with traced values it builds the max-shifted NumPy composition."""

from __future__ import annotations

import functools

import numpy as np

from ..errors import UnsupportedOperationError
from .registry import F
from .shape import normalize_axis


def _builder():
    from ..builder import current_builder
    return current_builder()


def _traced(*values) -> bool:
    from ..arraylike import holds_tracer
    return any(holds_tracer(v) for v in values)


def _array(value):
    from ..arraylike import stacked
    return stacked(value) if _traced(value) else np.asarray(value, dtype=float)


def _squeeze(x, axis, shape):
    kept = tuple(n for i, n in enumerate(shape) if i not in axis)
    return F.reshape(x, shape=kept) if tuple(x.shape) != kept else x


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """log(sum(b * exp(a))) as SciPy computes it: shifted by the (constant) max of a,
    which is set to 0 where it is not finite, so all -inf gives -inf, not NaN."""
    a = _array(a)
    shape = tuple(np.shape(a))
    if b is not None:
        b = _array(b)
        shape = tuple(np.broadcast_shapes(shape, np.shape(b)))
        a = a if tuple(np.shape(a)) == shape else F.broadcast_to(a, shape=shape)
    axes = normalize_axis(axis, len(shape))
    m = F.max_shift(a, axis=axes)
    m = F.where(F.isfinite(m), m, 0.0)
    terms = F.exp(a - m)
    if b is not None:
        terms = terms * b
    total = F.sum(terms, axis=axes, keepdims=True)
    sign = None
    if return_sign:
        sign = F.sign(total)
        total = F.absolute(total)
    out = F.log(total) + m
    if not keepdims:
        reduced = axes if axes is not None else tuple(range(len(shape)))
        out = _squeeze(out, reduced, shape)
        sign = None if sign is None else _squeeze(sign, reduced, shape)
    return (out, sign) if return_sign else out


def softmax(x, axis=None):
    x = _array(x)
    return F.exp(x - logsumexp(x, axis=axis, keepdims=True))


def log_softmax(x, axis=None):
    x = _array(x)
    return x - logsumexp(x, axis=axis, keepdims=True)


def polygamma(n, x):
    if _traced(n):
        file, line = _builder().where()
        raise UnsupportedOperationError("scipy.special.polygamma with a traced order n",
                                        file=file, line=line, hint="pass n as a constant int")
    n = int(np.asarray(n))
    if n == 0:
        return _builder().apply("digamma", (x,), python=False)
    return _builder().apply("polygamma", (x,), {"n": n}, python=False)


def _or_real(real, traced):
    @functools.wraps(real)
    def call(*args, **kwargs):
        if _traced(*args, *kwargs.values()):
            return traced(*args, **kwargs)
        return real(*args, **kwargs)
    return call


# Further front ends other modules declare (special_more.py: multigammaln).
MORE: dict = {}


def functions(sc) -> dict:
    """scipy.special name -> front end (SciPy's own function without traced values)."""
    return {name: _or_real(getattr(sc, name), fn) for name, fn in (
        ("logsumexp", logsumexp), ("softmax", softmax), ("log_softmax", log_softmax),
        ("polygamma", polygamma), *MORE.items())}
