"""autograd examples/ode_net.py: a neural ODE's L1 trajectory loss, integrated with
scipy.integrate.odeint (autograd differentiates odeint by its adjoint ODE)."""

import numpy as np
from scipy.integrate import odeint

from . import Setup

N = 8  # Dataset size
D = 2  # Data dimension
max_T = 1.5


# Two-dimensional damped oscillator
def func(y, t0, A):
    return np.dot(y**3, A)


def nn_predict(inputs, t, params):
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = np.maximum(0, outputs)
    return outputs


def init_nn_params(scale, layer_sizes, rs=np.random.RandomState(0)):
    """Build a list of (weights, biases) tuples, one for each layer."""
    return [
        (
            rs.randn(insize, outsize) * scale,  # weight matrix
            rs.randn(outsize) * scale,
        )  # bias vector
        for insize, outsize in zip(layer_sizes[:-1], layer_sizes[1:])
    ]


# Define neural ODE model.
def ode_pred(params, y0, t):
    return odeint(nn_predict, y0, t, args=(params,), rtol=0.01)


def L1_loss(pred, targets):
    return np.mean(np.abs(pred - targets))


def setup():
    true_y0 = np.array([2.0, 0.0]).T
    t = np.linspace(0.0, max_T, N)
    true_A = np.array([[-0.1, 2.0], [-2.0, -0.1]])
    true_y = odeint(func, true_y0, t, args=(true_A,))

    def train_loss(params, iter):
        pred = ode_pred(params, true_y0, t)
        return L1_loss(pred, true_y)

    init_params = init_nn_params(0.1, layer_sizes=[D, 10, D], rs=np.random.RandomState(0))
    return Setup(train_loss, (init_params, 0), wrt="params",
                 data={"true_y0": true_y0, "t": t, "true_y": true_y})
