"""autograd examples/gplvm.py: a GP latent-variable model's objective in the GP
hyperparameters and the latent coordinates, packed in one vector."""

import numpy as np
from scipy.stats import norm

from . import Setup
from .gaussian_process import make_gp_funs, rbf_covariance


def make_pinwheel(radial_std, tangential_std, num_classes, num_per_class, rate, rs=np.random.RandomState(0)):
    # autograd examples/data.py's make_pinwheel
    rads = np.linspace(0, 2 * np.pi, num_classes, endpoint=False)

    features = rs.randn(num_classes * num_per_class, 2) * np.array([radial_std, tangential_std])
    features[:, 0] += 1
    labels = np.repeat(np.arange(num_classes), num_per_class)

    angles = rads[labels] + rate * np.exp(features[:, 0])
    rotations = np.stack([np.cos(angles), -np.sin(angles), np.sin(angles), np.cos(angles)])
    rotations = np.reshape(rotations.T, (-1, 2, 2))

    return np.einsum("ti,tij->tj", features, rotations)


def setup(num_per_class=6):
    data_dimension = 2  # Normally the data dimension would be much higher.
    latent_dimension = 2

    params_per_gp, predict, log_marginal_likelihood = make_gp_funs(
        rbf_covariance, num_cov_params=latent_dimension + 1
    )
    total_gp_params = data_dimension * params_per_gp

    data = make_pinwheel(radial_std=0.3, tangential_std=0.05, num_classes=3,
                         num_per_class=num_per_class, rate=0.4, rs=np.random.RandomState(0))
    datalen = data.shape[0]

    num_latent_params = datalen * latent_dimension

    def unpack_params(params):
        gp_params = np.reshape(params[:total_gp_params], (data_dimension, params_per_gp))
        latents = np.reshape(params[total_gp_params:], (datalen, latent_dimension))
        return gp_params, latents

    def objective(params):
        gp_params, latents = unpack_params(params)
        gp_likelihood = sum(
            [log_marginal_likelihood(gp_params[i], latents, data[:, i]) for i in range(data_dimension)]
        )
        latent_prior_likelihood = np.sum(norm.logpdf(latents))
        return -gp_likelihood - latent_prior_likelihood

    rs = np.random.RandomState(1)
    init_params = rs.randn(total_gp_params + num_latent_params) * 0.1
    return Setup(objective, (init_params,),
                 data={"data": data, "data_dimension": data_dimension,
                       "latent_dimension": latent_dimension})
