"""The code users already have (issue 11): SciPy's own functions, arrays built from
traced values, and user code reached through objects, classes, partials, caches and
modules. Gradients are checked against SciPy's own derivative or autograd."""

from __future__ import annotations

import functools
import math

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
import scipy.optimize

from bpcompiler import CompileError, compile_grad
from bpcompiler.errors import ConcreteValueError

from userpkg import helpers, models

POINTS = [np.array([0.3, -1.2, 0.8]), np.array([1.0, 1.0, 1.0, 1.0]),
          np.linspace(-2.0, 2.0, 9)]


@pytest.mark.parametrize("x", POINTS, ids=lambda x: f"n{x.size}")
def test_scipy_rosen_compiles_unmodified_and_matches_rosen_der(x):
    c = compile_grad(scipy.optimize.rosen, (x,))
    for point in (x, x * 0.5 + 0.1):
        value, (g,) = c.module.value_and_grad(point)
        assert value == pytest.approx(scipy.optimize.rosen(point), rel=1e-12)
        np.testing.assert_allclose(g, scipy.optimize.rosen_der(point), rtol=1e-10,
                                   atol=1e-10)


def test_rosen_through_the_module_attribute():
    def f(x):
        return scipy.optimize.rosen(x) * 2.0
    x = POINTS[0]
    np.testing.assert_allclose(compile_grad(f, (x,)).module.grad(x)[0],
                               2.0 * scipy.optimize.rosen_der(x), rtol=1e-10)


def _arrays(m):
    """np.asarray & co. of traced values and of lists of traced and constant values
    (autograd has no asarray: its reference spells it array)."""
    asarray = getattr(m, "asarray") if m is np else m.array
    asanyarray = getattr(m, "asanyarray") if m is np else m.array

    def f(x):
        a = asarray(x) * asanyarray(x) + m.array(x, dtype=float)
        b = m.array([[x[0], 1.0], [x[1] * x[2], x[0]]])
        c = m.atleast_1d(x[1]) + asarray((x[0], 2.0, x[2]))
        return (m.sum(a) + m.sum(b @ b) + m.sum([x[0], x[1] ** 2, 3.0])
                + m.mean([x[2], x[0]]) + m.prod([x[0], x[1], 2.0]) + m.sum(c * c))
    return f


@pytest.mark.parametrize("x", [np.array([0.3, -1.2, 0.8]), np.array([2.0, 0.5, -0.7])])
def test_arrays_of_traced_values_match_autograd(x):
    c = compile_grad(_arrays(np), (x,))
    value, (g,) = c.module.value_and_grad(x)
    assert value == pytest.approx(_arrays(np)(x))
    np.testing.assert_allclose(g, autograd.grad(_arrays(anp))(x), rtol=1e-10)


def test_from_numpy_import_asarray_reads_lists_of_traced_values():
    from numpy import asarray, sum as np_sum

    def f(x):
        return np_sum(asarray([x[0] * x[1], x[2]]) ** 2)
    x = POINTS[0]
    g = compile_grad(f, (x,)).module.grad(x)[0]
    np.testing.assert_allclose(g, [2 * x[0] * x[1] ** 2, 2 * x[1] * x[0] ** 2, 2 * x[2]])


def test_a_list_of_different_shapes_is_refused_with_advice():
    def f(x):
        return np.sum(np.array([x, x[0]]))
    with pytest.raises(CompileError, match="one shape"):
        compile_grad(f, (POINTS[0],))


# -- following the user's code -----------------------------------------------------------
def _reference_fun(x, scale=3.0):
    return (max(anp.tanh(x[0]), 0.1) * scale + anp.sum(x ** 2) * math.sqrt(2.0)
            + anp.sum(x) * 0.5 + math.exp(0.5) * anp.sum(anp.cos(x)))


X = np.array([0.4, -0.3, 1.1])


def test_compile_a_bound_method():
    m = models.Quadratic(3.0)
    c = compile_grad(m.fun, (X,))
    assert c.module.forward(X) == pytest.approx(m.fun(X))
    np.testing.assert_allclose(c.module.grad(X)[0], autograd.grad(_reference_fun)(X))
    assert "def forward(x: npt.NDArray[np.float64])" in c.source


def test_a_method_called_from_f_is_instrumented():
    m = models.Quadratic(3.0)

    def f(x):
        return m.fun(x) + m.uses_property(x)
    c = compile_grad(f, (X,))

    def ref(x):
        return _reference_fun(x) + anp.sum(x) * 6.0 + anp.sum(anp.log1p(anp.exp(x)))
    np.testing.assert_allclose(c.module.grad(X)[0], autograd.grad(ref)(X))


def test_super_reaches_the_instrumented_base_method():
    m = models.Child(3.0)
    c = compile_grad(m.fun, (X,))

    def ref(x):
        return _reference_fun(x) + anp.log(2.0 + anp.sum(x * x))
    np.testing.assert_allclose(c.module.grad(X)[0], autograd.grad(ref)(X))


def test_objects_built_inside_f_and_classmethods():
    def f(x):
        return models.Quadratic(3.0).fun(x) + models.Quadratic.half(x)

    def ref(x):
        return _reference_fun(x) + anp.sum(x) * 0.5
    np.testing.assert_allclose(compile_grad(f, (X,)).module.grad(X)[0],
                               autograd.grad(ref)(X))


def test_partial_and_lru_cache():
    def h(a, k):
        return models.cached_gain(a) * k + helpers.clipped(a)
    c = compile_grad(functools.partial(h, k=2.0), (0.5,))
    assert c.module.grad(0.5)[0] == pytest.approx(
        2.0 * math.exp(0.5) + (1 - math.tanh(0.5) ** 2))
    # The partial's bound keyword is the module's default: other values work too.
    assert "def forward(a: float, *, k: float = 2.0) -> float:" in c.source
    assert c.module.grad(0.5, k=3.0)[0] == pytest.approx(
        3.0 * math.exp(0.5) + (1 - math.tanh(0.5) ** 2))


def test_refusal_inside_a_method_names_the_method_line():
    m = models.Quadratic(3.0)

    def f(x):
        return m.concrete(x)
    with pytest.raises(ConcreteValueError) as info:
        compile_grad(f, (X,))
    line = next(i for i, text in enumerate(open(models.__file__), 1) if "float(x[0]) *" in text)
    assert f"models.py:{line}:" in str(info.value)


def test_refusal_inside_a_helper_module_names_its_line():
    def f(x):
        return helpers.concrete(x)
    with pytest.raises(ConcreteValueError) as info:
        compile_grad(f, (X,))
    line = next(i for i, text in enumerate(open(helpers.__file__), 1) if "float(x[0])" in text)
    assert f"helpers.py:{line}:" in str(info.value)


def test_a_while_loop_on_a_traced_value_is_told_to_use_a_fixed_trip_count():
    from bpcompiler import TracedBranchError

    def f(x):
        while x > 1.0:
            x = x / 2.0
        return x
    with pytest.raises(TracedBranchError) as info:
        compile_grad(f, (5.0,))
    message = str(info.value)
    assert "while loop" in message and "range(N)" in message, message
    assert f"test_user_code.py:{f.__code__.co_firstlineno + 1}:" in message
