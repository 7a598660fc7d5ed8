"""What makes emitted code fast: float arithmetic without NumPy, in-place accumulation
into buffers the module owns, and large temporaries freed after their last use."""

from __future__ import annotations


import numpy as np
import pytest

from bpcompiler import compile_grad
from bpcompiler.bench import peak_memory

STEPS = 10


def chain(x):
    y = x
    for _ in range(STEPS):
        y = np.tanh(y * 1.1 + 0.1) * 0.9
    return np.sum(y)


def chain_by_hand(x):
    ts, y = [], x
    for _ in range(STEPS):
        t = np.tanh(y * 1.1 + 0.1)
        ts.append(t)
        y = t * 0.9
    g = np.ones_like(x)
    for t in reversed(ts):
        g = g * 0.9
        g *= 1.0 - t * t
        g *= 1.1
    return np.sum(y), (g,)




def test_peak_memory_is_no_more_than_hand_written_backprop():
    x = np.linspace(-1, 1, 3000)
    c = compile_grad(chain, (x,))
    assert "del " in c.source
    np.testing.assert_allclose(c.module.grad(x)[0], chain_by_hand(x)[1][0], rtol=1e-12)
    assert peak_memory(c.module.value_and_grad, (x,)) <= peak_memory(chain_by_hand, (x,))


def rosenbrock(x):
    a = x[:-1]
    return np.sum(100.0 * (x[1:] - a * a) ** 2 + (1.0 - a) ** 2)


def test_scatter_gradients_accumulate_in_one_buffer():
    x = np.linspace(-1.2, 1.5, 2000)
    c = compile_grad(rosenbrock, (x,))
    body = c.source.split("def value_and_grad")[1]
    assert body.count("np.zeros(") == 1
    assert "] -= " in body or "] += " in body
    a = x[:-1]
    t = x[1:] - a * a
    expected = np.zeros_like(x)
    expected[:-1] = -400.0 * t * a - 2.0 * (1.0 - a)
    expected[1:] += 200.0 * t
    np.testing.assert_allclose(c.module.grad(x)[0], expected, rtol=1e-12)


def three_slices(x):
    return np.sum(x[1:] * x[:-1]) + np.sum(np.sin(x[::2])) + np.sum(x * x)


def test_a_gradient_of_many_pieces_accumulates_in_one_buffer():
    x = np.linspace(-1.0, 1.3, 9)
    c = compile_grad(three_slices, (x,))
    body = c.source.split("def value_and_grad")[1]
    assert body.count("np.zeros(") == 1 and body.count("+= ") >= 2
    expected = 2.0 * x
    expected[1:] += x[:-1]
    expected[:-1] += x[1:]
    expected[::2] += np.cos(x[::2])
    np.testing.assert_allclose(c.module.grad(x)[0], expected, rtol=1e-12)


def scalar_rosenbrock(x0, x1, x2):
    x = (x0, x1, x2)
    s = 0.0
    for i in range(2):
        s = s + 100.0 * (x[i + 1] - x[i] * x[i]) ** 2 + (1.0 - x[i]) ** 2
    return s


def test_python_floats_use_plain_operators():
    c = compile_grad(scalar_rosenbrock, (0.3, 0.8, -0.2))
    code = "\n".join(line.split("#")[0] for line in c.source.splitlines())
    assert "np." not in code and "**" not in code  # x ** 2 is written x * x
    value, grads = c.module.value_and_grad(0.3, 0.8, -0.2)
    assert type(value) is float and all(type(g) is float for g in grads)


def scaled_square(x):
    return (x * 3.0 - 1.0) ** 2


def test_constant_scales_in_the_gradient_merge():
    c = compile_grad(scaled_square, (0.7,))
    back = c.source.split("def value_and_grad")[1].split("# grad of")[1]
    assert "6.0" in back  # (2 * s) * 3 written as one scale
    assert c.module.grad(0.7)[0] == 2 * (0.7 * 3.0 - 1.0) * 3.0


LONG_STEPS = 33_334  # three ops a step: a forward graph of 100,000 nodes


def long_chain(x):
    y = x
    for _ in range(LONG_STEPS):
        y = np.sin(y) * 0.999 + 0.001
    return np.sum(y)


@pytest.mark.slow
def test_a_100k_node_forward_graph_compiles():
    # Issue 6: linear compile time; this checks only that it compiles and is right (the
    # time is the benchmark's business: about 25 s on a loaded 2-core machine).
    x = np.linspace(0.1, 1.0, 8)
    c = compile_grad(long_chain, (x,))
    assert c.report.traced_nodes >= 100_000
    y, g = x, np.ones_like(x)
    for _ in range(LONG_STEPS):
        g = g * np.cos(y) * 0.999
        y = np.sin(y) * 0.999 + 0.001
    np.testing.assert_allclose(c.module.grad(x)[0], g, rtol=1e-9)
