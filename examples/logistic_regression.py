"""L2-regularised logistic regression: the average negative log-likelihood of binary
labels under p = sigmoid(X @ w + b), plus a ridge penalty on the weights.

The annotations carry bpcompiler argument specs (`Annotated[np.ndarray, spec]`, which
mypy and ruff accept), so the file compiles with no flags: the features X are marked
`data` and the labels are an int array (0 or 1), so only w and b are differentiated.
The batch dimension N is symbolic: the module serves every batch size:

    bpcompiler compile examples/logistic_regression.py:loss -o output/logistic_regression_grad.py
"""

from typing import Annotated

import numpy as np

L2 = 1e-2  # ridge strength; the generated module keeps it by name (L2 = 0.01)


def loss(
    w: Annotated[np.ndarray, "f64[8] in [-0.5, 0.5]"],
    b: float,
    X: Annotated[np.ndarray, "f64[N,8] data"],
    y: Annotated[np.ndarray, "i64[N] in [0, 1]"],
):
    z = X @ w + b
    # -log p(y | z) = log(1 + exp(z)) - y z, which needs no sigmoid and no log(1 - p).
    nll = np.log(1.0 + np.exp(z)) - y * z
    return np.mean(nll) + 0.5 * L2 * np.sum(w * w)
