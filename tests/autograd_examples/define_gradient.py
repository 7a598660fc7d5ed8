"""autograd examples/define_gradient.py. The original declares logsumexp a primitive
with a hand-written VJP; in plain NumPy it is an ordinary function, and the compiler
derives its gradient."""

import numpy as np

from . import Setup


def logsumexp(x):
    """Numerically stable log(sum(exp(x))), also defined in scipy.special"""
    max_x = np.max(x)
    return max_x + np.log(np.sum(np.exp(x - max_x)))


def example_func(y):
    z = y**2
    lse = logsumexp(z)
    return np.sum(lse)


def setup():
    return Setup(example_func, (np.random.RandomState(0).randn(10),))
