"""autograd examples/hmm_em.py: the E step's gradient of an HMM's log partition
function in its natural parameters (the expected sufficient statistics), over a list
of integer-coded sequences."""

from functools import partial

import numpy as np
from scipy.special import logsumexp

from . import Setup


def normalize(a):
    def replace_zeros(a):
        return np.where(a > 0.0, a, 1.0)

    return a / replace_zeros(a.sum(-1, keepdims=True))


def log_partition_function(natural_params, data):
    if isinstance(data, list):
        return sum(map(partial(log_partition_function, natural_params), data))

    log_pi, log_A, log_B = natural_params

    log_alpha = log_pi
    for y in data:
        log_alpha = logsumexp(log_alpha[:, None] + log_A, axis=0) + log_B[:, y]

    return logsumexp(log_alpha)


def initialize_hmm_parameters(num_states, num_outputs):
    init_pi = normalize(np.random.rand(num_states))
    init_A = normalize(np.random.rand(num_states, num_states))
    init_B = normalize(np.random.rand(num_states, num_outputs))
    return init_pi, init_A, init_B


def build_dataset(lines, num_outputs):
    """Encodes each line as a sequence of symbols."""
    return [np.array([ord(c) % num_outputs for c in line]) for line in lines]


def setup():
    np.random.seed(0)
    num_states, num_outputs = 4, 6
    train_inputs = build_dataset(["hidden markov", "model", "em"], num_outputs)
    params = initialize_hmm_parameters(num_states, num_outputs)
    natural_params = list(map(np.log, params))
    return Setup(log_partition_function, (natural_params, train_inputs), wrt="natural_params",
                 data={"train_inputs": train_inputs})
