"""Functions verification must refuse as the user's problem (tests/test_verify.py)."""

import math

import numpy as np

COUNT = [0]


def counter(x):
    COUNT[0] += 1
    return np.sum(x**2) * COUNT[0]


class Noisy:
    def __init__(self):
        self.rng = np.random.default_rng()

    def jitter(self, x):
        noise = self.rng.normal()
        return x + noise


NOISY = Noisy()


def random_in_a_method(x):
    y = NOISY.jitter(x)
    return np.sum(y**2)


def guarded_sqrt(x):
    try:
        y = math.sqrt(x)
    except ValueError:
        y = 0.0
    return y * 2.0


def harmless_try(x):
    try:
        import json  # noqa: F401
    except ImportError:
        pass
    return x * 2.0
