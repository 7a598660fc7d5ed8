"""autograd examples/lstm.py: an LSTM character model's training loss in a dict of
parameters (reusing rnn.py's helpers, as the original does)."""

import numpy as np
from scipy.special import logsumexp

from . import Setup
from .rnn import LINES, build_dataset, concat_and_multiply, sigmoid


def init_lstm_params(input_size, state_size, output_size, param_scale=0.01, rs=np.random.RandomState(0)):
    def rp(*shape):
        return rs.randn(*shape) * param_scale

    return {
        "init cells": rp(1, state_size),
        "init hiddens": rp(1, state_size),
        "change": rp(input_size + state_size + 1, state_size),
        "forget": rp(input_size + state_size + 1, state_size),
        "ingate": rp(input_size + state_size + 1, state_size),
        "outgate": rp(input_size + state_size + 1, state_size),
        "predict": rp(state_size + 1, output_size),
    }


def lstm_predict(params, inputs):
    def update_lstm(input, hiddens, cells):
        change = np.tanh(concat_and_multiply(params["change"], input, hiddens))
        forget = sigmoid(concat_and_multiply(params["forget"], input, hiddens))
        ingate = sigmoid(concat_and_multiply(params["ingate"], input, hiddens))
        outgate = sigmoid(concat_and_multiply(params["outgate"], input, hiddens))
        cells = cells * forget + ingate * change
        hiddens = outgate * np.tanh(cells)
        return hiddens, cells

    def hiddens_to_output_probs(hiddens):
        output = concat_and_multiply(params["predict"], hiddens)
        return output - logsumexp(output, axis=1, keepdims=True)  # Normalize log-probs.

    num_sequences = inputs.shape[1]
    hiddens = np.repeat(params["init hiddens"], num_sequences, axis=0)
    cells = np.repeat(params["init cells"], num_sequences, axis=0)

    output = [hiddens_to_output_probs(hiddens)]
    for input in inputs:  # Iterate over time steps.
        hiddens, cells = update_lstm(input, hiddens, cells)
        output.append(hiddens_to_output_probs(hiddens))
    return output


def lstm_log_likelihood(params, inputs, targets):
    logprobs = lstm_predict(params, inputs)
    loglik = 0.0
    num_time_steps, num_examples, _ = inputs.shape
    for t in range(num_time_steps):
        loglik += np.sum(logprobs[t] * targets[t])
    return loglik / (num_time_steps * num_examples)


def setup(num_lines=3, num_chars=128):
    train_inputs = build_dataset(LINES[:num_lines + 1], sequence_length=6, alphabet_size=num_chars)
    init_params = init_lstm_params(input_size=num_chars, output_size=num_chars, state_size=5,
                                   param_scale=0.01)

    def training_loss(params, iter):
        return -lstm_log_likelihood(params, train_inputs, train_inputs)

    return Setup(training_loss, (init_params, 0), wrt="params",
                 data={"train_inputs": train_inputs})
