"""The committed generated modules under output/ are exactly what the compiler emits."""

from __future__ import annotations

import glob
import os

import pytest

from bpcompiler.cli import main
from bpcompiler.writer import is_generated

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = sorted(p for p in glob.glob(os.path.join(ROOT, "output", "*.py")) if is_generated(p))


def test_output_holds_generated_modules():
    names = {os.path.basename(p) for p in MODULES}
    assert {"seed_network_grad.py", "mlp_grad.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=os.path.basename)
def test_committed_module_is_current(path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)  # headers record paths relative to the repository
    status = main(["check", os.path.relpath(path, ROOT)])
    assert status == 0, capsys.readouterr().out
