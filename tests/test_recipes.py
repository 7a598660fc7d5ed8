"""Ranges, identities and the like are built by the emitted module, not printed, and a
large one is no longer refused: the recipe is checked to rebuild the array bit for bit
(recipes.py), so it can never change a value; a large array without one is refused as
before."""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from bpcompiler import ConstantTooLargeError, compile_grad
from bpcompiler.recipes import recipe

RANGE = np.arange(2000.0)
EYE40 = np.eye(40)
NOISE = np.random.default_rng(0).normal(size=2000)


@pytest.mark.parametrize("array, text", [
    (np.arange(32), "np.arange(32)"),
    (np.arange(2000.0), "np.arange(2000.0)"),
    (np.arange(2, 20, 3), "np.arange(2, 20, 3)"),
    (np.arange(12.0).reshape(3, 4), "np.arange(12.0).reshape(3, 4)"),
    (np.linspace(0.0, 1.0, 7), "np.linspace(0.0, 1.0, 7)"),
    (np.eye(40), "np.eye(40)"),
    (np.eye(3, 5), "np.eye(3, 5)"),
    (1.0 - np.eye(8), "1.0 - np.eye(8)"),
    (2.5 * np.eye(3), "2.5 * np.eye(3)"),
    (np.tri(5), "np.tri(5)"),
    (np.eye(3, dtype=np.float32), "np.eye(3, dtype=np.float32)"),
    (np.arange(5, dtype=np.float32), "np.arange(5.0, dtype=np.float32)"),
])
def test_recipes_rebuild_exactly(array, text):
    assert recipe(array) == text
    built = eval(text, {"np": np})
    assert built.dtype == array.dtype and np.array_equal(built, array)


@pytest.mark.parametrize("array", [
    np.r_[np.arange(10.0), 11.0],  # a range but for one element
    np.array([1.0, 5.0, 2.0]),
    np.eye(4)[::-1].copy(),  # an anti-diagonal
])
def test_near_misses_have_no_recipe(array):
    assert recipe(array) is None


@pytest.mark.parametrize("array", [
    np.where(np.eye(3) == 1, 1.0, -0.0),  # signed zeros off the diagonal
    np.linspace(0.0, 1.0, 7) + 1e-17 * np.arange(7),
    np.arange(6.0)[::-1].copy(),
])
def test_a_recipe_found_is_exact(array):
    text = recipe(array)
    assert text is not None
    built = eval(text, {"np": np})
    assert np.array_equal(built, array) and \
        np.array_equal(np.signbit(built), np.signbit(array))


def large(x):
    return np.sum(np.tanh(x) * RANGE) + np.sum(EYE40 @ np.tanh(x[:40]))


def large_ref(x):
    return anp.sum(anp.tanh(x) * RANGE) + anp.sum(anp.dot(EYE40, anp.tanh(x[:40])))


def test_large_built_constants_compile_and_are_built():
    x = np.random.default_rng(1).normal(size=2000) * 0.1
    c = compile_grad(large, (x,))
    assert "= np.arange(2000.0)\n" in c.source and "= np.eye(40)\n" in c.source
    assert len(c.source.splitlines()) < 300  # nothing printed element by element
    np.testing.assert_allclose(c.module.grad(x)[0], autograd.grad(large_ref)(x), rtol=1e-12)


def builds_its_own(x):
    return np.sum(x * np.arange(32.0)) + np.sum(np.outer(x, x) * np.eye(32))


def test_constants_the_function_builds_are_built_too():
    x = np.random.default_rng(2).normal(size=32)
    c = compile_grad(builds_its_own, (x,))
    assert "np.arange(32.0)" in c.source and "np.eye(32)" in c.source
    assert len(c.source.splitlines()) < 200


def noisy(x):
    return np.sum(x * NOISE)


def test_a_large_constant_without_a_recipe_is_still_refused():
    with pytest.raises(ConstantTooLargeError, match="too large to embed"):
        compile_grad(noisy, (np.ones(2000),))


def sized(x, W):
    n = x.shape[0]
    return np.sum(x * np.arange(n)) + np.sum(np.eye(n) * W * np.tanh(x))


def sized_ref(x, W):
    n = x.shape[0]
    return anp.sum(x * np.arange(n)) + anp.sum(np.eye(n) * W * anp.tanh(x))


def test_ranges_of_a_symbolic_dimension_are_built_with_it():
    rng = np.random.default_rng(4)
    c = compile_grad(sized, (rng.normal(size=6), rng.normal(size=(6, 6))),
                     specs={"x": "f64[N]", "W": "f64[N,N]"})
    assert "np.arange(N)" in c.source and "np.eye(N)" in c.source
    for n in (3, 9):  # one module for every size
        x, W = rng.normal(size=n), rng.normal(size=(n, n))
        value, grads = c.module.value_and_grad(x, W)
        assert value == pytest.approx(sized_ref(x, W), rel=1e-12)
        for i, g in enumerate(grads):
            np.testing.assert_allclose(g, autograd.grad(sized_ref, i)(x, W), rtol=1e-12)


def test_a_symbolic_array_no_recipe_writes_is_refused_naming_the_line():
    from bpcompiler.symbolic import SymbolicShapeError
    x = np.ones(5)
    with pytest.raises(SymbolicShapeError) as info:
        compile_grad(lambda x: np.sum(x * np.sqrt(np.arange(x.shape[0]) + 2.0)), (x,),
                     specs={"x": "f64[N]"})
    assert info.value.line is not None
