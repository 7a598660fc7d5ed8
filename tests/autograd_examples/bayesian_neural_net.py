"""autograd examples/bayesian_neural_net.py: black-box SVI over the weights of an MLP
vectorised over weight samples (a generator unpacks the layers)."""

import numpy as np

from . import Setup
from .black_box_svi import black_box_variational_inference


def make_nn_funs(layer_sizes, L2_reg, noise_variance, nonlinearity=np.tanh):
    """These functions implement a standard multi-layer perceptron,
    vectorized over both training examples and weight samples."""
    shapes = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    num_weights = sum((m + 1) * n for m, n in shapes)

    def unpack_layers(weights):
        num_weight_sets = len(weights)
        for m, n in shapes:
            yield (
                weights[:, : m * n].reshape((num_weight_sets, m, n)),
                weights[:, m * n : m * n + n].reshape((num_weight_sets, 1, n)),
            )
            weights = weights[:, (m + 1) * n :]

    def predictions(weights, inputs):
        """weights is shape (num_weight_samples x num_weights)
        inputs  is shape (num_datapoints x D)"""
        inputs = np.expand_dims(inputs, 0)
        for W, b in unpack_layers(weights):
            outputs = np.einsum("mnd,mdo->mno", inputs, W) + b
            inputs = nonlinearity(outputs)
        return outputs

    def logprob(weights, inputs, targets):
        log_prior = -L2_reg * np.sum(weights**2, axis=1)
        preds = predictions(weights, inputs)
        log_lik = -np.sum((preds - targets) ** 2, axis=1)[:, 0] / noise_variance
        return log_prior + log_lik

    return num_weights, predictions, logprob


def build_toy_dataset(n_data=40, noise_std=0.1):
    D = 1
    rs = np.random.RandomState(0)
    inputs = np.concatenate([np.linspace(0, 2, num=n_data // 2), np.linspace(6, 8, num=n_data // 2)])
    targets = np.cos(inputs) + rs.randn(n_data) * noise_std
    inputs = (inputs - 4.0) / 4.0
    inputs = inputs.reshape((len(inputs), D))
    targets = targets.reshape((len(targets), D))
    return inputs, targets


def setup(num_samples=5):
    rbf = lambda x: np.exp(-(x**2))  # noqa: E731
    num_weights, predictions, logprob = make_nn_funs(
        layer_sizes=[1, 6, 6, 1], L2_reg=0.1, noise_variance=0.01, nonlinearity=rbf
    )
    inputs, targets = build_toy_dataset(n_data=20)
    log_posterior = lambda weights, t: logprob(weights, inputs, targets)  # noqa: E731
    objective, unpack_params = black_box_variational_inference(
        log_posterior, num_weights, num_samples=num_samples)
    rs = np.random.RandomState(0)
    init_mean = rs.randn(num_weights)
    init_log_std = -5 * np.ones(num_weights)
    init_var_params = np.concatenate([init_mean, init_log_std])
    noise = np.random.RandomState(0).randn(num_samples, num_weights)
    return Setup(objective, (init_var_params, 0, noise), wrt="params",
                 data={"inputs": inputs, "targets": targets, "num_weights": num_weights,
                       "num_samples": num_samples},
                 specs={"noise": f"f64[S,{num_weights}]"})
