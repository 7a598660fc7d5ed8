"""A nonlinear least-squares fit: a damped oscillation a e^(-k t) cos(omega t + phi)
against noisy samples. The function returns the vector of residuals, and the module
offers its Jacobian (forward mode: one JVP per parameter, four here), which is what
`scipy.optimize.least_squares(..., jac=...)` needs:

    bpcompiler compile examples/decay_fit.py:residuals -o output/decay_fit_grad.py --emit jacobian,jvp,vjp

`examples/demos/scipy_fits.py` runs the fit and compares it with finite-difference Jacobians.
"""

from typing import Annotated

import numpy as np


def residuals(
    p: Annotated[np.ndarray, "f64[4] in [0.5, 1.5]"],
    t: Annotated[np.ndarray, "f64[N] in [0, 5] data"],
    y: Annotated[np.ndarray, "f64[N] data"],
):
    a, k, omega, phi = p[0], p[1], p[2], p[3]
    return a * np.exp(-k * t) * np.cos(omega * t + phi) - y
