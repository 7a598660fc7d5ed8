"""A small tanh multi-layer perceptron with a softmax cross-entropy loss.

The annotations are bpcompiler argument specs: shapes, dtypes and the range that
example values are drawn from when the CLI compiles this file. `Y` holds one-hot labels
(as floats), `X` the inputs; both are marked `data`, so only the weights and biases are
differentiated. The batch dimension N is symbolic, so one module serves every batch:

    bpcompiler compile examples/mlp.py:loss -o output/mlp_grad.py
"""

from typing import Annotated

import numpy as np


def log_softmax(logits):
    # Log-probabilities per row; subtracting the row mean keeps exp() in range for the
    # small logits of this example without changing the result.
    shifted = logits - np.mean(logits, axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def loss(
    W1: Annotated[np.ndarray, "f64[20,32] in [-0.3, 0.3]"],
    b1: Annotated[np.ndarray, "f64[32] in [-0.1, 0.1]"],
    W2: Annotated[np.ndarray, "f64[32,5] in [-0.3, 0.3]"],
    b2: Annotated[np.ndarray, "f64[5] in [-0.1, 0.1]"],
    X: Annotated[np.ndarray, "f64[N,20] data"],
    Y: Annotated[np.ndarray, "f64[N,5] in [0, 1] data"],
):
    hidden = np.tanh(X @ W1 + b1)
    logits = hidden @ W2 + b2
    return -np.mean(np.sum(Y * log_softmax(logits), axis=1))
