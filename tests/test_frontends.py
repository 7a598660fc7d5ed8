"""The user's spellings of axis-taking functions, generated from opcases: every
reduction over every axis form (None, int, negative, tuple, keepdims), as a function
and as a method, and the shape functions with negative axes, in both float dtypes.
Each is compiled (which verifies against finite differences) and compared with
element-wise central differences here."""

from __future__ import annotations

import numpy as np
import pytest

from bpcompiler import compile_grad

from support.fd import central_differences
from support.opcases import frontend_reduction_cases

X = np.random.default_rng(42).uniform(0.5, 1.5, (2, 3, 4))


def _compile_and_check(f, x):
    c = compile_grad(f, (x,))
    (g,) = c.module.grad(x)
    assert g.dtype == x.dtype and g.shape == x.shape
    tol = dict(rtol=1e-6, atol=1e-8) if x.dtype == np.float64 else dict(rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(g, central_differences(f, (x.astype(np.float64),), 0), **tol)


REDUCTIONS = frontend_reduction_cases()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", REDUCTIONS, ids=[c[0] for c in REDUCTIONS])
def test_reduction_axis_forms(case, dtype):
    _, name, axis, keepdims, method = case

    def f(x):
        if method:
            y = getattr(x, name)(axis=axis)
        else:
            y = getattr(np, name)(x, axis=axis, keepdims=keepdims)
        w = np.linspace(-1.0, 1.0, int(np.size(y))).reshape(np.shape(y))
        return np.sum(y * w.astype(x.dtype))
    _compile_and_check(f, X.astype(dtype))


SHAPE_FUNCTIONS = {
    "cumsum": lambda x: np.cumsum(x, axis=-1),
    "cumprod": lambda x: x.cumprod(axis=-2),
    "cumsum-flat": lambda x: np.cumsum(x),
    "sort": lambda x: np.sort(x, axis=-2),
    "sort-flat": lambda x: np.sort(x, axis=None),
    "concatenate": lambda x: np.concatenate([x, x[:, :1]], axis=-2),
    "stack": lambda x: np.stack([x, 2 * x], axis=-1),
    "take": lambda x: np.take(x, [3, 0, 3], axis=-1),
    "flip": lambda x: np.flip(x, axis=(-1, 0)),
    "squeeze": lambda x: np.squeeze(x[:, :1], axis=-2),
    "expand_dims": lambda x: np.expand_dims(x, -1),
    "moveaxis": lambda x: np.moveaxis(x, -1, 0),
    "swapaxes": lambda x: np.swapaxes(x, -1, -3),
    "repeat": lambda x: np.repeat(x, 2, axis=-1),
    "split": lambda x: np.split(x, 2, axis=-1)[1],
    "norm": lambda x: np.linalg.norm(x, axis=-1, keepdims=True),
    "diff": lambda x: np.diff(x, axis=-2),
    "tensordot": lambda x: np.tensordot(x, x, axes=([-1, 0], [-1, 0])),
    "einsum-ellipsis": lambda x: np.einsum("...ij,...kj->...ik", x, x),
    "einsum-diagonal": lambda x: np.einsum("ii->", x[0, :, :3]) + np.einsum("bii->bi", x[:, :, 1:])
    + np.einsum("ij,jj->i", x[0, :, :3], x[1, :, :3].T @ x[1, :, :3]),
    "transpose-method": lambda x: x.transpose(2, 0, 1),
    "dot-nd": lambda x: np.dot(x, x[0].T),
    "diagonal": lambda x: np.diagonal(x, 1, -2, -1),
    "diag": lambda x: np.diag(np.diag(x[0])),
    "norm-ord": lambda x: (np.linalg.norm(x[0], 1, axis=-1) + np.linalg.norm(x[1], np.inf, axis=0)
                           .sum() + np.linalg.norm(x[0, 0], 3)),
    "mod": lambda x: np.mod(x, 0.4) + x % 0.3,
    "atleast": lambda x: np.atleast_2d(x[0, 0]) * np.atleast_3d(x[1, 1]).sum()
    + np.atleast_1d(x[0, 0, 0]),
    "broadcast_arrays": lambda x: np.broadcast_arrays(x[0, :1], x[1])[0] * 2.0,
    "multi_dot": lambda x: np.linalg.multi_dot([x[0], x[1].T, x[0]]),
    "cross": lambda x: np.cross(x[..., :3], x[..., 1:]),
    "triu-tril": lambda x: np.triu(x) + np.tril(x, -1) * 3.0,
    "average": lambda x: np.average(x, axis=-1, weights=np.arange(1.0, 5.0))
    + np.average(x, weights=x * x),
    "polyval": lambda x: np.polyval([0.5, -1.0, 2.0], x) + np.polyval(x[0, 0], x[1, 1, 0]),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(SHAPE_FUNCTIONS))
def test_negative_axes_in_shape_functions(name, dtype):
    fn = SHAPE_FUNCTIONS[name]

    def f(x):
        y = fn(x)
        w = np.linspace(-1.0, 1.0, int(np.size(y))).reshape(np.shape(y))
        return np.sum(y * w.astype(x.dtype))
    _compile_and_check(f, X.astype(dtype))
