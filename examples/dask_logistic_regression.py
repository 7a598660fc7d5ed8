"""Data-parallel logistic regression on a Dask cluster, with a gradient module compiled
for the array-API target.

The data is a chunked Dask array generated on the workers, larger than one worker's
memory limit; it is never gathered anywhere. `loss` from examples/logistic_regression.py
is compiled with target="array-api" into output/dask_logistic_regression_grad.py (its
batch dimension N is symbolic, so the one module serves every chunking):

    bpcompiler compile examples/dask_logistic_regression.py:loss -o output/dask_logistic_regression_grad.py --target array-api

Each step of gradient descent calls the emitted
`value_and_grad` on the Dask arrays, which builds a task graph the cluster evaluates
chunk by chunk, and only the loss and the 9 gradient numbers come back. The weights live
on the client as NumPy values.

On a local cluster it starts (two worker processes, each limited to --memory-limit):

    python examples/dask_logistic_regression.py

On a real cluster (`dask scheduler` on one machine, `dask worker tcp://HOST:8786` on
each of the others; the workers need only Dask and NumPy, the client array_api_compat):

    python examples/dask_logistic_regression.py --scheduler tcp://HOST:8786 --rows 100_000_000

With --compare-numpy it also fits the same data in memory with the NumPy target's module
and prints both timings.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from logistic_regression import loss  # noqa: E402,F401  (what the module is compiled from)

FEATURES = 8  # as the spec of `loss` declares w: f64[8]
TRUE_W = np.linspace(-1.0, 1.0, FEATURES)
TRUE_B = 0.25
MODULES = HERE.parent / "output"


def load(name: str):
    """An emitted module from output/: the array-API one, or the NumPy target's."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, MODULES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generate(rows: int, chunk: int, seed: int = 0):
    """Features and 0/1 labels of a known logistic model, generated chunk by chunk on the
    workers (nothing is built on the client)."""
    import dask.array as da
    rng = da.random.default_rng(seed)
    X = rng.standard_normal((rows, FEATURES), chunks=(chunk, FEATURES))
    p = 1.0 / (1.0 + da.exp(-(X @ TRUE_W + TRUE_B)))
    y = (rng.random(rows, chunks=chunk) < p).astype(np.int64)
    return X, y


def fit(value_and_grad, X, y, steps: int, rate: float, wrap=lambda w: w, compute=None):
    """Gradient descent: `steps` evaluations of the emitted value_and_grad. `wrap` makes
    the client's weights an array of the data's library; `compute` gathers a result."""
    w, b = np.zeros(FEATURES), 0.0
    compute = compute or (lambda *xs: xs)
    history = []
    for _ in range(steps):
        value, (d_w, d_b) = value_and_grad(wrap(w), b, X, y)
        value, d_w, d_b = compute(value, d_w, d_b)
        history.append(float(value))
        w = w - rate * np.asarray(d_w)
        b = b - rate * float(d_b)
    return w, b, history


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scheduler", help="address of a running dask scheduler "
                        "(default: start a LocalCluster)")
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=6_000_000)
    parser.add_argument("--chunk", type=lambda s: int(s.replace("_", "")), default=250_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="400MB", help="per local worker")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2.0)
    parser.add_argument("--compare-numpy", action="store_true",
                        help="fit the same data in memory with the NumPy target too")
    options = parser.parse_args(argv)

    import dask
    import dask.array as da
    from dask.distributed import Client, LocalCluster

    portable = load("dask_logistic_regression_grad")
    if options.scheduler:
        client = Client(options.scheduler)
    else:
        cluster = LocalCluster(n_workers=options.workers, threads_per_worker=1,
                               memory_limit=options.memory_limit, dashboard_address=":0")
        client = Client(cluster)
    X, y = generate(options.rows, options.chunk)
    size = X.nbytes + y.nbytes
    limits = [w["memory_limit"] for w in client.scheduler_info()["workers"].values()]
    print(f"data: {options.rows:,} rows x {FEATURES} features + labels = {size / 1e6:,.0f} MB "
          f"in {X.numblocks[0]} chunks; {len(limits)} workers, the smallest memory limit "
          f"{min(limits) / 1e6:,.0f} MB")
    start = time.perf_counter()
    w, b, history = fit(portable.value_and_grad, X, y, options.steps, options.rate,
                        wrap=lambda w: da.from_array(w), compute=dask.compute)
    seconds = time.perf_counter() - start
    print(f"dask:  {options.steps} steps in {seconds:.1f} s ({seconds / options.steps:.2f} s a "
          f"step); loss {history[0]:.4f} -> {history[-1]:.4f}")
    print(f"       w = {np.round(w, 2)}, b = {b:.2f} (true w = {np.round(TRUE_W, 2)}, "
          f"b = {TRUE_B})")
    if options.compare_numpy:
        plain = load("logistic_regression_grad")
        # the same data, generated in the client process (no worker could hold it)
        X_np, y_np = dask.compute(X, y, scheduler="threads")
        start = time.perf_counter()
        w_np, b_np, history_np = fit(plain.value_and_grad, X_np, y_np, options.steps,
                                     options.rate)
        seconds_np = time.perf_counter() - start
        print(f"numpy: {options.steps} steps in {seconds_np:.1f} s ({seconds_np / options.steps:.2f}"
              f" s a step) in memory; loss {history_np[0]:.4f} -> {history_np[-1]:.4f}; "
              f"largest weight difference from dask {np.max(np.abs(w_np - w)):.1e}")
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
