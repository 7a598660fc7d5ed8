"""Every op in the registry, compiled and checked on the emitted code: against central
differences computed here (element by element, float64) and against autograd where it
has the same function. Generated from the registry: an op cannot exist untested."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import autograd.numpy as anp

from bpcompiler import VerificationError, compile_grad
from bpcompiler.ops import REGISTRY, F, Op
from bpcompiler.ops.registry import elementwise_rule, register
from bpcompiler.ops.indexing import decode
from bpcompiler.ops.shape import decode_index
from bpcompiler.tracer import Tracer

from opcases import INT_DOMAINS, domains, numeric_gradient, op_cases, sample

CASES = op_cases()


def build(op, params, python, weights):
    """f(*xs) = sum(weights * op(*xs)), traced through the registry, real otherwise."""
    def f(*xs):
        if any(isinstance(x, Tracer) for x in xs):
            y = getattr(F, op.name)(*xs, **params)
        else:
            y = op.impl(python)(*xs, **params)
        return y * weights if python else np.sum(y * weights)
    return f


def autograd_version(op, params, shapes):
    """The same op in autograd.numpy, or None when autograd has no counterpart."""
    name = op.name
    if name == "where" and len(set(shapes)) > 1:
        return None  # autograd's where does not sum broadcast gradients back
    if name in ("cbrt", "clip", "fmod") or (name == "sort" and len(shapes[0]) > 1):
        return None  # autograd has no VJP for these
    if name == "norm" and params["keepdims"]:
        return None  # autograd's norm VJP returns the wrong shape with keepdims
    if name == "tile" and len(params["reps"]) < len(shapes[0]):
        return None  # autograd's tile VJP is wrong when reps is shorter than ndim
    if op.shape_rule is elementwise_rule and op.np_fn is not None and not op.cases:
        fn = getattr(anp, op.np_fn.__name__, None)
        return None if fn is None else (lambda *xs: fn(*xs))
    p = params
    axis = p.get("axis")
    reduce = {"axis": axis[0] if isinstance(axis, tuple) and len(axis) == 1 else axis,
              "keepdims": p.get("keepdims")}
    table = {
        "sum": lambda x: anp.sum(x, **reduce),
        "mean": lambda x: anp.mean(x, **reduce),
        "prod": lambda x: anp.prod(x, **reduce),
        "max": lambda x: anp.max(x, **reduce),
        "min": lambda x: anp.min(x, **reduce),
        "var": lambda x: anp.var(x, ddof=p.get("ddof", 0), **reduce),
        "std": lambda x: anp.std(x, ddof=p.get("ddof", 0), **reduce),
        "cumsum": lambda x: anp.cumsum(x, axis=p.get("axis")),
        "reshape": lambda x: anp.reshape(x, p.get("shape")),
        "transpose": lambda x: anp.transpose(x, p.get("axes")),
        # autograd cannot broadcast_to with new leading dims; multiplying by ones can.
        "broadcast_to": lambda x: x * anp.ones(p.get("shape")),
        "getitem": lambda x: x[decode_index(p["index"])] if "index" in p else None,
        "gather": lambda x, *arrays: x[decode(p["index"], arrays)],
        "matmul": lambda a, b: anp.matmul(a, b),
        "einsum": lambda *xs: anp.einsum(p.get("subscripts"), *xs),
        "concatenate": lambda *xs: anp.concatenate(xs, axis=p.get("axis")),
        "stack": lambda *xs: anp.stack(xs, axis=p.get("axis")),
        "tile": lambda x: anp.tile(x, p.get("reps")),
        "repeat": lambda x: anp.repeat(x, p.get("repeats"), axis=p.get("axis")),
        "pad": lambda x: anp.pad(x, p.get("pad_width"), mode="constant",
                                 constant_values=p.get("constant_values")),
        "trace": lambda x: anp.trace(x, p.get("offset")),
        "norm": lambda x: anp.linalg.norm(x, **reduce),
        "det": lambda x: anp.linalg.det(x),
        "slogdet": lambda x: anp.linalg.slogdet(x)[1],
        "inv": lambda x: anp.linalg.inv(x),
        "solve": lambda a, b: anp.linalg.solve(a, b),
        "sort": lambda x: anp.sort(x, axis=p.get("axis")),
        "clip": lambda x, lo, hi: anp.clip(x, lo, hi),
    }
    return table.get(name)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_op_gradient(case):
    _, op, shapes, params, dtype, python = case
    rng = np.random.default_rng(1234)
    doms = domains(op, len(shapes))
    args = [sample(d, s, dtype, rng) for d, s in zip(doms, shapes)]
    if python:
        args = [float(a) for a in args]
    float_params = tuple(f"x{i}" for i, d in enumerate(doms) if d not in INT_DOMAINS)
    weights_shape = op.shape_rule(op, [_aval(a) for a in args], params, python)[0]
    weights = 0.7 if python else np.asarray(rng.uniform(-1, 1, size=weights_shape), dtype=dtype)
    f = build(op, params, python, weights)
    f.__signature__ = _signature(len(args))
    c = compile_grad(f, tuple(args), wrt=float_params)
    value, grads = c.module.value_and_grad(*args)

    # Independent check 1: element-wise central differences of the real op in float64.
    args64 = [a if python or a.dtype.kind != "f" else a.astype(np.float64) for a in args]
    weights64 = weights if python else weights.astype(np.float64)
    f64 = build(op, params, python, weights64)
    single = dtype == "float32" or params.get("dtype") == "float32"
    tol = dict(rtol=2e-3, atol=2e-3) if single else dict(rtol=1e-6, atol=1e-8)
    h = 1e-2 if params.get("dtype") == "float32" else 1e-6  # f64 rounds to float32 only there
    for name, g in zip(float_params, grads):
        i = int(name[1:])
        assert np.shape(g) == np.shape(args[i])
        if not python:
            assert g.dtype == args[i].dtype, (g.dtype, args[i].dtype)
        np.testing.assert_allclose(g, numeric_gradient(f64, args64, i, h), **tol)

    # Independent check 2: autograd, where it has the op.
    reference = autograd_version(op, params, shapes)
    if reference is not None and not python:
        for name, g in zip(float_params, grads):
            i = int(name[1:])

            def g_of(x, i=i):
                xs = list(args64)
                xs[i] = x
                return anp.sum(reference(*xs) * weights64)
            expected = autograd.grad(g_of)(args64[i])
            np.testing.assert_allclose(g, expected, **tol)
    elif JAX_REFERENCES.get(name_of(op)) is not None and not python and jax is not None:
        # Independent check 2': JAX, for the ops autograd lacks.
        reference = JAX_REFERENCES[op.name](params)
        for name, g in zip(float_params, grads):
            i = int(name[1:])

            def j_of(x, i=i):
                xs = [jnp.asarray(a) for a in args64]
                xs[i] = x
                return jnp.sum(reference(*xs) * weights64)
            expected = np.asarray(jax.grad(j_of)(jnp.asarray(args64[i])))
            np.testing.assert_allclose(g, expected, **tol)


def name_of(op):
    return op.name


try:  # JAX is an optional dev reference
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
except ImportError:  # pragma: no cover
    jax = jnp = None

JAX_REFERENCES = {} if jnp is None else {
    "cbrt": lambda p: jnp.cbrt,
    "clip": lambda p: jnp.clip,
    "fmod": lambda p: jnp.fmod,
    "sort": lambda p: lambda x: jnp.sort(x, axis=p["axis"]),
    "take_along_axis": lambda p: lambda x, i: jnp.take_along_axis(x, i, axis=p["axis"]),
    "tile": lambda p: lambda x: jnp.tile(x, p["reps"]),
    "norm": lambda p: lambda x: jnp.linalg.norm(x, axis=p["axis"], keepdims=p["keepdims"]),
    "cumprod": lambda p: lambda x: jnp.cumprod(x, axis=p["axis"]),
    "scatter_add": lambda p: lambda g, *arrays: jnp.zeros(p["shape"], g.dtype).at[
        decode(p["index"], arrays)].add(g),
    "add_along_axis": lambda p: lambda g, i: _jax_add_along_axis(g, i, p),
}


def _jax_add_along_axis(g, idx, p):
    sparse = np.indices(idx.shape, sparse=True)
    axis = p["axis"]
    index = sparse[:axis] + (idx,) + sparse[axis + 1:]
    return jnp.zeros(p["shape"], g.dtype).at[index].add(g)


def _aval(a):
    from bpcompiler.ops import Aval
    if isinstance(a, float):
        return Aval((), "float64", True)
    return Aval(a.shape, a.dtype.name, False)


def _signature(n):
    import inspect
    return inspect.Signature([inspect.Parameter(f"x{i}", inspect.Parameter.POSITIONAL_OR_KEYWORD)
                              for i in range(n)])


def test_every_differentiable_op_has_cases():
    tested = {case[1].name for case in CASES}
    for name, op in REGISTRY.items():
        if op.arity > 0 and op.differentiable:
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
    assert "'x'" in message or "x" in message
    assert "the complex step gives" in message and "tolerance" in message
    assert not out.exists()
