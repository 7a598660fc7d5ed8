"""autograd examples/gmm.py: a Gaussian mixture's negative log likelihood in a dict of
parameters (keys with spaces), one multivariate_normal.logpdf per component."""

import numpy as np
from scipy.special import logsumexp
from scipy.stats import multivariate_normal as mvn

from . import Setup
from .gplvm import make_pinwheel


def init_gmm_params(num_components, D, scale, rs=np.random.RandomState(0)):
    return {
        "log proportions": rs.randn(num_components) * scale,
        "means": rs.randn(num_components, D) * scale,
        "lower triangles": np.zeros((num_components, D, D)) + np.eye(D),
    }


def log_normalize(x):
    return x - logsumexp(x)


def unpack_gmm_params(params):
    normalized_log_proportions = log_normalize(params["log proportions"])
    return normalized_log_proportions, params["means"], params["lower triangles"]


def gmm_log_likelihood(params, data):
    cluster_lls = []
    for log_proportion, mean, cov_sqrt in zip(*unpack_gmm_params(params)):
        cov = np.dot(cov_sqrt.T, cov_sqrt)
        cluster_lls.append(log_proportion + mvn.logpdf(data, mean, cov))
    return np.sum(logsumexp(np.vstack(cluster_lls), axis=0))


def setup(num_per_class=10):
    init_params = init_gmm_params(num_components=4, D=2, scale=0.1, rs=np.random.RandomState(0))
    data = make_pinwheel(radial_std=0.3, tangential_std=0.05, num_classes=3,
                         num_per_class=num_per_class, rate=0.4, rs=np.random.RandomState(0))

    def objective(params):
        return -gmm_log_likelihood(params, data)

    return Setup(objective, (init_params,), data={"data": data})
