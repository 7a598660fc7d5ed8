"""autograd examples/rosenbrock.py."""

import numpy as np

from . import Setup


def rosenbrock(x):
    return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2


def setup():
    return Setup(rosenbrock, (np.array([0.0, 0.0]),), second=(np.array([-1.2, 1.0]),))
