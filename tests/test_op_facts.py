"""The op facts that the emitter and the numba target read from the declarations
(`Op.takes_keepdims`, `Op.in_loops`, `Op.arithmetic`) hold for the ops that declare them,
and no table of op names outside the ops stands in for them."""

from __future__ import annotations

import ast
import pathlib

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from bpcompiler import compile_grad
from bpcompiler.ops import REGISTRY
from bpcompiler.ops.registry import Aval, Expr, elementwise_rule
from bpcompiler.passes.fusion import loop_ops

ROOT = pathlib.Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(11)


def _sample(op, seed=0):
    rng = np.random.default_rng(seed)
    return [d.sample((5,), "float64", rng) for d in op.domains(op.arity)]


@pytest.mark.parametrize("name", sorted(n for n, op in REGISTRY.items() if op.takes_keepdims))
def test_a_keepdims_reduction_spells_keepdims_and_keeps_the_axes(name):
    op = REGISTRY[name]
    params = dict(op.cases[0][1], axis=(1,), keepdims=True)
    text = op.spell([Expr("x", 14)], params, Aval((2, 1), "float64", False)).text
    assert text.endswith("keepdims=True)"), text
    x = RNG.uniform(0.5, 2.0, size=(2, 3))
    value = eval(text, {"np": np, "x": x})
    assert value.shape == (2, 1)
    np.testing.assert_allclose(value, op.np_fn(x, **params))


def spread(x):
    return np.sum((x - np.reshape(np.std(x, axis=1), (4, 1))) ** 2 * np.tanh(x))


def spread_ref(x):
    return anp.sum((x - anp.reshape(anp.std(x, axis=1), (4, 1))) ** 2 * anp.tanh(x))


def test_a_restored_std_is_printed_with_keepdims():
    """std declares it (as every reduction of ops/reductions.py does)."""
    x = RNG.normal(size=(4, 3))
    c = compile_grad(spread, (x,))
    assert "np.std(x, axis=1, keepdims=True)" in c.source
    np.testing.assert_allclose(c.module.grad(x)[0], autograd.grad(spread_ref)(x),
                               rtol=1e-10, atol=1e-12)


LOOPED = [n for n in loop_ops() if REGISTRY[n].shape_rule is elementwise_rule]


@pytest.mark.parametrize("name", LOOPED)
def test_an_op_a_loop_computes_has_numpys_value_in_python(name):
    """A loop computes the op with its Python (`math`) implementation: it must return a
    float equal to NumPy's, which is what `in_loops=False` rules out (math.floor's int)."""
    op = REGISTRY[name]
    if op.np_fn is None:
        pytest.skip("a math-only op (erf): no NumPy implementation to compare with")
    columns = _sample(op)
    for row in zip(*columns):
        got = op.py_fn(*(bool(v) if d.integer else float(v)
                         for v, d in zip(row, op.domains(op.arity))))
        assert isinstance(got, (float, bool)), (name, got)
        assert got == pytest.approx(float(op.np_fn(*row)), rel=1e-12, abs=1e-12)


def test_loops_skip_the_ops_declared_out_of_them():
    out = {n for n, op in REGISTRY.items() if not op.in_loops}
    assert {"floor", "ceil", "trunc", "fmod"} <= out
    assert not out & set(loop_ops())
    assert {"tanh", "exp", "add", "where"} <= set(loop_ops())


def test_arithmetic_ops_are_elementwise_and_loopable():
    cheap = {n for n, op in REGISTRY.items() if op.arithmetic}
    assert {"add", "multiply", "where", "less"} <= cheap and "tanh" not in cheap
    assert all(REGISTRY[n].shape_rule is elementwise_rule for n in cheap)
    assert cheap <= set(loop_ops())


def _op_name_tables(path: pathlib.Path):
    """Tuples, lists and sets of three or more string literals, all of them op names."""
    names = set(REGISTRY) - {"input", "const"}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(node.elts) >= 3:
            if all(isinstance(e, ast.Constant) and e.value in names for e in node.elts):
                yield node.lineno


# Tables of op names that are not facts about the ops: the algebra pass's rule table
# (rules by op), the special-function modules' own lists of what they declare.
ALLOWED = {"bpcompiler/passes/algebra.py", "bpcompiler/ops/special_more.py"}


def test_no_table_of_op_names_in_the_compiler_outside_the_ops():
    found = []
    for path in sorted((ROOT / "bpcompiler").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative not in ALLOWED:
            found += [f"{relative}:{line}" for line in _op_name_tables(path)]
    assert found == []
