"""A small tanh multi-layer perceptron with a softmax cross-entropy loss.

The annotations are bpcompiler argument specs: shapes, dtypes and the range that
example values are drawn from when the CLI compiles this file. `Y` holds one-hot labels
(as floats), `X` the inputs; both are marked `data`, so only the weights and biases are
differentiated:

    bpcompiler compile examples/mlp.py:loss -o output/mlp_grad.py
"""

import numpy as np


def log_softmax(logits):
    # Log-probabilities per row; subtracting the row mean keeps exp() in range for the
    # small logits of this example without changing the result.
    shifted = logits - np.mean(logits, axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def loss(
    W1: "f64[20,32] in [-0.3, 0.3]",
    b1: "f64[32] in [-0.1, 0.1]",
    W2: "f64[32,5] in [-0.3, 0.3]",
    b2: "f64[5] in [-0.1, 0.1]",
    X: "f64[16,20] data",
    Y: "f64[16,5] in [0, 1] data",
):
    hidden = np.tanh(X @ W1 + b1)
    logits = hidden @ W2 + b2
    return -np.mean(np.sum(Y * log_softmax(logits), axis=1))
