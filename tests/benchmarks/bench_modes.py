"""Forward mode and Hessian-vector products against jax.jit (issue 13's benchmark rows):
run by tests/benchmarks/bench.py after its gradient table, or alone:

    python tests/benchmarks/bench_modes.py [--quick] [--only NAME ...]

For each workload it compiles the module with emit=("grad", "jvp", "hvp") and times,
interleaved in one process: the plain forward (the user's function), the emitted `jvp`
and `hvp`, and `jax.jit` of `jax.jvp` and of forward-over-reverse `jax.jvp(jax.grad(f))`.
Each JAX result is checked against bpcompiler's before it is timed. The targets: a JVP
at most 2.5x the forward, an HVP at most 5x, each at least as fast as jax.jit on the
scalar workloads and the MLP at batch 64.
"""

from __future__ import annotations

import inspect
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

TARGET_KEYS = ("seed", "rosen100", "mlp64")  # where jax.jit must be matched
DEFAULT_KEYS = ("seed", "rosen100", "rosenvec10000", "mlp64")


def _directions(w, rng):
    return tuple(float(rng.uniform(-1, 1)) if isinstance(w["args"][i], float) else
                 rng.uniform(-1, 1, np.shape(w["args"][i])) for i in w["wrt"])


def _jax_tools(w, v):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return {}
    jax.config.update("jax_enable_x64", True)
    f = w["generic"](jnp)
    wrt = w["wrt"]

    def of_wrt(args):
        def g(*xs):
            full = list(args)
            for i, x in zip(wrt, xs):
                full[i] = x
            return f(*full)
        return g

    @jax.jit
    def jvp(*args):
        return jax.jvp(of_wrt(args), tuple(args[i] for i in wrt), v)

    @jax.jit
    def hvp(*args):
        g = jax.grad(of_wrt(args), argnums=tuple(range(len(wrt))))
        return jax.jvp(g, tuple(args[i] for i in wrt), v)[1]

    def ready(fn):
        return lambda *args: jax.block_until_ready(fn(*args))
    return {"jax.jit jvp": ready(jvp), "jax.jit hvp": ready(hvp)}


def run(w, repeats, min_seconds):
    from bpcompiler import compile_grad
    from bpcompiler.bench import measure_interleaved
    params = list(inspect.signature(w["fn"]).parameters)
    wrt = tuple(params[i] for i in w["wrt"])
    module = compile_grad(w["fn"], w["args"], wrt=wrt, emit=("grad", "jvp", "hvp")).module
    args = w["args"]
    v = _directions(w, np.random.default_rng(0))
    tools = {"forward": w["fn"], "jvp": lambda *a: module.jvp(*a, v),
             "hvp": lambda *a: module.hvp(*a, v)}
    _, tangent = module.jvp(*args, v)
    hv = module.hvp(*args, v)
    for name, fn in _jax_tools(w, v).items():
        got = fn(*args)
        want = (module.forward(*args), tangent) if "jvp" in name else hv
        if not _close(got, want):
            print(f"  {name}: disagrees with bpcompiler, not timed", flush=True)
            continue
        tools[name] = fn
    times = measure_interleaved(tools, args, repeats, min_seconds)
    return dict(w=w, times=times)


def _close(got, want) -> bool:
    flat_got = [np.asarray(x, np.float64) for x in _leaves(got)]
    flat_want = [np.asarray(x, np.float64) for x in _leaves(want)]
    return len(flat_got) == len(flat_want) and all(
        a.shape == b.shape and np.allclose(a, b, rtol=1e-8, atol=1e-10)
        for a, b in zip(flat_got, flat_want))


def _leaves(value):
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def markdown(results) -> str:
    from bpcompiler.bench import format_seconds
    lines = ["| workload | forward | jvp | jvp / forward | jax.jit jvp | hvp | "
             "hvp / forward | jax.jit hvp |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        t = r["times"]
        cells = [r["w"]["name"], format_seconds(t["forward"]), format_seconds(t["jvp"]),
                 f"{t['jvp'] / t['forward']:.2f}x",
                 format_seconds(t["jax.jit jvp"]) if "jax.jit jvp" in t else "n/a",
                 format_seconds(t["hvp"]), f"{t['hvp'] / t['forward']:.2f}x",
                 format_seconds(t["jax.jit hvp"]) if "jax.jit hvp" in t else "n/a"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(results) -> str:
    rows = []
    for r in results:
        t, key, name = r["times"], r["w"]["key"], r["w"]["name"]
        jvp, hvp = t["jvp"] / t["forward"], t["hvp"] / t["forward"]
        rows.append(f"- {'met' if jvp <= 2.5 else '**not met**'}: JVP at most 2.5x the "
                    f"forward, {name}: {jvp:.2f}x")
        rows.append(f"- {'met' if hvp <= 5 else '**not met**'}: HVP at most 5x the "
                    f"forward, {name}: {hvp:.2f}x")
        if key in TARGET_KEYS:
            for kind in ("jvp", "hvp"):
                other = t.get(f"jax.jit {kind}")
                if other is None:
                    rows.append(f"- not measured (JAX missing): {kind} vs jax.jit, {name}")
                    continue
                rows.append(f"- {'met' if t[kind] <= other else '**not met**'}: {kind} at "
                            f"least as fast as jax.jit, {name}: {t[kind] / other:.2f}x "
                            "its time")
    return "\n".join(["Issue 13's targets, checked against this run:", ""] + rows)


def derivative_table(workloads: dict, keys, repeats: int, min_seconds: float) -> str:
    results = []
    for key in keys or DEFAULT_KEYS:
        if key not in workloads or key == "chain2000":
            continue
        print(f"\n## {key}: jvp and hvp", flush=True)
        results.append(run(workloads[key](), repeats, min_seconds))
    return "JVPs and HVPs (forward over reverse):\n\n" + markdown(results) + "\n\n" + \
        targets(results)


if __name__ == "__main__":
    import argparse
    import bench  # NOTE: pins the process to one core on import, as for the main table
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(bench.WORKLOADS))
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    print(derivative_table(bench.WORKLOADS, options.only, 3 if options.quick else 7,
                           0.02 if options.quick else 0.1))
