"""format.py's fast path gives black's own output, byte for byte."""

from __future__ import annotations


import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpcompiler import compile_grad
from bpcompiler.autodiff import differentiate
from bpcompiler.emit import emit
from bpcompiler.format import _black, _format_fast, format_source
from bpcompiler.passes import optimize

from support.examples import example
from fuzz import programs

loss = example("mlp").loss
seed_network = example("seed_network").seed_network


def rosenbrock(x0, x1, x2, x3, x4, x5):
    x = (x0, x1, x2, x3, x4, x5)
    s = 0.0
    for i in range(5):
        s = s + 100.0 * (x[i + 1] - x[i] * x[i]) ** 2 + (1.0 - x[i]) ** 2
    return s


def chain(x):
    y = x
    for _ in range(20):
        y = np.tanh(y * 1.1 + 0.1) * 0.9 + x ** 2 * 0.01
    return np.sum(y[1:] * y[:-1])


def fast(text: str) -> str:
    """The fast path's answer, which must not be a fallback to whole-module black."""
    result = _format_fast(text)
    assert result is not None, "the fast path gave up"
    assert format_source(text, fast=True) == result
    return result


def drafts():
    rng = np.random.default_rng(0)
    cases = [(seed_network, (0.5, 0.1, -0.3, 0.2, 0.8, -0.6, 0.05, -0.02, 1.5, -0.7)),
             (loss, (rng.normal(size=(20, 32)), rng.normal(size=32), rng.normal(size=(32, 5)),
                     rng.normal(size=5), rng.normal(size=(16, 20)), rng.random((16, 5)))),
             (rosenbrock, (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)),
             (chain, (np.linspace(0.1, 1.0, 600),))]
    for fn, args in cases:
        c = compile_grad(fn, args)
        yield fn.__name__, emit(c.graph, ["# header"], "Docstring.\n")


@pytest.mark.parametrize("name, text", list(drafts()))
def test_fast_path_equals_black(name, text):
    expected = _black(text)
    assert fast(text) == expected
    # (both paths set the helper functions aside, formatted alone: the same bytes)
    assert format_source(text, fast=False) == expected


TRICKY = '''"""Module."""

import numpy as np


def value_and_grad(a, b):
    """Doc."""
    # line 3: comment  with   spaces
    x = -a ** -2
    y = (a + b)
    z = aaaaaaaaaa + aaaaaaaaaa + aaaaaaaaaa + aaaaaaaaaa + aaaaaaaaaa + aaaaaaaaaa + aaaaaaaaaa + aaaaaaaaaa
    w = np.sum(a, axis=(1, 2,), keepdims=True)
    q = a ** 2.0 + a ** b.T ** c[1:]
    r = (x,)
    s = aaaaaaaaa + aaaaaaaaa + aaaaaaaaa + aaaaaaaaa + aaaaaaaaa + aaaaaaaaa + -aaaaa ** -2
    t = np.float64("nan") if a > b else 1E5
    del x, y
    return x, (y, z)
'''


def test_fast_path_equals_black_on_lines_black_changes():
    assert fast(TRICKY) == _black(TRICKY)
    assert fast(TRICKY) != TRICKY  # black did change it


@pytest.fixture(scope="module")
def directory():
    return programs.temp_directory()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_fast_path_equals_black_on_random_graphs(directory, data):
    # the fuzzer's random programs (tests/fuzz/programs.py), drawn by hypothesis
    program = programs.generate(programs.HypothesisChooser(data), 6)
    g = optimize(differentiate(programs.traced(program, directory)[0]))
    text = emit(g, ["# header"], "Doc.\n")
    expected = _black(text)
    assert fast(text) == expected
    assert format_source(text, fast=False) == expected


def test_fast_path_equals_black_with_long_parameter_lists(tmp_path):
    # 40 parameters: the def lines, WRT, the gradient tuple and grad's call explode.
    names = [f"x{i}" for i in range(40)]
    path = tmp_path / "many.py"
    path.write_text(f"def many({', '.join(names)}):\n"
                    f"    x = ({', '.join(names)})\n"
                    "    s = 0.0\n"
                    "    for i in range(39):\n"
                    "        s = s + (x[i + 1] - x[i] * x[i]) ** 2\n"
                    "    return s\n")
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    c = compile_grad(namespace["many"], tuple(0.1 * i for i in range(40)))
    text = emit(c.graph, ["# header"], "Docstring.\n")
    assert fast(text) == _black(text)


WIDE = '''def value_and_grad(a):
    """Doc."""
    ｗｉｄｅ_名前_ｘ = a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a + a
    α = a ** 2
    return α
'''


def test_fast_path_equals_black_with_wide_characters():
    assert fast(WIDE) == _black(WIDE)


def test_helpers_set_aside_keep_blacks_blank_lines():
    # A helper between constants and a decorated function, one with an exploded
    # signature, one ending in a nested block: the same bytes as black on the whole.
    text = ('"""Doc."""\nimport numpy as np\nX = 1\ndef _one(a: int) -> None:\n'
            '    if a:\n        raise ValueError(f"{a} "\n   "b")\n'
            'def _two(\n    name: str, value: object, axis: int, dim: str, size: int,'
            ' other: int, more: int\n) -> None:\n    """Doc."""\n    return None\n'
            '# a comment\n@staticmethod\ndef _three(x):\n    return x\ndef f(x):\n'
            '    return _one(x)\nY = 2\n')
    assert format_source(text, fast=False) == _black(text)
    assert format_source(text, fast=True) == _black(text)
