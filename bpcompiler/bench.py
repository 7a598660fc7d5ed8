"""What a gradient costs: timing helpers and the `bpcompiler bench FILE.py:FUNC` command.

`measure(fn, args)` is the one timer the command and tests/benchmarks/bench.py share:
the median over several repeats of the mean time per call, each repeat long enough
(about `min_seconds`) that the clock's resolution does not matter. Ratios between
numbers measured in one process are what mean something; absolute times vary with the
machine and its load.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from dataclasses import dataclass


@dataclass
class Timing:
    seconds: float  # median time per call
    repeats: int
    number: int  # calls per repeat


def measure(fn, args, repeats: int = 5, min_seconds: float = 0.05) -> Timing:
    """Median seconds per call of `fn(*args)`."""
    number = 1
    while True:  # calibrate: enough calls that one repeat takes min_seconds
        start = time.perf_counter()
        for _ in range(number):
            fn(*args)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds or number >= 1 << 20:
            break
        number *= 2 if elapsed > min_seconds / 10 else 10
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn(*args)
        samples.append((time.perf_counter() - start) / number)
    return Timing(statistics.median(samples), repeats, number)


def measure_interleaved(callables: dict, args, repeats: int = 7,
                        min_seconds: float = 0.05) -> dict:
    """Median seconds per call of each callable, the repeats taken in turn (A B C A B C
    ...), so that a change in the machine's load hits every callable alike."""
    numbers = {name: _calibrate(fn, args, min_seconds) for name, fn in callables.items()}
    samples = {name: [] for name in callables}
    for _ in range(repeats):
        for name, fn in callables.items():
            number = numbers[name]
            start = time.perf_counter()
            for _ in range(number):
                fn(*args)
            samples[name].append((time.perf_counter() - start) / number)
    return {name: statistics.median(s) for name, s in samples.items()}


def _calibrate(fn, args, min_seconds: float) -> int:
    """Calls per repeat: enough that one repeat takes about `min_seconds`."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn(*args)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds or number >= 1 << 20:
            return number
        number *= 2 if elapsed > min_seconds / 10 else 10


def peak_memory(fn, args) -> int:
    """Peak bytes allocated (Python objects and NumPy buffers) during one call."""
    fn(*args)  # warm caches first so only the call's own allocations count
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn(*args)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def format_seconds(s: float) -> str:
    if s < 1e-6:
        return f"{s * 1e9:.0f} ns"
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def format_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def bench_function(fn, args, wrt=None, repeats: int = 5) -> dict:
    """Compile `fn` and time it against its own emitted gradient."""
    from .api import compile_grad

    start = time.perf_counter()
    compiled = compile_grad(fn, args, wrt=wrt)
    compile_seconds = time.perf_counter() - start
    m = compiled.module
    times = measure_interleaved({"function": fn, "forward": m.forward,
                                 "value_and_grad": m.value_and_grad}, args, repeats)
    return {
        "compile": compile_seconds,
        **times,
        "peak_function": peak_memory(fn, args),
        "peak_value_and_grad": peak_memory(m.value_and_grad, args),
        "report": compiled.report,
    }


def cmd_bench(options) -> int:
    """`bpcompiler bench FILE.py:FUNC`: what the gradient costs relative to the forward."""
    from .errors import UsageError
    from .sources import load_function
    from .specs import example_args, specs_for

    overrides = {}
    for item in options.arg or []:
        name, sep, spec = item.partition("=")
        if not sep:
            raise UsageError(f"--arg expects NAME=SPEC, got {item!r}")
        overrides[name.strip()] = spec.strip()
    fn = load_function(options.target)
    args = example_args(specs_for(fn, overrides))
    wrt = tuple(w.strip() for w in options.wrt.split(",")) if options.wrt else None
    r = bench_function(fn, args, wrt, repeats=options.repeats)
    base = r["function"]
    print(f"{options.target}: medians of {options.repeats} interleaved runs, one process")
    print(f"  compile (trace to verified module) {format_seconds(r['compile'])}")
    rows = [("your function", r["function"], r["peak_function"]),
            ("emitted forward", r["forward"], None),
            ("emitted value_and_grad", r["value_and_grad"], r["peak_value_and_grad"])]
    for label, seconds, peak in rows:
        memory = f"   peak {format_bytes(peak)}" if peak is not None else ""
        print(f"  {label:<24}{format_seconds(seconds):>12}   {seconds / base:5.2f}x{memory}")
    print(f"  the gradient costs {r['value_and_grad'] / base:.2f}x your function's time "
          "(reverse mode promises a small constant)")
    return 0


def add_parser(sub) -> None:
    """Register `bench` on the CLI's subparsers (cli.py calls this)."""
    import argparse
    b = sub.add_parser("bench", help="time FILE.py:FUNC's compiled gradient against it")
    b.add_argument("target", metavar="FILE.py:FUNC")
    b.add_argument("--wrt", help="comma-separated parameters to differentiate")
    b.add_argument("--arg", action="append", metavar="NAME=SPEC",
                   help="example-argument spec, as for compile")
    b.add_argument("--repeats", type=int, default=7, help="timed repeats (default 7)")
    b.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
    b.set_defaults(run=cmd_bench)
