"""README truth (issue 15, item 9): what the README shows is what the code does."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from bpcompiler import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme() -> str:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        return f.read()


def test_the_sample_report_is_what_compile_prints(tmp_path):
    sample = readme().split("$ bpcompiler compile examples/seed_network.py:seed_network "
                            "-o output/seed_network_grad.py\n")[1].split("```")[0]
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, "-m", "bpcompiler", "compile",
                        "examples/seed_network.py:seed_network", "-o",
                        str(tmp_path / "seed_network_grad.py")], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    real, shown = r.stdout.splitlines(), sample.splitlines()
    assert real[:3] == shown[:3]  # sizes, optimisation, verification: no timings
    phases = lambda line: re.findall(r"(\w+) [\d.]+ ms", line)  # noqa: E731
    assert phases(real[3]) == phases(shown[3])


def test_the_ops_table_keeps_a_spelling_with_a_comma_whole():
    assert "| maximum | `max()`, `max(a, b)`, `np.maximum` | yes |" in readme()


def test_the_exit_statuses_are_documented_alike():
    for text in (cli.__doc__, readme().split("## Command line reference")[1][:2500]):
        for status in ("0", "1", "2", "130"):
            assert re.search(rf"\b{status}\b", text), (status, text[:200])
    assert "-v | -q" in cli.__doc__ and "`-v` and `-q` exclude each other" in readme()


def test_the_readme_explains_use_in_an_existing_project():
    section = readme().split("## Using bpcompiler in an existing project")[1].split("\n## ")[0]
    for needed in ("[tool.bpcompiler]", "id: bpcompiler-check", "umask", "--allow-outside",
                   "pkg.module:func", "out=", "black"):
        assert needed in section, needed
