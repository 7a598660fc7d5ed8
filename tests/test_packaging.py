"""Packaging (issue 15, item 8): the licence and metadata, and an sdist that carries what
its tests need and passes them, built and run offline."""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIP = shutil.ignore_patterns("__pycache__", "*.egg-info", ".git", "build", "dist",
                              ".hypothesis", ".pytest_cache", "*.pyc")


@pytest.fixture(scope="module")
def sdist(tmp_path_factory):
    """The sdist built from a copy of this tree with the installed setuptools (no index)."""
    pytest.importorskip("setuptools", minversion="77")
    tree = tmp_path_factory.mktemp("tree") / "bpcompiler"
    shutil.copytree(ROOT, tree, ignore=SKIP)
    dist = tmp_path_factory.mktemp("dist")
    env = dict(os.environ, PIP_NO_INDEX="1")
    r = subprocess.run([sys.executable, "-c", "import sys; from setuptools import build_meta; "
                        "print(build_meta.build_sdist(sys.argv[1]))", str(dist)],
                       cwd=tree, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return dist / r.stdout.strip().splitlines()[-1]


def test_the_sdist_holds_what_its_tests_need(sdist):
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
        info = email.message_from_bytes(tar.extractfile(f"{sdist.name[:-7]}/PKG-INFO").read())
    for needed in ("LICENSE", "README.md", "pyproject.toml", ".pre-commit-hooks.yaml",
                   "bpcompiler/py.typed", "tests/conftest.py", "tests/support/opcases.py",
                   "tests/fuzz/programs.py", "examples/seed_network.py",
                   "examples/regenerate.sh", "output/seed_network_grad.py",
                   "output/seed_network_graph.svg"):
        assert needed in names, needed
    assert not any("__pycache__" in n for n in names)
    assert info["License-Expression"] == "MIT"
    assert "Typing :: Typed" in info.get_all("Classifier")
    assert any(r.startswith("black>=24.1") for r in info.get_all("Requires-Dist"))


@pytest.mark.slow
def test_the_sdist_passes_its_own_tests_offline(sdist, tmp_path):
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path, filter="data")
    (unpacked,) = tmp_path.iterdir()
    env = dict(os.environ, PYTHONPATH=str(unpacked), PIP_NO_INDEX="1")
    r = subprocess.run([sys.executable, "-m", "pytest", "-x", "-p", "no:cacheprovider"],
                       cwd=unpacked, env=env, capture_output=True, text=True, timeout=3000)
    assert r.returncode == 0, r.stdout[-5000:] + r.stderr[-2000:]
