"""Every op's JVP rule (Op.jvp), generated from the registry as test_ops.py generates the
VJP tests: the forward sweep's tangent, evaluated with the IR's reference semantics,
against central differences of the real op along the same direction (float64), and
against jax.jvp where JAX is installed and has the op. An op cannot exist untested."""

from __future__ import annotations

import numpy as np
import pytest

from bpcompiler.builder import Builder
from bpcompiler.forward_mode import tangent_sweep
from bpcompiler.graph import add_node, new_graph
from bpcompiler.interpret import interpret
from bpcompiler.ops import REGISTRY, F

from support.fd import central_differences
from support.opcases import fields, op_cases, parametrized, reference, sample_args

try:  # JAX is an optional reference: these checks skip without it
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
except ImportError:  # pragma: no cover
    jax = jnp = None

CASES = op_cases()


def tangent_of(op, params, args, tangents, python):
    """(value, tangent) of op(*args) along `tangents` (None: the operand has none)."""
    g = new_graph("f", None, tuple(f"x{i}" for i in range(len(args))))
    builder = Builder(g, "forward", lambda: (None, None))
    nodes = []
    for i, a in enumerate(args):
        nodes.append(add_node(g, "input", (), {"index": i}, shape=np.shape(a),
                              dtype=_dtype(a), python=python, phase="forward", name=f"x{i}"))
    with builder.active():
        y = getattr(F, op.name)(*[builder.tracer(n) for n in nodes], **params)
    seeds = {}
    for i, t in enumerate(tangents):
        if t is not None:
            seeds[nodes[i]] = add_node(g, "input", (), {"index": len(args) + len(seeds)},
                                       shape=np.shape(t), dtype=_dtype(t), python=python,
                                       phase="tangent", name=f"t_x{i}")
    parts = fields(op, y)  # a multi-output op's fields: each is checked
    g.graph.update(inputs=tuple(nodes), output=parts[0]._node)
    found = tangent_sweep(g, seeds)
    values = interpret(g, list(args) + [t for t in tangents if t is not None])
    ts = tuple(values[found[p._node]] if p._node in found else np.zeros(p.shape, p._dtype)
               for p in parts)
    value = tuple(values[p._node] for p in parts)
    return (value, ts) if op.outputs else (value[0], ts[0])


def _dtype(a):
    return "float64" if isinstance(a, float) else np.asarray(a).dtype.name


@pytest.mark.parametrize("case", parametrized(CASES))
def test_op_jvp(case):
    _, op, shapes, params, dtype, python = case
    rng = np.random.default_rng(4321)
    doms = op.domains(len(shapes))
    args, _ = sample_args(op, shapes, dtype, python, rng)
    tangents = [None if d.integer else
                (float(rng.uniform(-1, 1)) if python else
                 rng.uniform(-1, 1, size=np.shape(a)).astype(dtype))
                for d, a in zip(doms, args)]
    value, t = tangent_of(op, params, args, tangents, python)
    for vk, tk in zip(fields(op, value), fields(op, t)):
        assert np.shape(tk) == np.shape(vk)
        if not python and np.ndim(vk):
            assert np.asarray(tk).dtype == np.asarray(vk).dtype

    # Independent check 1: central differences of the real op along the tangents.
    args64 = [a if python or a.dtype.kind != "f" else a.astype(np.float64) for a in args]
    ts64 = [None if u is None else np.float64(u) if python else u.astype(np.float64)
            for u in tangents]
    fn = op.impl(python)
    single = dtype == "float32" or params.get("dtype") == "float32"
    h = 1e-2 if params.get("dtype") == "float32" else 1e-6

    def along(s):
        xs = [a if u is None else a + s * u for a, u in zip(args64, ts64)]
        if python:
            xs = [float(x) for x in xs]
        return np.concatenate([np.asarray(y, dtype=np.float64).reshape(-1)
                               for y in fields(op, fn(*xs, **params))])
    numeric = central_differences(along, (0.0,), 0, h)
    tol = dict(rtol=2e-3, atol=2e-3) if single else dict(rtol=1e-6, atol=1e-7)
    t = _flat(op, t)
    np.testing.assert_allclose(t, numeric, **tol)

    # Independent check 2: jax.jvp of the op written with jax.numpy.
    if python or jax is None:
        return
    ref = reference(op, params, jnp)
    if ref is None:
        return
    active = [i for i, u in enumerate(ts64) if u is not None]

    def of(*xs):
        full = [jnp.asarray(a) for a in args64]
        for i, x in zip(active, xs):
            full[i] = x
        return ref(*full)
    _, expected = jax.jvp(of, tuple(jnp.asarray(args64[i]) for i in active),
                          tuple(jnp.asarray(ts64[i]) for i in active))
    expected = _flat(op, expected)
    if np.isnan(expected).any() and np.isfinite(numeric).all():
        return  # JAX's NaN where the op is not differentiable (std of one element): the
        # op's documented convention (0) has been checked against the differences above
    np.testing.assert_allclose(t, expected, **tol)


def _flat(op, value):
    """All of an op's result (every field of a multi-output op) as one float64 vector
    (JAX's tangent of an int field, of dtype float0, as zeros)."""
    return np.concatenate([np.zeros(np.size(y)) if jax is not None and
                           getattr(y, "dtype", None) == jax.dtypes.float0
                           else np.asarray(y, dtype=np.float64).reshape(-1)
                           for y in fields(op, value)])


def test_every_differentiable_op_has_a_jvp_rule_and_cases():
    tested = {case[1].name for case in CASES}
    for name, op in REGISTRY.items():
        if op.differentiable:
            assert op.jvp is not None, f"op {name} has no JVP rule"
            if op.arity > 0 and name != "proj":  # (tested with each multi-output op)
                assert name in tested, f"op {name} has no generated JVP test"


def test_a_wrong_jvp_rule_fails_its_generated_test(monkeypatch):
    import dataclasses
    wrong = dataclasses.replace(REGISTRY["tanh"], jvp=lambda ts, y, a: ts[0] * (1.0 + y * y))
    monkeypatch.setitem(REGISTRY, "tanh", wrong)
    case = next(c for c in CASES if c[1].name == "tanh" and c[4] == "float64")
    case = (case[0], wrong) + case[2:]
    with pytest.raises(AssertionError):
        test_op_jvp(case)
