"""Programs whose emitted modules tests/test_typing.py type-checks with mypy --strict and
whose hints it checks against the values the functions return: every kind of parameter
(Python floats, arrays of each dtype, 0-d arrays, structures, defaults, keyword-only and
static parameters), results (scalars, arrays, structures), SciPy, and every emit mode."""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import numpy as np
import scipy.special as sp

ALL_MODES = ("grad", "jvp", "vjp", "jacobian", "hvp", "hessian")


def scalar_net(w, b, x):  # math only: the module must not import NumPy for its hints
    return math.tanh(w * x + b) ** 2 + math.exp(-w * w)


def mixed_scalars(x, y):  # Python floats through NumPy: NumPy scalars and 0-d arrays
    z = x * y - 0.1
    a = np.where(z > 0, z, 0.01 * z)
    return a * a + math.exp(x)


def mlp(W1, b1, W2, X, Y):
    h = np.tanh(X @ W1 + b1)
    return np.mean((h @ W2 - Y) ** 2)


def small(w, X, y):  # small enough for a Jacobian and a Hessian
    return np.sum(np.sin(X @ w) * y) + w @ w


def float32_loss(w, X):
    return np.sum(np.tanh(X @ w) ** 2)


def zero_d(logits, T):  # T: a 0-d array
    z = logits / T
    p = np.exp(z) / np.sum(np.exp(z))
    return np.sum(p * np.log(p))


def masked(w, X, mask, labels):  # int and bool data beside float parameters
    r = X @ w - labels
    return np.sum(np.where(mask, r * r, 0.0))


def layers(params, x):  # a list of tuples of arrays
    h = x
    for W, b in params:
        h = np.tanh(h @ W + b)
    return np.mean(h)


def dict_params(p, x):
    return np.sum(np.tanh(x @ p["W"] + p["b"]) ** 2) + np.sum(p["nested"]["c"] * x)


class Layer(NamedTuple):
    W: np.ndarray
    b: np.ndarray


@dataclasses.dataclass
class DLayer:
    W: np.ndarray
    b: np.ndarray


def layer_loss(layer, x):
    return np.sum(np.sin(x @ layer.W + layer.b))


def options(w, X, steps=3, *, scale=0.5, mode="tanh"):  # defaults, keyword-only, static
    h = X @ w
    for _ in range(steps):
        h = np.tanh(h) if mode == "tanh" else np.sin(h)
    return scale * np.sum(h * h)


def special(x):  # SciPy
    return np.sum(sp.erf(x) * sp.expit(x)) + sp.logsumexp(x)


def residuals(w, b, X, y):  # an array result
    return X @ w + b - y


def summaries(W):  # a structured result
    return np.sum(W * W), np.tanh(W[0]), np.sum(W) * 2.0


def named_summaries(W):
    return {"total": np.sum(W * W), "first": np.sin(W[0])}


def portable(w, X, y):  # the array-API target
    r = np.tanh(X @ w) - y
    return np.mean(r * r) + 0.5 * np.sum(w * w)


def _rng(seed=0):
    return np.random.default_rng(seed)


def cases():
    """(id, function, args, compile_grad keyword arguments)."""
    r = _rng()
    layers_ = [(r.normal(size=(3, 4)), r.normal(size=4)), (r.normal(size=(4, 2)),
                                                          r.normal(size=2))]
    dict_ = {"W": r.normal(size=(3, 2)), "b": r.normal(size=2),
             "nested": {"c": r.normal(size=3)}}
    X8 = r.normal(size=(8, 3))
    mlp_args = (r.normal(size=(3, 5)), r.normal(size=5), r.normal(size=(5, 2)), X8,
                r.normal(size=(8, 2)))
    return [
        ("scalar_net", scalar_net, (0.3, -0.2, 0.7), {}),
        ("scalar_net_modes", scalar_net, (0.3, -0.2, 0.7), {"emit": ALL_MODES}),
        ("mixed_scalars", mixed_scalars, (0.8, 0.6), {"emit": ("grad", "jvp", "vjp")}),
        ("mlp", mlp, mlp_args, {}),
        ("mlp_symbolic", mlp, mlp_args, {"specs": {"W1": "f64[3,5]", "b1": "f64[5]",
                                                   "W2": "f64[5,2]", "X": "f64[N,3] data",
                                                   "Y": "f64[N,2] data"}}),
        ("small_modes", small, (r.normal(size=3), X8, r.normal(size=8)),
         {"emit": ALL_MODES}),
        ("float32", float32_loss, (r.normal(size=3).astype(np.float32),
                                   X8.astype(np.float32)), {"emit": ("grad", "jvp", "vjp")}),
        ("zero_d", zero_d, (r.normal(size=6), np.array(1.5)), {"emit": ("grad", "hvp")}),
        ("masked", masked, (r.normal(size=3), X8, r.normal(size=8) > 0,
                            r.integers(0, 3, size=8)), {"wrt": "w"}),
        ("layers", layers, (layers_, r.normal(size=(5, 3))), {}),
        ("dict_params", dict_params, (dict_, r.normal(size=(4, 3))), {"wrt": ("p",)}),
        ("namedtuple", layer_loss, (Layer(r.normal(size=(3, 2)), r.normal(size=2)), X8),
         {"wrt": "layer"}),
        ("dataclass", layer_loss, (DLayer(r.normal(size=(3, 2)), r.normal(size=2)), X8),
         {"wrt": "layer"}),
        ("options", options, {"w": r.normal(size=3), "X": X8, "steps": 2, "scale": 0.25},
         {"wrt": ("w", "scale")}),
        ("special", special, (r.normal(size=4),), {"emit": ("grad", "hvp")}),
        ("residuals", residuals, (r.normal(size=3), 0.1, X8, r.normal(size=8)),
         {"emit": ("jvp", "vjp", "jacobian")}),
        ("summaries", summaries, (r.normal(size=(2, 3)),),
         {"emit": ("jvp", "vjp", "jacobian")}),
        ("named_summaries", named_summaries, (r.normal(size=(2, 3)),),
         {"emit": ("jvp", "vjp", "jacobian")}),
        ("portable", portable, (r.normal(size=3), X8, r.normal(size=8)),
         {"target": "array-api"}),
        ("portable_scalars", scalar_net, (0.3, -0.2, 0.7), {"target": "array-api"}),
    ]
