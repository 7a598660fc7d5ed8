"""autograd examples/negative_binomial_maxlike.py: the log likelihood in (r, p), and
the profile likelihood's derivative rprime that Newton's method is run on."""

import numpy as np
from scipy.special import gammaln

from . import Setup


def negbin_loglike(r, p, x):
    # the negative binomial log likelihood we want to maximize
    return gammaln(r + x) - gammaln(r) - gammaln(x + 1) + x * np.log(p) + r * np.log(1 - p)


def negbin_sample(r, p, size):
    # a negative binomial is a gamma-compound-Poisson
    return np.random.poisson(np.random.gamma(r, p / (1 - p), size=size))


def setup(size=200):
    np.random.seed(0)
    data = negbin_sample(r=5, p=0.5, size=size)
    loglike = lambda r, p: np.sum(negbin_loglike(r, p, data))  # noqa: E731
    return Setup(loglike, (5.0, 0.5), data={"data": data}, second=(3.2, 0.35))
