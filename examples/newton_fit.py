"""A trust-region Newton fit: L2-regularised logistic regression with every parameter
in one flat vector `theta` (weights, then the bias), the layout SciPy's optimisers use.

The module offers the gradient and a Hessian-vector product (forward over reverse, so
the forward is computed once per product), which is what
`scipy.optimize.minimize(method="trust-ncg", jac=..., hessp=...)` needs:

    bpcompiler compile examples/newton_fit.py:loss -o output/newton_fit_grad.py --emit grad,hvp

`examples/demos/scipy_fits.py` runs the fit and compares it with gradient-only methods.
"""

from typing import Annotated

import numpy as np

L2 = 1e-3


def loss(
    theta: Annotated[np.ndarray, "f64[6] in [-0.5, 0.5]"],
    X: Annotated[np.ndarray, "f64[N,5] data"],
    y: Annotated[np.ndarray, "f64[N] in [0, 1] data"],
):
    w, b = theta[:-1], theta[-1]
    z = X @ w + b
    # -log p(y | z) for p = sigmoid(z), written without overflow: log(1 + e^z) - y z.
    nll = np.logaddexp(0.0, z) - y * z
    return np.mean(nll) + 0.5 * L2 * np.sum(w * w)
