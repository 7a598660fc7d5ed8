"""autograd examples/natural_gradient_black_box_svi.py: black-box SVI on a
40-dimensional posterior (the example then divides this objective's gradient by the
diagonal Fisher information, outside any differentiation)."""

import numpy as np
from scipy.stats import norm

from . import Setup
from .black_box_svi import black_box_variational_inference


def setup(num_samples=30):
    np.random.seed(42)
    obs_dim = 20
    Y = np.random.randn(obs_dim, obs_dim).dot(np.random.randn(obs_dim))

    def log_density(x, t):
        mu, log_sigma = x[:, :obs_dim], x[:, obs_dim:]
        sigma_density = np.sum(norm.logpdf(log_sigma, 0, 1.35), axis=1)
        mu_density = np.sum(norm.logpdf(Y, mu, np.exp(log_sigma)), axis=1)
        return sigma_density + mu_density

    D = obs_dim * 2  # dimension of our posterior
    objective, unpack_params = black_box_variational_inference(log_density, D, num_samples)
    init_mean = -1 * np.ones(D)
    init_log_std = -5 * np.ones(D)
    init_var_params = np.concatenate([init_mean, init_log_std])
    noise = np.random.RandomState(0).randn(num_samples, D)
    return Setup(objective, (init_var_params, 0, noise), wrt="params",
                 data={"Y": Y, "obs_dim": obs_dim, "D": D, "num_samples": num_samples},
                 specs={"noise": f"f64[S,{D}]"})

