"""Writes into arrays the function owns are functionalised (issue 11, item 4); writes
into parameters and views stay refused. Gradients against central differences and
against SciPy's own Hessian."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

from bpcompiler import InPlaceMutationError, UnsupportedOperationError, compile_grad

from support.fd import check

RNG = np.random.default_rng(3)


def padded(x):
    out = np.zeros(x.size + 2)
    out[1:-1] = x
    out[0] = x[0] * x[1]
    out[-1] = 2.0
    return np.sum(np.sin(out) * np.arange(1.0, x.size + 3))


def normalised(x):
    v = x * 1.0
    v /= np.sum(v * v)
    v *= 3.0
    v -= x[0]
    return np.sum(v ** 3)


def accumulated(x):
    acc = np.zeros(3)
    for i in range(x.size - 2):
        acc += x[i:i + 3] ** 2
    return np.sum(acc * np.array([1.0, -2.0, 0.5]))


def add_at(x):
    out = np.zeros(4)
    np.add.at(out, [0, 0, 2, 3], x[:4] ** 2)
    np.add.at(out, 1, x[0])
    return np.sum(np.cos(out))


def masks_and_arrays(x):
    out = np.ones_like(x)
    out[x.size // 2:] = np.tanh(x[: x.size - x.size // 2])
    out[np.array([0, 2])] = x[1] * np.array([1.0, 3.0])
    keep = np.arange(x.size) % 2 == 1
    out[keep] = out[keep] * x[keep]
    return np.sum(out ** 2)


def matrix_rows(x):
    m = np.zeros((3, x.size))
    m[0] = x
    m[1, 1:] = np.diff(x)
    m[2, :] += x ** 2
    m[:, 0] = 1.0
    return np.sum(m @ x)


def copies_leave_the_original(x):
    y = np.array(x)
    y[0] = 10.0
    z = x.copy()
    z[1] += 1.0
    return np.sum(x * y * z)


def aliases_see_the_write(x):
    out = np.zeros(x.size)
    alias = out
    out[0] = x[0]
    out += x
    return np.sum(alias ** 2)


def concrete_masks(x):
    mask = np.zeros(x.size, dtype=bool)
    mask[1] = True
    total = x[0]
    if mask[1]:  # a constant: the function may branch on it
        total = total + np.sum(np.where(mask, x, 0.0))
    return total * float(np.sum(mask))


FUNCTIONS = [padded, normalised, accumulated, add_at, masks_and_arrays, matrix_rows,
             copies_leave_the_original, aliases_see_the_write, concrete_masks]


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", [4, 7])
def test_writes_into_owned_arrays(fn, n):
    check(fn, RNG.uniform(-1.0, 1.0, size=n))


@pytest.mark.parametrize("n", [3, 6])
def test_rosen_der_compiles_and_its_gradient_is_rosen_hess(n):
    w = RNG.normal(size=n)

    def f(x):
        return np.sum(scipy.optimize.rosen_der(x) * w)
    x = RNG.uniform(-1, 1, size=n)
    g = compile_grad(f, (x,)).module.grad(x)[0]
    np.testing.assert_allclose(g, scipy.optimize.rosen_hess(x) @ w, rtol=1e-10, atol=1e-10)


def write_arg(x):
    x[0] = 1.0
    return np.sum(x)


def iadd_arg(x):
    x += 1.0
    return np.sum(x)


def add_at_arg(x):
    np.add.at(x, [0], 1.0)
    return np.sum(x)


def write_view(x):
    m = np.zeros((2, 3)) + x[0]
    row = m[0]
    row[1] = x[1]
    return np.sum(m)


CONSTANT = np.zeros(3)


def add_at_constant(x):
    np.add.at(CONSTANT, [0], x[0])
    return np.sum(CONSTANT)


def repeated_write(x):
    out = np.zeros(3)
    out[[0, 0]] = x[:2]
    return np.sum(out)


@pytest.mark.parametrize("fn, error, words", [
    (write_arg, InPlaceMutationError, ("parameter", "copy it first")),
    (iadd_arg, InPlaceMutationError, ("parameter", "x.copy()")),
    (add_at_arg, InPlaceMutationError, ("parameter",)),
    (write_view, InPlaceMutationError, ("view", "a[0, 1:] = v")),
    (add_at_constant, InPlaceMutationError, ("constant array", "copy")),
    (repeated_write, UnsupportedOperationError, ("twice", "np.add.at")),
], ids=lambda v: getattr(v, "__name__", None))
def test_writes_the_function_does_not_own_are_refused(fn, error, words):
    with pytest.raises(error) as info:
        compile_grad(fn, (np.ones(3),))
    message = str(info.value)
    line = next(i for i, text in enumerate(open(__file__), 1)
                if i > fn.__code__.co_firstlineno and ("x[0] = 1.0" in text or "+=" in text
                                                        or "add.at" in text or "] = " in text))
    assert f"test_writes.py:{line}:" in message, message
    for word in words:
        assert word in message, message
