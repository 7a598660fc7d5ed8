"""Emitted code uses the idioms a person writes, decided on the graph while lowering:
`keepdims=True` rather than a reshape restoring a reduction's axes, `x[..., None]` /
`x[None]` for a reshape adding a unit axis, and constant sub-expressions of the gradient
computed once at import (hoist.py). Each module is also checked numerically against
autograd, so a spelling that changes the value fails."""

from __future__ import annotations

import ast

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from bpcompiler import compile_grad
from support.examples import example

RNG = np.random.default_rng(7)
WEIGHTS = np.linspace(0.5, 2.0, 64).reshape(8, 8)  # a module constant too large to fold


def centred(x):
    return np.sum((x - np.mean(x, axis=1, keepdims=True)) ** 2 * np.tanh(x))


def centred_ref(x):
    return anp.sum((x - anp.mean(x, axis=1, keepdims=True)) ** 2 * anp.tanh(x))


def trailing(x, y):
    return np.sum(np.tanh(np.reshape(x, (4, 3, 1)) * y))


def trailing_ref(x, y):
    return anp.sum(anp.tanh(anp.reshape(x, (4, 3, 1)) * y))


def leading(x, y):
    return np.sum(np.sin(np.reshape(x, (1, 4, 3)) + y) ** 2)


def leading_ref(x, y):
    return anp.sum(anp.sin(anp.reshape(x, (1, 4, 3)) + y) ** 2)


def weighted(x):
    return 0.5 * np.sum(np.tanh(x) ** 2 * WEIGHTS)


def weighted_ref(x):
    return 0.5 * anp.sum(anp.tanh(x) ** 2 * WEIGHTS)


def _agrees(c, ref, args):
    grads = c.module.grad(*args)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(g, autograd.grad(ref, i)(*args), rtol=1e-10, atol=1e-12)


def _body_lines(source: str, function: str) -> list[str]:
    tree = ast.parse(source)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    return [ast.unparse(s) for s in fn.body]


@pytest.mark.parametrize("shape", [(3, 5), (6, 2)])
def test_restored_axes_are_keepdims(shape):
    x = RNG.normal(size=shape)
    c = compile_grad(centred, (x,))
    assert "np.reshape" not in c.source
    assert "np.sum(" in c.source and "keepdims=True" in "".join(
        _body_lines(c.source, "value_and_grad")[-6:])
    _agrees(c, centred_ref, (x,))


@pytest.mark.parametrize("f, ref, y_shape, index", [
    (trailing, trailing_ref, (4, 3, 2), "[..., None]"),
    (leading, leading_ref, (2, 4, 3), "[None]"),
])
def test_a_unit_axis_is_an_index(f, ref, y_shape, index):
    args = (RNG.normal(size=(4, 3)), RNG.normal(size=y_shape))
    c = compile_grad(f, args)
    forward = "\n".join(_body_lines(c.source, "forward"))
    assert f"x{index}" in forward and "np.reshape" not in forward
    _agrees(c, ref, args)


def test_a_constant_gradient_factor_is_computed_once_at_import():
    x = RNG.normal(size=(8, 8))
    c = compile_grad(weighted, (x,))
    tree = ast.parse(c.source)
    module_level = {t.id: ast.unparse(n.value) for n in tree.body if isinstance(n, ast.Assign)
                    for t in n.targets if isinstance(t, ast.Name)}
    hoisted = [name for name, text in module_level.items() if "WEIGHTS" in text
               and name != "WEIGHTS"]
    assert hoisted, c.source
    body = "\n".join(_body_lines(c.source, "value_and_grad"))
    assert hoisted[0] in body
    # the body never recomputes it
    assert module_level[hoisted[0]] not in body
    _agrees(c, weighted_ref, (x,))


def test_particles_factor_is_a_module_constant():
    particles = example("particles")
    positions = np.random.default_rng(0).uniform(-2, 2, size=(8, 3))
    c = compile_grad(particles.energy, (positions,))
    assert "\nOFF_DIAGONAL_TIMES_TWO_EPSILON = OFF_DIAGONAL * (2.0 * EPSILON)\n" in c.source
    assert "OFF_DIAGONAL * (2.0 * EPSILON)" not in "\n".join(
        _body_lines(c.source, "value_and_grad"))


def smallest(x):
    return np.min(np.cos(x))


def smallest_ref(x):
    return anp.min(anp.cos(x))


def test_a_returned_reduction_keeps_its_own_shape():
    # min's VJP reshapes the returned minimum to compare it with x: that reshape must
    # not turn the returned value into a keepdims array
    x = RNG.normal(size=4)
    c = compile_grad(smallest, (x,))
    value, _ = c.module.value_and_grad(x)
    assert np.shape(value) == () and value == pytest.approx(smallest(x), rel=1e-15)
    _agrees(c, smallest_ref, (x,))
