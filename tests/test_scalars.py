"""Python floats, NumPy scalars and 0-d arrays behave as NumPy says (issue 10, item 6):
values have NumPy's dtype, NumPy functions on floats keep NumPy's semantics under a mask,
and each gradient has exactly its parameter's type and dtype. References: autograd and
central differences (support/fd.py)."""

from __future__ import annotations

import math
import warnings

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from bpcompiler import compile_grad
from support.fd import central_differences


def seed_np(w10, b10, w11, b11, w20_0, w20_1, b20_0, b20_1, x00, x01):
    x10 = np.tanh(w10 * x00 + b10)
    x11 = np.tanh(w11 * x01 + b11)
    return np.tanh(w20_0 * x10 + b20_0 + w20_1 * x11 + b20_1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_seed_network_written_with_np_tanh_on_floats(seed):
    rng = np.random.default_rng(seed)
    args = tuple(float(v) for v in rng.uniform(-1, 1, 10))
    c = compile_grad(seed_np, args, wrt=("w10", "b10", "w11", "b11", "w20_0", "w20_1",
                                          "b20_0", "b20_1"))
    value, grads = c.module.value_and_grad(*args)
    assert type(value) is np.float64 and value == seed_np(*args)
    for i, g in enumerate(grads):
        assert type(g) is float
        assert g == pytest.approx(autograd.grad(_seed_anp, i)(*args), rel=1e-12)


def _seed_anp(w10, b10, w11, b11, w20_0, w20_1, b20_0, b20_1, x00, x01):
    x10 = anp.tanh(w10 * x00 + b10)
    x11 = anp.tanh(w11 * x01 + b11)
    return anp.tanh(w20_0 * x10 + b20_0 + w20_1 * x11 + b20_1)


def masked_divide(a, b):
    return np.where(a > 0, a, np.divide(1.0, b)) + a * b


def masked_power(a, b):
    return np.where(a > 0, np.power(a, b), b) + a


def masked_arcsin(a):
    return np.where(abs(a) < 1, np.arcsin(a), a * a)


def masked_cosh(a):
    return np.where(a < 100, np.cosh(a), a)


# (function, example, a point where the untaken branch is inf, nan or would raise)
MASKED = [(masked_divide, (0.5, 0.3), (0.7, 0.0)),
          (masked_power, (0.5, 1.5), (-1.0, 0.5)),
          (masked_arcsin, (0.4,), (2.0,)),
          (masked_cosh, (0.4,), (1000.0,))]


@pytest.mark.parametrize("f, example, bad", MASKED, ids=[m[0].__name__ for m in MASKED])
def test_numpy_functions_on_floats_keep_numpy_semantics_under_a_mask(f, example, bad):
    c = compile_grad(f, example)
    for point in (example, bad):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            with np.errstate(all="ignore"):
                value, grads = c.module.value_and_grad(*point)
                ref = f(*point)
        assert np.asarray(value).dtype == np.asarray(ref).dtype and value == ref
        for i, g in enumerate(grads):
            assert type(g) is float and math.isfinite(g)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                assert g == pytest.approx(central_differences(f, point, i), rel=1e-6,
                                          abs=1e-8)


def test_math_pow_on_a_float32_scalar():
    def f(x):
        return math.pow(x, 3.0) + x
    for x in (np.float32(0.5), np.float32(-1.25)):
        c = compile_grad(f, (x,))
        value, (g,) = c.module.value_and_grad(x)
        assert type(value) is type(f(x)) and value == f(x)
        assert type(g) is np.float32
        assert g == pytest.approx(3 * float(x) ** 2 + 1, rel=1e-6)


@pytest.mark.parametrize("x", [0.3, -1.1, 2.5])
def test_float64_scalar_read_by_math_gets_a_float64_gradient(x):
    def f(x):
        return math.sin(x)
    c = compile_grad(f, (np.float64(x),))
    (g,) = c.module.grad(np.float64(x))
    assert type(g) is np.float64 and g == pytest.approx(math.cos(x), rel=1e-14)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_float32_scaled_by_a_math_result_keeps_float32(shape):
    def f(x, s):
        return np.sum(x * math.exp(s) + math.sqrt(s + 2.0) * x)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, shape).astype(np.float32) if shape else np.float32(0.7)
    c = compile_grad(f, (x, 0.3))
    value, (dx, ds) = c.module.value_and_grad(x, 0.3)
    assert np.asarray(value).dtype == np.asarray(f(x, 0.3)).dtype == np.float32
    assert type(dx) is type(x) and np.asarray(dx).dtype == np.float32
    assert np.shape(dx) == shape and type(ds) is float
    np.testing.assert_allclose(dx, np.full(shape, math.exp(0.3) + math.sqrt(2.3)), rtol=1e-6)
    total = float(np.sum(x.astype(np.float64)))
    assert ds == pytest.approx(total * (math.exp(0.3) + 0.5 / math.sqrt(2.3)), rel=1e-5)


@pytest.mark.parametrize("value", [0.7, -1.3])
def test_zero_d_array_parameters_stay_arrays(value):
    def f(x, w):
        return x.dot(x) * np.sum(w) + np.sin(x)
    x, w = np.array(value), np.array([0.5, -0.25])
    c = compile_grad(f, (x, w))
    dx, dw = c.module.grad(x, w)
    assert isinstance(dx, np.ndarray) and dx.shape == () and dx.dtype == np.float64
    assert float(dx) == pytest.approx(2 * value * 0.25 + math.cos(value), rel=1e-12)
    np.testing.assert_allclose(dw, [value * value] * 2)


def test_dot_of_a_python_float_and_a_float32_array_is_float64():
    def f(a, x):
        return np.sum(np.dot(a, x))
    x = np.array([1.0, 2.0, 3.5], np.float32)
    c = compile_grad(f, (0.5, x))
    value, (da, dx) = c.module.value_and_grad(0.5, x)
    assert np.asarray(value).dtype == np.asarray(f(0.5, x)).dtype == np.float64
    assert type(da) is float and da == pytest.approx(6.5)
    assert dx.dtype == np.float32 and np.allclose(dx, 0.5)


KINDS = [0.4, np.float64(0.4), np.float32(0.4), np.array(0.4), np.array(0.4, np.float32),
         np.array([0.4, -0.2]), np.array([[0.4], [0.1]], np.float32)]


@pytest.mark.parametrize("x", KINDS, ids=lambda x: f"{type(x).__name__}-{np.asarray(x).dtype}"
                         f"-{np.ndim(x)}d")
@pytest.mark.parametrize("how", ["np", "math", "ops"])
def test_each_gradient_has_exactly_its_parameters_type(x, how):
    if how == "math" and np.ndim(x):
        pytest.skip("math takes scalars")

    def f(x, y):
        if how == "np":
            return np.sum(np.tanh(x) * y)
        if how == "math":
            return math.exp(x) * y
        return np.sum(x * x * y - x)
    y = 1.5
    c = compile_grad(f, (x, y))
    dx, dy = c.module.grad(x, y)
    if isinstance(x, np.ndarray):
        assert isinstance(dx, np.ndarray) and dx.shape == x.shape and dx.dtype == x.dtype
    else:
        assert type(dx) is type(x)
    assert type(dy) is float
    ref = {"np": lambda x, y: anp.sum(anp.tanh(x) * y),
           "math": lambda x, y: anp.exp(x) * y,
           "ops": lambda x, y: anp.sum(x * x * y - x)}[how]
    x64 = np.asarray(x, np.float64) if np.ndim(x) else float(x)
    tol = 1e-5 if np.asarray(x).dtype == np.float32 else 1e-12
    np.testing.assert_allclose(np.asarray(dx, np.float64), autograd.grad(ref, 0)(x64, y),
                               rtol=tol)
