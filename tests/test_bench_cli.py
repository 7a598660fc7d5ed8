"""`bpcompiler bench FILE.py:FUNC` compiles the function and reports what its gradient
costs relative to it (the numbers themselves are the machine's business)."""

from __future__ import annotations

import os

from bpcompiler.bench import measure, peak_memory
from bpcompiler.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_bench_command_reports_ratios(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["bench", "examples/seed_network.py:seed_network", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    for label in ("your function", "emitted forward", "emitted value_and_grad",
                  "the gradient costs"):
        assert label in out, out


def test_bench_command_reports_compile_errors(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["bench", "examples/no_such_file.py:f"]) == 1
    assert "no such file" in capsys.readouterr().err


def test_measure_and_peak_memory():
    calls = []
    t = measure(lambda: calls.append(1), (), repeats=3, min_seconds=0.001)
    assert t.seconds > 0 and t.repeats == 3 and len(calls) >= 3 * t.number
    assert peak_memory(lambda: bytearray(1 << 20), ()) >= 1 << 20
