"""Call-time guards: an emitted module called with arguments it was not compiled for
raises, naming the parameter; it never returns a silently wrong result."""

import math

import numpy as np
import pytest

from bpcompiler import compile_grad


def tanh_mean(w, X):
    return np.mean(np.tanh(X * w))


def affine(w, b, X, y):
    z = X @ w + b
    return np.mean((z - y) ** 2)


def scalar_poly(x, y):
    return x * x * y + 3.0 * y


def scalar_math(a, b):
    return math.tanh(a * b + a)


rng = np.random.default_rng(1)
W0, X0 = rng.normal(size=3), rng.normal(size=(10, 3))


@pytest.fixture(scope="module")
def tanh_module():
    return compile_grad(tanh_mean, args=(W0, X0)).module


@pytest.fixture(scope="module")
def affine_module():
    args = (rng.normal(size=4), 0.5, rng.normal(size=(6, 4)), rng.integers(0, 2, size=6))
    return compile_grad(affine, args=args, wrt=("w", "b")).module, args


def test_another_batch_size_is_refused_not_silently_wrong(tanh_module):
    # The mean's 1/10 is part of this module: 20 rows must not get a gradient at all.
    for entry in (tanh_module.forward, tanh_module.grad, tanh_module.value_and_grad):
        with pytest.raises(ValueError, match=r"X has shape \(20, 3\).*X: f64\[10,3\]"):
            entry(W0, rng.normal(size=(20, 3)))


def test_wrong_rank_is_refused(tanh_module):
    with pytest.raises(ValueError, match=r"w has shape \(3, 1\)"):
        tanh_module.grad(W0[:, None], X0)


def test_a_list_for_an_array_is_refused(tanh_module):
    with pytest.raises(TypeError, match=r"w must be a NumPy array f64\[3\], not list"):
        tanh_module.grad(list(W0), X0)


def test_int_array_for_a_float_array_is_refused(tanh_module):
    with pytest.raises(TypeError, match=r"X has dtype int64.*X\.astype\(np\.float64\)"):
        tanh_module.grad(W0, np.ones((10, 3), dtype=np.int64))


def test_float32_for_float64_is_refused(tanh_module):
    with pytest.raises(TypeError, match="X has dtype float32"):
        tanh_module.grad(W0, X0.astype(np.float32))


def test_what_the_module_accepts_still_works(tanh_module, affine_module):
    expected = tanh_module.grad(W0, X0)[0]
    view = np.asarray(X0).view(np.ndarray)  # a view is an ndarray: the fast path
    np.testing.assert_array_equal(tanh_module.grad(W0, view)[0], expected)

    class Sub(np.ndarray):
        pass
    np.testing.assert_array_equal(tanh_module.grad(W0, X0.view(Sub))[0], expected)

    module, (w, b, X, y) = affine_module
    reference = module.grad(w, b, X, y)
    for b_other in (np.float64(b), 0, np.float32(b)):  # NumPy scalars and ints for a float
        assert np.allclose(module.grad(w, b_other, X, y)[0], module.grad(w, float(b_other), X, y)[0])
    got = module.grad(w, b, X, y.astype(np.int32))  # narrower integer labels are data too
    np.testing.assert_allclose(got[0], reference[0])


def test_an_array_for_a_python_float_in_an_array_module_is_refused(affine_module):
    module, (w, b, X, y) = affine_module
    # `X @ w + b` would broadcast a (6,) b and return a scalar gradient: silently wrong.
    with pytest.raises(TypeError, match="b must be a Python float.*not ndarray"):
        module.grad(w, np.full(6, b), X, y)


def test_an_array_for_a_python_float_in_a_scalar_module_is_refused():
    module = compile_grad(scalar_poly, args=(0.3, -0.7)).module
    assert module.grad(0.3, -0.7) == pytest.approx((2 * 0.3 * -0.7, 0.09 + 3.0))
    for entry in (module.forward, module.value_and_grad, module.grad):
        with pytest.raises(TypeError, match="y must be a Python float"):
            entry(0.3, np.array([1.0, 2.0]))
    assert module.grad(np.float64(0.3), 1) == pytest.approx((0.6, 3.09))


def test_math_refuses_arrays_itself_so_no_check_is_emitted():
    c = compile_grad(scalar_math, args=(0.3, -0.7))
    assert "_wrong_argument(" not in c.source.split("def forward")[1]
    with pytest.raises(TypeError):
        c.module.grad(np.array([0.3, 0.4]), -0.7)


def test_the_guard_names_the_recompile_command(tmp_path):
    src = tmp_path / "lr.py"
    src.write_text("import numpy as np\n\n"
                   "def loss(w: 'f64[3]', X: 'f64[5,3] data'):\n"
                   "    return np.mean(np.tanh(X @ w))\n")
    import subprocess
    import sys
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = tmp_path / "lr_grad.py"
    r = subprocess.run([sys.executable, "-m", "bpcompiler", "compile", f"{src}:loss", "-o",
                        str(out), "-q"], cwd=tmp_path, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": root})
    assert r.returncode == 0, r.stderr
    namespace = {}
    exec(compile(out.read_text(), str(out), "exec"), namespace)
    with pytest.raises(ValueError) as info:
        namespace["grad"](np.zeros(3), np.zeros((7, 3)))
    message = str(info.value)
    assert "X has shape (7, 3)" in message and "X: f64[5,3]" in message
    assert "bpcompiler compile" in message and "--arg X='f64[7,3]'" in message
