"""The emitted modules read as a person would write them: no temporary named after an op
(`getitem_1`, `d_subtract`, `exp`), one provenance comment per group of statements
(never one with nothing under it, never the same one twice in a row), and each
parameter's gradient returned as `d_<param>`. Checked on every module in output/ and on
fresh compiles of the examples' kinds of code."""

from __future__ import annotations

import ast
import glob
import os
import re

import numpy as np
import pytest

from bpcompiler import compile_grad
from bpcompiler.ops import REGISTRY
from bpcompiler.writer import is_generated

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = sorted(p for p in glob.glob(os.path.join(ROOT, "output", "*.py")) if is_generated(p))
OP_NAMED = re.compile(rf"^(d_)?({'|'.join(sorted(REGISTRY, key=len, reverse=True))})(_\d+)?$")


def style_problems(source: str) -> list[str]:
    problems = []
    tree = ast.parse(source)
    for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        params = {a.arg for a in fn.args.args}
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and OP_NAMED.match(target.id) \
                            and target.id not in params and \
                            target.id.removeprefix("d_") not in params:
                        problems.append(f"{fn.name}: op-named temporary {target.id}")
        problems += _comment_problems(fn.name, source.splitlines()[fn.lineno:fn.end_lineno])
        if fn.name == "value_and_grad":
            problems += _gradient_name_problems(tree, fn)
    return problems


def _comment_problems(name: str, lines: list[str]) -> list[str]:
    problems, previous = [], None
    code = [line.strip() for line in lines if line.strip()]
    for i, line in enumerate(code):
        if not line.startswith("#"):
            continue
        following = code[i + 1] if i + 1 < len(code) else "return"
        if following.startswith(("#", "return", "del ")):
            problems.append(f"{name}: comment with nothing under it: {line}")
        if line == previous:
            problems.append(f"{name}: comment repeated: {line}")
        previous = line
    return problems


def _gradient_name_problems(tree, fn) -> list[str]:
    wrt = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
               and getattr(n.targets[0], "id", None) == "WRT")
    returned = fn.body[-1].value
    grads = returned.elts[1].elts
    names = [g.id if isinstance(g, ast.Name) else ast.unparse(g) for g in grads]
    return [f"gradient of {p} returned as {n}" for p, n in zip(wrt, names)
            if not re.fullmatch(rf"d_{re.escape(p)}(_\d+)?", n)]


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
