"""L2-regularised logistic regression: the average negative log-likelihood of binary
labels under p = sigmoid(X @ w + b), plus a ridge penalty on the weights.

The annotations are bpcompiler argument specs, so the file compiles with no flags: the
features X are marked `data` and the labels are an int array (0 or 1), so only w and b
are differentiated:

    bpcompiler compile examples/logistic_regression.py:loss -o output/logistic_regression_grad.py
"""

import numpy as np

L2 = 1e-2  # ridge strength; a module-level constant is folded into the generated code


def loss(
    w: "f64[8] in [-0.5, 0.5]",
    b: "float",
    X: "f64[64,8] data",
    y: "i64[64] in [0, 1]",
):
    z = X @ w + b
    # -log p(y | z) = log(1 + exp(z)) - y z, which needs no sigmoid and no log(1 - p).
    nll = np.log(1.0 + np.exp(z)) - y * z
    return np.mean(nll) + 0.5 * L2 * np.sum(w * w)
