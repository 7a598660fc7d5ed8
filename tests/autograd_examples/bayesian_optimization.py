"""autograd examples/bayesian_optimization.py: the two objectives it differentiates,
the GP hyperparameters' posterior (optimize_gp_params) and the acquisition function
(expected_new_max of the GP's prediction) in the query point."""

import numpy as np
from scipy.stats import norm

from . import Setup
from .gaussian_process import make_gp_funs, rbf_covariance


def probability_of_improvement(mean, std, max_so_far):
    return norm.cdf(max_so_far, mean, std)


def expected_new_max(mean, std, max_so_far):
    return (
        max_so_far
        - (mean - max_so_far) * norm.cdf(mean, max_so_far, std)
        + std * norm.pdf(mean, max_so_far, std)
    )


def init_covariance_params(num_params):
    return np.zeros(num_params)


def defaultmax(x, default=-np.inf):
    if x.size == 0:
        return default
    return np.max(x)


def example_function(x):
    return np.sum(x * np.sin(10.0 * x) + x) - 1


def _observations(D, n=6):
    X = np.linspace(0.05, 1.05, n).reshape(n, D)
    y = np.array([example_function(x) for x in X])
    return X, y


def setup(n=6):
    D = 1
    num_params, predict, log_marginal_likelihood = make_gp_funs(rbf_covariance, num_cov_params=D + 1)
    X, y = _observations(D, n)
    log_hyperprior = lambda params: np.sum(norm.logpdf(params, 0.0, 100.0))  # noqa: E731
    objective = lambda params: -log_marginal_likelihood(params, X, y) - log_hyperprior(params)  # noqa: E731
    model_params = init_covariance_params(num_params)
    return Setup(objective, (model_params + 0.1,), data={"X": X, "y": y, "D": D})


def setup_acquisition(n=6):
    D = 1
    num_params, predict, log_marginal_likelihood = make_gp_funs(rbf_covariance, num_cov_params=D + 1)
    X, y = _observations(D, n)
    model_params = np.array([0.1, -1.0, 0.2, -1.5])

    def predict_func(xstar):
        mean, cov = predict(model_params, X, y, xstar)
        return mean, np.sqrt(np.diag(cov))

    def acquisition_function(xstar):
        xstar = np.atleast_2d(xstar)  # To work around a bug in scipy.minimize
        mean, std = predict_func(xstar)
        return expected_new_max(mean, std, defaultmax(y))

    grad_obj = lambda x: -acquisition_function(x)  # noqa: E731
    return Setup(grad_obj, (np.array([0.37]),), second=(np.array([0.81]),),
                 data={"X": X, "y": y, "D": D, "model_params": model_params})
