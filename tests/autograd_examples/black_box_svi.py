"""autograd examples/black_box_svi.py. The original draws the Monte Carlo noise from a
RandomState inside the objective; here the same draw is made outside and passed in
(`noise`), so the objective is a deterministic function of its arguments."""

import numpy as np
from scipy.stats import norm

from . import Setup


def black_box_variational_inference(logprob, D, num_samples):
    """Implements http://arxiv.org/abs/1401.0118, and uses the
    local reparameterization trick from http://arxiv.org/abs/1506.02557"""

    def unpack_params(params):
        # Variational dist is a diagonal Gaussian.
        mean, log_std = params[:D], params[D:]
        return mean, log_std

    def gaussian_entropy(log_std):
        return 0.5 * D * (1.0 + np.log(2 * np.pi)) + np.sum(log_std)

    def variational_objective(params, t, noise):
        """Provides a stochastic estimate of the variational lower bound."""
        mean, log_std = unpack_params(params)
        samples = noise * np.exp(log_std) + mean
        lower_bound = gaussian_entropy(log_std) + np.mean(logprob(samples, t))
        return -lower_bound

    return variational_objective, unpack_params


def log_density(x, t):
    mu, log_sigma = x[:, 0], x[:, 1]
    sigma_density = norm.logpdf(log_sigma, 0, 1.35)
    mu_density = norm.logpdf(mu, 0, np.exp(log_sigma))
    return sigma_density + mu_density


def setup(num_samples=50):
    D = 2
    objective, unpack_params = black_box_variational_inference(log_density, D, num_samples)
    init_mean = -1 * np.ones(D)
    init_log_std = -5 * np.ones(D)
    init_var_params = np.concatenate([init_mean, init_log_std])
    noise = np.random.RandomState(0).randn(num_samples, D)
    return Setup(objective, (init_var_params, 0, noise), wrt="params",
                 data={"D": D, "num_samples": num_samples}, specs={"noise": "f64[S,2]"})
