"""Optimisation passes: each rule on its own, and properties over random graphs (the
passes preserve the interpreted value of every output and are idempotent)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpcompiler import compile_grad
from bpcompiler.autodiff import active_nodes, differentiate
from bpcompiler.graph import add_node, check_graph, outputs
from bpcompiler.interpret import interpret
from bpcompiler.ops import F
from bpcompiler.ops.combine import FULL
from support.examples import example
from fuzz import programs
from support.graphs import build
from bpcompiler.passes import (eliminate_common_subexpressions, eliminate_dead_code,
                               fold_constants, optimize, simplify_algebra)

seed_network = example("seed_network").seed_network


def ops_of(g) -> list:
    return [a["op"] for _, a in sorted(g.nodes(data=True))]


def values(g, args):
    v = interpret(g, args)
    return [v[n] for n in outputs(g)]


def assert_same_values(g, h, args):
    for a, b in zip(values(g, args), values(h, args)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)


# -- one rule at a time ------------------------------------------------------------------

def test_cse_merges_commutative_duplicates():
    g = build([("x", (), True), ("y", (), True)], lambda x, y: x * y + y * x)
    h = eliminate_common_subexpressions(g)
    assert ops_of(h).count("multiply") == 1
    assert_same_values(g, h, [2.0, 3.0])


def test_fold_computes_constant_subexpressions():
    g = build([("x", (), True)], lambda x: x * (F.exp(F.log(2.0 + 0 * 1.0))))
    h = eliminate_dead_code(fold_constants(g))
    assert ops_of(h) == ["input", "const", "multiply"]
    assert_same_values(g, h, [1.5])


@pytest.mark.parametrize("body, expected", [
    (lambda x: x * 1.0, ["input"]),
    (lambda x: 0.0 + x, ["input"]),
    (lambda x: -(-x), ["input"]),
    (lambda x: x * -1.0, ["input", "negative"]),
    (lambda x: (-x) * (-x), ["input", "multiply"]),
    (lambda x: x - (-x), ["input", "const", "multiply"]),  # x + x -> x * 2.0
    (lambda x: x ** 2.0, ["input", "multiply"]),  # x * x
    # CSE, then x + x -> x * 2.0; the forward keeps the source's two roundings.
    (lambda x: (x * 100.0 + x * 100.0) * 1.0,
     ["input", "const", "multiply", "const", "multiply"]),
    (lambda x: x + (-F.exp(x)), ["input", "exp", "subtract"]),
    (lambda x: (-x) - F.exp(x), ["input", "exp", "add", "negative"]),
])
def test_algebra_on_python_floats(body, expected):
    g = build([("x", (), True)], body)
    h = optimize(g)
    assert ops_of(h) == expected
    assert_same_values(g, h, [0.7])


def test_sum_of_a_negation_negates_the_sum():
    g = build([("x", (5,), False)], lambda x: F.sum(-x, axis=None, keepdims=False))
    h = optimize(g)
    assert ops_of(h) == ["input", "sum", "negative"]  # one scalar negation, no array one
    assert_same_values(g, h, [np.arange(5.0)])


def test_algebra_never_changes_shape_or_dtype():
    # x + zeros(3) broadcasts a scalar: dropping the zeros would change the shape.
    g = build([("x", (), False)], lambda x: F.sum(x + np.zeros(3), axis=None, keepdims=False))
    h = optimize(g)
    x = np.float64(2.0)
    assert np.shape(values(h, [x])[0]) == () and values(h, [x])[0] == 6.0
    node = [n for n, a in h.nodes(data=True) if a["op"] == "sum"][0]
    assert h.nodes[h.nodes[node]["args"][0]]["shape"] == (3,)


def test_broadcast_constants_fold_to_a_scalar_operand():
    # The gradient of a sum is a broadcast 1; scaled, it stays one broadcast constant and
    # its consumer absorbs it as a scalar.
    def f(x):
        return F.sum(F.broadcast_to(np.float64(0.5), shape=(4,)) * 3.0 * x,
                     axis=None, keepdims=False)
    g = build([("x", (4,), False)], f)
    h = optimize(g)
    assert "broadcast_to" not in ops_of(h)
    assert_same_values(g, h, [np.arange(4.0)])


def test_symbolic_zeros_in_adjoints():
    # d/dx of x*0 (in the forward) gives a zero contribution: no `0 * g` survives.
    g = differentiate(build([("x", (3,), False), ("y", (3,), False)],
                            lambda x, y: F.sum(x * y + x * np.zeros(3), axis=None,
                                               keepdims=False)))
    h = optimize(g)
    for n, a in h.nodes(data=True):
        if a["phase"] == "adjoint" and a["op"] == "multiply":
            for arg in a["args"]:
                c = h.nodes[arg]
                assert not (c["op"] == "const" and np.all(np.asarray(c["params"]["value"]) == 0))
    x, y = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(values(h, [x, y])[1], y)


def test_a_shared_scale_is_factored_out_of_a_gradient_sum():
    # Rosenbrock's gradient in x0 sums two doubled terms, from (1 - x0)**2 and from
    # x0 * x0 inside the valley: `p * 2.0 + q * 2.0` becomes `(p + q) * 2.0`.
    def f(x0, x1):
        return 100.0 * (x1 - x0 * x0) ** 2 + (1.0 - x0) ** 2
    g = differentiate(build([("x0", (), True), ("x1", (), True)], f))
    h = optimize(g)
    doublings = [a for _, a in h.nodes(data=True) if a["phase"] == "adjoint"
                 and a["op"] == "multiply" and any(
                     h.nodes[b]["op"] == "const" and h.nodes[b]["params"]["value"] == 2.0
                     for b in a["args"])]
    assert len(doublings) == 1
    summed = doublings[0]["args"][0]
    if h.nodes[summed]["op"] == "negative":  # -(p + q) * 2.0
        summed = h.nodes[summed]["args"][0]
    assert h.nodes[summed]["op"] in ("add", "subtract")
    x0, x1 = 0.3, -1.2
    expected = -400.0 * x0 * (x1 - x0 * x0) - 2.0 * (1.0 - x0)
    assert abs(values(h, [x0, x1])[1] - expected) <= 1e-13 * abs(expected)
    # The forward keeps the source's roundings: no factoring there.
    fwd = optimize(build([("x", (), True)], lambda x: x * 2.0 + F.exp(x) * 2.0))
    assert ops_of(fwd).count("multiply") == 2


def test_the_gradient_of_an_unpacked_vector_is_one_stack():
    # `a, k, c = p[0], p[1], p[2]`: the sum of three scatters, one per entry, is one
    # stack of the three gradients, each exactly the value the sum gave it.
    def f(p):
        a, k, c = F.getitem(p, index=(("int", 0),)), F.getitem(p, index=(("int", 1),)), \
            F.getitem(p, index=(("int", -1),))
        return a * F.exp(k) - F.sin(c) * k
    g = differentiate(build([("p", (3,), False)], f))
    h = optimize(g)
    adjoint_ops = [a["op"] for _, a in h.nodes(data=True) if a["phase"] == "adjoint"]
    assert "scatter" not in adjoint_ops and adjoint_ops.count("stack") == 1
    p = np.array([0.7, -0.3, 1.1])
    expected = [np.exp(p[1]), p[0] * np.exp(p[1]) - np.sin(p[2]), -np.cos(p[2]) * p[1]]
    assert np.array_equal(values(h, [p])[1], values(g, [p])[1])
    np.testing.assert_allclose(values(h, [p])[1], expected, rtol=1e-15)
    # Entries no scalar reaches are zeros of the stack, on a short float64 vector only.
    g = differentiate(build([("p", (4,), False)], lambda p: F.getitem(
        p, index=(("int", 1),)) * F.getitem(p, index=(("int", 3),))))
    h = optimize(g)
    stack, = [a for _, a in h.nodes(data=True) if a["op"] == "stack"]
    assert [h.nodes[x]["op"] for x in stack["args"]].count("const") == 2
    np.testing.assert_array_equal(values(h, [np.arange(4.0)])[1], [0.0, 3.0, 0.0, 1.0])
    # An entry two scalars write is their sum; a float32 vector's zeros are float32.
    def twice(p):
        a, b = F.getitem(p, index=(("int", 0),)), F.getitem(p, index=(("int", 1),))
        return a * b + F.sin(a) - a * F.getitem(p, index=(("int", 2),))
    h = optimize(differentiate(build([("p", (3,), False)], twice)))
    assert "scatter" not in ops_of(h) and "stack" in ops_of(h)
    p = np.array([0.7, -0.3, 1.1])
    np.testing.assert_allclose(values(h, [p])[1], [p[1] + np.cos(p[0]) - p[2], p[0], -p[0]],
                               rtol=1e-15)

    def one_of_four(p):
        a, b, c = p[0], p[1], p[2]
        return a * b + np.sin(c) * a - a * c
    p32 = np.array([1.0, 0.5, 2.0], dtype=np.float32)
    c = compile_grad(one_of_four, (p32,))
    assert "d_p = np.stack((" in c.source
    (d_p,) = c.module.grad(p32)
    assert d_p.dtype == np.float32
    np.testing.assert_allclose(d_p, [0.5 + np.sin(2.0) - 2.0, 1.0, np.cos(2.0) - 1.0], rtol=1e-6)
    c = compile_grad(lambda p: p[1] * p[3], (np.arange(1.0, 5.0, dtype=np.float32),))
    (d_p,) = c.module.grad(np.arange(1.0, 5.0, dtype=np.float32))
    assert d_p.dtype == np.float32 and "np.stack((np.float32(0.0), " in c.source
    np.testing.assert_array_equal(d_p, [0.0, 4.0, 0.0, 2.0])
    long = differentiate(build([("p", (20,), False)], lambda p: F.getitem(
        p, index=(("int", 1),)) * F.getitem(p, index=(("int", 3),))))
    assert "stack" not in ops_of(optimize(long))


def test_the_gradient_of_an_added_axis_is_a_reduction_not_a_buffer():
    # particles' `positions[:, None, :] - positions[None, :, :]`: each scatter writes the
    # whole gradient, so it is a reshape, which the keepdims sum under it absorbs.
    def f(x):
        diff = F.getitem(x, index=(FULL, ("newaxis",), FULL)) - \
            F.getitem(x, index=(("newaxis",), FULL, FULL))
        return F.sum(F.sin(diff), axis=None, keepdims=False)
    g = differentiate(build([("x", (4, 3), False)], f))
    h = optimize(g)
    adjoint_ops = [a["op"] for _, a in h.nodes(data=True) if a["phase"] == "adjoint"]
    assert "scatter" not in adjoint_ops and "reshape" not in adjoint_ops
    assert not any(a["params"].get("keepdims") for _, a in h.nodes(data=True)
                   if a["op"] == "sum")
    x = np.random.default_rng(1).normal(size=(4, 3))
    np.testing.assert_allclose(values(h, [x])[1], values(g, [x])[1], rtol=1e-15)
    cos = np.cos(x[:, None, :] - x[None, :, :])
    np.testing.assert_allclose(values(h, [x])[1], cos.sum(axis=1) - cos.sum(axis=0),
                               rtol=1e-14)


def test_opposite_scales_are_factored_out_of_a_gradient_sum():
    # a mean's gradient reaching z twice, scaled by -0.25 (through -y * z) and by 0.25
    # (through logaddexp): `a * -0.25 + b * 0.25` is one multiply, `(b - a) * 0.25`
    x = np.linspace(-1, 1, 4)

    def logistic(w, y):  # newton_fit's nll: the gradient is (sigmoid(z) - y) * 0.5
        z = w * 2.0
        return np.mean(np.logaddexp(0.0, z) - y * z)
    c = compile_grad(logistic, (x, np.array([0.0, 1.0, 1.0, 0.0])), wrt=("w",))
    assert "d_w = (np.exp(z - logaddexp_zero_z) - y) * 0.5" in c.source


def test_dropping_dead_code_forgets_the_dropped_nodes():
    # A gradient that outlives the forward value it is the gradient of (found by CI: the
    # in-place drop left `adjoint_of` pointing at a removed node, and naming crashed).
    g = build([("x", (), True)], lambda x: x * 2.0)
    x = g.graph["inputs"][0]
    dead = add_node(g, "exp", (x,), {}, shape=(), dtype="float64", python=True,
                    phase="forward")
    grad = add_node(g, "multiply", (x, x), {}, shape=(), dtype="float64", python=True,
                    phase="adjoint", adjoint_of=dead)
    g.graph["grads"] = (grad,)
    before = dict(g.nodes[grad])
    h = eliminate_dead_code(g)
    kept = h.graph["grads"][0]
    assert len(h) == len(g) - 1 and h.nodes[kept]["adjoint_of"] is None
    check_graph(h, "eliminate_dead_code")
    assert dead in g and g.nodes[grad] == before  # a new graph: the input is untouched


def test_dead_code_elimination_keeps_parameters_and_outputs():
    g = build([("x", (), True), ("unused", (), True)], lambda x, u: (F.exp(u), x * 2.0)[1])
    h = eliminate_dead_code(g)
    assert ops_of(h) == ["input", "input", "const", "multiply"]


def test_activity_analysis_only_differentiates_paths_from_wrt_to_output():
    g = build([("x", (), True), ("c", (), True)], lambda x, c: x * F.exp(c) + F.sin(c),
              wrt=("x",))
    active = active_nodes(g)
    active_ops = sorted(g.nodes[n]["op"] for n in active)
    assert active_ops == ["add", "input", "multiply"]  # exp(c) and sin(c) are constants
    joint = optimize(differentiate(g))
    adjoint_ops = [a["op"] for _, a in joint.nodes(data=True) if a["phase"] == "adjoint"]
    assert "cos" not in adjoint_ops


# -- properties over random graphs ---------------------------------------------------------

def operand_positions(g):
    """Each node's operands by position in id order (dropped dead nodes leave id gaps)."""
    position = {n: i for i, n in enumerate(sorted(g))}
    return [tuple(position[a] for a in g.nodes[n]["args"]) for n in sorted(g)]


def close(a, b, dtype):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    # float32 programs compute in float32: a regrouped sum rounds differently
    rtol, atol = (1e-9, 1e-12) if dtype == "float64" else (1e-4, 1e-5)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


@pytest.fixture(scope="module")
def directory():
    return programs.temp_directory()


def random_joint(data, directory):
    """A fuzzer program (tests/fuzz/programs.py, drawn by hypothesis), traced and
    differentiated: (program, joint graph, its arguments)."""
    program = programs.generate(programs.HypothesisChooser(data), 6)
    forward, args = programs.traced(program, directory)
    return program, differentiate(forward), args


PROPERTY = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])


@settings(max_examples=60, **PROPERTY)
@given(st.data())
def test_passes_preserve_values_and_are_idempotent(directory, data):
    program, joint, args = random_joint(data, directory)
    once = optimize(joint)
    check_graph(once, "optimize")
    for a, b in zip(values(joint, args), values(once, args)):
        close(a, b, program.dtype)
    twice = optimize(once)
    assert ops_of(twice) == ops_of(once)
    assert operand_positions(twice) == operand_positions(once)
    # Every single pass on its own preserves values too.
    for run in (fold_constants, simplify_algebra, eliminate_common_subexpressions,
                eliminate_dead_code):
        for a, b in zip(values(joint, args), values(run(joint), args)):
            close(a, b, program.dtype)


@settings(max_examples=30, **PROPERTY)
@given(st.data())
def test_debug_mode_agrees_with_the_fused_walk(directory, data):
    program, joint, args = random_joint(data, directory)
    for a, b in zip(values(optimize(joint), args), values(optimize(joint, debug=True), args)):
        close(a, b, program.dtype)


# -- the seed network -----------------------------------------------------------------------

SEED_ARGS = (0.5, 0.1, -0.3, 0.2, 0.8, -0.6, 0.05, -0.02, 1.5, -0.7)
SEED_WRT = ("w10", "b10", "w11", "b11", "w20_0", "w20_1", "b20_0", "b20_1")


def count_multiplications(g, nodes) -> int:
    return sum(1 for n in nodes if g.nodes[n]["op"] == "multiply")


def test_seed_gradient_saves_multiplications_over_eight_separate_partials():
    """The seed's section 2.3 evaluates each partial on its own. Counting multiplications
    (α'(z) = 1 - x·x is one), separately: b20_0, b20_1: 1 each; w20_0, w20_1: 2 each;
    b10, b11: 3 each; w10, w11: 4 each = 20. The compiled joint graph shares
    α'(z20), α'(z20)·w20_k and α'(z1k), so its whole backward sweep needs fewer."""
    c = compile_grad(seed_network, SEED_ARGS, wrt=SEED_WRT)
    g = c.graph
    backward = [n for n, a in g.nodes(data=True) if a["phase"] == "adjoint"]
    shared = count_multiplications(g, backward)
    separate = 1 + 1 + 2 + 2 + 3 + 3 + 4 + 4
    # 3 α'(z) + 2 α'(z20)·w20_k + 2 α'(z20)·x1k + 2 ·α'(z1k) + 2 ·x0k
    assert shared == 11, shared
    assert separate - shared == 9
    # And the emitted module agrees: its backward section has that many `*`.
    back = c.source.split("def value_and_grad")[1].split("def grad")[0]
    back = back[back.index("# grad of"):]
    assert sum(line.split("#")[0].count("*") for line in back.splitlines()) == shared
    grads = c.module.grad(*SEED_ARGS)
    assert all(math.isfinite(v) for v in grads)


def test_gradient_matmul_chains_are_regrouped_to_the_cheaper_order():
    # The adjoint of A @ B @ x meets an outer product (g x^T) with B^T: grouped as
    # g (x^T B^T) it costs O(n k) instead of O(m n k), and no m x n matrix is built.
    rng = np.random.default_rng(0)
    A, B, x = rng.normal(size=(50, 40)), rng.normal(size=(40, 30)), rng.normal(size=30)

    def f(A, B, x):
        return np.sum(np.tanh(A @ B @ x))

    c = compile_grad(f, (A, B, x), wrt=("A", "B"))
    adjoint_products = [a["shape"] for _, a in c.graph.nodes(data=True)
                        if a["op"] == "matmul" and a["phase"] == "adjoint"]
    assert (50, 30) not in adjoint_products, adjoint_products
    assert "A @ B @ x" in c.source  # the forward keeps the source's grouping
    h = np.tanh(A @ B @ x)
    g = 1 - h * h
    dA, dB = c.module.grad(A, B, x)
    np.testing.assert_allclose(dA, np.outer(g, B @ x), rtol=1e-12)
    np.testing.assert_allclose(dB, np.outer(A.T @ g, x), rtol=1e-12)


def test_the_graph_checker_catches_a_wrong_recorded_shape():
    from bpcompiler.errors import InternalError
    from bpcompiler.trace import trace

    def f(x):
        return np.sum(np.tanh(x) * 2.0)

    g = trace(f, (np.ones(3),))
    check_graph(g, "trace")  # a traced graph holds every invariant
    tanh = next(n for n, a in g.nodes(data=True) if a["op"] == "tanh")
    g.nodes[tanh]["shape"] = (4,)  # what a broken pass might leave behind
    with pytest.raises(InternalError, match=r"after broken pass: node \d+ \(tanh\) records"):
        check_graph(g, "broken pass")


def test_debug_mode_checks_past_a_math_function_outside_its_domain():
    # --debug interprets each pass's graphs at arguments of its own (in [0.5, 1.5]),
    # where this math.log raises (NumPy's gives nan); found by the property tests on
    # the fuzzer's programs: it was a raw ValueError.
    def f(x):
        return math.log(x - 1.6) * x

    c = compile_grad(f, (2.0,), debug=True)
    assert c.module.grad(2.0)[0] == pytest.approx(math.log(0.4) + 2.0 / 0.4, rel=1e-12)


def test_constant_scales_merge_in_tangents_as_in_adjoints():
    # forward over reverse: the hvp's `0.5 * L2 * v * 2.0` is one multiply, as the gradient's
    L2 = 1e-3

    def f(w):
        return np.sum(np.sin(w)) + 0.5 * L2 * np.sum(w * w)
    w = np.linspace(-1.0, 1.0, 5)
    c = compile_grad(f, (w,), emit=("grad", "hvp"))
    line, = [x.strip() for x in c.source.splitlines() if x.strip().startswith("hvp_w = ")]
    assert "2.0" not in line and "0.0005" not in line, line  # v_w * 0.001
    v = np.linspace(0.5, 1.5, 5)
    np.testing.assert_allclose(c.module.hvp(w, (v,))[0], -np.sin(w) * v + L2 * v, rtol=1e-14)
