"""Front-end idioms found in autograd's example objectives (tests/autograd_examples/):
each one a regression test of a fix, checked against autograd."""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from bpcompiler import compile_grad


def _weighted(m):
    def f(params):  # dict keys that are not identifiers, as gmm.py's "log proportions"
        return m.sum(params["log proportions"] ** 2) * m.sum(m.tanh(params["lower triangles"]))
    return f


def test_dict_keys_that_are_not_identifiers_name_distinct_leaves():
    params = {"log proportions": np.array([0.1, -0.4, 0.3]),
              "means": np.array([[0.2, 0.5]]),
              "lower triangles": np.array([[[1.0, 0.3], [0.0, 0.8]]])}
    c = compile_grad(_weighted(np), (params,))
    assert "params_log_proportions" in c.source and "params_lower_triangles" in c.source
    value, (grad,) = c.module.value_and_grad(params)
    expected = autograd.grad(_weighted(anp))(params)
    assert value == pytest.approx(_weighted(np)(params), rel=1e-12)
    assert list(grad) == list(params)
    for key in params:
        np.testing.assert_allclose(grad[key], expected[key], rtol=1e-10, atol=1e-12)


def _reshaped(m, x):  # fluidsim.py's advect returns np.reshape of a local temporary
    flat = m.tanh(x).ravel()
    return m.reshape(flat * 2.0, (2, 3))


def test_a_write_into_a_view_of_a_dead_temporary_is_a_value_update():
    def f(x):
        v = _reshaped(np, x)
        v -= 0.5 * np.roll(v, 1, axis=0)
        return np.sum(v**2)

    def reference(x):  # autograd's arrays have no in-place ops: the same, rebound
        v = _reshaped(anp, x)
        v = v - 0.5 * anp.roll(v, 1, axis=0)
        return anp.sum(v**2)

    x = np.array([0.3, -1.2, 0.8, 0.1, 0.5, -0.4])
    c = compile_grad(f, (x,))
    for point in (x, x[::-1] * 0.7):
        value, (g,) = c.module.value_and_grad(point)
        assert value == pytest.approx(reference(point), rel=1e-12)
        np.testing.assert_allclose(g, autograd.grad(reference)(point), rtol=1e-10)


def test_a_write_into_a_view_of_a_live_array_stays_refused():
    from bpcompiler.errors import InPlaceMutationError

    def f(x):
        flat = np.tanh(x) * 1.0
        v = flat.reshape(2, 3)
        v -= 1.0  # NumPy changes flat too
        return np.sum(flat)

    with pytest.raises(InPlaceMutationError, match="into a view of another array"):
        compile_grad(f, (np.linspace(-1.0, 1.0, 6),))


def test_a_large_array_built_from_constants_is_built_by_the_module():
    def f(x):  # wing.py's mask: 2400 elements, too many to embed as digits
        mask = np.zeros((40, 60))
        mask[10:30, 10:30] = 1.0
        return np.sum(np.tanh(x) * mask)

    def reference(x):
        mask = np.zeros((40, 60))
        mask[10:30, 10:30] = 1.0
        return anp.sum(anp.tanh(x) * mask)

    x = np.random.default_rng(0).normal(size=(40, 60))
    c = compile_grad(f, (x,))
    assert "[10:30, 10:30] = 1.0" in c.source
    value, (g,) = c.module.value_and_grad(x)
    assert value == pytest.approx(reference(x), rel=1e-12)
    np.testing.assert_allclose(g, autograd.grad(reference)(x), rtol=1e-12)


def test_grids_and_ranges_of_any_size_are_constants_the_module_builds():
    def f(vx):  # wing.py's advect: cell coordinates minus the velocities
        rows, cols = vx.shape
        cell_xs, cell_ys = np.meshgrid(np.arange(cols), np.arange(rows))
        return np.sum((cell_xs - vx) ** 2 * np.sin(cell_ys + 0.5 * vx)) + np.sum(
            np.arange(2000.0) * vx[0, 0])

    def reference(vx):
        rows, cols = vx.shape
        cell_xs, cell_ys = np.meshgrid(np.arange(cols), np.arange(rows))
        return anp.sum((cell_xs - vx) ** 2 * anp.sin(cell_ys + 0.5 * vx)) + anp.sum(
            np.arange(2000.0) * vx[0, 0])

    vx = np.random.default_rng(1).normal(size=(40, 60))
    c = compile_grad(f, (vx,))
    assert "np.tile(np.arange(60), (40, 1))" in c.source
    assert "np.tile(np.arange(40)[:, None], (1, 60))" in c.source
    value, (g,) = c.module.value_and_grad(vx)
    assert value == pytest.approx(reference(vx), rel=1e-12)
    np.testing.assert_allclose(g, autograd.grad(reference)(vx), rtol=1e-10)


SMOKE = np.random.default_rng(2).random((5, 5))


def test_a_constant_array_indexed_by_traced_integers_is_gathered():
    def f(v):  # fluidsim.py's advect on its initial smoke, a module-level array
        ix = np.floor(v).astype(int)
        w = v - ix
        ix = np.mod(ix, 5)
        return np.sum((1 - w) * SMOKE[ix, ix] + w * SMOKE[np.mod(ix + 1, 5), ix])

    def reference(v):  # autograd: the indices are concrete numbers
        from autograd.tracer import getval
        ix = np.floor(getval(v)).astype(int)
        w = v - ix
        ix = np.mod(ix, 5)
        return anp.sum((1 - w) * SMOKE[ix, ix] + w * SMOKE[np.mod(ix + 1, 5), ix])

    v = np.array([0.3, 1.6, 2.2, 4.7, -0.4, 3.1])
    c = compile_grad(f, (v,))
    assert "SMOKE" in c.source  # the constant keeps its name
    for point in (v, np.array([1.2, 0.1, 3.9, 2.5, 4.4, -1.3])):
        value, (g,) = c.module.value_and_grad(point)
        assert value == pytest.approx(reference(point), rel=1e-12)
        np.testing.assert_allclose(g, autograd.grad(reference)(point), rtol=1e-12)


def test_a_loop_that_breaks_on_a_traced_value_is_told_to_use_a_fixed_trip_count():
    from bpcompiler.errors import TracedBranchError

    def taylor(x):  # sinusoid.py's series, which stops at the first small term
        term = x
        ans = term
        for i in range(100):
            term = -term * x**2 / ((2 * i + 3) * (2 * i + 2))
            ans = ans + term
            if np.abs(term) < 0.2:
                break
        return ans

    with pytest.raises(TracedBranchError, match=r"a loop's exit \(if \.\.\.: break\)") as info:
        compile_grad(taylor, (1.3,))
    assert "np.where(done, x, step(x))" in info.value.hint
