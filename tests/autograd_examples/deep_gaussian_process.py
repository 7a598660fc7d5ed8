"""autograd examples/deep_gaussian_process.py: two stacked GPs' log marginal
likelihood in both layers' hyperparameters and the hidden layer's values."""

import numpy as np

from . import Setup
from .gaussian_process import make_gp_funs, rbf_covariance


def build_step_function_dataset(D=1, n_data=40, noise_std=0.1):
    rs = np.random.RandomState(0)
    inputs = np.linspace(-2, 2, num=n_data)
    targets = np.sign(inputs) + rs.randn(n_data) * noise_std
    inputs = inputs.reshape((len(inputs), D))
    return inputs, targets


def build_deep_gp(input_dimension, hidden_dimension, covariance_function, n_data, X, y):
    # (The original reads n_data, X and y from its __main__ block's globals.)
    # GP going from input to hidden
    num_params_layer1, predict_layer1, log_marginal_likelihood_layer1 = make_gp_funs(
        covariance_function, num_cov_params=input_dimension + 1
    )

    # GP going from hidden to output
    num_params_layer2, predict_layer2, log_marginal_likelihood_layer2 = make_gp_funs(
        covariance_function, num_cov_params=hidden_dimension + 1
    )

    num_hidden_params = hidden_dimension * n_data
    total_num_params = num_params_layer1 + num_params_layer2 + num_hidden_params

    def unpack_all_params(all_params):
        layer1_params = all_params[:num_params_layer1]
        layer2_params = all_params[num_params_layer1 : num_params_layer1 + num_params_layer2]
        hiddens = all_params[num_params_layer1 + num_params_layer2 :]
        return layer1_params, layer2_params, hiddens

    def log_marginal_likelihood(all_params):
        layer1_params, layer2_params, h = unpack_all_params(all_params)
        return log_marginal_likelihood_layer1(layer1_params, X, h) + log_marginal_likelihood_layer2(
            layer2_params, np.atleast_2d(h).T, y
        )

    return total_num_params, log_marginal_likelihood, unpack_all_params


def setup(n_data=12):
    input_dimension = 1
    hidden_dimension = 1
    X, y = build_step_function_dataset(D=input_dimension, n_data=n_data)
    total_num_params, log_marginal_likelihood, unpack_all_params = build_deep_gp(
        input_dimension, hidden_dimension, rbf_covariance, n_data, X, y)
    rs = np.random.RandomState(0)
    init_params = 0.1 * rs.randn(total_num_params)
    objective = lambda params: -log_marginal_likelihood(params)  # noqa: E731
    return Setup(objective, (init_params,), data={"X": X, "y": y, "n_data": n_data})
