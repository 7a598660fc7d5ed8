"""autograd examples/rkhs.py: the gradient of a squared loss with respect to a
function in a reproducing kernel Hilbert space. The original makes the function an
autograd vector space (a Box and a VSpace); in plain Python it is an object holding
coefficients at representer points, called like a function."""

import numpy as np

from . import Setup


class RKHSFun:
    def __init__(self, kernel, alphas={}):
        self.alphas = alphas
        self.kernel = kernel

    def __call__(self, x):
        return sum([a * self.kernel(x, x_repr) for x_repr, a in self.alphas.items()], 0.0)


def sq_exp_kernel(x1, x2):
    return np.exp(-((x1 - x2) ** 2))


def logprob(f, xs, ys):
    return -sum((f(x) - y) ** 2 for x, y in zip(xs, ys))


def setup():
    xs = range(5)
    ys = [1, 2, 3, 2, 1]
    f = RKHSFun(sq_exp_kernel, {0.5: 0.3, 2.0: -0.2, 3.5: 0.7})
    return Setup(logprob, (f, xs, ys), wrt="f", data={"alphas": dict(f.alphas)})
