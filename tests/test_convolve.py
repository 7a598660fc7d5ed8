"""Convolution: np.convolve, scipy.signal.convolve (any number of dimensions, every
mode) and autograd's autograd.scipy.signal.convolve (axes, dot_axes), values against
NumPy/SciPy/autograd, gradients against autograd's and central differences."""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import autograd.scipy.signal as ags
import numpy as np
import pytest
import scipy.signal as ss

from bpcompiler import CompileError, compile_grad
from support.fd import central_differences

RNG = np.random.default_rng(3)
MODES = ["full", "valid", "same"]


def _matches(f, reference, args):
    c = compile_grad(f, args)
    value, grads = c.module.value_and_grad(*args)
    assert value == pytest.approx(f(*args), rel=1e-10)
    expected = autograd.grad(reference, tuple(range(len(args))))(*args)
    for i, (g, e) in enumerate(zip(grads, expected)):
        np.testing.assert_allclose(g, e, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(g, central_differences(f, args, i), rtol=1e-6, atol=1e-8)
    return c


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shapes", [((5,), (3,)), ((2,), (4,)), ((4, 3), (2, 2)),
                                    ((2, 3), (4, 5)), ((6, 7), (4, 1)), ((3, 4, 2), (2, 2, 2))],
                         ids=str)
def test_scipy_signal_convolve(mode, shapes):
    a, b = (RNG.normal(size=s) for s in shapes)
    if mode == "valid" and not (np.all(np.greater_equal(a.shape, b.shape)) or
                                np.all(np.less_equal(a.shape, b.shape))):
        pytest.skip("SciPy has no valid convolution of these shapes")
    w = RNG.normal(size=ss.convolve(a, b, mode).shape)
    c = _matches(lambda a, b: np.sum(ss.convolve(a, b, mode=mode) * w),
                 lambda a, b: anp.sum(ags.convolve(a, b, mode=mode) * w), (a, b))
    assert "import scipy.signal" in c.source and "scipy.special" not in c.source


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sizes", [(5, 3), (2, 4), (4, 4), (1, 3)], ids=str)
def test_np_convolve(mode, sizes):
    a, v = (RNG.normal(size=n) for n in sizes)
    w = RNG.normal(size=np.convolve(a, v, mode).shape)
    f = lambda a, v: np.sum(np.convolve(a, v, mode) * w)  # noqa: E731
    c = compile_grad(f, (a, v))
    value, grads = c.module.value_and_grad(a, v)
    assert value == pytest.approx(f(a, v), rel=1e-10)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(g, central_differences(f, (a, v), i), rtol=1e-6, atol=1e-8)
    assert "scipy" not in c.source.split("WRT =")[1]  # NumPy only


CONFIGS = [(((4, 3), (3, 2)), ([0], [0]), ([], [])), (((4, 3), (3, 2)), ([1], [0]), ([], [])),
           (((4, 3), (3, 2)), ([1, 0], [1, 0]), ([], [])),
           (((3, 3, 2), (3, 2, 3)), ([1], [1]), ([0], [2])),
           (((3, 5), (3, 4)), ([], []), ([0], [0])),
           (((2, 5, 4, 3), (2, 4, 2, 3, 2)), ([1, 2], [2, 4]), ([0, 3], [0, 3]))]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shapes, axes, dot_axes", CONFIGS, ids=[str(c[1:]) for c in CONFIGS])
def test_autograd_convolve_with_axes_and_dot_axes(mode, shapes, axes, dot_axes):
    a, b = (RNG.normal(size=s) for s in shapes)
    w = RNG.normal(size=ags.convolve(a, b, axes=axes, dot_axes=dot_axes, mode=mode).shape)

    def f(a, b):
        return anp.sum(ags.convolve(a, b, axes=axes, dot_axes=dot_axes, mode=mode) * w)
    c = _matches(f, f, (a, b))
    assert "as_strided" not in c.source


def test_second_derivatives_compose():
    a, b = RNG.normal(size=(4, 3)), RNG.normal(size=(2, 2))
    f = lambda a, b: np.sum(ss.convolve(a, b, mode="same") ** 2)  # noqa: E731
    c = compile_grad(f, (a, b), emit=("hvp",))
    va, vb = RNG.normal(size=a.shape), RNG.normal(size=b.shape)
    ours = c.module.hvp(a, b, (va, vb))
    expected = autograd.hessian_vector_product(
        lambda ab: anp.sum(ags.convolve(ab[:12].reshape(4, 3), ab[12:].reshape(2, 2),
                                        mode="same") ** 2))(
        np.concatenate([a.ravel(), b.ravel()]), np.concatenate([va.ravel(), vb.ravel()]))
    np.testing.assert_allclose(np.concatenate([np.ravel(h) for h in ours]), expected,
                               rtol=1e-8)


def test_refusals_name_the_problem():
    a, b = RNG.normal(size=(4, 2)), RNG.normal(size=(2, 3))
    with pytest.raises(CompileError, match="one operand must be at least as large"):
        compile_grad(lambda a, b: np.sum(ss.convolve(a, b, mode="valid")), (a, b))
    with pytest.raises(CompileError, match="mode='circular'"):
        compile_grad(lambda a, b: np.sum(np.convolve(a[0], b[0], mode="circular")), (a, b))
    with pytest.raises(CompileError, match="same number of dimensions"):
        compile_grad(lambda a, b: np.sum(ss.convolve(a, b[0])), (a, b))


def test_a_module_imports_each_scipy_submodule_it_spells_and_says_so():
    import scipy.special as sp
    a, b = RNG.normal(size=4), RNG.uniform(1.0, 2.0, size=2)
    c = compile_grad(lambda a, b: np.sum(ss.convolve(a, sp.gammaln(b))), (a, b))
    imports = [line.split("  #")[0] for line in c.source.splitlines()
               if line.startswith("import ")]
    assert imports[:3] == ["import numpy as np", "import scipy.signal", "import scipy.special"]
    assert "imports only NumPy and SciPy (scipy.signal, scipy.special)" in c.source


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shapes", [((5,), (3,)), ((3,), (5,)), ((4, 4), (2, 3))], ids=str)
def test_correlations(mode, shapes):
    a, b = (RNG.normal(size=s) for s in shapes)
    if mode == "valid" and len(shapes[0]) > 1 and shapes[0][0] < shapes[1][0]:
        pytest.skip("SciPy has no valid correlation of these shapes")
    fns = [lambda a, b: ss.correlate(a, b, mode=mode)]
    if len(shapes[0]) == 1:
        fns.append(lambda a, b: np.correlate(a, b, mode))
    for fn in fns:
        w = RNG.normal(size=fn(a, b).shape)
        f = lambda a, b: np.sum(fn(a, b) * w)  # noqa: E731
        c = compile_grad(f, (a, b))
        value, grads = c.module.value_and_grad(a, b)
        assert value == pytest.approx(f(a, b), rel=1e-10)
        for i, g in enumerate(grads):
            np.testing.assert_allclose(g, central_differences(f, (a, b), i), rtol=1e-6,
                                       atol=1e-8)
