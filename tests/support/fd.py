"""Finite differences the tests compare derivatives with: the one helper.

`central_differences(f, args, i, h)` is d f / d args[i] by central differences of step
`h`, in float64, one element at a time; an array-valued `f` gives the Jacobian's block
(shape args[i].shape + f's shape). `extrapolated_differences(f, args, i, step)` combines
three of them (Richardson), more accurate at a larger step, and estimates its own error
(large where f is not smooth at the point): the fuzzer's oracle. `check(f, x)` compiles
`f` and compares its value and gradient with central differences at `x` and at a second
point.
"""

from __future__ import annotations

import numpy as np
import pytest

from bpcompiler import compile_grad


def moved(args, i, k, t) -> list:
    """`args` with element `k` of args[i] moved by `t`, in float64, its kind kept: an
    array stays an array (0-d too), a NumPy scalar a NumPy scalar, a float a float."""
    out = list(args)
    x = args[i]
    if isinstance(x, np.ndarray):
        y = x.astype(np.float64)  # (a copy)
        y[k] += t
        out[i] = y
    elif isinstance(x, np.generic):  # (np.float32(...).round() works, a float's not)
        out[i] = np.float64(x) + t
    else:
        out[i] = float(x) + t
    return out


def central_differences(f, args, i, h=1e-6):
    """d f / d args[i]; `h` is a number or an array of args[i]'s shape (a step per
    element)."""
    x = np.asarray(args[i], dtype=np.float64)
    steps = np.broadcast_to(np.asarray(h, dtype=np.float64), x.shape)
    out = None
    for k in np.ndindex(x.shape):
        t = float(steps[k])
        plus = np.asarray(f(*moved(args, i, k, t)), dtype=np.float64)
        minus = np.asarray(f(*moved(args, i, k, -t)), dtype=np.float64)
        if out is None:
            out = np.zeros(x.shape + plus.shape)
        out[k] = (plus - minus) / (2 * t)
    return np.zeros(x.shape) if out is None else out


def extrapolated_differences(f, args, i, step=1e-3):
    """(d f / d args[i], an estimate of its error): Richardson extrapolation of central
    differences of steps h, h/2 and h/4, h = step * max(1, |x|) per element."""
    h = step * np.maximum(1.0, np.abs(np.asarray(args[i], dtype=np.float64)))
    d1, d2, d3 = (central_differences(f, args, i, h / s) for s in (1, 2, 4))
    r1, r2 = (4 * d2 - d1) / 3, (4 * d3 - d2) / 3
    return (16 * r2 - r1) / 15, np.abs(r2 - r1)


def check(f, x, rtol=1e-6, atol=1e-7):
    """compile_grad(f, (x,)), its value and gradient checked at x and 0.7 x + 0.05."""
    c = compile_grad(f, (x,))
    for point in (x, x * 0.7 + 0.05):
        value, (g,) = c.module.value_and_grad(point)
        assert value == pytest.approx(f(point), rel=1e-10, abs=1e-12)
        np.testing.assert_allclose(g, central_differences(f, (point,), 0), rtol=rtol,
                                   atol=atol)
    return c
