"""autograd examples/generative_adversarial_net.py: the GAN objective's gradient in
both the generator's and the discriminator's parameters (argnum=(0, 1)). The
generator's noise is drawn outside the objective and passed in."""

import numpy as np

from . import Setup


def relu(x):
    return np.maximum(0, x)


def sigmoid(x):
    return 0.5 * (np.tanh(x) + 1.0)


def logsigmoid(x):
    return x - np.logaddexp(0, x)


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


def batch_normalize(activations):
    mbmean = np.mean(activations, axis=0, keepdims=True)
    return (activations - mbmean) / (np.std(activations, axis=0, keepdims=True) + 1)


def neural_net_predict(params, inputs):
    """Params is a list of (weights, bias) tuples.
    inputs is an (N x D) matrix."""
    inpW, inpb = params[0]
    inputs = relu(np.dot(inputs, inpW) + inpb)
    for W, b in params[1:-1]:
        outputs = batch_normalize(np.dot(inputs, W) + b)
        inputs = relu(outputs)
    outW, outb = params[-1]
    outputs = np.dot(inputs, outW) + outb
    return outputs


def generate_from_noise(gen_params, noise):
    samples = neural_net_predict(gen_params, noise)
    return sigmoid(samples)


def gan_objective(gen_params, dsc_params, real_data, noise):
    fake_data = generate_from_noise(gen_params, noise)
    logprobs_fake = logsigmoid(neural_net_predict(dsc_params, fake_data))
    logprobs_real = logsigmoid(neural_net_predict(dsc_params, real_data))
    return np.mean(logprobs_real) - np.mean(logprobs_fake)


def setup(batch_size=6):
    noise_dim = 3
    gen_layer_sizes = [noise_dim, 6, 5, 10]
    dsc_layer_sizes = [10, 6, 5, 1]
    param_scale = 0.3
    train_images = np.random.RandomState(3).rand(18, 10)
    init_gen_params = init_random_params(param_scale, gen_layer_sizes, rs=np.random.RandomState(0))
    init_dsc_params = init_random_params(param_scale, dsc_layer_sizes, rs=np.random.RandomState(1))
    num_batches = int(np.ceil(len(train_images) / batch_size))

    def batch_indices(iter):
        idx = iter % num_batches
        return slice(idx * batch_size, (idx + 1) * batch_size)

    def objective(gen_params, dsc_params, iter, noise):
        idx = batch_indices(iter)
        return gan_objective(gen_params, dsc_params, train_images[idx], noise)

    noise = np.random.RandomState(0).rand(batch_size, noise_dim)
    return Setup(objective, (init_gen_params, init_dsc_params, 1, noise),
                 wrt=("gen_params", "dsc_params"),
                 data={"train_images": train_images, "batch_size": batch_size,
                       "num_batches": num_batches, "noise_dim": noise_dim})
