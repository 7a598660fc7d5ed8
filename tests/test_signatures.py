"""Every Python signature a user writes (issue 10, items 3 and 4): structured parameters
(lists, tuples, dicts, NamedTuples, dataclasses of arrays), defaults, keyword-only
parameters and int parameters that are compile-time constants. Gradients are checked
against autograd at several shapes and values."""

from __future__ import annotations

import ast
import dataclasses
import os
import subprocess
import sys
from typing import NamedTuple

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from bpcompiler import ArgumentError, compile_grad

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mlp(params, x):
    (W1, b1), (W2, b2) = params
    h = np.tanh(x @ W1 + b1)
    return np.sum((h @ W2 + b2) ** 2)


def mlp_anp(params, x):
    (W1, b1), (W2, b2) = params
    h = anp.tanh(anp.dot(x, W1) + b1)
    return anp.sum((anp.dot(h, W2) + b2) ** 2)


def layers(params, x):
    h = x
    for W, b in params:
        h = np.tanh(h @ W + b)
    return np.mean(h)


def layers_anp(params, x):
    h = x
    for W, b in params:
        h = anp.tanh(anp.dot(h, W) + b)
    return anp.mean(h)


def close(a, b, rtol=1e-10):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12)


def make_layers(rng, sizes):
    return [(rng.normal(size=(m, n)), rng.normal(size=n)) for m, n in zip(sizes, sizes[1:])]


@pytest.mark.parametrize("sizes, batch, seed", [((3, 4, 2), 5, 0), ((2, 6, 1), 3, 1),
                                                 ((4, 3, 3), 7, 2)])
def test_a_list_of_tuples_of_arrays(sizes, batch, seed):
    rng = np.random.default_rng(seed)
    params, x = make_layers(rng, sizes), rng.normal(size=(batch, sizes[0]))
    c = compile_grad(mlp, (params, x), wrt="params")
    assert "(W1, b1), (W2, b2) = params" in c.source
    assert c.module.WRT == ("params",)
    value, (d_params,) = c.module.value_and_grad(params, x)
    assert value == pytest.approx(mlp(params, x), rel=1e-14)
    expected = autograd.grad(mlp_anp)(params, x)
    assert type(d_params) is list and all(type(layer) is tuple for layer in d_params)
    for got, want in zip(d_params, expected):
        close(got[0], want[0])
        close(got[1], want[1])


def test_a_loop_over_a_structure_and_the_default_wrt():
    rng = np.random.default_rng(3)
    params, x = make_layers(rng, (3, 5, 4, 2)), rng.normal(size=(4, 3))
    c = compile_grad(layers, (params, x))
    assert c.module.WRT == ("params", "x")
    d_params, d_x = c.module.grad(params, x)
    want_params = autograd.grad(layers_anp, 0)(params, x)
    for got, want in zip(d_params, want_params):
        close(got[0], want[0])
        close(got[1], want[1])
    close(d_x, autograd.grad(layers_anp, 1)(params, x))


def dict_loss(p, x):
    return np.sum(np.tanh(x @ p["W"] + p["b"]) ** 2) + np.sum(p["nested"]["c"] * x)


def dict_loss_anp(p, x):
    return anp.sum(anp.tanh(anp.dot(x, p["W"]) + p["b"]) ** 2) + anp.sum(p["nested"]["c"] * x)


@pytest.mark.parametrize("n", [2, 4])
def test_a_nested_dict(n):
    rng = np.random.default_rng(n)
    p = {"W": rng.normal(size=(n, 3)), "b": rng.normal(size=3),
         "nested": {"c": rng.normal(size=n)}}
    x = rng.normal(size=(5, n))
    c = compile_grad(dict_loss, (p, x), wrt=("p",))
    (g,) = c.module.grad(p, x)
    want = autograd.grad(dict_loss_anp)(p, x)
    assert list(g) == ["W", "b", "nested"] and list(g["nested"]) == ["c"]
    close(g["W"], want["W"])
    close(g["b"], want["b"])
    close(g["nested"]["c"], want["nested"]["c"])


class Layer(NamedTuple):
    W: np.ndarray
    b: np.ndarray


@dataclasses.dataclass
class DLayer:
    W: np.ndarray
    b: np.ndarray


def layer_loss(layer, x):
    return np.sum(np.sin(x @ layer.W + layer.b))


@pytest.mark.parametrize("kind", [Layer, DLayer])
def test_namedtuples_and_dataclasses(kind):
    rng = np.random.default_rng(5)
    layer, x = kind(rng.normal(size=(3, 2)), rng.normal(size=2)), rng.normal(size=(4, 3))
    c = compile_grad(layer_loss, (layer, x), wrt="layer")
    (g,) = c.module.grad(layer, x)
    assert type(g) is kind
    h = x @ layer.W + layer.b
    close(g.W, x.T @ np.cos(h))
    close(g.b, np.cos(h).sum(axis=0))


def test_a_structure_of_floats_and_a_tuple_of_data():
    def f(coeffs, data):
        a, b = coeffs
        xs, ys = data
        return np.sum((a * xs + b - ys) ** 2)
    xs, ys = np.linspace(0, 1, 5), np.linspace(1, 2, 5)
    c = compile_grad(f, ((0.5, -0.25), (xs, ys)), wrt="coeffs")
    (g,) = c.module.grad((0.5, -0.25), (xs, ys))
    assert type(g) is tuple and all(type(v) is float for v in g)
    r = 0.5 * xs - 0.25 - ys
    assert g == pytest.approx((float(np.sum(2 * r * xs)), float(np.sum(2 * r))), rel=1e-12)


def test_guards_name_a_structures_leaf():
    rng = np.random.default_rng(0)
    params, x = make_layers(rng, (3, 4, 2)), rng.normal(size=(5, 3))
    c = compile_grad(mlp, (params, x))
    bad = [params[0], (params[1][0], np.ones(3))]
    with pytest.raises(ValueError, match=r"params\[1\]\[1\]"):
        c.module.grad(bad, x)


def test_a_structure_with_a_non_float_leaf_cannot_be_differentiated():
    def f(p, x):
        return np.sum(p[0] * x) * p[1]
    with pytest.raises(ArgumentError, match="not all floats"):
        compile_grad(f, ((np.ones(2), 3), np.ones(2)), wrt="p")


# -- defaults, keyword-only parameters, compile-time constants --------------------------
def taylor_exp(x, n_terms=8, *, scale=1.0):
    total, term = 1.0, 1.0
    for k in range(1, n_terms):
        term = term * x / k
        total = total + term
    return scale * total


def function_defs(source):
    tree = ast.parse(source)
    return {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}


@pytest.mark.parametrize("x", [0.3, -1.2])
def test_defaults_stay_defaults_and_keyword_only_stays_keyword_only(x):
    c = compile_grad(taylor_exp, (x,))
    assert c.module.WRT == ("x",)  # the defaulted scale is not differentiated
    for name, fn in function_defs(c.source).items():
        if name in ("forward", "value_and_grad", "grad"):
            assert [a.arg for a in fn.args.args] == ["x", "n_terms"]
            assert [a.arg for a in fn.args.kwonlyargs] == ["scale"]
            assert ast.literal_eval(fn.args.defaults[0]) == 8
            assert ast.literal_eval(fn.args.kw_defaults[0]) == 1.0
    ref = autograd.grad(lambda x, s: taylor_exp(x, scale=s))
    assert c.module.grad(x)[0] == pytest.approx(ref(x, 1.0), rel=1e-14)
    # the keyword-only default is traced: another scale is computed, not refused
    assert c.module.grad(x, scale=2.5)[0] == pytest.approx(ref(x, 2.5), rel=1e-14)
    assert c.module.forward(x, scale=2.5) == pytest.approx(taylor_exp(x, scale=2.5))


def test_a_loop_bound_is_a_compile_time_constant_with_a_guard():
    c = compile_grad(taylor_exp, (0.5, 4))
    assert c.module.forward(0.5, 4) == pytest.approx(taylor_exp(0.5, 4), rel=1e-15)
    with pytest.raises(ValueError, match=r"n_terms=5, but this module was compiled for "
                                         r"n_terms=4.*recompile"):
        c.module.value_and_grad(0.5, 5)
    with pytest.raises(ValueError, match="compiled for n_terms=4"):
        c.module.forward(0.5)  # the source's default, 8, is not what was compiled


def minibatch(X, w, it, B=2):
    xb = X[it * B:(it + 1) * B]
    return np.sum(np.tanh(xb @ w))


@pytest.mark.parametrize("it", [0, 2])
def test_a_slice_bound_and_a_size(it):
    rng = np.random.default_rng(it)
    X, w = rng.normal(size=(6, 3)), rng.normal(size=3)
    c = compile_grad(minibatch, (X, w, it))
    assert c.module.WRT == ("X", "w")
    dX, dw = c.module.grad(X, w, it)
    ref = autograd.grad(lambda X, w: anp.sum(anp.tanh(anp.dot(X[it * 2:(it + 1) * 2], w))),
                        (0, 1))
    rX, rw = ref(X, w)
    close(dX, rX)
    close(dw, rw)
    with pytest.raises(ValueError, match=f"compiled for it={it}"):
        c.module.grad(X, w, it + 1)

    def sized(x, n):
        return np.sum(x * np.arange(n)) + np.sum(np.zeros(n) + x[:n])
    c = compile_grad(sized, (np.ones(3), 3))
    np.testing.assert_allclose(c.module.grad(np.ones(3), 3)[0], [1.0, 2.0, 3.0])


def test_an_option_default_and_a_flag():
    def f(x, mode="sum", squared=False):
        y = x * x if squared else x
        return np.sum(y) if mode == "sum" else np.mean(y)
    x = np.array([1.0, 2.0, 4.0])
    c = compile_grad(f, {"x": x, "squared": True})
    np.testing.assert_allclose(c.module.grad(x, squared=True)[0], 2 * x)
    with pytest.raises(ValueError, match="compiled for mode='sum'"):
        c.module.grad(x, "mean", True)
    with pytest.raises(ValueError, match="compiled for squared=True"):
        c.module.grad(x)


def test_examples_by_name_and_missing_examples():
    def f(x, *, w):
        return np.sum(x * w)
    c = compile_grad(f, {"x": np.ones(2), "w": np.array([2.0, 3.0])})
    assert c.module.WRT == ("x", "w")
    dx, dw = c.module.grad(np.ones(2), w=np.array([2.0, 3.0]))
    np.testing.assert_allclose(dx, [2.0, 3.0])
    with pytest.raises(ArgumentError, match="no example value for f's parameter 'w'"):
        compile_grad(f, (np.ones(2),))


def test_the_cli_keeps_defaults_and_compiles_a_loop_bound(tmp_path):
    src = tmp_path / "series.py"
    src.write_text("def series(x: 'float', n: 'int' = 5, *, scale=2.0):\n"
                   "    total = 0.0\n"
                   "    for k in range(n):\n"
                   "        total = total + scale * x ** k\n"
                   "    return total\n")
    out = tmp_path / "series_grad.py"
    env = dict(os.environ, PYTHONPATH=ROOT)
    run = subprocess.run([sys.executable, "-m", "bpcompiler", "compile", f"{src}:series",
                          "-o", str(out)], capture_output=True, text=True, env=env,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        import series_grad
    finally:
        sys.path.pop(0)
    x = 0.7
    assert series_grad.grad(x)[0] == pytest.approx(sum(2.0 * k * x ** (k - 1)
                                                       for k in range(1, 5)), rel=1e-14)
    with pytest.raises(ValueError, match=r"--arg 'n=int in \[6, 6\]'"):
        series_grad.grad(x, 6)


def test_guards_check_a_structures_containers():
    rng = np.random.default_rng(0)
    params, x = make_layers(rng, (3, 4, 2)), rng.normal(size=(5, 3))
    c = compile_grad(mlp, (params, x))
    with pytest.raises(ValueError, match="params must be a list of 2.*got a list of 1"):
        c.module.grad(params[:1], x)
    with pytest.raises(TypeError, match=r"params\[1\] must be a tuple of 2.*got list"):
        c.module.forward([params[0], list(params[1])], x)
    p = {"W": rng.normal(size=(5, 3)), "b": rng.normal(size=3),
         "nested": {"c": rng.normal(size=5)}}
    c = compile_grad(dict_loss, (p, rng.normal(size=(2, 5))))
    with pytest.raises(ValueError, match=r"p must be a dict with the keys \['W', 'b', 'nested'\]"):
        c.module.grad({"W": p["W"], "b": p["b"]}, rng.normal(size=(2, 5)))
    reordered = {"nested": p["nested"], "b": p["b"], "W": p["W"]}
    assert c.module.forward(reordered, np.ones((2, 5))) == dict_loss(p, np.ones((2, 5)))
