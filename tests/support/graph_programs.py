"""Graphs built by hand with the registry's ops, and random programs of them (a
hypothesis strategy): what the property tests of the passes (test_passes.py) and of
formatting (test_format.py) run on.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from bpcompiler.builder import Builder
from bpcompiler.graph import add_node, new_graph
from bpcompiler.ops import F


def build(params, body, wrt=None):
    """A forward graph: `params` is [(name, shape, python)], `body(*tracers)` returns the
    output tracer, built with the registry's ops as tracing would."""
    g = new_graph("f", None, tuple(p[0] for p in params))
    inputs = [add_node(g, "input", (), {"index": i}, shape=shape, dtype="float64",
                       python=python, phase="forward", name=name)
              for i, (name, shape, python) in enumerate(params)]
    g.graph.update(inputs=tuple(inputs), wrt=tuple(wrt or (p[0] for p in params)))
    b = Builder(g, "forward", lambda: (None, None))
    with b.active():
        out = body(*[b.tracer(n) for n in inputs])
        g.graph["output"] = out._node
    return g


UNARY = ["negative", "tanh", "sin", "exp_small", "square"]
BINARY = ["add", "subtract", "multiply"]
CONSTANTS = [0.0, 1.0, -1.0, 2.0, 0.5]


@st.composite
def programs(draw):
    steps = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["unary", "binary", "const"]))
        if kind == "unary":
            steps.append(("unary", draw(st.sampled_from(UNARY)), draw(st.integers(0, 50))))
        elif kind == "binary":
            steps.append(("binary", draw(st.sampled_from(BINARY)), draw(st.integers(0, 50)),
                          draw(st.integers(0, 50))))
        else:
            steps.append(("const", draw(st.sampled_from(BINARY)), draw(st.integers(0, 50)),
                          draw(st.sampled_from(CONSTANTS)), draw(st.booleans())))
    return steps, draw(st.booleans())


def run_program(steps, arrays):
    def body(x, y):
        values = [x, y]
        for step in steps:
            pick = lambda i: values[i % len(values)]  # noqa: E731
            if step[0] == "unary":
                v = pick(step[2])
                op = step[1]
                values.append(-v if op == "negative" else F.tanh(v) if op == "tanh" else
                              F.sin(v) if op == "sin" else F.exp(F.tanh(v)) if op == "exp_small"
                              else v * v)
            elif step[0] == "binary":
                a, b = pick(step[2]), pick(step[3])
                values.append(a + b if step[1] == "add" else a - b if step[1] == "subtract"
                              else a * b)
            else:
                v, c, left = pick(step[2]), step[3], step[4]
                if arrays:
                    c = np.full(3, c) if left else np.float64(c)
                ops = {"add": lambda p, q: p + q, "subtract": lambda p, q: p - q,
                       "multiply": lambda p, q: p * q}[step[1]]
                values.append(ops(c, v) if left else ops(v, c))
        out = values[-1] + values[0] * values[1]
        return F.sum(out, axis=None, keepdims=False) if arrays else out
    shape, python = ((3,), False) if arrays else ((), True)
    return build([("x", shape, python), ("y", shape, python)], body)


def example_args(arrays):
    if arrays:
        return [np.array([0.3, -0.7, 1.1]), np.array([0.9, 0.2, -0.4])]
    return [0.3, -0.7]
