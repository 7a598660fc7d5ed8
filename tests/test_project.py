"""bpcompiler inside an existing project (issue 15, item 3): `[tool.bpcompiler]` in
pyproject.toml, and the pre-commit hook."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*argv, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "bpcompiler", *argv], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=300)


PYPROJECT = """
[project]
name = "theirs"

[tool.bpcompiler]
output = "src/theirs/grads"
quiet = true

[tool.bpcompiler.specs]
W = "f64[4,3]"
X = "f64[5,3] data"
"""

MODEL = """import numpy as np


def loss(W, X, scale: "float data"):
    return scale * np.sum(np.tanh(X @ W.T) ** 2)
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "model.py").write_text(MODEL)
    return tmp_path


def test_the_config_sets_the_output_directory_specs_and_flags(project):
    r = cli("compile", "model.py:loss", cwd=project)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""  # quiet = true
    module = project / "src/theirs/grads/model_loss_grad.py"
    text = module.read_text()
    assert 'WRT = ("W",)' in text  # X is data by its configured spec, scale by annotation
    assert "def forward(\n    W: npt.NDArray[np.float64],\n    X: npt.NDArray[np.float64],\n" \
        "    scale: float,\n)" in text
    r = cli("compile", "model.py:loss", "-v", "-o", "other.py", cwd=project)
    assert r.returncode == 0 and "wrote other.py" in r.stdout and "trace..." in r.stderr
    r = cli("check", cwd=project)  # the configured output directory by default
    assert r.returncode == 0 and "1 generated modules are up to date" in r.stdout, r.stdout
    (project / "pyproject.toml").write_text(PYPROJECT.replace("f64[5,3] data", "f64[5,3]"))
    r = cli("check", cwd=project)
    assert r.returncode == 1 and "model_loss_grad.py: stale" in r.stdout


def test_the_config_is_found_from_a_subdirectory(project):
    (project / "sub").mkdir()
    r = cli("compile", "../model.py:loss", cwd=project / "sub")
    assert r.returncode == 0, r.stderr
    assert (project / "src/theirs/grads/model_loss_grad.py").exists()


def test_an_argument_overrides_the_configured_spec(project):
    r = cli("compile", "model.py:loss", "--arg", "X=f64[5,3]", "-o", "w.py", cwd=project)
    assert r.returncode == 0, r.stderr
    assert 'WRT = ("W", "X")' in (project / "w.py").read_text()


def test_the_hook_file_runs_check():
    yaml = pytest.importorskip("yaml")

    with open(os.path.join(ROOT, ".pre-commit-hooks.yaml"), encoding="utf-8") as f:
        hooks = yaml.safe_load(f)
    (hook,) = hooks
    assert hook["id"] == "bpcompiler-check" and hook["entry"] == "bpcompiler check"
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        assert "id: bpcompiler-check" in f.read()


def _git(*argv, cwd):
    subprocess.run(["git", *argv], cwd=cwd, check=True, capture_output=True,
                   env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                            GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t"))


@pytest.mark.slow
def test_pre_commit_passes_on_fresh_modules_and_fails_on_a_stale_one(project, tmp_path_factory):
    """In a throwaway repository, the hook as pre-commit installs it (from a clone of
    this checkout, into its own environment: this needs the package index)."""
    if shutil.which("pre-commit") is None:
        pytest.skip("pre-commit is not installed")
    hooks = tmp_path_factory.mktemp("hookrepo")
    for name in ("bpcompiler", "pyproject.toml", "README.md", ".pre-commit-hooks.yaml",
                 "LICENSE"):
        source = os.path.join(ROOT, name)
        if os.path.isdir(source):
            shutil.copytree(source, hooks / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif os.path.exists(source):
            shutil.copy(source, hooks / name)
    _git("init", "-q", cwd=hooks)
    _git("add", "-A", cwd=hooks)
    _git("commit", "-qm", "hooks", cwd=hooks)
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hooks, capture_output=True,
                         text=True, check=True).stdout.strip()
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks}\n    rev: {rev}\n    hooks:\n      - id: bpcompiler-check\n")
    assert cli("compile", "model.py:loss", cwd=project).returncode == 0
    _git("init", "-q", cwd=project)
    _git("add", "-A", cwd=project)
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("cache")))
    env.pop("PYTHONPATH", None)

    def run():
        return subprocess.run(["pre-commit", "run", "--all-files"], cwd=project, env=env,
                              capture_output=True, text=True, timeout=1200)

    r = run()
    if r.returncode != 0 and "An unexpected error has occurred" in r.stdout + r.stderr:
        if os.environ.get("CI"):
            pytest.fail(r.stdout + r.stderr)
        pytest.skip("pre-commit could not install the hook (offline?)")
    assert r.returncode == 0, r.stdout + r.stderr
    (project / "model.py").write_text(MODEL.replace("** 2", "** 3"))
    r = run()
    assert r.returncode == 1 and "model_loss_grad.py: stale" in r.stdout, r.stdout
