"""Statement order and name reuse: what lets values die early in emitted code
(`schedule.py`, `naming.reuse_names`), and the peak memory it buys."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bpcompiler import compile_grad
from bpcompiler.bench import peak_memory
from bpcompiler.graph import add_node, new_graph
from bpcompiler.naming import Namespace, Statement, reuse_names
from bpcompiler.schedule import schedule
from support.handwritten import rosenbrock_floats


def float_graph(n_inputs: int):
    g = new_graph("f", None, tuple(f"x{i}" for i in range(n_inputs)))
    inputs = [add_node(g, "input", (), {"index": i}, shape=(), dtype="float64", python=True,
                       phase="forward", name=f"x{i}") for i in range(n_inputs)]
    return g, inputs


def op(g, name, *args, phase="forward"):
    return add_node(g, name, tuple(args), {}, shape=(), dtype="float64", python=True,
                    phase=phase)


def test_a_backward_statement_moves_up_when_it_lets_a_value_die():
    # Two independent steps: v_i = x_i * x_i, out_i = v_i + 1 (forward), d_i = v_i * 2
    # (backward, the last reader of v_i). In id order every v_i lives until the backward.
    g, (x0, x1) = float_graph(2)
    v0 = op(g, "multiply", x0, x0)
    v1 = op(g, "multiply", x1, x1)
    total = op(g, "add", v0, v1)
    d0 = op(g, "multiply", v0, x1, phase="adjoint")
    d1 = op(g, "multiply", v1, x0, phase="adjoint")
    roots = (total, d0, d1)
    nodes = set(g)
    in_id_order = schedule(g, nodes, roots, freeable=lambda n: False, glued=lambda n: False)
    assert in_id_order == sorted(nodes)  # nothing can be freed: the order is kept
    order = schedule(g, nodes, roots, freeable=lambda n: True, glued=lambda n: False)
    # d0 is the last reader of v0 once total has read it ... but total needs v1 first.
    assert order.index(d0) < order.index(d1)
    assert order.index(total) < order.index(d0)


def test_the_cost_of_one_statement_is_weighed_with_the_reader_it_completes():
    # m = d * x costs a float and frees nothing, but s = m + d then frees m and d: the
    # pair is computed right away, before the unrelated forward work that follows.
    g, (x, y) = float_graph(2)
    d = op(g, "multiply", x, x)
    later = [op(g, "sin", y)]
    for _ in range(3):
        later.append(op(g, "sin", later[-1]))
    m = op(g, "multiply", d, x, phase="adjoint")
    s = op(g, "add", m, d, phase="adjoint")
    order = schedule(g, set(g), (later[-1], s), freeable=lambda n: True,
                     glued=lambda n: False)
    assert order.index(s) < order.index(later[0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "multiply", "sin"]),
                          st.integers(0, 50), st.integers(0, 50), st.booleans()),
                min_size=1, max_size=30),
       st.integers(0, 2 ** 16))
def test_the_schedule_is_a_topological_order_of_every_node(steps, salt):
    g, values = float_graph(2)
    for name, i, j, backward in steps:
        args = (values[i % len(values)],) if name == "sin" else \
            (values[i % len(values)], values[j % len(values)])
        values.append(op(g, name, *args, phase="adjoint" if backward else "forward"))
    uses = {n: 0 for n in g}
    for n in g:
        for a in g.nodes[n]["args"]:
            uses[a] += 1
    roots = (values[-1],) + tuple(n for n in g if uses[n] == 0 and n != values[-1])
    glued = lambda n: uses[n] == 1 and (n * 7919 + salt) % 3 == 0 and n not in roots  # noqa: E731
    order = schedule(g, set(g), roots, freeable=lambda n: (n + salt) % 2 == 0, glued=glued)
    assert sorted(order) == sorted(g)
    seen = set()
    for n in order:
        assert all(a in seen for a in g.nodes[n]["args"]), n
        seen.add(n)


def test_a_dead_name_goes_to_the_next_value_of_its_kind():
    # total = a; total = total + b (reads its own old name); d = total * 2 (pinned).
    statements = [Statement(1, (), True, True), Statement(2, (1,), True, True),
                  Statement(3, (2,), True, True), Statement(4, (3,), True, True)]
    base = {1: "total", 2: "total", 3: "total", 4: "d_total"}.__getitem__
    names = reuse_names(statements, base, pinned={4}, space=Namespace())
    assert names == {1: "total", 2: "total", 3: "total", 4: "d_total"}


def test_a_name_is_not_reused_while_its_value_is_still_read():
    statements = [Statement(1, (), True, True), Statement(2, (), True, True),
                  Statement(3, (1, 2), True, True), Statement(4, (1,), True, True)]
    names = reuse_names(statements, lambda n: "v", pinned={3, 4}, space=Namespace())
    assert names[1] != names[2]
    assert names[3] == names[2]  # 2 dies at 3 and 3 is one `name = expr` line
    assert names[4] == names[1]  # 1's last reader is 4 itself


def test_statements_of_several_lines_and_pinned_values_keep_their_operands_names():
    # A scatter writes its target before reading its operand on the next line: it may
    # not take the operand's name. A pinned (returned) value never gives its name up.
    statements = [Statement(1, (), True, True), Statement(2, (1,), True, False),
                  Statement(3, (2,), True, True), Statement(4, (3,), True, True)]
    names = reuse_names(statements, lambda n: "v", pinned={2}, space=Namespace())
    assert names[2] != names[1]
    assert names[3] == names[1]  # 1 died at 2, after 2 was bound
    assert names[4] == names[3] and names[4] != names[2]


def unrolled(n):
    params = ", ".join(f"x{i}" for i in range(n))
    source = (f"def rosen({params}):\n"
              f"    x = ({params},)\n"
              "    total = 0.0\n"
              f"    for i in range({n - 1}):\n"
              "        valley = x[i + 1] - x[i] ** 2\n"
              "        offset = 1.0 - x[i]\n"
              "        total = total + 100.0 * valley**2 + offset**2\n"
              "    return total\n")
    namespace = {}
    exec(compile(source, "<rosen>", "exec"), namespace)
    return namespace["rosen"]


def test_an_unrolled_float_loop_peaks_no_higher_than_hand_written_backprop():
    n = 60
    args = tuple(0.5 + 0.9 * np.sin(i) for i in range(n))
    args = tuple(float(a) for a in args)
    c = compile_grad(unrolled(n), args)
    value, grads = c.module.value_and_grad(*args)
    expected_value, expected = rosenbrock_floats(*args)
    np.testing.assert_allclose(grads, expected, rtol=1e-12)
    assert abs(value - expected_value) <= 1e-12 * abs(expected_value)
    body = c.source.split("def value_and_grad")[1]
    # The loop's names are rebound as the source rebinds them, not numbered 99 times ...
    assert not re.search(r"\bvalley_9\b", body) and re.search(r"^\s*total = total \+", body, re.M)
    # ... and each step's gradient is folded in as the step is computed.
    assert body.index("d_x0 = ") < body.index("x3 - x2 * x2")
    assert peak_memory(c.module.value_and_grad, args) <= peak_memory(rosenbrock_floats, args)
