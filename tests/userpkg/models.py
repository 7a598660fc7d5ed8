"""User classes for tests/test_user_code.py."""

import functools
import math

import numpy as np

from . import helpers


class Quadratic:
    def __init__(self, scale):
        self.scale = scale
        self.inner = Offset(0.5)

    def fun(self, x):
        return max(math.tanh(x[0]), 0.1) * self.scale + self.helper(x)

    def helper(self, x):
        return np.sum(x ** 2) * Quadratic.root(2.0) + self.half(x) + self.inner(x)

    @staticmethod
    def root(a):
        return math.sqrt(a)

    @classmethod
    def half(cls, x):
        return np.sum(x) * 0.5

    @property
    def doubled(self):
        return self.scale * 2.0

    def uses_property(self, x):
        return np.sum(x) * self.doubled + helpers.softplus_sum(x)

    def concrete(self, x):
        return float(x[0]) * 2.0  # refused: the message names this line


class Offset:
    def __init__(self, c):
        self.c = c

    def __call__(self, x):
        return math.exp(self.c) * np.sum(np.cos(x))


class Child(Quadratic):
    def fun(self, x):
        return super().fun(x) + math.log(2.0 + np.sum(x * x))


@functools.lru_cache(maxsize=None)
def cached_gain(a):
    return math.exp(a)
