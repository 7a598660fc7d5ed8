"""The numba target (issue 17): region selection on the joint graph, the loops it
writes, and modules that agree with the NumPy target's on every example and on the
fuzzer's array programs. Every test skips when numba is not installed."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from bpcompiler import CompileError, compile_grad
from bpcompiler.format import format_source
from bpcompiler.passes.fusion import select_regions
from bpcompiler.sources import load_function
from bpcompiler.specs import default_wrt, example_args, specs_for

numba = pytest.importorskip("numba", reason="the numba target needs numba")

ROOT = Path(__file__).resolve().parent.parent
# Every example whose functions the numba target emits (grad only): decay_fit returns
# an array (jacobian/vjp only), so it is refused, as test_refuses_emit_beyond_grad shows.
EXAMPLES = ["seed_network.py:seed_network", "mlp.py:loss", "logistic_regression.py:loss",
            "rosenbrock.py:rosenbrock", "particles.py:energy", "newton_fit.py:loss",
            "dask_logistic_regression.py:loss"]
PYTHON_FLOATS = ("seed_network.py:seed_network", "rosenbrock.py:rosenbrock")  # no arrays


def rosenbrock(x):
    a = x[:-1]
    return np.sum(100.0 * (x[1:] - a * a) ** 2 + (1.0 - a) ** 2)


def normalised(x):
    # the reduction is read back by the loop's own shape: two loops, never one
    s = np.sum(x * x)
    return np.sum((x / s) * x * x + x)


def activation(X, W, b, V):
    return np.sum(np.tanh(X @ W + b) @ V)


def joint(fn, *args):
    return compile_grad(fn, args).graph


def _member_ops(g, region):
    return sorted(g._node[n]["op"] for n in region.compute(g))


def test_rosenbrock_is_one_region_of_forward_and_backward():
    g = joint(rosenbrock, np.linspace(-1.2, 1.5, 50))
    roots = (g.graph["output"],) + tuple(g.graph["grads"])
    regions = select_regions(g, roots)
    assert len(regions) == 1
    region = regions[0]
    phases = {g._node[n]["phase"] for n in region.nodes}
    assert phases == {"forward", "adjoint"}
    assert "sum" in _member_ops(g, region)
    # The forward values the backward reads (x[1:] - a*a, 1 - a) are locals of the
    # loop: only the value and the two gradient pieces the scatters read leave it.
    assert len(region.outputs) == 3
    assert g.graph["output"] in region.outputs
    assert all(g._node[n]["phase"] == "adjoint" for n in region.outputs[1:])


def test_forward_roots_select_forward_nodes_only():
    g = joint(rosenbrock, np.linspace(-1.2, 1.5, 50))
    regions = select_regions(g, (g.graph["output"],))
    assert len(regions) == 1
    assert {g._node[n]["phase"] for n in regions[0].nodes} == {"forward"}
    assert regions[0].outputs == [g.graph["output"]]


def test_a_reduction_read_back_splits_the_loop_and_the_regions_form_a_dag():
    x = np.linspace(0.5, 1.5, 10_000)
    g = joint(normalised, x)
    roots = (g.graph["output"],) + tuple(g.graph["grads"])
    regions = select_regions(g, roots)
    assert len(regions) >= 2
    owner = {n: i for i, r in enumerate(regions) for n in r.nodes}
    for i, r in enumerate(regions):
        for n in r.nodes:  # no member reads a reduction of its own region
            for a in g._node[n]["args"]:
                if owner.get(a) == i:
                    assert g._node[a]["op"] not in ("sum", "mean")
    quotient = nx.DiGraph()
    for a, b in g.edges:
        qa, qb = owner.get(a, ("node", a)), owner.get(b, ("node", b))
        if qa != qb:
            quotient.add_edge(qa, qb)
    assert nx.is_directed_acyclic_graph(quotient)


def test_a_tanh_with_little_arithmetic_stays_numpy_but_its_gradient_is_a_loop():
    # NumPy's tanh runs on SIMD units, a loop's math.tanh one element at a time: the
    # forward's add+tanh is not worth a loop; the backward's arithmetic is.
    rng = np.random.default_rng(0)
    g = joint(activation, rng.normal(size=(256, 8)), rng.normal(size=(8, 64)),
              rng.normal(size=64), rng.normal(size=(64, 4)))
    roots = (g.graph["output"],) + tuple(g.graph["grads"])
    regions = select_regions(g, roots)
    fused_ops = {op for r in regions for op in _member_ops(g, r)}
    assert "tanh" not in fused_ops
    assert regions and fused_ops <= {"add", "subtract", "multiply", "negative", "sum"}


def test_small_regions_stay_numpy():
    # a call of a compiled loop costs more than the two ufunc calls it saves on 8
    # floats; on a million it is one pass for three
    def f(x):
        return np.sum(x * x)
    for n, fused in ((8, False), (10**6, True)):
        g = joint(f, np.linspace(-1.2, 1.5, n))
        roots = (g.graph["output"],) + tuple(g.graph["grads"])
        assert bool(select_regions(g, roots)) == fused


def test_numba_compiles_every_op_a_loop_may_compute():
    import math
    from bpcompiler.ops import REGISTRY
    from bpcompiler.ops.registry import PREC_ATOM, Expr
    from bpcompiler.passes.fusion import REDUCTIONS, loop_ops, math_spelling
    for name in loop_ops():
        if name in REDUCTIONS or name == "broadcast_to":
            continue
        arity = REGISTRY[name].arity
        operands = [Expr(f"a{i}", PREC_ATOM) for i in range(arity)]
        text = math_spelling({"op": name, "args": (0,) * arity, "params": {},
                              "dtype": "float64"}, operands)
        namespace = {"math": math}
        exec(f"def k({', '.join(e.text for e in operands)}):\n    return {text}\n",
             namespace)
        numba.njit(namespace["k"])(*[0.5] * arity)  # (raises if numba cannot type it)


def test_a_long_region_is_split_into_runs_that_still_agree(monkeypatch):
    from bpcompiler.passes import fusion
    monkeypatch.setattr(fusion, "MAX_LOOP_OPS", 4)
    x = np.linspace(-1.2, 1.5, 10_000)
    g = joint(rosenbrock, x)
    roots = (g.graph["output"],) + tuple(g.graph["grads"])
    runs = select_regions(g, roots)
    assert len(runs) == 3 and all(len(r.nodes) <= 4 for r in runs)
    c = compile_grad(rosenbrock, (x,), target="numba")  # verified, or it raises
    v, (d,) = c.module.value_and_grad(x)
    v0, (d0,) = compile_grad(rosenbrock, (x,)).module.value_and_grad(x)
    assert np.isclose(v, v0, rtol=1e-12)
    np.testing.assert_allclose(d, d0, rtol=1e-12, atol=1e-12)


def test_selection_is_pure_and_deterministic():
    g = joint(rosenbrock, np.linspace(-1.2, 1.5, 50))
    before = sorted(g.nodes(data="op"))
    roots = (g.graph["output"],) + tuple(g.graph["grads"])
    first = [(r.nodes, r.outputs) for r in select_regions(g, roots)]
    assert first == [(r.nodes, r.outputs) for r in select_regions(g, roots)]
    assert sorted(g.nodes(data="op")) == before


# ---------------------------------------------------------------------------------------
# The emitted module.

def test_the_module_is_readable_formatted_guarded_and_verified():
    x = np.linspace(-1.2, 1.5, 100)
    c = compile_grad(rosenbrock, (x,), target="numba")
    src = c.source
    assert src.count('@numba.njit(cache=True, error_model="numpy")') == 2  # forward, joint
    assert "for i in range(n):" in src and "np.empty((n,), dtype=np.float64)" in src
    assert "import numba" in src and format_source(src) == src
    assert c.report.verification is not None and "jit" in c.report.seconds
    value, (g,) = c.module.value_and_grad(x)
    plain = compile_grad(rosenbrock, (x,))
    v0, (g0,) = plain.module.value_and_grad(x)
    assert type(value) is type(v0) and np.isclose(value, v0, rtol=1e-13)
    np.testing.assert_allclose(g, g0, rtol=1e-12, atol=1e-12)
    assert c.module.forward(x) == pytest.approx(v0, rel=1e-13)
    with pytest.raises(ValueError, match="shape"):
        c.module.value_and_grad(np.ones(7))
    assert "import numba" not in plain.source and "@numba" not in plain.source


def test_symbolic_dimensions_are_read_from_the_arguments():
    c = compile_grad(rosenbrock, specs={"x": "f64[N]"}, target="numba")
    plain = compile_grad(rosenbrock, specs={"x": "f64[N]"})
    for n in (3, 17, 1000):
        x = np.linspace(-1.0, 2.0, n)
        value, (g,) = c.module.value_and_grad(x)
        v0, (g0,) = plain.module.value_and_grad(x)
        assert np.isclose(value, v0, rtol=1e-12)
        np.testing.assert_allclose(g, g0, rtol=1e-12, atol=1e-12)


def test_broadcast_operands_are_indexed_as_they_broadcast():
    def f(x, b, s):
        y = x * b + s
        return np.sum(y * y - x * b)

    rng = np.random.default_rng(3)
    args = (rng.normal(size=(5, 4)), rng.normal(size=(1, 4)), 0.7)
    c = compile_grad(f, args, target="numba")
    assert "b[0, i1]" in c.source
    plain = compile_grad(f, args)
    for got, want in zip(c.module.grad(*args), plain.module.grad(*args)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_maximum_and_fmax_treat_nan_as_numpy_does():
    def f(x, y):
        return np.sum(np.maximum(x, y) * 2.0 + np.fmin(x, y) * x + np.minimum(x * y, 0.5)
                      - np.fmax(y, 0.25) * y)

    rng = np.random.default_rng(1)
    x, y = rng.normal(size=20_000), rng.normal(size=20_000)
    fused, plain = compile_grad(f, (x, y), target="numba"), compile_grad(f, (x, y))
    assert "@numba.njit" in fused.source.split("def forward")[0]
    x[::7], y[::5] = np.nan, np.nan  # NaN on either side, and on both
    assert np.isnan(fused.module.forward(x, y)) and np.isnan(plain.module.forward(x, y))
    for a, b in zip(fused.module.grad(x, y), plain.module.grad(x, y)):
        assert np.array_equal(a, b, equal_nan=True)


def test_refuses_emit_beyond_grad():
    with pytest.raises(CompileError, match="emits grad only"):
        compile_grad(rosenbrock, (np.ones(4),), target="numba", emit=("grad", "hvp"))


def test_without_numba_the_target_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)
    with pytest.raises(CompileError, match=r"bpcompiler\[numba\]"):
        compile_grad(rosenbrock, (np.ones(4),), target="numba")


@pytest.fixture(params=["cost model", "every region"])
def fusing(request, monkeypatch):
    """As the cost model chooses, and with every region a loop: the examples' and the
    fuzzer's arrays are small, so the cost model alone would leave most of them NumPy."""
    from bpcompiler.passes import fusion
    if request.param == "every region":
        monkeypatch.setattr(fusion, "worth_a_loop", lambda g, region: True)
    return request.param


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_agrees_with_the_numpy_target(example, fusing):
    fn = load_function(str(ROOT / "examples" / example))
    specs = specs_for(fn, {})
    args, wrt = example_args(specs), default_wrt(specs)
    fused = compile_grad(fn, args, wrt=wrt, specs=specs, target="numba")
    plain = compile_grad(fn, args, wrt=wrt, specs=specs)
    if fusing == "every region" and example not in PYTHON_FLOATS:
        assert "\n@numba.njit(" in fused.source
    rng = np.random.default_rng(5)
    moved = [a * (1 + 0.01 * rng.standard_normal(np.shape(a))) if isinstance(a, np.ndarray)
             and a.dtype.kind == "f" else a for a in args]
    for point in (args, moved):
        v, g = fused.module.value_and_grad(*point)
        v0, g0 = plain.module.value_and_grad(*point)
        assert np.allclose(v, v0, rtol=1e-11)
        for a, b in zip(g, g0):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_the_cli_compiles_for_numba(tmp_path):
    out = tmp_path / "rosen_grad.py"
    run = subprocess.run([sys.executable, "-m", "bpcompiler", "compile",
                          "examples/rosenbrock.py:rosenbrock", "-o", str(out), "--target",
                          "numba"], cwd=ROOT, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert run.returncode == 0, run.stderr
    assert "--target numba" in out.read_text()


# ---------------------------------------------------------------------------------------
# numba's cache: a second import in a fresh process loads the loops, compiling nothing.

CALL = textwrap.dedent("""
    import importlib.util, json, sys
    import numpy as np
    spec = importlib.util.spec_from_file_location("rosen_grad", sys.argv[1])
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    m.value_and_grad(np.linspace(-1.2, 1.5, 100))
    m.forward(np.linspace(-1.2, 1.5, 100))
    loops = [v for k, v in vars(m).items() if k.startswith("_loop")]
    print(json.dumps([[sum(l.stats.cache_hits.values()), sum(l.stats.cache_misses.values())]
                      for l in loops]))
""")


def test_a_second_import_in_a_fresh_process_loads_the_cached_loops(tmp_path):
    import json
    out = tmp_path / "rosen_grad.py"
    compile_grad(rosenbrock, (np.linspace(-1.2, 1.5, 100),), target="numba", out=str(out))

    def fresh():
        run = subprocess.run([sys.executable, "-c", CALL, str(out)], capture_output=True,
                             text=True, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)
    first = fresh()
    assert first and all(misses >= 1 and hits == 0 for hits, misses in first)
    cache = sorted(p.name for p in (tmp_path / "__pycache__").iterdir())
    assert any(n.endswith(".nbi") for n in cache) and any(n.endswith(".nbc") for n in cache)
    stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "__pycache__").iterdir()}
    second = fresh()
    assert all(hits >= 1 and misses == 0 for hits, misses in second)
    assert {p.name: p.stat().st_mtime_ns
            for p in (tmp_path / "__pycache__").iterdir()} == stamps


# ---------------------------------------------------------------------------------------
# The fuzzer's array programs (a sample here; `-m slow` runs more).

def _fuzz(seeds, monkeypatch):
    from bpcompiler.passes import fusion
    monkeypatch.setattr(fusion, "worth_a_loop", lambda g, region: True)  # (see fusing)
    from fuzz import programs
    directory = programs.temp_directory()
    checked = 0
    for seed in seeds:
        program = programs.generate(programs.RandomChooser(10_000 + seed), 12)
        if program.mode == "math":
            continue  # Python floats only: no array, no loop
        outcome = programs.check_program(program, directory, target="numba")
        assert not outcome.failed, f"{program.describe()}\n{outcome.detail}"
        checked += 1
    assert checked


def test_fuzzed_array_programs_sample(monkeypatch):
    _fuzz(range(12), monkeypatch)


@pytest.mark.slow
def test_fuzzed_array_programs_many(monkeypatch):
    _fuzz(range(12, 400), monkeypatch)


# ---------------------------------------------------------------------------------------
# Typed as the NumPy target's modules are: mypy --strict passes on every example's module
# and on 16 of the fuzzer's array programs' (every region a loop, so the loops are
# checked too) wherever it passes on the same program's NumPy-target module. (A few
# float32 fuzz programs fail there: NumPy's stubs type `np.cosh(x32) + 0.5 * y32` as
# float64.)

def _mypy_failures(sources: dict, directory) -> set:
    """The names of `sources` ({name: text}) that mypy --strict finds errors in."""
    for name, text in sources.items():
        (directory / f"{name}.py").write_text(text)
    r = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                        "--config-file", "", *[f"{n}.py" for n in sources]], cwd=directory,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    return {line.split(".py:")[0] for line in r.stdout.splitlines() if ".py:" in line}


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed")
def test_modules_with_loops_pass_mypy_strict_as_the_numpy_targets_do(monkeypatch, tmp_path):
    from bpcompiler.passes import fusion
    monkeypatch.setattr(fusion, "worth_a_loop", lambda g, region: True)  # (see fusing)
    from fuzz import programs
    fused, plain = {}, {}
    for k, example in enumerate(EXAMPLES):
        fn = load_function(str(ROOT / "examples" / example))
        specs = specs_for(fn, {})
        fused[f"example{k}"] = compile_grad(fn, example_args(specs), wrt=default_wrt(specs),
                                            specs=specs, target="numba").source
    directory = programs.temp_directory()
    for seed in range(16):
        program = programs.generate(programs.RandomChooser(10_000 + seed), 12)
        if program.mode == "math":
            continue
        f = programs.load(program.source, directory).f
        try:
            fused[f"fuzz{seed}"] = compile_grad(f, program.args, wrt=program.wrt,
                                                target="numba").source
        except CompileError:
            continue  # (not smooth at its point: test_fuzzed_array_programs_sample)
        plain[f"fuzz{seed}"] = compile_grad(f, program.args, wrt=program.wrt).source
    loops = sum(source.count("\n@numba.njit(") for source in fused.values())
    assert loops >= 30 and len(plain) >= 8, (loops, len(plain))
    (tmp_path / "numba").mkdir()
    (tmp_path / "numpy").mkdir()
    failing = _mypy_failures(fused, tmp_path / "numba")
    assert not {n for n in failing if n.startswith("example")}, failing
    assert failing <= _mypy_failures(plain, tmp_path / "numpy"), failing
