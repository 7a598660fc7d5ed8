"""More of NumPy's real-valued API, as compositions of registered ops written with NumPy
itself (the tracer dispatches each call): roll, kron, cov, corrcoef, trapezoid, sinc,
linspace with traced endpoints, select, rot90, hsplit/vsplit/dsplit, nan_to_num,
real/imag/conj of real values and linalg.matrix_power. Each follows NumPy's definition,
so the gradient is the composition's and needs no rule of its own."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from .registry import NUMPY_UFUNCS, numpy_function
from .shape import normalize_axis


def _refuse(cls, problem, hint=None):
    from ..builder import current_builder
    file, line = current_builder().where()
    raise cls(problem, file=file, line=line, hint=hint)


def _is_tracer(value) -> bool:
    return hasattr(value, "_node") and hasattr(value, "_builder")


@numpy_function(np.roll)
def _np_roll(a, shift, axis=None):
    if axis is None:
        shape = np.shape(a)
        return np.reshape(_np_roll(np.reshape(a, (-1,)), shift, 0), shape)
    shifts = shift if isinstance(shift, (tuple, list)) else (shift,)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if len(shifts) == 1 and len(axes) > 1:
        shifts = shifts * len(axes)
    if len(shifts) != len(axes) or any(_is_tracer(s) for s in shifts):
        _refuse(UnsupportedOperationError, "np.roll with traced shifts, or as many shifts "
                "as axes", "pass constant int shifts, one per axis")
    for s, ax in zip(shifts, axes):
        ax = normalize_axis(ax, np.ndim(a))[0]
        n = np.shape(a)[ax]
        s = int(s) % n if n else 0
        if s:
            head = [slice(None)] * np.ndim(a)
            tail = list(head)
            head[ax], tail[ax] = slice(n - s, None), slice(None, n - s)
            a = np.concatenate([a[tuple(head)], a[tuple(tail)]], axis=ax)
    return a


@numpy_function(np.kron)
def _np_kron(a, b):
    nd = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (nd - np.ndim(a)) + tuple(np.shape(a))
    sb = (1,) * (nd - np.ndim(b)) + tuple(np.shape(b))
    a = np.reshape(a, tuple(x for n in sa for x in (n, 1)))
    b = np.reshape(b, tuple(x for n in sb for x in (1, n)))
    return np.reshape(a * b, tuple(p * q for p, q in zip(sa, sb)))


def _observations(m, y, rowvar):
    m = np.atleast_2d(m)
    if not rowvar and np.shape(m)[0] != 1:
        m = np.transpose(m)
    if y is not None:
        y = np.atleast_2d(y)
        if not rowvar and np.shape(y)[0] != 1:
            y = np.transpose(y)
        m = np.concatenate([m, y], axis=0)
    return m


@numpy_function(np.cov)
def _np_cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None,
            *, dtype=None):
    if fweights is not None or aweights is not None or dtype is not None:
        _refuse(UnsupportedOperationError, "np.cov with fweights=, aweights= or dtype=",
                "weight the observations yourself: X = (x - mean) * sqrt(w)")
    x = _observations(m, y, rowvar)
    ddof = (0 if bias else 1) if ddof is None else ddof
    x = x - np.mean(x, axis=1, keepdims=True)
    c = (x @ np.transpose(x)) / (np.shape(x)[1] - ddof)
    return np.reshape(c, ()) if np.shape(c) == (1, 1) else c


@numpy_function(np.corrcoef)
def _np_corrcoef(x, y=None, rowvar=True, *, dtype=None):
    c = _np_cov(x, y, rowvar)
    if np.ndim(c) == 0:
        return c / c
    d = np.sqrt(np.diagonal(c))
    return np.clip(c / d[:, None] / d[None, :], -1.0, 1.0)


def _trapezoid(y, x=None, dx=1.0, axis=-1):
    axis = normalize_axis(axis, np.ndim(y))[0]
    hi = [slice(None)] * np.ndim(y)
    lo = list(hi)
    hi[axis], lo[axis] = slice(1, None), slice(None, -1)
    if x is None:
        d = dx
    else:
        d = np.diff(x, axis=-1 if np.ndim(x) == 1 else axis)
        if np.ndim(x) == 1 and np.ndim(y) > 1:
            d = np.reshape(d, tuple(-1 if i == axis else 1 for i in range(np.ndim(y))))
    return np.sum(d * (y[tuple(hi)] + y[tuple(lo)]) / 2.0, axis=axis)


for _name in ("trapezoid", "trapz"):
    if hasattr(np, _name):
        numpy_function(getattr(np, _name))(_trapezoid)


@numpy_function(np.sinc)
def _np_sinc(x):
    zero = x == 0
    safe = np.where(zero, 1.0, x) * math.pi  # the untaken branch is never 0/0
    return np.where(zero, 1.0, np.sin(safe) / safe)


@numpy_function(np.linspace)
def _np_linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0,
                 *, device=None):
    if retstep or dtype is not None or axis != 0:
        _refuse(UnsupportedOperationError, "np.linspace of traced values with retstep=, "
                "dtype= or axis=", "compute the step as (stop - start) / (num - 1)")
    num = int(num)
    div = (num - 1) if endpoint else num
    t = np.arange(num, dtype=float) / (div if div > 0 else 1)
    shape = np.broadcast_shapes(np.shape(start), np.shape(stop))
    t = np.reshape(t, (num,) + (1,) * len(shape))
    out = start + (stop - start) * t
    if endpoint and num > 1:  # NumPy makes the last sample exactly `stop`
        out = np.concatenate([out[:-1], np.broadcast_to(stop, (1,) + tuple(shape))
                              if shape else np.reshape(stop, (1,))], axis=0)
    return out


@numpy_function(np.select)
def _np_select(condlist, choicelist, default=0):
    if len(condlist) != len(choicelist):
        _refuse(ShapeError, "np.select needs as many conditions as choices")
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = np.where(cond, choice, out)
    return out


@numpy_function(np.rot90)
def _np_rot90(m, k=1, axes=(0, 1)):
    a0, a1 = (normalize_axis(a, np.ndim(m))[0] for a in axes)
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return np.flip(np.flip(m, a0), a1)
    order = list(range(np.ndim(m)))
    order[a0], order[a1] = order[a1], order[a0]
    if k == 1:
        return np.transpose(np.flip(m, a1), order)
    return np.flip(np.transpose(m, order), a1)


@numpy_function(np.hsplit)
def _np_hsplit(ary, indices_or_sections):
    return np.split(ary, indices_or_sections, axis=1 if np.ndim(ary) > 1 else 0)


@numpy_function(np.vsplit)
def _np_vsplit(ary, indices_or_sections):
    return np.split(ary, indices_or_sections, axis=0)


@numpy_function(np.dsplit)
def _np_dsplit(ary, indices_or_sections):
    return np.split(ary, indices_or_sections, axis=2)


@numpy_function(np.nan_to_num)
def _np_nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    big = float(np.finfo(x.dtype).max)
    x = np.where(np.isnan(x), nan, x)
    x = np.where(x == np.inf, big if posinf is None else posinf, x)
    return np.where(x == -np.inf, -big if neginf is None else neginf, x)


@numpy_function(np.real)
def _np_real(val):
    return val  # a real array is its own real part (and conjugate, below)


NUMPY_UFUNCS[np.conjugate] = lambda x, **kwargs: x


@numpy_function(np.imag)
def _np_imag(val):
    return np.zeros_like(val)


@numpy_function(np.polyval)
def _np_polyval(p, x):
    """Horner's rule over the coefficients, highest power first, as NumPy defines it."""
    if isinstance(p, (list, tuple)) and not any(hasattr(c, "_node") for c in p):
        p = np.asarray(p)  # as NumPy does: float64 coefficients make a float64 result
    coefficients = [p[i] for i in range(len(p))]
    if len(coefficients) == 1:
        return coefficients[0] + x * 0.0  # the constant, with x's shape
    result = coefficients[0]
    for c in coefficients[1:]:
        result = result * x + c
    return result


@numpy_function(np.linalg.matrix_power)
def _np_matrix_power(a, n):
    n = int(n)
    if n < 0:
        a, n = np.linalg.inv(a), -n
    if n == 0:
        return np.broadcast_to(np.eye(np.shape(a)[-1]), np.shape(a)) + 0.0 * a
    result = None
    power = a
    while n:  # binary powers: log2(n) products
        if n & 1:
            result = power if result is None else result @ power
        n >>= 1
        if n:
            power = power @ power
    return result


def _listed():
    from .special import _also
    _also("concatenate", "np.roll", "np.gradient", "np.fft.fftshift", "np.fft.ifftshift")
    _also("multiply", "np.kron")
    _also("matmul", "np.cov", "np.corrcoef", "np.linalg.matrix_power")
    _also("einsum", "np.einsum(a, [0, 1], b, [1, 2])")
    _also("sum", "np.trapezoid")
    _also("sin", "np.sinc")
    _also("add", "np.linspace (traced endpoints)")
    _also("where", "np.select", "np.nan_to_num", "np.angle")
    _also("transpose", "np.rot90")
    _also("getitem", "np.hsplit", "np.vsplit", "np.dsplit", "np.real", "np.conj", "np.imag")



def _shift_all(x, axes, inverse):
    axes = range(np.ndim(x)) if axes is None else (axes if isinstance(axes, (tuple, list))
                                                   else (axes,))
    axes = tuple(axes)
    shifts = tuple((-(np.shape(x)[a] // 2)) if inverse else np.shape(x)[a] // 2
                   for a in axes)
    return _np_roll(x, shifts, axes) if axes else x


@numpy_function(np.fft.fftshift)
def _np_fftshift(x, axes=None):
    return _shift_all(x, axes, inverse=False)


@numpy_function(np.fft.ifftshift)
def _np_ifftshift(x, axes=None):
    return _shift_all(x, axes, inverse=True)


@numpy_function(np.angle)
def _np_angle(z, deg=False):
    return np.where(z < 0, 180.0 if deg else math.pi, 0.0)  # of a real value: 0 or pi


@numpy_function(np.gradient)
def _np_gradient(f, *varargs, axis=None, edge_order=1):
    """Central differences inside, one-sided ones at the ends (edge_order=1), with
    scalar spacings, as NumPy computes them."""
    if edge_order != 1 or any(np.ndim(v) for v in varargs):
        _refuse(UnsupportedOperationError, "np.gradient with edge_order=2 or coordinate "
                "arrays", "use scalar spacings (np.gradient(f, dx)) and edge_order=1")
    axes = tuple(range(np.ndim(f))) if axis is None else tuple(
        normalize_axis(axis, np.ndim(f)))
    spacing = list(varargs) * len(axes) if len(varargs) == 1 else list(varargs) or \
        [1.0] * len(axes)
    out = []
    for ax, h in zip(axes, spacing):
        def part(sl, ax=ax):
            index = [slice(None)] * np.ndim(f)
            index[ax] = sl
            return f[tuple(index)]
        inner = (part(slice(2, None)) - part(slice(None, -2))) / (2.0 * h)
        first = (part(slice(1, 2)) - part(slice(0, 1))) / h
        last = (part(slice(-1, None)) - part(slice(-2, -1))) / h
        out.append(np.concatenate([first, inner, last], axis=ax))
    return out[0] if len(out) == 1 else out


def einsum_subscripts(operands):
    """np.einsum(a, [0, 1], b, [1, 2], [0, 2]) as ("ij,jk->ik", a, b); Ellipsis is `...`.
    Returns `operands` unchanged when it is not that form."""
    arrays, terms = list(operands[0::2]), list(operands[1::2])
    output = None
    if len(operands) % 2 == 1:
        output, arrays = operands[-1], arrays[:-1]
    if not all(isinstance(t, (list, tuple)) for t in terms) or (
            output is not None and not isinstance(output, (list, tuple))):
        return operands
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def spell(axes):
        return "".join("..." if a is Ellipsis else letters[int(a)] for a in axes)
    subscripts = ",".join(spell(t) for t in terms)
    if output is not None:
        subscripts += "->" + spell(output)
    return (subscripts, *arrays)


_listed()
