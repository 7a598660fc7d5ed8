"""Hand-written backprop that tests and the benchmark compare emitted code with: what a
careful engineer would write, kept in one place."""

from __future__ import annotations


def rosenbrock_floats(*x):
    """(value, gradients) of the Rosenbrock sum over Python floats, as one loop that folds
    each term's gradient in as it goes."""
    s = 0.0
    g = [0.0] * len(x)
    for i in range(len(x) - 1):
        a = x[i]
        t = x[i + 1] - a * a
        u = 1.0 - a
        s += 100.0 * t * t + u * u
        g[i] += -400.0 * t * a - 2.0 * u
        g[i + 1] += 200.0 * t
    return s, tuple(g)
