"""The seed document's network: the emitted module is the document's section 3."""

from __future__ import annotations

import math
import re

import pytest

from bpcompiler import compile_grad

from support.examples import example

seed_network = example("seed_network").seed_network

PARAMS = ("w10", "b10", "w11", "b11", "w20_0", "w20_1", "b20_0", "b20_1")
ARGS = (0.5, 0.1, -0.3, 0.2, 0.8, -0.6, 0.05, -0.02, 1.5, -0.7)


@pytest.fixture(scope="module")
def compiled():
    return compile_grad(seed_network, ARGS, wrt=PARAMS)


def backward_section(source: str) -> str:
    body = source.split("def value_and_grad")[1].split("def grad")[0]
    return body[body.index("# grad of"):]


def test_shared_subexpressions_are_computed_once(compiled):
    back = backward_section(compiled.source)
    # α'(z20) = 1 - x20², computed once and named d_z20.
    assert back.count("1.0 - x20 * x20") == 1
    assert re.search(r"^\s*d_z20 = 1\.0 - x20 \* x20$", back, re.M)
    # α'(z20)·w20_0 and α'(z20)·w20_1, once each (the gradients of x10 and x11, read
    # once, so folded into the line that reads them, as a hand-written sweep would) ...
    assert back.count("d_z20 * w20_0") == 1 and back.count("d_z20 * w20_1") == 1
    # ... and reused: ∂/∂w10 and ∂/∂b10 both come from d_z10 = d_x10·α'(z10).
    assert re.search(r"^\s*d_z10 = d_z20 \* w20_0 \* \(1\.0 - x10 \* x10\)$", back, re.M)
    assert re.search(r"^\s*d_w10 = d_z10 \* x00$", back, re.M)


def test_fewer_multiplications_than_the_eight_separate_partials(compiled):
    back = backward_section(compiled.source)
    emitted = back.count("*")
    # Section 2.3's formulas, each evaluated on its own with α'(z) = 1 - x*x costing one
    # multiplication: b20: 1, 1; w20: 2, 2; b10/b11: 1+1+1 = 3 each; w10/w11: 4 each.
    separate = 1 + 1 + 2 + 2 + 3 + 3 + 4 + 4
    assert emitted < separate, (emitted, separate)


def alpha_prime(z):
    return 1.0 - math.tanh(z) ** 2


def test_gradient_matches_section_2_1_not_the_summary_table(compiled):
    w10, b10, w11, b11, w20_0, w20_1, b20_0, b20_1, x00, x01 = ARGS
    z10, z11 = w10 * x00 + b10, w11 * x01 + b11
    x10, x11 = math.tanh(z10), math.tanh(z11)
    z20 = (w20_0 * x10 + b20_0) + (w20_1 * x11 + b20_1)
    grads = dict(zip(PARAMS, compiled.module.grad(*ARGS)))
    section_2_1 = alpha_prime(z20) * w20_0 * alpha_prime(z10) * x00
    table_2_3 = alpha_prime(z20) * w20_1 * alpha_prime(z10) * x00
    assert grads["w10"] == pytest.approx(section_2_1, rel=1e-12)
    assert grads["w10"] != pytest.approx(table_2_3, rel=1e-3)
    assert grads["w11"] == pytest.approx(alpha_prime(z20) * w20_1 * alpha_prime(z11) * x01,
                                         rel=1e-12)
    assert grads["b20_0"] == grads["b20_1"] == pytest.approx(alpha_prime(z20), rel=1e-12)
    assert grads["w20_0"] == pytest.approx(alpha_prime(z20) * x10, rel=1e-12)


def test_forward_keeps_the_source_names(compiled):
    fwd = compiled.source.split("def forward")[1].split("def value_and_grad")[0]
    # Values read more than once keep their names; z10, z11 and z20, read once, are
    # folded into the tanh that reads them, under one comment naming both lines.
    for name in ("x10", "x11", "x20"):
        assert re.search(rf"^\s*{name} = ", fwd, re.M), name
    assert re.search(r"^\s*x10 = math\.tanh\(w10 \* x00 \+ b10\)$", fwd, re.M)
    for line in ("x10 = math.tanh(z10)", "x11 = math.tanh(z11)", "x20 = math.tanh(z20)"):
        assert re.search(rf"^\s*# lines \d+, \d+: {re.escape(line)}$", fwd, re.M), line


def test_value_and_grad_keeps_the_values_its_gradients_are_named_after(compiled):
    body = compiled.source.split("def value_and_grad")[1].split("def grad")[0]
    # The backward reads d_z10, d_z11 and d_z20: the forward binds z10, z11 and z20, each
    # under its own line's comment, as the seed's section 1 writes them.
    for line in ("z10 = w10 * x00 + b10", "x10 = math.tanh(z10)", "z11 = w11 * x01 + b11",
                 "x11 = math.tanh(z11)", "x20 = math.tanh(z20)"):
        assert re.search(rf"^\s*# line \d+: {re.escape(line)}\n\s*{re.escape(line)}$", body,
                         re.M), line


def test_each_gradient_is_named_after_its_parameter(compiled):
    body = compiled.source.split("def value_and_grad")[1].split("def grad")[0]
    returned = re.search(r"return x20, \((.*)\)", body).group(1)
    assert returned == ", ".join(f"d_{p}" for p in PARAMS)
    assert re.search(r"^\s*d_b10 = d_z10$", body, re.M)  # ∂y/∂b10 is d_z10 itself
