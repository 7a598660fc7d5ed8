"""Derivatives taken inside the compiled function with autograd's operators (nested.py):
grad of grad, Hessians, Jacobians, Hessian-vector products and forward-mode JVPs of
traced values become nodes of the one graph. Each compiled module is compared with
autograd differentiating the same function, at the example and at another point."""

from __future__ import annotations

import numpy as np
import pytest

autograd = pytest.importorskip("autograd", reason="autograd is the reference here")
import autograd.core  # noqa: E402
import autograd.numpy as anp  # noqa: E402
from autograd import (elementwise_grad, grad, grad_and_aux, hessian,  # noqa: E402
                      hessian_vector_product, jacobian, make_jvp, value_and_grad)

from bpcompiler import compile_grad  # noqa: E402
from bpcompiler.errors import CompileError  # noqa: E402


def energy(x):
    return np.sum(np.sin(x) * x ** 2) + np.sum(np.tanh(x[1:] * x[:-1]))


def gradient_norm(x):
    return np.sum(grad(energy)(x) ** 2)


def hessian_frobenius(x):
    return np.sum(hessian(energy)(x) ** 2)


def jacobian_cubes(x):
    return np.sum(jacobian(np.tanh)(x * x) ** 3)


def newton_step(x, v):
    return np.sum((x - 0.1 * hessian_vector_product(energy)(x, v)) ** 2)


def forward_mode(x):
    value, tangent = make_jvp(energy)(x)(np.cos(x))
    return value * tangent


def value_and_aux(x):
    value, g = value_and_grad(energy)(x)
    (g2, aux) = grad_and_aux(lambda y: (energy(y), np.sum(y)))(x)
    return value * aux + np.sum(g * g2)


def elementwise(x):
    return np.sum(elementwise_grad(lambda y: np.sin(y) * y)(x) ** 2)


def of_a_list(x):
    params = [x, 2.0 * x]
    grads = grad(lambda ps: np.sum(ps[0] * np.exp(ps[1])))(params)
    return np.sum(grads[0] * grads[1])


def closure_is_not_the_argument(x):
    # d/dy (x * y) is x, not 2x: the closure's x is not the variable
    return grad(lambda y: np.sum(x * y))(x)[0] * x[1]


def of_a_constant(x):
    return x * grad(lambda y: np.sin(y) * y)(3.0) + np.sum(grad(lambda y: np.sum(y ** 3))(
        np.ones(2)))


CASES = [gradient_norm, hessian_frobenius, jacobian_cubes, forward_mode, value_and_aux,
         elementwise, of_a_list, closure_is_not_the_argument]


def _autograd_version(f):
    """`f` with NumPy replaced by autograd's wrapper, for autograd to differentiate."""
    import types
    env = dict(f.__globals__, np=anp)
    return types.FunctionType(f.__code__, env, f.__name__, f.__defaults__, f.__closure__)


@pytest.mark.parametrize("f", CASES, ids=lambda f: f.__name__)
def test_matches_autograd_at_two_points(f):
    rng = np.random.default_rng(3)
    x = rng.normal(size=5)
    module = compile_grad(f, (x,)).module
    reference = _autograd_version(f)
    # energy and the lambdas must see autograd's NumPy too
    reference.__globals__["energy"] = _autograd_version(energy)
    for point in (x, rng.normal(size=5)):
        value, (g,) = module.value_and_grad(point)
        np.testing.assert_allclose(value, reference(point), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g, grad(reference)(point), rtol=1e-10, atol=1e-12)


def test_hessian_vector_product_with_two_parameters():
    rng = np.random.default_rng(4)
    x, v = rng.normal(size=4), rng.normal(size=4)
    module = compile_grad(newton_step, (x, v)).module
    reference = _autograd_version(newton_step)
    reference.__globals__["energy"] = _autograd_version(energy)
    _, (gx, gv) = module.value_and_grad(x, v)
    np.testing.assert_allclose(gx, grad(reference, 0)(x, v), rtol=1e-10)
    np.testing.assert_allclose(gv, grad(reference, 1)(x, v), rtol=1e-10)


def test_a_constant_argument_is_differentiated_too():
    module = compile_grad(of_a_constant, (2.0,)).module
    value, (g,) = module.value_and_grad(1.5)
    inner = np.sin(3.0) + 3.0 * np.cos(3.0)
    assert value == pytest.approx(1.5 * inner + 6.0, rel=1e-12)
    assert g == pytest.approx(inner, rel=1e-12)


def test_the_nested_gradient_reads_like_backprop():
    source = compile_grad(gradient_norm, (np.ones(4),)).source
    assert "autograd" not in source  # the module is standalone NumPy
    assert "d_x" in source


def test_autograd_is_left_as_it_was():
    saved = autograd.core.trace, autograd.core.backward_pass

    def bad(x):
        return grad(lambda y: np.sum(y.astype(np.int64)))(x.astype(np.int64))

    with pytest.raises(CompileError, match="int64 value"):
        compile_grad(bad, (np.ones(3),))
    compile_grad(gradient_norm, (np.ones(3),))
    assert (autograd.core.trace, autograd.core.backward_pass) == saved
    assert grad(lambda y: y * y)(3.0) == 6.0  # autograd outside a trace is autograd


def test_a_primitive_method_keeps_its_object():
    # autograd.extend.primitive on a method: the bound method is the raw method, bound
    from autograd.extend import primitive

    class Scaled:
        def __init__(self, k):
            self.k = k

        @primitive
        def apply(self, x, y):
            return self.k * x * y

    apply = Scaled(3.0).apply  # the bound method itself is what f reads

    def f(x, y):
        return np.sum(apply(x, y))

    x, y = np.arange(1.0, 4.0), np.full(3, 2.0)
    _, (gx, gy) = compile_grad(f, (x, y)).module.value_and_grad(x, y)
    np.testing.assert_allclose(gx, 3.0 * y)
    np.testing.assert_allclose(gy, 3.0 * x)

