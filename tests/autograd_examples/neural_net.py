"""autograd examples/neural_net.py: an MLP classifier's minibatch objective, on
random MNIST-shaped data at a small size. autograd.misc.flatten is written as the
NumPy a user would write (ravel and concatenate every weight)."""

import numpy as np
from scipy.special import logsumexp

from . import Setup


def init_random_params(scale, layer_sizes, rs=np.random.RandomState(0)):
    """Build a list of (weights, biases) tuples,
    one for each layer in the net."""
    return [
        (
            scale * rs.randn(m, n),  # weight matrix
            scale * rs.randn(n),
        )  # bias vector
        for m, n in zip(layer_sizes[:-1], layer_sizes[1:])
    ]


def neural_net_predict(params, inputs):
    """Implements a deep neural network for classification.
    params is a list of (weights, bias) tuples.
    inputs is an (N x D) matrix.
    returns normalized class log-probabilities."""
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = np.tanh(outputs)
    return outputs - logsumexp(outputs, axis=1, keepdims=True)


def l2_norm(params):
    """Computes l2 norm of params by flattening them into a vector."""
    flattened = np.concatenate([np.ravel(a) for layer in params for a in layer])
    return np.dot(flattened, flattened)


def log_posterior(params, inputs, targets, L2_reg):
    log_prior = -L2_reg * l2_norm(params)
    log_lik = np.sum(neural_net_predict(params, inputs) * targets)
    return log_prior + log_lik


def load_data(n=64, pixels=16, classes=4, rs=None):
    rs = rs or np.random.RandomState(1)
    images = rs.rand(n, pixels)
    labels = np.eye(classes)[rs.randint(classes, size=n)]
    return images, labels


def setup(batch_size=16):
    layer_sizes = [16, 8, 6, 4]
    L2_reg = 1.0
    param_scale = 0.1
    train_images, train_labels = load_data()
    init_params = init_random_params(param_scale, layer_sizes, rs=np.random.RandomState(0))
    num_batches = int(np.ceil(len(train_images) / batch_size))

    def batch_indices(iter):
        idx = iter % num_batches
        return slice(idx * batch_size, (idx + 1) * batch_size)

    def objective(params, iter):
        idx = batch_indices(iter)
        return -log_posterior(params, train_images[idx], train_labels[idx], L2_reg)

    return Setup(objective, (init_params, 1), wrt="params",
                 data={"images": train_images, "labels": train_labels, "L2_reg": L2_reg,
                       "batch_size": batch_size, "num_batches": num_batches})
