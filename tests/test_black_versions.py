"""black as a neighbour (issue 15, item 1): bpcompiler supports every black release from
24.1 on, so a project that pins its own black can install it.

The committed modules must read the same under each: `format.py` writes the blank lines
every release agrees on, and `check` treats a difference that is only formatting as
current. The suite runs under the installed (newest) black, and the last test here
reruns the golden and `check` tests under the oldest supported release in a virtual
environment (about 20 s; it skips without the package index).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OLDEST_BLACK = "24.1.0"


def test_the_dependency_admits_every_black_since_24_1():
    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        deps = tomllib.load(f)["project"]["dependencies"]
    assert [d for d in deps if d.startswith("black")] == [f"black>={OLDEST_BLACK[:4]}"]


def test_a_formatting_only_difference_is_current_and_names_black(tmp_path):
    shutil.copytree(os.path.join(ROOT, "examples"), tmp_path / "examples")
    (tmp_path / "output").mkdir()
    text = open(os.path.join(ROOT, "output", "mlp_grad.py"), encoding="utf-8").read()
    # What black 24 and 25 write after the imports when given two blank lines.
    restyled = text.replace("\n\nWRT = ", "\n\n\nWRT = ", 1)
    assert restyled != text
    (tmp_path / "output" / "mlp_grad.py").write_text(restyled)
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, "-m", "bpcompiler", "check"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    import black

    assert r.returncode == 0, r.stdout
    assert f"differ only in formatting: formatted by another black release than this one " \
           f"(black {black.__version__})" in r.stdout


def test_a_code_difference_is_still_stale_whatever_the_formatting():
    from bpcompiler.check import compare

    text = open(os.path.join(ROOT, "output", "mlp_grad.py"), encoding="utf-8").read()
    assert compare(text, text.replace("\n\nWRT = ", "\n\n\nWRT = ", 1)) == "restyled"
    assert compare(text, text.replace("np.tanh", "np.sinh", 1)) == "stale"


# NOTE: in the default suite (about 20 s: a venv with black 24.1.0), so that CI, which
# runs exactly the README's test command, covers the oldest black as well as the newest.
def test_golden_and_check_tests_pass_under_the_oldest_supported_black(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True, timeout=300)
    python = str(venv / "bin" / "python")
    install = subprocess.run([python, "-m", "pip", "install", "-q", f"black=={OLDEST_BLACK}"],
                             capture_output=True, text=True, timeout=600)
    if install.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot install black {OLDEST_BLACK}: {install.stderr[-2000:]}")
        pytest.skip(f"cannot install black {OLDEST_BLACK} (offline?)")
    version = subprocess.run([python, "-c", "import black; print(black.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == OLDEST_BLACK
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "tests/test_golden.py", "tests/test_check.py", "tests/test_format.py"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stdout[-5000:] + r.stderr[-2000:]
