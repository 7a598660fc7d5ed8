"""A module-level float of the source (`L2 = 0.01`) is a constant of the emitted module
with the same name, and the code reads it by name, in the forward and the gradient:
folding re-expresses it (`0.5 * L2 * 2.0` is `L2`) rather than erasing it. The proof
that every use reads the name: change it in the imported module and the gradient
follows, as autograd says it should (named.py)."""

from __future__ import annotations

import ast
import copy
import pickle

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from bpcompiler import compile_grad
from support.examples import example
from bpcompiler.named import NamedFloat
from support.fd import central_differences

RNG = np.random.default_rng(3)

L2 = 0.01
SCALE = 3.0
ARGUMENTS = 2.5  # a name the emitted module uses itself: printed as its number
STEPS = 3.0


def ridge(w, x):
    return np.sum(np.tanh(x @ w)) + 0.5 * L2 * np.sum(w * w)


def ridge_ref(l2):
    return lambda w, x: anp.sum(anp.tanh(anp.dot(x, w))) + 0.5 * l2 * anp.sum(w * w)


def scalar(a, b):
    return SCALE * a * b + a / SCALE - ARGUMENTS * b


def control(x):
    total = 0.0
    for _ in range(int(STEPS)):  # the float is a real float where a number is needed
        total = total + np.sum(np.sin(x)) * (1.0 - L2 if L2 > 0 else 1.0)
    return total + float(f"{SCALE}") * np.sum(x)


def _module_assigns(source: str) -> dict:
    tree = ast.parse(source)
    return {t.id: ast.unparse(n.value) for n in tree.body if isinstance(n, ast.Assign)
            for t in n.targets if isinstance(t, ast.Name)}


def _function_text(source: str, name: str) -> str:
    tree = ast.parse(source)
    return ast.unparse(next(n for n in tree.body if isinstance(n, ast.FunctionDef)
                            and n.name == name))


def test_the_name_is_a_module_constant_read_everywhere():
    w, x = RNG.normal(size=4), RNG.normal(size=(6, 4))
    c = compile_grad(ridge, (w, x), wrt=("w",))
    assert _module_assigns(c.source)["L2"] == "0.01"
    assert "0.5 * L2 * np.sum(w * w)" in _function_text(c.source, "forward")
    backward = _function_text(c.source, "value_and_grad")
    assert "0.005" not in backward and "0.01" not in backward
    for l2 in (0.01, 0.3):  # the module follows its own constant
        c.module.L2 = l2
        value, (d_w,) = c.module.value_and_grad(w, x)
        assert value == pytest.approx(ridge_ref(l2)(w, x), rel=1e-12)
        np.testing.assert_allclose(d_w, autograd.grad(ridge_ref(l2))(w, x), rtol=1e-10)


def test_particles_read_epsilon_trap_and_sigma_by_name():
    particles = example("particles")
    positions = np.random.default_rng(0).uniform(-2, 2, size=(8, 3))
    c = compile_grad(particles.energy, (positions,))
    assigns = _module_assigns(c.source)
    assert {assigns[n] for n in ("EPSILON", "SIGMA", "TRAP")} == {"1.0", "0.1"}
    module, saved = c.module, (particles.EPSILON, particles.TRAP)
    try:
        for epsilon, trap in ((1.0, 0.1), (2.0, 0.3)):
            module.EPSILON, module.TRAP = epsilon, trap
            if "OFF_DIAGONAL_TIMES_TWO_EPSILON" in assigns:  # hoisted at import: recompute
                module.OFF_DIAGONAL_TIMES_TWO_EPSILON = module.OFF_DIAGONAL * (2.0 * epsilon)
            particles.EPSILON, particles.TRAP = epsilon, trap  # the reference follows
            _, (d_positions,) = module.value_and_grad(positions)
            np.testing.assert_allclose(
                d_positions, central_differences(particles.energy, (positions,), 0),
                rtol=1e-6, atol=1e-8)
    finally:  # (the example module is shared with other tests)
        particles.EPSILON, particles.TRAP = saved


def test_python_floats_and_a_taken_name():
    c = compile_grad(scalar, (0.7, -1.3))
    assigns = _module_assigns(c.source)
    assert assigns["SCALE"] == "3.0" and "ARGUMENTS" not in assigns or \
        assigns["ARGUMENTS"].startswith("{")  # the guards' own table, not the float
    assert "SCALE * a" in _function_text(c.source, "forward")
    assert "2.5" in _function_text(c.source, "forward")
    value, grads = c.module.value_and_grad(0.7, -1.3)
    assert value == pytest.approx(scalar(0.7, -1.3), rel=1e-14)
    assert grads == pytest.approx((SCALE * -1.3 + 1 / SCALE, SCALE * 0.7 - ARGUMENTS))


def test_floats_needed_as_numbers_still_are():
    x = RNG.normal(size=5)
    c = compile_grad(control, (x,))
    np.testing.assert_allclose(c.module.grad(x)[0],
                               3 * np.cos(x) * (1.0 - L2) + SCALE, rtol=1e-12)


@pytest.mark.parametrize("make, text", [
    (lambda L2: 0.5 * L2 * 2.0, "L2"),
    (lambda L2: -L2, "-L2"),
    (lambda L2: L2 / 4, "0.25 * L2"),
    (lambda L2: 1.0 - L2, "1.0 - L2"),
    (lambda L2: L2**2 * 3, "3.0 * L2**2"),
    (lambda L2: 2.0 / L2, "2.0 / L2"),
    (lambda L2: (L2 + 1.0) * 2, "(L2 + 1.0) * 2"),
    (lambda L2: 0.1 * L2 * 3.0, "0.1 * L2 * 3.0"),  # no 0.30000000000000004 coefficient
])
def test_named_float_arithmetic_prints_as_written(make, text):
    l2 = NamedFloat.source("L2", 0.01)
    value = make(l2)
    assert isinstance(value, NamedFloat) and value.printed().text == text
    assert float(value) == make(0.01)
    assert eval(text, {"L2": 0.01}) == pytest.approx(make(0.01), rel=1e-15)
    assert repr(value) == repr(make(0.01))  # the user's code sees a plain number
    for other in (copy.deepcopy(value), pickle.loads(pickle.dumps(value))):
        assert other.printed() == value.printed() and float(other) == float(value)
    assert type(float(value)) is float
