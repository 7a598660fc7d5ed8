"""The array-API target on real libraries: every example and every corpus function the
target supports, compiled once with target="array-api", run on NumPy 2,
array-api-strict, PyTorch, JAX, Dask (on a two-process dask.distributed cluster) and
CuPy (skipped without a GPU), each compared with the NumPy target's module on the same
data. Corpus functions the standard cannot write are refused naming the op and line.
"""

from __future__ import annotations

import functools
import inspect
import re
import zlib
from pathlib import Path

import numpy as np
import pytest

from support.array_libraries import LIBRARIES, Dask, Jax
from bpcompiler import compile_grad
from bpcompiler.portable import UnportableError
from bpcompiler.sources import load_function
from bpcompiler.specs import default_wrt, example_args, specs_for
from support.examples import example as load_example

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ["seed_network.py:seed_network", "mlp.py:loss", "logistic_regression.py:loss",
            "rosenbrock.py:rosenbrock", "particles.py:energy"]
# Corpus functions whose gradient the standard cannot write, with the op that stops it
# (none at present: test_portable.py refuses einsum and sort's gradient).
UNPORTABLE: dict = {}


def _corpus():
    from support.corpus import CASES
    return {c.name: c for c in CASES}


CORPUS = _corpus()


@functools.lru_cache(maxsize=None)
def compiled(kind: str, name: str):
    """(NumPy-target module, array-API module, example args) for an example or a case."""
    if kind == "example":
        fn = load_function(str(ROOT / "examples" / name))
        specs = specs_for(fn, {})
        args, wrt, extra = example_args(specs), default_wrt(specs), {"specs": specs}
    else:
        case = CORPUS[name]
        fn, wrt, extra = case.fn, case.wrt, {}
        args = case.make_args(np.random.default_rng(zlib.crc32(name.encode())))
    plain = compile_grad(fn, args, wrt=wrt, **extra)
    portable = compile_grad(fn, args, wrt=wrt, target="array-api", **extra)
    return plain.module, portable.module, args, portable.source


def _portable_cases():
    return [n for n in CORPUS if n not in UNPORTABLE]


@pytest.fixture(scope="module")
def dask_client():
    """A LocalCluster with two worker processes, for the Dask arrays' computations."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.fixture
def library(request):
    lib = request.param
    reason = lib.skip_reason()
    if reason:
        pytest.skip(reason)
    if isinstance(lib, Jax):
        import jax
        before = jax.config.jax_enable_x64
        jax.config.update("jax_enable_x64", True)
        yield lib
        jax.config.update("jax_enable_x64", before)
        return
    yield lib


def _compare(kind: str, name: str, lib) -> None:
    plain, portable, args, _ = compiled(kind, name)
    value, grads = lib.results(*portable.value_and_grad(*lib.arguments(args)))
    _check(kind, name, value, grads)


def _check(kind: str, name: str, value, grads) -> None:
    """The result on a library against the NumPy target's module on the same data."""
    plain, _, args, _ = compiled(kind, name)
    want_value, want_grads = plain.value_and_grad(*args)
    float32 = kind == "corpus" and CORPUS[name].float32
    tol = dict(rtol=1e-5, atol=1e-6) if float32 else dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(value, want_value, **tol)
    assert len(grads) == len(want_grads)
    for g, want in zip(grads, want_grads):
        assert np.shape(g) == np.shape(want)
        np.testing.assert_allclose(g, want, **tol)


# Dask has its own test below: one computation on the cluster for every module.
_LIBS = [pytest.param(lib, id=lib.name) for lib in LIBRARIES if not isinstance(lib, Dask)]


@pytest.mark.parametrize("library", _LIBS, indirect=True)
@pytest.mark.parametrize("example", EXAMPLES)
def test_example_on_library(example, library):
    _compare("example", example, library)


def _corpus_on_libraries():
    """Every portable corpus function on every library; on JAX, whose eager calls are
    slow, one in four in the default suite and the rest with `-m slow`."""
    out = []
    for lib in _LIBS:
        for i, case in enumerate(_portable_cases()):
            again = lib.id == "jax" and i % 4 != 0
            out.append(pytest.param(case, lib.values[0], id=f"{case}-{lib.id}",
                                    marks=list(lib.marks) + ([pytest.mark.slow] if again else [])))
    return out


@pytest.mark.parametrize("case, library", _corpus_on_libraries(), indirect=["library"])
def test_corpus_on_library(case, library):
    _compare("corpus", case, library)


def test_every_portable_module_on_a_dask_cluster(dask_client):
    """Each example and portable corpus function on Dask arrays (two chunks along the
    first axis), evaluated in one `dask.compute` on the two-process cluster."""
    import dask
    import distributed
    assert distributed.default_client() is dask_client
    assert len(dask_client.scheduler_info()["workers"]) == 2
    lib = Dask()
    names = [("example", e) for e in EXAMPLES] + [("corpus", c) for c in _portable_cases()]
    lazy = [compiled(kind, name)[1].value_and_grad(*lib.arguments(compiled(kind, name)[2]))
            for kind, name in names]
    assert any(isinstance(value, dask.array.Array) for value, _ in lazy)  # stays lazy
    (results,) = dask.compute(lazy)
    for (kind, name), (value, grads) in zip(names, results):
        _check(kind, name, np.asarray(value), tuple(np.asarray(g) for g in grads))


def test_portable_module_reads_no_numpy():
    """The array-API modules import array_api_compat (and math), never NumPy, and write
    nothing in place."""
    for name in EXAMPLES:
        source = "\n".join(line for line in compiled("example", name)[3].splitlines()
                           if not line.lstrip().startswith("#"))  # (comments quote the source)
        assert "import numpy" not in source and "np." not in source
        assert not re.search(r"\] [+-]?= |\+= |-= |out=|float\(", source)


def test_dask_example_fits_as_numpy_does(dask_client, capsys):
    """examples/dask_logistic_regression.py on the test's cluster, small: the weights it
    fits on Dask arrays are the NumPy target's on the same data in memory."""
    load_example("dask_logistic_regression").main([
        "--scheduler", dask_client.scheduler.address, "--rows", "20_000", "--chunk", "5_000",
        "--steps", "3", "--compare-numpy"])
    out = capsys.readouterr().out
    assert "in 4 chunks" in out
    difference = float(re.search(r"largest weight difference from dask (\S+)", out).group(1))
    assert difference < 1e-12
    first, last = map(float, re.search(r"dask: .*loss (\S+) -> (\S+)", out).groups())
    assert last < first
