"""Files as the user's tools expect (issue 15, item 2): modes under the umask, writes
through symlinks, special files refused, bounded reads, the function's own source never
overwritten, and `graph` replacing only pictures it drew."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from bpcompiler import OutputFileError, compile_grad
from bpcompiler.writer import MARKER, read_text, write_atomically

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*argv, cwd, umask=None):
    env = dict(os.environ, PYTHONPATH=ROOT)
    pre = (lambda: os.umask(umask)) if umask is not None else None
    return subprocess.run([sys.executable, "-m", "bpcompiler", *argv], cwd=cwd,
                          capture_output=True, text=True, env=env, preexec_fn=pre, timeout=300)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


SOURCE = textwrap.dedent("""
    import numpy as np

    def f(x: "f64[3]"):
        return np.sum(x * x)
""")


@pytest.fixture
def src(tmp_path):
    (tmp_path / "m.py").write_text(SOURCE)
    return tmp_path


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_new_modules_get_the_mode_the_umask_gives(src, umask, expected):
    r = cli("compile", "m.py:f", "-o", "out.py", "-q", cwd=src, umask=umask)
    assert r.returncode == 0, r.stderr
    assert mode(src / "out.py") == expected


def test_check_update_and_ops_update_readme_keep_the_mode(src):
    assert cli("compile", "m.py:f", "-o", "out.py", "-q", cwd=src).returncode == 0
    os.chmod(src / "out.py", 0o640)
    (src / "m.py").write_text(SOURCE.replace("x * x", "x * x * 2.0"))
    r = cli("check", "--update", "out.py", cwd=src, umask=0o077)
    assert r.returncode == 0 and "regenerated" in r.stdout, r.stdout
    assert mode(src / "out.py") == 0o640
    readme = src / "README.md"
    readme.write_text("# x\n<!-- ops:start -->\nold\n<!-- ops:end -->\n")
    os.chmod(readme, 0o644)
    r = cli("ops", "--update-readme", "README.md", cwd=src, umask=0o077)
    assert r.returncode == 0, r.stderr
    assert mode(readme) == 0o644 and "| op |" in readme.read_text()


def test_writing_through_a_symlink_writes_its_target(src):
    (src / "real").mkdir()
    target = src / "real" / "out.py"
    target.write_text(f"{MARKER} 0.0\nold\n")
    os.symlink(target, src / "link.py")
    r = cli("compile", "m.py:f", "-o", "link.py", "-q", cwd=src)
    assert r.returncode == 0, r.stderr
    assert (src / "link.py").is_symlink()
    assert "def value_and_grad" in target.read_text()


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/null"])
def test_devices_are_refused_as_outputs(src, special):
    r = cli("compile", "m.py:f", "-o", special, "--force", cwd=src)
    assert r.returncode == 1 and "not a regular file" in r.stderr, r.stderr


def test_a_fifo_is_refused_without_hanging(src):
    os.mkfifo(src / "pipe.py")
    r = cli("compile", "m.py:f", "-o", "pipe.py", "--force", cwd=src)
    assert r.returncode == 1 and "not a regular file" in r.stderr
    r = cli("check", "pipe.py", cwd=src)  # must not open it
    assert r.returncode == 2 and "not a regular file" in r.stderr
    r = cli("check", ".", cwd=src)  # found by the walk: skipped, not read
    assert r.returncode == 0 and "no generated modules" in r.stdout
    r = cli("ops", "--check-readme", "pipe.py", cwd=src)
    assert r.returncode == 2 and "not a regular file" in r.stderr


def test_reads_are_bounded(tmp_path):
    big = tmp_path / "big.py"
    big.write_text(MARKER + "\n" + "#" * 2000)
    with pytest.raises(OutputFileError, match="more than bpcompiler reads"):
        read_text(str(big), limit=1000)
    assert read_text(str(big), limit=5000).startswith(MARKER)


def test_the_functions_own_source_is_never_overwritten(src):
    before = (src / "m.py").read_text()
    for extra in ([], ["--force"]):
        r = cli("compile", "m.py:f", "-o", "m.py", *extra, cwd=src)
        assert r.returncode == 1 and "never overwrites it" in r.stderr, r.stderr
        r = cli("graph", "m.py:f", "-o", "m.py.svg", *extra, cwd=src)  # another name: fine
        assert r.returncode == 0, r.stderr
    os.symlink(src / "m.py", src / "alias.py")
    r = cli("compile", "m.py:f", "-o", "alias.py", "--force", cwd=src)
    assert r.returncode == 1 and "never overwrites it" in r.stderr
    assert (src / "m.py").read_text() == before


def test_the_api_never_overwrites_the_source_either(tmp_path):
    path = tmp_path / "user_fn.py"
    path.write_text("import numpy as np\n\ndef g(x):\n    return np.sum(x * x)\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import user_fn
    finally:
        sys.path.remove(str(tmp_path))
    with pytest.raises(OutputFileError, match="source file being compiled"):
        compile_grad(user_fn.g, (np.ones(2),), out=str(path), force=True)
    assert "def g" in path.read_text()


def test_graph_refuses_a_picture_it_did_not_draw(src):
    (src / "mine.svg").write_text("<svg>hand-made</svg>\n")
    r = cli("graph", "m.py:f", "-o", "mine.svg", cwd=src)
    assert r.returncode == 1 and "not generated by bpcompiler" in r.stderr
    assert (src / "mine.svg").read_text() == "<svg>hand-made</svg>\n"
    for kind in ("svg", "dot", "png"):
        if kind == "png":
            pytest.importorskip("PIL")
        first = cli("graph", "m.py:f", "-o", f"g.{kind}", "--layout", "builtin", cwd=src)
        again = cli("graph", "m.py:f", "-o", f"g.{kind}", "--layout", "builtin", cwd=src)
        assert first.returncode == 0 and again.returncode == 0, (kind, again.stderr)
        assert mode(src / f"g.{kind}") == 0o666 & ~_umask()
    r = cli("graph", "m.py:f", "-o", "mine.svg", "--force", cwd=src)
    assert r.returncode == 0 and "Generated by bpcompiler" in (src / "mine.svg").read_text()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_write_atomically_keeps_an_existing_mode_and_writes_bytes(tmp_path):
    path = tmp_path / "a.py"
    path.write_text(f"{MARKER}\n")
    os.chmod(path, 0o751)
    write_atomically(str(path), f"{MARKER}\nnew\n")
    assert mode(path) == 0o751 and path.read_text().endswith("new\n")
    write_atomically(str(tmp_path / "b.bin"), b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
