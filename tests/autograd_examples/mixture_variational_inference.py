"""autograd examples/mixture_variational_inference.py: black-box SVI with a mixture
of diagonal Gaussians (Graves' trick: sample each component, weight the component
ELBOs). The components' standard-normal draws are made outside and passed in."""

import numpy as np
from scipy.special import logsumexp
from scipy.stats import norm

from . import Setup


def diag_gaussian_log_density(x, mu, log_std):
    return np.sum(norm.logpdf(x, mu, np.exp(log_std)), axis=-1)


def unpack_gaussian_params(params):
    # Variational dist is a diagonal Gaussian.
    D = np.shape(params)[0] // 2
    mean, log_std = params[:D], params[D:]
    return mean, log_std


def variational_log_density_gaussian(params, x):
    mean, log_std = unpack_gaussian_params(params)
    return diag_gaussian_log_density(x, mean, log_std)


def sample_diag_gaussian(params, eps):
    mean, log_std = unpack_gaussian_params(params)
    return eps * np.exp(log_std) + mean


def init_gaussian_var_params(D, mean_mean=-1, log_std_mean=-5, scale=0.1, rs=np.random.RandomState(0)):
    init_mean = mean_mean * np.ones(D) + rs.randn(D) * scale
    init_log_std = log_std_mean * np.ones(D) + rs.randn(D) * scale
    return np.concatenate([init_mean, init_log_std])


def log_normalize(x):
    return x - logsumexp(x)


def build_mog_bbsvi(logprob, num_samples, k=10):
    init_component_var_params = init_gaussian_var_params
    component_log_density = variational_log_density_gaussian
    component_sample = sample_diag_gaussian

    def unpack_mixture_params(mixture_params):
        log_weights = log_normalize(mixture_params[:k])
        var_params = np.reshape(mixture_params[k:], (k, -1))
        return log_weights, var_params

    def init_var_params(D, rs=np.random.RandomState(0), **kwargs):
        log_weights = np.ones(k)
        component_weights = [init_component_var_params(D, rs=rs, **kwargs) for i in range(k)]
        return np.concatenate([log_weights] + component_weights)

    def mixture_log_density(var_mixture_params, x):
        """Returns a weighted average over component densities."""
        log_weights, var_params = unpack_mixture_params(var_mixture_params)
        component_log_densities = np.vstack(
            [component_log_density(params_k, x) for params_k in var_params]
        ).T
        return logsumexp(component_log_densities + log_weights, axis=1, keepdims=False)

    def mixture_elbo(var_mixture_params, t, eps):
        # We need to only sample the continuous component parameters,
        # and integrate over the discrete component choice

        def mixture_lower_bound(params, eps_k):
            """Provides a stochastic estimate of the variational lower bound."""
            samples = component_sample(params, eps_k)
            log_qs = mixture_log_density(var_mixture_params, samples)
            log_ps = logprob(samples, t)
            log_ps = np.reshape(log_ps, (num_samples, -1))
            log_qs = np.reshape(log_qs, (num_samples, -1))
            return np.mean(log_ps - log_qs)

        log_weights, var_params = unpack_mixture_params(var_mixture_params)
        component_elbos = np.stack([mixture_lower_bound(params_k, eps_k)
                                    for params_k, eps_k in zip(var_params, eps)])
        return np.sum(component_elbos * np.exp(log_weights))

    return init_var_params, mixture_elbo, mixture_log_density


def log_density(x, t):
    mu, log_sigma = x[:, 0], x[:, 1]
    sigma_density = norm.logpdf(log_sigma, 0, 1.35)
    mu_density = norm.logpdf(mu, -0.5, np.exp(log_sigma))
    sigma_density2 = norm.logpdf(log_sigma, 0.1, 1.35)
    mu_density2 = norm.logpdf(mu, 0.5, np.exp(log_sigma))
    return np.logaddexp(sigma_density + mu_density, sigma_density2 + mu_density2)


def setup(num_samples=8, k=3):
    D = 2
    init_var_params, elbo, variational_log_density = build_mog_bbsvi(
        log_density, num_samples=num_samples, k=k)

    def objective(params, t, eps):
        return -elbo(params, t, eps)

    # The original draws each component's samples in turn from one RandomState(0).
    rs = np.random.RandomState(0)
    eps = np.stack([rs.randn(num_samples, D) for _ in range(k)])
    params = init_var_params(D, rs=np.random.RandomState(0), log_std_mean=-1)
    return Setup(objective, (params, 0, eps), wrt="params",
                 data={"D": D, "k": k, "num_samples": num_samples})
