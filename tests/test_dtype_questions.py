"""Questions about a traced value's type that NumPy answers without its values:
`np.iscomplexobj`, `np.isrealobj`, `np.iscomplex`, `np.isreal` (a traced value is real)."""

import numpy as np

from bpcompiler import compile_grad


def test_real_or_complex_branches_take_the_real_side():
    def f(x):
        y = np.where(np.iscomplex(x), 0.0, x * x)
        real = np.isrealobj(x) and not np.iscomplexobj(x) and bool(np.all(np.isreal(x)))
        return np.sum(y) if real and not np.iscomplex(x[0]) else 0.0

    x = np.array([0.5, -1.0, 2.0])
    value, (g,) = compile_grad(f, (x,)).module.value_and_grad(x)
    assert value == np.sum(x * x)
    np.testing.assert_array_equal(g, 2 * x)


def test_on_a_python_float():
    def f(x):
        return np.real(x ** 2 if np.iscomplex(x) else 3.0 * x)

    assert compile_grad(f, (2.0,)).module.grad(5.0) == (3.0,)
