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


def test_readme_excerpt_is_the_emitted_seed_module():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    section = readme.split("## A look at the emitted code")[1]
    excerpt = section.split("```python\n")[1].split("```")[0]
    with open(os.path.join(ROOT, "output", "seed_network_grad.py"), encoding="utf-8") as f:
        assert excerpt in f.read()
