"""autograd examples/sinusoid.py: sin and its Taylor series, which stops adding terms
once a term is small (the original names both `fun`; the second is `taylor_fun` here,
and its progress print is left out)."""

import numpy as np

from . import Setup


def fun(x):
    return np.sin(x)


# Taylor approximation to sin function
def taylor_fun(x):
    currterm = x
    ans = currterm
    for i in range(1000):
        currterm = -currterm * x**2 / ((2 * i + 3) * (2 * i + 2))
        ans = ans + currterm
        if np.abs(currterm) < 0.2:
            break  # (Very generous tolerance!)

    return ans


def setup():
    return Setup(fun, (1.3,), second=(-4.0,))


def setup_taylor():
    return Setup(taylor_fun, (1.3,), second=(-4.0,), control_flow="guard")
