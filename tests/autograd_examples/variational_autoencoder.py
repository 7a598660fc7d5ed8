"""autograd examples/variational_autoencoder.py: the VAE's minibatch objective in
(generator, recogniser) parameters, with batch normalisation. The original samples
the latents from a RandomState passed down to sample_diag_gaussian; here the same
standard-normal draw is made outside and passed down instead."""

import numpy as np
from scipy.stats import norm

from . import Setup


def diag_gaussian_log_density(x, mu, log_std):
    return np.sum(norm.logpdf(x, mu, np.exp(log_std)), axis=-1)


def unpack_gaussian_params(params):
    # Params of a diagonal Gaussian.
    D = np.shape(params)[-1] // 2
    mean, log_std = params[:, :D], params[:, D:]
    return mean, log_std


def sample_diag_gaussian(mean, log_std, eps):
    return eps * np.exp(log_std) + mean


def bernoulli_log_density(targets, unnormalized_logprobs):
    # unnormalized_logprobs are in R
    # Targets must be -1 or 1
    label_probabilities = -np.logaddexp(0, -unnormalized_logprobs * targets)
    return np.sum(label_probabilities, axis=-1)  # Sum across pixels.


def relu(x):
    return np.maximum(0, x)


def init_net_params(scale, layer_sizes, rs=np.random.RandomState(0)):
    """Build a (weights, biases) tuples for all layers."""
    return [
        (
            scale * rs.randn(m, n),  # weight matrix
            scale * rs.randn(n),
        )  # bias vector
        for m, n in zip(layer_sizes[:-1], layer_sizes[1:])
    ]


def batch_normalize(activations):
    mbmean = np.mean(activations, axis=0, keepdims=True)
    return (activations - mbmean) / (np.std(activations, axis=0, keepdims=True) + 1)


def neural_net_predict(params, inputs):
    """Params is a list of (weights, bias) tuples.
    inputs is an (N x D) matrix.
    Applies batch normalization to every layer but the last."""
    for W, b in params[:-1]:
        outputs = batch_normalize(np.dot(inputs, W) + b)  # linear transformation
        inputs = relu(outputs)  # nonlinear transformation
    outW, outb = params[-1]
    outputs = np.dot(inputs, outW) + outb
    return outputs


def nn_predict_gaussian(params, inputs):
    # Returns means and diagonal variances
    return unpack_gaussian_params(neural_net_predict(params, inputs))


def p_images_given_latents(gen_params, images, latents):
    preds = neural_net_predict(gen_params, latents)
    return bernoulli_log_density(images, preds)


def vae_lower_bound(gen_params, rec_params, data, eps):
    # We use a simple Monte Carlo estimate of the KL
    # divergence from the prior.
    q_means, q_log_stds = nn_predict_gaussian(rec_params, data)
    latents = sample_diag_gaussian(q_means, q_log_stds, eps)
    q_latents = diag_gaussian_log_density(latents, q_means, q_log_stds)
    p_latents = diag_gaussian_log_density(latents, 0, 0)
    likelihood = p_images_given_latents(gen_params, data, latents)
    return np.mean(p_latents + likelihood - q_latents)


def binarise(images):
    on = images > 0.5
    images = images * 0 - 1
    images[on] = 1.0
    return images


def setup(batch_size=8):
    latent_dim = 2
    data_dim = 12
    gen_layer_sizes = [latent_dim, 6, 5, data_dim]
    rec_layer_sizes = [data_dim, 5, 6, latent_dim * 2]
    param_scale = 0.1
    train_images = binarise(np.random.RandomState(2).rand(24, data_dim))

    init_gen_params = init_net_params(param_scale, gen_layer_sizes, rs=np.random.RandomState(0))
    init_rec_params = init_net_params(param_scale, rec_layer_sizes, rs=np.random.RandomState(1))
    combined_init_params = (init_gen_params, init_rec_params)
    num_batches = int(np.ceil(len(train_images) / batch_size))

    def batch_indices(iter):
        idx = iter % num_batches
        return slice(idx * batch_size, (idx + 1) * batch_size)

    def objective(combined_params, iter, eps):
        data_idx = batch_indices(iter)
        gen_params, rec_params = combined_params
        return -vae_lower_bound(gen_params, rec_params, train_images[data_idx], eps) / data_dim

    eps = np.random.RandomState(0).randn(batch_size, latent_dim)
    return Setup(objective, (combined_init_params, 1, eps), wrt="combined_params",
                 data={"train_images": train_images, "batch_size": batch_size,
                       "num_batches": num_batches, "data_dim": data_dim})
