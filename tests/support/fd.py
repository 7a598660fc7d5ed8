"""Finite differences the tests compare gradients with: one helper, element by element.

`central_differences(f, args, i)` is d f / d args[i] by central differences of step
`h`, in float64, one element at a time (a Python-float argument stays a Python float).
`check(f, x)` compiles `f` and compares its value and gradient with them at `x` and at
a second point. (The fuzzer's Richardson-extrapolated differences, which also estimate
their own error, stay with the fuzzer: tests/fuzz/programs.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

from bpcompiler import compile_grad


def central_differences(f, args, i, h=1e-6):
    x = np.asarray(args[i], dtype=np.float64)
    out = np.zeros(x.shape)
    for k in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[k] = h
        plus, minus = list(args), list(args)
        plus[i] = x + step if x.shape else float(x + h)
        minus[i] = x - step if x.shape else float(x - h)
        out[k] = (f(*plus) - f(*minus)) / (2 * h)
    return out


def check(f, x, rtol=1e-6, atol=1e-7):
    """compile_grad(f, (x,)), its value and gradient checked at x and 0.7 x + 0.05."""
    c = compile_grad(f, (x,))
    for point in (x, x * 0.7 + 0.05):
        value, (g,) = c.module.value_and_grad(point)
        assert value == pytest.approx(f(point), rel=1e-10, abs=1e-12)
        np.testing.assert_allclose(g, central_differences(f, (point,), 0), rtol=rtol,
                                   atol=atol)
    return c
