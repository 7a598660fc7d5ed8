"""Symbolic dimensions: a module compiled with `f64[N,...]` specs is right at every N,
checked against autograd at sizes other than the example's; programs whose structure
depends on N are refused naming the line."""

from __future__ import annotations

import glob
import importlib.util
import os
import subprocess
import sys
from typing import Annotated

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from bpcompiler import CompileError, compile_grad
from bpcompiler.symbolic import SymbolicShapeError
from support.examples import example
from support.fd import central_differences

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rng = np.random.default_rng(3)


def programs(np):
    """The test programs, written against `np` (NumPy, or autograd's for the reference)."""

    def mean_tanh(w, X):
        return np.mean(np.tanh(X * w))

    def logistic(w, b, X, y):
        z = X @ w + b
        return np.mean(np.log(1.0 + np.exp(z)) - y * z) + 0.01 * np.sum(w * w)

    def softmax_xent(W, X, Y):
        logits = X @ W
        shifted = logits - np.max(logits, axis=1, keepdims=True)
        logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        return -np.mean(np.sum(Y * logp, axis=1))

    def variance(w, X):
        h = X @ w
        return np.var(h) + np.std(h) + np.mean(h[1:] * h[:-1])

    def two_dims(A, X):  # N rows of X, M rows of A
        return np.sum(np.tanh(X @ A.T)) / (X.shape[0] * A.shape[0]) + np.mean(A ** 2)

    def reshape_flat(w, X):
        flat = np.reshape(X * w, (-1,))
        return np.sum(flat ** 2) / flat.shape[0]

    def by_len(w, X):  # len(X) read by the source: 1 / N as a 1-element constant
        return np.sum(X @ w) / len(X)

    def strided(w, X):  # h[::2] has (N + 1) // 2 rows
        h = np.tanh(X @ w)
        return np.sum(h[:-1] * h[1:]) + np.sum(h[::2])

    def squared_size(w, X):  # N ** 2
        return np.sum(np.cumsum(X @ w) ** 2) / X.shape[0] ** 2

    def regroup(w, X):  # a reshape that folds N into -1
        return np.sum(np.reshape(X, (-1, 2)) @ w[:2]) + np.sum(np.einsum("ij,j->i", X, w)) / X.size

    return locals()


P, AP = programs(np), programs(anp)
mean_tanh, logistic, two_dims = P["mean_tanh"], P["logistic"], P["two_dims"]


CASES = [
    ("mean_tanh", lambda n: (rng.normal(size=3), rng.normal(size=(n, 3))),
     {"X": "f64[N,3]"}, ("w",)),
    ("logistic", lambda n: (rng.normal(size=4), 0.3, rng.normal(size=(n, 4)),
                          rng.integers(0, 2, size=n)),
     {"X": "f64[N,4]", "y": "i64[N]"}, ("w", "b")),
    ("softmax_xent", lambda n: (rng.normal(size=(4, 3)), rng.normal(size=(n, 4)),
                              np.eye(3)[rng.integers(0, 3, size=n)]),
     {"X": "f64[N,4]", "Y": "f64[N,3]"}, ("W",)),
    ("variance", lambda n: (rng.normal(size=2), rng.normal(size=(n, 2))),
     {"X": "f64[N,2]"}, ("w",)),
    ("reshape_flat", lambda n: (rng.normal(size=3), rng.normal(size=(n, 3))),
     {"X": "f64[N,3]"}, ("w",)),
    *[(name, lambda n: (rng.normal(size=4), rng.normal(size=(n, 4))), {"X": "f64[N,4]"},
       ("w",)) for name in ("by_len", "strided", "squared_size", "regroup")],
]


@pytest.mark.parametrize("name, make, specs, wrt", CASES, ids=[c[0] for c in CASES])
def test_one_module_is_right_at_every_batch_size(name, make, specs, wrt):
    fn = P[name]
    c = compile_grad(fn, make(6), wrt=wrt, specs=specs)
    reference = autograd.grad(AP[name], tuple(range(len(wrt))))
    for n in (6, 2, 11, 40):
        args = make(n)
        value, grads = c.module.value_and_grad(*args)
        assert value == pytest.approx(fn(*args), rel=1e-12)
        for got, want in zip(grads, reference(*args)):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


def test_two_symbolic_dimensions():
    def make(m, n):
        return rng.normal(size=(m, 3)), rng.normal(size=(n, 3))
    c = compile_grad(two_dims, make(4, 5), specs={"A": "f64[M,3]", "X": "f64[N,3] data"})
    assert c.module.WRT == ("A",)
    reference = autograd.grad(AP["two_dims"])
    for m, n in ((4, 5), (2, 9), (7, 3)):
        A, X = make(m, n)
        np.testing.assert_allclose(c.module.grad(A, X)[0], reference(A, X), rtol=1e-10)


def test_a_shared_dimension_must_agree_at_call_time():
    c = compile_grad(logistic, CASES[1][1](6), wrt=("w", "b"), specs=CASES[1][2])
    w, b, X, y = CASES[1][1](8)
    with pytest.raises(ValueError, match=r"y has shape \(5,\).*dimension N.*gave as 8"):
        c.module.grad(w, b, X, y[:5])
    with pytest.raises(ValueError, match=r"X has shape \(8, 5\).*X: f64\[N,4\]"):
        c.module.grad(w, b, np.zeros((8, 5)), y)


def test_the_emitted_code_reads_the_size_from_the_arguments():
    c = compile_grad(logistic, CASES[1][1](6), wrt=("w", "b"), specs=CASES[1][2])
    body = c.source.split("def value_and_grad")[1]
    assert "N = X.shape[0]" in body and "/ N" in body
    assert "6" not in body.split("return")[0].split("# line")[1].replace("0.", "")


def test_a_loop_over_a_symbolic_dimension_is_refused_with_the_line():
    def rows(w, X):
        total = 0.0
        for i in range(X.shape[0]):
            total = total + np.sum(np.tanh(X[i] * w))
        return total
    with pytest.raises(SymbolicShapeError) as info:
        compile_grad(rows, (rng.normal(size=3), rng.normal(size=(4, 3))),
                     specs={"X": "f64[N,3]"})
    assert info.value.line is not None and "N" in str(info.value)


def test_an_identity_of_the_symbolic_size_is_built_with_it():
    def gram(w, X):
        n = X.shape[0]
        return np.sum((X @ X.T + np.eye(n)) * w[0])
    c = compile_grad(gram, (rng.normal(size=1), rng.normal(size=(4, 3))),
                     specs={"X": "f64[N,3]"})
    assert "np.eye(N)" in c.source
    for n in (2, 7):
        w, X = rng.normal(size=1), rng.normal(size=(n, 3))
        assert c.module.forward(w, X) == pytest.approx(gram(w, X), rel=1e-12)
        d_w = c.module.grad(w, X)[0]
        assert d_w == pytest.approx([np.sum(X @ X.T + np.eye(n))], rel=1e-12)


def _built(X, w, xp=np):
    n = X.shape[0]
    ramp = xp.linspace(0.0, 1.0, n)
    upper = xp.triu(xp.ones((n, n)), 1)
    steps = xp.arange(2.0, 2.0 + 3 * n, 3.0)
    Xw = X @ w
    return xp.sum(Xw * ramp) + xp.sum(upper @ Xw) + xp.sum(steps * Xw ** 2)


def test_ranges_grids_and_triangles_of_the_symbolic_size_are_built_with_it():
    c = compile_grad(lambda X, w: _built(X, w), (rng.normal(size=(5, 3)), rng.normal(size=3)),
                     specs={"X": "f64[N,3]"})
    assert "np.linspace(0.0, 1.0, N)" in c.source and "np.tri(N" in c.source
    assert "np.arange(2.0, 3.0 * N + 2.0, 3.0)" in c.source
    for n in (2, 4, 11):
        X, w = rng.normal(size=(n, 3)), rng.normal(size=3)
        value, grads = c.module.value_and_grad(X, w)
        expected = autograd.value_and_grad(lambda X, w: _built(X, w, anp), (0, 1))(X, w)
        assert value == pytest.approx(expected[0], rel=1e-12)
        for ours, theirs in zip(grads, expected[1]):
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_a_constant_that_changes_with_the_size_otherwise_is_refused():
    def weighted(w, X):
        n = X.shape[0]
        return np.sum(X * w[0] * np.sqrt(np.arange(n) + 1.0)[:, None])
    with pytest.raises(CompileError, match="N"):
        compile_grad(weighted, (rng.normal(size=1), rng.normal(size=(4, 3))),
                     specs={"X": "f64[N,3]"})


def test_examples_that_do_not_fit_their_specs_are_refused():
    with pytest.raises(CompileError, match="does not fit its spec"):
        compile_grad(mean_tanh, (rng.normal(size=3), rng.normal(size=(6, 4))),
                     specs={"X": "f64[N,3]"})
    with pytest.raises(CompileError, match="dimension N is 6 .* but 5"):
        compile_grad(logistic, (rng.normal(size=4), 0.3, rng.normal(size=(6, 4)),
                                rng.integers(0, 2, size=5)), specs=CASES[1][2])
    with pytest.raises(CompileError, match="at least 2"):
        compile_grad(mean_tanh, (rng.normal(size=3), rng.normal(size=(1, 3))),
                     specs={"X": "f64[N,3]"})


def annotated_loss(w: Annotated[np.ndarray, "f64[3]"],
                   X: Annotated[np.ndarray, "f64[N,3] data"]):
    return np.mean(np.tanh(X @ w))


def test_api_reads_annotations_even_under_future_annotations():
    # This file has `from __future__ import annotations`: the annotations are strings.
    assert isinstance(annotated_loss.__annotations__["X"], str)
    c = compile_grad(annotated_loss, (rng.normal(size=3), rng.normal(size=(5, 3))))
    assert c.module.WRT == ("w",) and c.module.ARGUMENTS["X"] == "f64[N,3]"
    w, X = rng.normal(size=3), rng.normal(size=(9, 3))
    want = autograd.grad(lambda w: anp.mean(anp.tanh(anp.dot(X, w))))(w)
    np.testing.assert_allclose(c.module.grad(w, X)[0], want, rtol=1e-12)


def test_api_draws_examples_from_specs_when_args_are_omitted():
    c = compile_grad(annotated_loss)
    assert c.module.ARGUMENTS == {"w": "f64[3]", "X": "f64[N,3]"}


def test_array_annotation_without_a_spec_follows_the_example_in_the_api():
    def f(x: np.ndarray):
        return np.sum(x ** 2)
    c = compile_grad(f, (np.ones(3),))
    np.testing.assert_allclose(c.module.grad(np.ones(3))[0], 2 * np.ones(3))


def test_cli_asks_for_the_shape_of_an_array_annotation(tmp_path):
    src = tmp_path / "f.py"
    src.write_text("import numpy as np\n\n\ndef f(x: np.ndarray):\n    return np.sum(x * x)\n")
    r = subprocess.run([sys.executable, "-m", "bpcompiler", "compile", f"{src}:f", "-o",
                        str(tmp_path / "o.py")], cwd=tmp_path, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": ROOT})
    assert r.returncode != 0 and "f.py:4" in r.stderr and "Annotated[np.ndarray" in r.stderr
    assert not (tmp_path / "o.py").exists()


def test_cli_symbolic_spec_and_future_annotations(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("from __future__ import annotations\n\nimport numpy as np\n\n\n"
                   "def loss(w: 'f64[3]', X: 'f64[B,3] data'):\n"
                   "    return np.mean((X @ w) ** 2)\n")
    out = tmp_path / "m_grad.py"
    r = subprocess.run([sys.executable, "-m", "bpcompiler", "compile", f"{src}:loss", "-o",
                        str(out), "-q"], cwd=tmp_path, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": ROOT})
    assert r.returncode == 0, r.stderr
    module = _load(str(out))
    for n in (3, 16, 50):
        w, X = rng.normal(size=3), rng.normal(size=(n, 3))
        np.testing.assert_allclose(module.grad(w, X)[0], 2 * X.T @ (X @ w) / n, rtol=1e-12)


def _load(path):
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _on_the_path(module, args, r):
    """Arguments (the given ones scaled) that take the example's path: the others raise
    OtherPathError, and nothing else."""
    tried = args
    for _ in range(200):
        try:
            module.forward(*tried)
            return tried
        except module.OtherPathError:
            tried = [a * float(r.uniform(0.25, 4.0)) for a in args]
    raise AssertionError("no arguments tried take the example's path")


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(ROOT, "output", "*_grad.py"))),
                         ids=os.path.basename)
def test_every_committed_module_at_a_second_size_of_each_dimension(path):
    """Each symbolic dimension of each module in output/ at a size the example did not
    use, against central differences of the example's own source."""
    module = _load(path)
    dims = {}
    for name, spec in module.ARGUMENTS.items():
        inner = spec.partition("[")[2].rstrip("]")
        for d in (x for x in inner.split(",") if x and not x.isdigit()):
            dims[d] = 23
    source_line = open(path).read().split("# Source: ")[1].split(" ")[0]
    file, func = source_line.split(":")
    assert os.path.dirname(file) == "examples", file
    fn = getattr(example(os.path.splitext(os.path.basename(file))[0]), func)
    r = np.random.default_rng(11)
    args = []
    for name, spec in module.ARGUMENTS.items():
        kind, _, inner = spec.partition("[")
        if not inner:
            args.append(float(r.uniform(-1, 1)))
            continue
        shape = tuple(dims.get(d, None) or int(d) for d in inner.rstrip("]").split(",") if d)
        if kind.startswith("i"):
            args.append(r.integers(0, 2, size=shape))
        else:
            args.append(r.uniform(-0.5, 0.5, size=shape))
    u = None
    if hasattr(module, "OtherPathError"):  # it follows the example's path (--control-flow)
        args = _on_the_path(module, args, r)
    if hasattr(module, "value_and_grad"):
        value, grads = module.value_and_grad(*args)
    else:  # emitted without grad (--emit jacobian,vjp): pull back a random cotangent
        u = r.normal(size=np.shape(fn(*args)))
        value, grads = module.vjp(*args, u)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-10)
    names = list(module.ARGUMENTS)
    for name, got in zip(module.WRT, grads):
        i = names.index(name)
        step = 1e-6
        direction = r.normal(size=np.shape(args[i]))

        def at(t):
            moved = list(args)
            moved[i] = args[i] + t * direction if np.ndim(args[i]) else \
                float(args[i] + t * direction)
            return fn(*moved) if u is None else np.sum(u * fn(*moved))
        numeric = float(central_differences(at, (0.0,), 0, step))
        assert np.sum(np.asarray(got) * direction) == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_float32_constants_of_a_size_are_fitted_at_float32_precision():
    # The mean's 1/N arrives rounded to float32: the formula must still be found.
    def f(w, X):
        return np.mean(np.tanh(X @ w))
    w0 = rng.normal(size=3).astype(np.float32)
    c = compile_grad(f, (w0, rng.normal(size=(6, 3)).astype(np.float32)), wrt=("w",),
                     specs={"X": "f32[N,3]"})
    for n in (6, 13):
        w, X = rng.normal(size=3).astype(np.float32), rng.normal(size=(n, 3)).astype(np.float32)
        (g,) = c.module.grad(w, X)
        want = autograd.grad(lambda v: anp.mean(anp.tanh(anp.dot(X.astype(float), v))))(
            w.astype(float))
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-6)


class Scaled:
    def __init__(self, s):
        self.s = s

    def loss(self, w, X):
        return self.s * np.mean(np.tanh(X @ w) ** 2)


def test_an_example_size_where_a_constant_is_one_still_serves_every_size():
    # 2 * s / N is exactly 1.0 at N = 4 (s = 2), and is simplified away there: the module
    # is built from the next size's graph and still verified at the example's.
    m = Scaled(2.0)
    c = compile_grad(m.loss, (rng.normal(size=3), rng.normal(size=(4, 3))), wrt=("w",),
                     specs={"X": "f64[N,3]"})
    for n in (4, 9):
        w, X = rng.normal(size=3), rng.normal(size=(n, 3))
        want = autograd.grad(lambda v: 2.0 * anp.mean(anp.tanh(anp.dot(X, v)) ** 2))(w)
        np.testing.assert_allclose(c.module.grad(w, X)[0], want, rtol=1e-12)
