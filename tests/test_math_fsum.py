"""math.fsum of traced floats (ops/compositions.py): kept as the exactly rounded sum
the source asked for (no chain of additions loses what it keeps), over lists, tuples
and generators, with each term's gradient the sum's."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bpcompiler import compile_grad


def cancelling(a, b):
    return math.fsum([1e16, a * b, -1e16, b]) * a


def test_exact_where_a_sum_of_additions_is_not():
    c = compile_grad(cancelling, (0.3, 0.7))
    assert "math.fsum([" in c.source
    for a, b in ((0.3, 0.7), (1.25, -0.5)):
        value, (d_a, d_b) = c.module.value_and_grad(a, b)
        assert value == cancelling(a, b)  # (1e16 + a * b - 1e16 would lose a * b)
        assert d_a == pytest.approx(2 * a * b + b, rel=1e-14)
        assert d_b == pytest.approx(a * a + a, rel=1e-14)


def test_a_generator_over_an_array():
    x = np.array([0.5, -1.5, 2.0])
    c = compile_grad(lambda x: math.fsum(v ** 3 for v in x), (x,))
    value, (d_x,) = c.module.value_and_grad(x)
    assert value == pytest.approx(math.fsum(x ** 3), rel=1e-15)
    np.testing.assert_allclose(d_x, 3 * x ** 2, rtol=1e-15)
