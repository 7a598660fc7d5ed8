"""Every op in the registry, compiled and checked on the emitted code: against central
differences computed here (element by element, float64) and against autograd where it
has the same function. Generated from the registry: an op cannot exist untested."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import autograd.numpy as anp

from bpcompiler import VerificationError, compile_grad
from bpcompiler.ops import REGISTRY, Op
from bpcompiler.ops.registry import elementwise_rule, register

from support.fd import central_differences as numeric_gradient
from support.opcases import (aval_of, autograd_lacks as _autograd_lacks, case_function,
                             op_cases, parametrized, reference, sample_args, weights_for)

CASES = op_cases()


@pytest.mark.parametrize("case", parametrized(CASES))
def test_op_gradient(case):
    _, op, shapes, params, dtype, python = case
    rng = np.random.default_rng(1234)
    args, float_params = sample_args(op, shapes, dtype, python, rng)
    weights = weights_for(op, [aval_of(a) for a in args], params, python, dtype, rng)
    f = case_function(op, params, python, weights, len(args))
    c = compile_grad(f, tuple(args), wrt=float_params)
    value, grads = c.module.value_and_grad(*args)

    # Independent check 1: element-wise central differences of the real op in float64.
    args64 = [a if python or a.dtype.kind != "f" else a.astype(np.float64) for a in args]
    weights64 = weights if python else tuple(w.astype(np.float64) for w in weights) \
        if op.outputs else weights.astype(np.float64)
    f64 = case_function(op, params, python, weights64, len(args))
    single = dtype == "float32" or params.get("dtype") == "float32"
    tol = dict(rtol=2e-3, atol=2e-3) if single else dict(rtol=1e-6, atol=1e-8)
    h = 1e-2 if params.get("dtype") == "float32" else 1e-6  # f64 rounds to float32 only there
    for name, g in zip(float_params, grads):
        i = int(name[1:])
        assert np.shape(g) == np.shape(args[i])
        if not python:
            assert g.dtype == args[i].dtype, (g.dtype, args[i].dtype)
        np.testing.assert_allclose(g, numeric_gradient(f64, args64, i, h), **tol)

    # Independent check 2: autograd, or JAX where autograd lacks the op.
    if python:
        return
    if not _autograd_lacks(op, params, shapes):
        xp, grad_of, wrap = anp, autograd.grad, (lambda a: a)
    elif jax is not None:
        xp, grad_of, wrap = jnp, jax.grad, jnp.asarray
    else:
        return
    ref = reference(op, params, xp)
    if ref is None:
        return
    for name, g in zip(float_params, grads):
        i = int(name[1:])

        def of(x, i=i):
            xs = [wrap(a) for a in args64]
            xs[i] = x
            if op.outputs:
                return sum(xp.sum(y * w) for y, w in zip(ref(*xs), weights64))
            return xp.sum(ref(*xs) * weights64)
        expected = np.asarray(grad_of(of)(wrap(args64[i])))
        np.testing.assert_allclose(g, expected, **tol)


try:  # JAX is an optional dev reference
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
except ImportError:  # pragma: no cover
    jax = jnp = None


def test_every_differentiable_op_has_cases():
    tested = {case[1].name for case in CASES}
    for name, op in REGISTRY.items():
        if op.arity > 0 and op.differentiable and name != "proj":  # (in each multi-output op's)
            assert name in tested, f"op {name} has no generated gradient test"


def test_an_op_without_vjp_or_mark_cannot_be_registered():
    with pytest.raises(ValueError, match="VJP rule or differentiable=False"):
        register(Op(name="mystery", arity=1, np_fn=np.sinh, py_fn=None, spell=None,
                    shape_rule=elementwise_rule))
    assert "mystery" not in REGISTRY


def test_a_wrong_vjp_rule_makes_verification_fail(monkeypatch, tmp_path):
    import dataclasses
    wrong = dataclasses.replace(REGISTRY["tanh"], vjp=lambda g, y, a: (g * (1.0 + y * y),))
    monkeypatch.setitem(REGISTRY, "tanh", wrong)

    def f(x):
        return np.sum(np.tanh(x))

    out = tmp_path / "f_grad.py"
    with pytest.raises(VerificationError) as info:
        compile_grad(f, (np.linspace(-1, 1, 5),), out=str(out))
    message = str(info.value)
    assert "the gradient with respect to x disagrees" in message  # names the parameter
    assert "the complex step gives" in message and "tolerance" in message
    assert not out.exists()
