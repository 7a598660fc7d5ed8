"""autograd examples/fixed_points.py, with autograd.misc.fixed_point written out."""

import numpy as np

from . import Setup


def fixed_point(f, a, x0, distance, tol):
    # Iterate f(a) from x0 until two iterates are within tol.
    _f = f(a)
    x, x_prev = _f(x0), x0
    while distance(x, x_prev) > tol:
        x, x_prev = _f(x), x
    return x


def newton_sqrt_iter(a):
    return lambda x: 0.5 * (x + a / x)


def grad_descent_sqrt_iter(a):
    return lambda x: x - 0.05 * (x**2 - a)


def sqrt(a, guess=10.0):
    # return fixed_point(newton_sqrt_iter, a, guess, distance, 1e-4)
    return fixed_point(grad_descent_sqrt_iter, a, guess, distance, 1e-4)


def distance(x, y):
    return np.abs(x - y)


def setup():
    return Setup(sqrt, (2.0,), wrt="a", second=(3.0,))
