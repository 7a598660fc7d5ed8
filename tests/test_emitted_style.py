"""The emitted modules read as a person would write them: no temporary named after an op
(`getitem_1`, `d_subtract`, `exp`), one provenance comment per group of statements
(never one with nothing under it, never the same one twice in a row), and each
parameter's gradient returned as `d_<param>`. Checked on every module in output/ and on
fresh compiles of the examples' kinds of code."""

from __future__ import annotations

import glob
import os
import tempfile

import numpy as np
import pytest

from bpcompiler import CompileError, compile_grad
from bpcompiler.writer import is_generated
from fuzz import programs
from support.style import style_problems

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = sorted(p for p in glob.glob(os.path.join(ROOT, "output", "*.py")) if is_generated(p))


@pytest.mark.parametrize("path", MODULES, ids=os.path.basename)
def test_committed_module_reads_as_written_by_hand(path):
    with open(path, encoding="utf-8") as f:
        assert style_problems(f.read()) == []


def softmax_loss(W, b, X, Y):
    logits = X @ W + b
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * log_p, axis=1))


def pieces(x, y):
    a = x[1:] * x[:-1]
    return np.sum(a * a) + np.sum(np.sqrt(1.0 + y * y)) + np.sum(x[::2] / (2.0 + y[0]))


@pytest.mark.parametrize("f, args", [
    (softmax_loss, (np.full((4, 3), 0.1), np.zeros(3), np.linspace(-1, 1, 20).reshape(5, 4),
                    np.eye(3)[[0, 1, 2, 0, 1]])),
    (pieces, (np.linspace(0.1, 1.0, 6), np.linspace(-1.0, 1.0, 3))),
], ids=["softmax", "pieces"])
def test_fresh_modules_read_as_written_by_hand(f, args):
    assert style_problems(compile_grad(f, args).source) == []


@pytest.fixture(scope="module")
def directory():
    with tempfile.TemporaryDirectory(prefix="bpcompiler-style-") as d:
        yield d


@pytest.mark.parametrize("seed", range(40))
def test_fuzzer_programs_read_as_written_by_hand(directory, seed):
    """Random programs over the whole registry (tests/fuzz/programs.py): whatever ops
    they meet, the modules name, comment and return the same way."""
    program = programs.generate(programs.RandomChooser(20_000 + seed), 10)
    f = programs.load(program.source, directory).f
    try:
        compiled = compile_grad(f, program.args, wrt=program.wrt)
    except CompileError as exc:  # (an expected refusal: test_fuzz.py judges those)
        pytest.skip(f"not compiled: {type(exc).__name__}")
    assert style_problems(compiled.source) == [], program.source


def test_the_check_finds_each_problem():
    bad = '''WRT = ("x", "b")


def value_and_grad(x, b):
    # line 1: y = x * b
    # line 2: z = y + 1
    getitem_1 = x * b
    # line 2: z = y + 1
    d_subtract = getitem_1
    # grad of line 2
    return getitem_1, (d_subtract, d_z)
'''
    found = style_problems(bad)
    assert any("op-named temporary getitem_1" in p for p in found)
    assert any("op-named temporary d_subtract" in p for p in found)
    assert any("nothing under it: # line 1" in p for p in found)
    assert any("nothing under it: # grad of line 2" in p for p in found)
    assert any("gradient of x returned as d_subtract" in p for p in found)
    assert any("gradient of b returned as d_z" in p for p in found)
    assert any("comment repeated: # line 2" in p for p in found)


def test_temporaries_beside_a_parameter_called_t_are_not_t_1():
    # decay_fit's residuals at time t: `t_1 = np.exp(-(p[1] * t))` read as a value of t
    def residuals(p, t, y):
        a, k, omega, phi = p[0], p[1], p[2], p[3]
        return a * np.exp(-k * t) * np.cos(omega * t + phi) - y

    t = np.linspace(0.0, 2.0, 5)
    c = compile_grad(residuals, (np.array([1.0, 0.5, 2.0, 0.1]), t, np.zeros(5)),
                     wrt=("p",), emit=("jacobian",))
    code = [line.split("#")[0] for line in c.source.splitlines()]
    assert any(line.strip().startswith("tmp = ") for line in code)
    assert not any(line.strip().startswith(("t_1 = ", "t_2 = ")) for line in code)


def test_a_helpers_unnamed_result_is_called_after_the_helper():
    # `return x - np.log(...)` in a helper: the value and its gradient read as the helper's
    # (`log_softmax`, `d_log_softmax`), and the caller's too-long line breaks there, not at `t`
    def log_softmax(logits):
        shifted = logits - np.mean(logits, axis=1, keepdims=True)
        return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))

    def loss(logits, labels):
        return -np.mean(np.sum(labels * log_softmax(logits), axis=1))

    rng = np.random.default_rng(0)
    c = compile_grad(loss, (rng.normal(size=(4, 3)), np.eye(3)[[0, 2, 1, 0]]), wrt=("logits",))
    code = [line.split("#")[0].strip() for line in c.source.splitlines()]
    assert "log_softmax = shifted - np.log(sum_exp_shifted)" in code
    assert any(line.startswith("d_log_softmax = ") for line in code)
    assert not any(line.startswith("t = ") for line in code)

    def named_by_the_caller(logits, labels):
        scores = log_softmax(logits)  # the caller's name wins over the helper's
        return -np.mean(np.sum(labels * scores, axis=1))

    c = compile_grad(named_by_the_caller, (rng.normal(size=(4, 3)), np.eye(3)[[0, 2, 1, 0]]),
                     wrt=("logits",))
    code = [line.split("#")[0].strip() for line in c.source.splitlines()]
    assert any(line.startswith("d_scores = ") for line in code)
    assert not any("log_softmax" in line for line in code)
