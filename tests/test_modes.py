"""The functions emit= adds beyond the gradient (jvp, vjp, jacobian, hvp, hessian),
compiled and checked against autograd (always installed) and JAX (when installed) at
two points: on corpus functions (scalar outputs) and on functions returning arrays."""

from __future__ import annotations

import inspect
import math
import zlib

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from bpcompiler import compile_grad
from bpcompiler.errors import CompileError, ReturnValueError
from bpcompiler.modes import MAX_SWEEPS

from support.corpus import CASES, _is_float, _upcast, to_autograd

try:  # JAX is an optional second reference
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
except ImportError:  # pragma: no cover
    jax = jnp = None

QUICK = ("seed_network", "rosenbrock", "linear_regression_mse", "softmax_cross_entropy",
         "mlp_tanh", "attention", "layer_norm_loss", "huber_regression", "rnn_loss",
         "gaussian_nll", "clipped_objective", "multi_axis_reductions", "mlp_float32",
         "scalar_array_mix", "conv1d_loss")


def _random_like(x, rng):
    if isinstance(x, float):
        return float(rng.uniform(-1, 1))
    return np.asarray(rng.uniform(-1, 1, np.shape(x)), dtype=np.asarray(x).dtype)


def _dot(a, b):
    return sum(anp.sum(x * y) for x, y in zip(a, b))


def _wrt_of(case, args):
    names = list(inspect.signature(case.fn).parameters)
    wrt = case.wrt or tuple(n for n, a in zip(names, args) if _is_float(a))
    return names, wrt, [names.index(w) for w in wrt]


@pytest.mark.parametrize("case", [
    pytest.param(c, id=c.name, marks=c.marks + (() if c.name in QUICK else (pytest.mark.slow,)))
    for c in CASES])
def test_corpus_modes_match_autograd(case):
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    args = case.make_args(rng)
    names, wrt, index = _wrt_of(case, args)
    size = sum(int(np.size(args[i])) for i in index)
    emit = ("grad", "jvp", "vjp", "hvp") + (("hessian",) if size <= 16 else ())
    c = compile_grad(case.fn, args=args, wrt=case.wrt, emit=emit)
    ref = to_autograd(case.fn)
    tol = dict(rtol=2e-3, atol=1e-4) if case.float32 else dict(rtol=1e-8, atol=1e-10)
    for point in range(2):  # the example, then another point
        if point:
            args = case.make_args(np.random.default_rng(zlib.crc32(case.name.encode()) + 1))
        ref_args = [_upcast(a) for a in args]

        def of(xs):
            call = list(ref_args)
            for i, x in zip(index, xs):
                call[i] = x
            return ref(*call)
        x0 = tuple(ref_args[i] for i in index)
        grads = autograd.grad(of)(x0)
        v = tuple(_random_like(args[i], rng) for i in index)
        hv = autograd.grad(lambda xs: _dot(autograd.grad(of)(xs), v))(x0)

        value, t = c.module.jvp(*args, v)
        np.testing.assert_allclose(value, of(x0), rtol=1e-4 if case.float32 else 1e-12)
        np.testing.assert_allclose(t, float(_dot(grads, v)), **tol)
        value, pulled = c.module.vjp(*args, 0.5)
        for got, want in zip(pulled, grads):
            np.testing.assert_allclose(np.asarray(got, np.float64), 0.5 * np.asarray(want),
                                       **tol)
        for got, want, p in zip(c.module.hvp(*args, v), hv, v):
            assert np.shape(got) == np.shape(p)
            np.testing.assert_allclose(np.asarray(got, np.float64), want, **tol)
        if "hessian" in emit:
            rows = c.module.hessian(*args)
            for row, want in zip(rows, hv):
                got = sum(np.tensordot(np.asarray(b, np.float64), np.asarray(d, np.float64),
                                       axes=np.ndim(d)) for b, d in zip(row, v))
                np.testing.assert_allclose(got, want, **tol)


# -- functions returning arrays ----------------------------------------------------------

def residuals(w, b, X, y):
    return np.tanh(X @ w + b) - y


def softmax_rows(W, X):
    z = X @ W
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def outer_features(x, y):
    return np.outer(np.exp(x), np.sin(y)) + np.sum(x * x)


def two_summaries(W):  # few outputs, many inputs: a reverse-mode Jacobian
    return np.stack([np.sum(W ** 2), np.mean(np.sin(W)), np.prod(np.cos(W[0]))])


def scalar_of_floats(x, y):  # a Python-float function: jvp/vjp/jacobian of floats
    return math.sin(x) * y + math.exp(x * y)


VECTOR_CASES = [
    (residuals, lambda r: (r.normal(size=3), float(r.normal()), r.normal(size=(7, 3)),
                           r.normal(size=7)), ("w", "b"), "forward"),
    (softmax_rows, lambda r: (0.5 * r.normal(size=(3, 4)), r.normal(size=(5, 3))), ("W",),
     "forward"),
    (outer_features, lambda r: (0.5 * r.normal(size=3), r.normal(size=4)), None, "forward"),
    (two_summaries, lambda r: (r.normal(size=(4, 5)),), None, "reverse"),
    (scalar_of_floats, lambda r: (float(r.uniform(0, 1)), float(r.uniform(0, 1))), None,
     "reverse"),
]


def _autograd_jacobian(fn, args, index):
    return _jacobian_of(to_autograd(fn), args, index)


def _jacobian_of(ref, args, index):
    """autograd's Jacobian of `ref` (written with autograd.numpy) per parameter."""
    blocks = []
    for i in index:
        def of(x, i=i):
            call = [_upcast(a) for a in args]
            call[i] = x
            return ref(*call)
        blocks.append(np.asarray(autograd.jacobian(of)(_upcast(args[i]))))
    return blocks


def _jax_jacobian(fn, args, index):
    import types
    clone = types.FunctionType(fn.__code__, dict(fn.__globals__, np=jnp, math=_JaxMath()),
                               fn.__name__)
    blocks = []
    for i in index:
        def of(x, i=i):
            call = [jnp.asarray(a) for a in args]
            call[i] = x
            return clone(*call)
        blocks.append(np.asarray(jax.jacfwd(of)(jnp.asarray(args[i], dtype=jnp.float64))))
    return blocks


class _JaxMath:
    def __getattr__(self, name):
        return getattr(jnp, name)


@pytest.mark.parametrize("fn, make, wrt, mode", VECTOR_CASES,
                         ids=[c[0].__name__ for c in VECTOR_CASES])
def test_vector_outputs_match_autograd_and_jax(fn, make, wrt, mode):
    rng = np.random.default_rng(zlib.crc32(fn.__name__.encode()))
    args = make(rng)
    c = compile_grad(fn, args, wrt=wrt, emit=("jvp", "vjp", "jacobian"))
    assert f"jacobian ({mode} mode" in c.source
    names = list(inspect.signature(fn).parameters)
    wrt = c.module.WRT
    index = [names.index(w) for w in wrt]
    for point in range(2):
        if point:
            args = make(np.random.default_rng(7))
        value = fn(*args)
        blocks = c.module.jacobian(*args)
        refs = _autograd_jacobian(fn, args, index)
        if jax is not None:
            refs_jax = _jax_jacobian(fn, args, index)
            for got, want in zip(blocks, refs_jax):
                np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
        for got, want, i in zip(blocks, refs, index):
            assert np.shape(got) == np.shape(value) + np.shape(args[i])
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
        v = tuple(_random_like(args[i], rng) for i in index)
        u = rng.uniform(-1, 1, np.shape(value))
        out, t = c.module.jvp(*args, v)
        np.testing.assert_allclose(out, value, rtol=1e-13)
        want = sum(np.tensordot(b, np.asarray(d), axes=np.ndim(d)) for b, d in zip(refs, v))
        np.testing.assert_allclose(t, want, rtol=1e-9, atol=1e-12)
        out, pulled = c.module.vjp(*args, u if np.ndim(value) else float(u))
        for got, b, i in zip(pulled, refs, index):
            assert np.shape(got) == np.shape(args[i])
            np.testing.assert_allclose(got, np.tensordot(u, b, axes=np.ndim(u)), rtol=1e-9,
                                       atol=1e-12)


def test_grad_of_an_array_output_is_refused_with_advice():
    rng = np.random.default_rng(0)
    with pytest.raises(ReturnValueError) as info:
        compile_grad(residuals, (rng.normal(size=3), 0.1, rng.normal(size=(7, 3)),
                                 rng.normal(size=7)))
    assert "emit vjp or jacobian" in str(info.value)
    with pytest.raises(ReturnValueError):
        compile_grad(residuals, (rng.normal(size=3), 0.1, rng.normal(size=(7, 3)),
                                 rng.normal(size=7)), emit=("jvp", "hvp"))


def test_a_hessian_past_the_limit_is_refused_pointing_to_hvp():
    def f(x):
        return np.sum(np.sin(x) ** 2)
    with pytest.raises(CompileError) as info:
        compile_grad(f, (np.linspace(0, 1, MAX_SWEEPS + 1),), emit=("hessian",))
    assert "emit hvp" in str(info.value)


def test_an_unknown_function_is_refused():
    with pytest.raises(CompileError, match="choose from grad, jvp"):
        compile_grad(lambda x: x * x, (1.0,), emit=("grad", "laplacian"))


def test_the_default_module_is_the_gradient_module():
    def f(w, X):
        return np.sum(np.tanh(X @ w))
    rng = np.random.default_rng(0)
    args = (rng.normal(size=3), rng.normal(size=(4, 3)))
    default = compile_grad(f, args).source
    assert compile_grad(f, args, emit=("grad",)).source == default
    assert "def jvp" not in default and "# Functions:" not in default


def test_the_hvp_computes_the_forward_once_and_reuses_it():
    def f(w, X):
        return np.sum(np.tanh(X @ w) ** 2)
    rng = np.random.default_rng(0)
    c = compile_grad(f, (rng.normal(size=3), rng.normal(size=(4, 3))), emit=("hvp",))
    body = c.source[c.source.index("def hvp"):]
    code = [line for line in body.splitlines() if not line.strip().startswith("#")]
    assert sum(line.count("np.tanh(") for line in code) == 1
    assert "value_and_grad" not in c.source


def test_a_wrong_jvp_rule_fails_verification(monkeypatch):
    import dataclasses
    from bpcompiler import VerificationError
    from bpcompiler.ops import REGISTRY
    wrong = dataclasses.replace(REGISTRY["sin"], jvp=lambda ts, y, a: ts[0] * y)
    monkeypatch.setitem(REGISTRY, "sin", wrong)
    with pytest.raises(VerificationError, match="jvp"):
        compile_grad(lambda x: np.sin(x) * 2.0, (np.linspace(0.1, 1, 4),), emit=("jvp",))


def test_the_scipy_examples_run_and_newton_needs_fewer_iterations():
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(__file__), "..", "examples", "demos", "scipy_fits.py")
    spec = importlib.util.spec_from_file_location("scipy_fits", path)
    fits = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fits)
    rows = fits.newton_fit(np.random.default_rng(0))
    (_, newton), (_, bfgs), (_, cg) = rows
    assert newton.success and newton.nit < bfgs.nit and newton.nit < cg.nit
    np.testing.assert_allclose([bfgs.fun, cg.fun], newton.fun, rtol=1e-9)
    (_, exact), (_, two_point), _ = fits.decay_fit(np.random.default_rng(1))
    assert exact.success and exact.nfev <= two_point.nfev
    np.testing.assert_allclose(exact.cost, two_point.cost, rtol=1e-6)


def pair_of_outputs(w, X):
    z = X @ w
    return np.tanh(z), np.sum(w * w)


def list_of_outputs(a, b):
    return [a * b, np.exp(a), a @ b]


def dict_of_outputs(w, s):
    return {"scaled": w * s, "norm": np.sqrt(np.sum(w * w)), "s": s * 2.0}


STRUCTURED = [
    (pair_of_outputs, lambda r: (r.normal(size=3), r.normal(size=(4, 3)))),
    (list_of_outputs, lambda r: (r.normal(size=3), r.normal(size=3))),
    (dict_of_outputs, lambda r: (r.normal(size=4), float(r.uniform(0.5, 1.5)))),
]


@pytest.mark.parametrize("fn, make", STRUCTURED, ids=[c[0].__name__ for c in STRUCTURED])
def test_structured_outputs_match_autograd(fn, make):
    rng = np.random.default_rng(3)
    args = make(rng)
    c = compile_grad(fn, args, emit=("jvp", "vjp", "jacobian"))
    names = list(inspect.signature(fn).parameters)
    index = [names.index(w) for w in c.module.WRT]
    value = fn(*args)
    keys = list(value) if isinstance(value, dict) else range(len(value))
    out = c.module.forward(*args)
    assert type(out) is type(value)
    jac = c.module.jacobian(*args)
    v = tuple(_random_like(args[i], rng) for i in index)
    _, tangent = c.module.jvp(*args, v)
    u = type(value)(rng.uniform(-1, 1, np.shape(value[k])) for k in keys) \
        if not isinstance(value, dict) else {k: rng.uniform(-1, 1, np.shape(value[k]))
                                            for k in keys}
    _, pulled = c.module.vjp(*args, u)
    ref = to_autograd(fn)
    for k in keys:
        np.testing.assert_allclose(out[k], value[k], rtol=1e-13)

        def leaf(*xs, k=k):
            return ref(*xs)[k]
        refs = _jacobian_of(leaf, args, index)
        for block_of, want in zip(jac, refs):
            np.testing.assert_allclose(block_of[k], want, rtol=1e-9, atol=1e-12)
        want_t = sum(np.tensordot(b, np.asarray(d), axes=np.ndim(d)) for b, d in zip(refs, v))
        np.testing.assert_allclose(tangent[k], want_t, rtol=1e-9, atol=1e-12)
    for j, got in enumerate(pulled):
        want = sum(np.tensordot(u[k], _jacobian_of(lambda *xs, k=k: ref(*xs)[k], args,
                                                   index)[j], axes=np.ndim(u[k]))
                   for k in keys)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_symbolic_dimensions_serve_every_batch_size_in_every_function():
    def loss(w, X):
        return np.mean(np.tanh(X @ w) ** 2)

    def residual(w, X):
        return np.tanh(X @ w)
    rng = np.random.default_rng(5)
    w = rng.normal(size=3)
    lossc = compile_grad(loss, (w, rng.normal(size=(6, 3))), wrt=("w",),
                         specs={"X": "f64[N,3] data"}, emit=("grad", "jvp", "hvp"))
    resc = compile_grad(residual, (w, rng.normal(size=(6, 3))), wrt=("w",),
                        specs={"X": "f64[N,3] data"}, emit=("vjp", "jacobian"))
    for n in (4, 11):
        X = rng.normal(size=(n, 3))
        v = rng.normal(size=3)
        ref_loss = to_autograd(loss)
        hv = autograd.grad(lambda x: anp.sum(autograd.grad(ref_loss)(x, X) * v))(w)
        np.testing.assert_allclose(lossc.module.hvp(w, X, (v,))[0], hv, rtol=1e-10)
        np.testing.assert_allclose(lossc.module.jvp(w, X, (v,))[1],
                                   np.dot(autograd.grad(ref_loss)(w, X), v), rtol=1e-10)
        jac = autograd.jacobian(to_autograd(residual))(w, X)
        np.testing.assert_allclose(resc.module.jacobian(w, X)[0], jac, rtol=1e-10)
        u = rng.normal(size=n)
        np.testing.assert_allclose(resc.module.vjp(w, X, u)[1][0], u @ jac, rtol=1e-10)
