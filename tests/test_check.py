"""`bpcompiler check` that can be trusted in CI (issue 15, item 4), and the modules it
can rerun (item 3: `out=` from the API, `pkg.mod:func`, relative imports)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from bpcompiler import compile_grad
from bpcompiler.writer import read_header

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*argv, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "bpcompiler", *argv], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=300)


LOSSES = textwrap.dedent('''
    import numpy as np


    def helper(u):
        return np.tanh(u)


    def unrelated(u):
        return u + 1


    def loss(x: "f64[3]"):
        return np.sum(helper(x) ** 2)
''')


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "losses.py").write_text(LOSSES)
    r = cli("compile", "losses.py:loss", "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return tmp_path


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_comments_and_unrelated_functions_do_not_make_a_module_stale(project):
    src = project / "losses.py"
    edit(src, "import numpy as np\n", "import numpy as np  # arrays\n\n# a comment\n")
    edit(src, "return u + 1", "return u + 2")
    r = cli("check", cwd=project)
    assert r.returncode == 0, r.stdout
    assert "1 module(s) quote source lines that have moved; the code is current" in r.stdout
    r = cli("check", "--update", cwd=project)
    assert r.returncode == 0 and "regenerated" in r.stdout
    assert "line 16: return np.sum" in (project / "output/losses_loss_grad.py").read_text()
    r = cli("check", cwd=project)
    assert r.returncode == 0 and "moved" not in r.stdout


def test_a_change_to_a_reached_function_makes_it_stale(project):
    edit(project / "losses.py", "np.tanh(u)", "np.tanh(u) * 1")
    r = cli("check", cwd=project)
    assert r.returncode == 1 and "output/losses_loss_grad.py: stale" in r.stdout, r.stdout


def forge(project, name, command):
    """A copy of the module whose header records `command` instead."""
    text = (project / "output" / "losses_loss_grad.py").read_text()
    old = read_header(text)["Regenerate"]
    (project / "output" / name).write_text(text.replace(old, command, 1))


def test_sources_outside_the_project_are_not_run(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "evil.py").write_text("open(__file__ + '.ran', 'w').close()\n"
                                     "def loss(x: 'f64[3]'):\n    return x.sum()\n")
    forge(project, "a_abs_grad.py", f"bpcompiler compile {outside / 'evil.py'}:loss -o x.py")
    rel = os.path.relpath(outside / "evil.py", project)
    forge(project, "b_rel_grad.py", f"bpcompiler compile {rel}:loss -o y.py")
    r = cli("check", cwd=project)
    assert r.returncode == 2
    assert r.stdout.count("outside the project root") == 2, r.stdout
    assert "output/losses_loss_grad.py" not in r.stdout  # checked, and current
    assert "2 of 3 generated modules could not be checked" in r.stdout
    assert not (outside / "evil.py.ran").exists()
    r = cli("check", "--allow-outside", cwd=project)
    assert (outside / "evil.py.ran").exists() and "outside the project" not in r.stdout


def test_one_bad_header_is_reported_and_the_rest_are_still_checked(project):
    forge(project, "a_quote_grad.py", "bpcompiler compile 'unclosed")
    forge(project, "b_spec_grad.py", "bpcompiler compile losses.py:loss --arg 'x=float in [., 1]'")
    forge(project, "c_flag_grad.py", "bpcompiler compile losses.py:loss --frobnicate")
    edit(project / "losses.py", "np.tanh(u)", "np.tanh(u) * 1")
    r = cli("check", cwd=project)
    assert r.returncode == 2
    out = r.stdout
    assert "a_quote_grad.py: cannot check: its header's command cannot be split" in out
    assert "b_spec_grad.py: cannot check: regenerating it fails: --arg x=float in [., 1]" in out
    assert "c_flag_grad.py: cannot check: its header's command does not parse " \
           "(bpcompiler: error: unrecognized arguments: --frobnicate)" in out
    assert "losses_loss_grad.py: stale" in out  # checked after the bad ones
    assert "1 of 4 generated modules are stale" in out
    assert "3 of 4 generated modules could not be checked" in out


def test_a_module_compiled_from_the_api_with_out_can_be_checked(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "fns.py").write_text("import numpy as np\n\n\ndef energy(x, k, n):\n"
                                     "    return k * np.sum(x ** n)\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    import fns

    x = np.random.default_rng(1).uniform(0.5, 2.0, size=(2, 3))
    compiled = compile_grad(fns.energy, (x, 1.5, 3), wrt=("x",), out="build/energy_grad.py")
    command = read_header(compiled.source)["Regenerate"]
    assert command == ("bpcompiler compile fns.py:energy -o build/energy_grad.py --wrt x "
                       "--arg 'x=f64[2,3]' --arg k=float --arg n=int "
                       "--args-npz build/energy_grad.args.npz")
    r = cli("check", "build", cwd=tmp_path)
    assert r.returncode == 0 and "1 generated modules are up to date" in r.stdout, r.stdout


PACKAGE = {
    "src/mypkg/__init__.py": "",
    "src/mypkg/helpers.py": "import numpy as np\n\n\ndef square(u):\n    return u * u\n",
    "src/mypkg/model.py": "import numpy as np\n\nfrom .helpers import square\n\n\n"
                          "def loss(w: 'f64[4]'):\n    return np.sum(square(w))\n",
}


@pytest.fixture
def package(tmp_path):
    for name, text in PACKAGE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "pyproject.toml").write_text("[tool.bpcompiler]\noutput = 'grads'\n")
    return tmp_path


def test_a_file_with_relative_imports_compiles_and_checks(package):
    r = cli("compile", "src/mypkg/model.py:loss", cwd=package)
    assert r.returncode == 0, r.stderr
    assert "wrote grads/model_loss_grad.py" in r.stdout
    assert cli("check", cwd=package).returncode == 0
    edit(package / "src/mypkg/helpers.py", "u * u", "u * u * u")
    r = cli("check", cwd=package)
    assert r.returncode == 1 and "grads/model_loss_grad.py: stale" in r.stdout


def test_a_module_target_compiles_and_checks(package):
    r = cli("compile", "mypkg.model:loss", "-o", "grads/m.py", cwd=package)
    assert r.returncode == 0, r.stderr
    assert "mypkg.model:loss" in read_header((package / "grads/m.py").read_text())["Regenerate"]
    r = cli("check", cwd=package)
    assert r.returncode == 0, r.stdout
    r = cli("check", ".", cwd=package / "grads")
    assert r.returncode == 0, r.stdout
    r = cli("compile", "mypkg.nothere:loss", cwd=package)
    assert r.returncode == 1 and "no module named 'mypkg.nothere'" in r.stderr
