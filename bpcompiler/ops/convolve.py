"""Convolution: `np.convolve(a, v, mode)` (1-d) and `scipy.signal.convolve(in1, in2,
mode, method)` (any number of dimensions, the same for both operands), one op, which
`np.correlate` and `scipy.signal.correlate` reach with the second operand reversed; and
autograd's `autograd.scipy.signal.convolve(A, B, axes, dot_axes, mode)` as that op
between transposed and reshaped operands.

Every mode is a window of the full convolution, so the VJP pads the cotangent back to
the full result's shape and correlates it with the other operand: with `flip` reversing
every axis, d a = convolve(g_full, flip(b), "valid") and d b = convolve(g_full,
flip(a), "valid"), the op itself, so higher derivatives compose. g_full is at least as
large as either operand along every axis, which "valid" needs.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from .registry import PREC_ATOM, Expr, F, Op, numpy_function, register
from .tangents import product

MODES = ("full", "valid", "same")


def _signal():
    import scipy.signal
    return scipy.signal


def _impl(a, b, mode, numpy, method="auto"):
    if numpy:
        return np.convolve(a, b, mode=mode)
    return _signal().convolve(a, b, mode=mode, method=method)


def window(n: int, m: int, mode: str, numpy: bool) -> tuple[int, int]:
    """(start, length) of a mode's result inside the full convolution, along one axis
    where the operands have lengths n and m (NumPy's "same" is as long as the longer
    operand, SciPy's as in1)."""
    if mode == "full":
        return 0, n + m - 1
    if mode == "valid":
        return min(n, m) - 1, abs(n - m) + 1
    if numpy:
        return (min(n, m) - 1) // 2, max(n, m)
    return (m - 1) // 2, n


def _shape(op, avals, params, python):
    a, b = avals
    mode, numpy = params["mode"], params["numpy"]
    if len(a.shape) != len(b.shape) or (numpy and len(a.shape) != 1) or not a.shape:
        raise ShapeError(f"convolve of shapes {a.shape} and {b.shape}: "
                         + ("np.convolve takes two 1-d arrays" if numpy else
                            "scipy.signal.convolve takes arrays with the same number of "
                            "dimensions"), hint="reshape the operands")
    if 0 in a.shape or 0 in b.shape:
        raise ShapeError(f"convolve of an empty array (shapes {a.shape} and {b.shape})")
    if mode == "valid" and not (all(n >= m for n, m in zip(a.shape, b.shape)) or
                                all(n <= m for n, m in zip(a.shape, b.shape))):
        raise ShapeError(f"convolve(..., mode='valid') of shapes {a.shape} and {b.shape}: "
                         "one operand must be at least as large as the other along every "
                         "axis", hint="use mode='full' and slice the result")
    shape = tuple(window(n, m, mode, numpy)[1] for n, m in zip(a.shape, b.shape))
    return shape, np.result_type(a.dtype, b.dtype).name


def _flip(x):
    return F.getitem(x, index=(("slice", None, None, -1),) * len(x.shape))


def _vjp(g, y, a, b, mode, numpy, method="auto"):
    if mode != "full":
        width = []
        for n, m in zip(a.shape, b.shape):
            start, length = window(n, m, mode, numpy)
            width.append((start, n + m - 1 - start - length))
        g = F.pad(g, pad_width=tuple(width), constant_values=0.0)
    kw = dict(mode="valid", numpy=numpy, method=method)
    return F.convolve(g, _flip(b), **kw), F.convolve(g, _flip(a), **kw)


def _spell(args, params, aval):
    a, b = (e.text for e in args)
    if params["numpy"]:
        return Expr(f"np.convolve({a}, {b}, mode={params['mode']!r})", PREC_ATOM)
    method = "" if params["method"] == "auto" else f", method={params['method']!r}"
    return Expr(f"scipy.signal.convolve({a}, {b}, mode={params['mode']!r}{method})",
                PREC_ATOM)


def _reference(xp, params):
    mode = params["mode"]
    if params["numpy"]:
        return lambda a, b: xp.convolve(a, b, mode=mode)
    if xp.__name__.startswith("autograd"):
        import autograd.scipy.signal
        return lambda a, b: autograd.scipy.signal.convolve(a, b, mode=mode)
    import jax.scipy.signal
    return lambda a, b: jax.scipy.signal.convolve(a, b, mode=mode)


def _case(shapes, mode, numpy):
    return (shapes, {"mode": mode, "numpy": numpy, "method": "auto"})


register(Op(name="convolve", arity=2, np_fn=_impl, py_fn=None, spell=_spell,
            shape_rule=_shape, vjp=_vjp, jvp=product("convolve"),
            spellings=("np.convolve", "scipy.signal.convolve",
                       "autograd.scipy.signal.convolve", "np.correlate",
                       "scipy.signal.correlate"),
            cases=(_case(((4,), (3,)), "full", True), _case(((3,), (5,)), "valid", True),
                   _case(((2,), (5,)), "same", True), _case(((6,), (3,)), "same", True),
                   _case(((3, 4), (2, 2)), "full", False),
                   _case(((4, 3), (2, 3)), "valid", False),
                   _case(((2, 3), (4, 5)), "valid", False),
                   _case(((5, 4), (2, 3)), "same", False), _case(((2,), (4,)), "same", False),
                   _case(((3, 1, 2), (2, 1, 1)), "full", False)),
            linear_in=(0, 1), reference=_reference,
            doc="the convolution, full or a window of it (valid, same)"))


def _builder():
    from ..builder import current_builder
    return current_builder()


def _refuse(cls, problem, hint=None):
    file, line = _builder().where()
    raise cls(problem, file=file, line=line, hint=hint)


def _mode(mode, where):
    if mode not in MODES:
        _refuse(UnsupportedOperationError, f"{where} with mode={mode!r}",
                "use mode='full', 'valid' or 'same'")
    return mode


def _apply(a, b, mode, numpy, method="auto"):
    from ..arraylike import stacked
    a, b = stacked(a), stacked(b)
    return _builder().apply("convolve", (a, b), {"mode": mode, "numpy": numpy,
                                                "method": method}, python=False)


@numpy_function(np.convolve)
def _np_convolve(a, v, mode="full"):
    return _apply(a, v, _mode(mode, "np.convolve"), True)


def signal_convolve(in1, in2, mode="full", method="auto", *, _name="convolve"):
    """scipy.signal.convolve with traced operands."""
    if method not in ("auto", "direct", "fft"):
        _refuse(UnsupportedOperationError, f"scipy.signal.{_name} with method={method!r}",
                "use method='auto', 'direct' or 'fft'")
    return _apply(in1, in2, _mode(mode, f"scipy.signal.{_name}"), False, method)


# A real correlation is the convolution with the second operand reversed along every
# axis, in every mode, for NumPy's and SciPy's alike.
def _reversed(x):
    from ..arraylike import stacked
    x = stacked(x)
    return np.flip(x) if np.ndim(x) else x


@numpy_function(np.correlate)
def _np_correlate(a, v, mode="valid"):
    return _apply(a, _reversed(v), _mode(mode, "np.correlate"), True)


def signal_correlate(in1, in2, mode="full", method="auto"):
    """scipy.signal.correlate with traced operands."""
    return signal_convolve(in1, _reversed(in2), mode, method, _name="correlate")


def autograd_convolve(A, B, axes=None, dot_axes=([], []), mode="full"):
    """autograd's convolve: `axes` pairs the convolved axes of A and B, `dot_axes` the
    contracted ones; the result's axes are A's others, B's others, then the convolved
    ones ("same": as long as A's). Written as one full scipy.signal.convolve: A's
    other axes meet size-1 axes of B (and B's of A), which the convolution multiplies
    out; along the contracted axes, B is reversed, so the middle element of the full
    convolution is the dot product; a slice then takes the mode's window."""
    from ..arraylike import stacked
    A, B = stacked(A), stacked(B)
    mode = _mode(mode, "autograd.scipy.signal.convolve")
    if axes is None:
        axes = (list(range(np.ndim(A))), list(range(np.ndim(A))))
    conv = [[int(i) % max(np.ndim(x), 1) for i in ax] for ax, x in zip(axes, (A, B))]
    dot = [[int(i) % max(np.ndim(x), 1) for i in ax] for ax, x in zip(dot_axes, (A, B))]
    if len(conv[0]) != len(conv[1]) or len(dot[0]) != len(dot[1]):
        _refuse(ShapeError, "autograd.scipy.signal.convolve with axes or dot_axes of unequal "
                "lengths", "pair each axis of A with one of B")
    rest = [[i for i in range(np.ndim(x)) if i not in c and i not in d]
            for x, c, d in zip((A, B), conv, dot)]
    sa = [np.shape(A)[i] for i in conv[0]]
    sb = [np.shape(B)[i] for i in conv[1]]
    if [np.shape(A)[i] for i in dot[0]] != [np.shape(B)[i] for i in dot[1]]:
        _refuse(ShapeError, "autograd.scipy.signal.convolve: the dot_axes have different "
                "lengths in A and B", "pair axes of the same length")
    if mode == "valid" and not (all(n >= m for n, m in zip(sa, sb)) or
                                all(n <= m for n, m in zip(sa, sb))):
        _refuse(ShapeError, "autograd.scipy.signal.convolve(..., mode='valid'): one array "
                "must be larger than the other along all convolved axes",
                "use mode='full' and slice the result")
    ra, rb = ([np.shape(x)[i] for i in r] for x, r in zip((A, B), rest))
    dims = [np.shape(A)[i] for i in dot[0]]
    a = np.reshape(np.transpose(A, rest[0] + dot[0] + conv[0]),
                   tuple(ra) + (1,) * len(rb) + tuple(dims) + tuple(sa))
    b = np.transpose(B, rest[1] + dot[1] + conv[1])
    if dims:  # reversed along the contracted axes
        keep = ("slice", None, None, None)
        b = F.getitem(b, index=(keep,) * len(rb) + (("slice", None, None, -1),) * len(dims))
    b = np.reshape(b, (1,) * len(ra) + tuple(rb) + tuple(dims) + tuple(sb))
    if not np.ndim(a):  # two 0-d operands
        return A * B
    full = _apply(a, b, "full", False)
    index = [("slice", None, None, None)] * (len(ra) + len(rb))
    index += [("int", d - 1) for d in dims]
    for n, m in zip(sa, sb):
        start, length = window(n, m, mode, False)
        index.append(("slice", start, start + length, None))
    return F.getitem(full, index=tuple(index))
