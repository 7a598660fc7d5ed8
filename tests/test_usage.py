"""Usage errors for usage mistakes (issue 15, item 7), and code that exits or is
interrupted while bpcompiler runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*argv, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "bpcompiler", *argv], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=300)


def one_line(r) -> str:
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


@pytest.fixture
def src(tmp_path):
    (tmp_path / "m.py").write_text("import numpy as np\n\n\ndef f(x, n):\n"
                                   "    return np.sum(x * x) * n\n")
    return tmp_path


@pytest.mark.parametrize("spec, says", [
    ("x=float in [., 1]", "cannot read the range"),
    ("x=f64[3] in [1, 1e999]", "empty or not finite"),
    ("n=int in [5, 3]", "empty"),
    ("n=int in [0.2, 0.7]", "holds no integer"),
    ("x=f64[100000,100000]", "too many for an example"),
    ("x=f64[3", "cannot read the argument spec"),
])
def test_malformed_specs_are_usage_errors(src, spec, says):
    r = cli("compile", "m.py:f", "--arg", spec, cwd=src)
    assert r.returncode == 2 and says in one_line(r)
    assert "internal error" not in r.stderr


def test_a_malformed_spec_in_an_annotation_is_a_usage_error_naming_the_line(tmp_path):
    (tmp_path / "a.py").write_text('\n\ndef f(x: "f64[3] in [2, 1]"):\n    return x.sum()\n')
    r = cli("compile", "a.py:f", cwd=tmp_path)
    assert r.returncode == 2 and "a.py:3:" in one_line(r) and "smaller bound first" in r.stderr


def test_verbose_and_quiet_exclude_each_other(src):
    r = cli("compile", "m.py:f", "-v", "-q", cwd=src)
    assert r.returncode == 2 and "not allowed with argument" in r.stderr


EXITS = {
    "import": "import sys\nsys.exit(3)\n\ndef f(x):\n    return x * x\n",
    "call": "import sys\n\ndef f(x):\n    y = x * x\n    sys.exit('bye')\n    return y\n",
    "interrupt": "def f(x):\n    y = x * x\n    raise KeyboardInterrupt\n",
}


def test_sys_exit_at_import_is_reported_with_its_line(tmp_path):
    (tmp_path / "e.py").write_text(EXITS["import"])
    r = cli("compile", "e.py:f", cwd=tmp_path)
    assert r.returncode == 1
    line = one_line(r)
    assert "SourceError: e.py:2:" in line and "sys.exit(3)" in line and "__main__" in line


def test_sys_exit_in_the_function_is_reported_with_its_line(tmp_path):
    (tmp_path / "e.py").write_text(EXITS["call"])
    r = cli("compile", "e.py:f", cwd=tmp_path)
    assert r.returncode == 1
    line = one_line(r)
    assert "e.py:5:" in line and "sys.exit('bye')" in line


def test_keyboard_interrupt_from_user_code_says_where(tmp_path):
    (tmp_path / "e.py").write_text(EXITS["interrupt"])
    r = cli("compile", "e.py:f", cwd=tmp_path)
    assert r.returncode == 130
    assert one_line(r) == "bpcompiler: interrupted in e.py:3"


def test_a_malformed_pyproject_setting_is_a_usage_error(src):
    (src / "pyproject.toml").write_text('[tool.bpcompiler]\noutptu = "x"\n')
    r = cli("compile", "m.py:f", cwd=src)
    assert r.returncode == 2 and "has no setting 'outptu'" in one_line(r)
    (src / "pyproject.toml").write_text('[tool.bpcompiler]\nquiet = "yes"\n')
    r = cli("compile", "m.py:f", cwd=src)
    assert r.returncode == 2 and "quiet must be a bool" in one_line(r)
    (src / "pyproject.toml").write_text('[tool.bpcompiler\n')
    r = cli("compile", "m.py:f", cwd=src)
    assert r.returncode == 2 and "cannot read" in one_line(r)


def test_an_npz_that_is_not_a_file_is_a_usage_error(src):
    os.mkfifo(src / "args.npz")
    r = cli("compile", "m.py:f", "--args-npz", "args.npz", cwd=src)
    assert r.returncode == 2 and "not a regular file" in one_line(r)


def test_a_png_too_large_is_a_usage_error_not_a_crash(tmp_path):
    pytest.importorskip("PIL")
    (tmp_path / "wide.py").write_text(textwrap.dedent("""
        import math

        def f(""" + ", ".join(f"a{i}" for i in range(150)) + """):
            return """ + " + ".join(f"math.sin(a{i})" for i in range(150)) + """
    """))
    r = cli("graph", "wide.py:f", "-o", "w.png", "--max-nodes", "100000", "--layout",
            "builtin", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "too large for a PNG" in one_line(r) and not (tmp_path / "w.png").exists()
