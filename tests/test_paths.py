"""Paths in headers, comments and errors are relative to the working directory of the
moment, not of the first call (display_path used to cache across a chdir)."""

from __future__ import annotations

import os

from bpcompiler.paths import display_path


def test_display_path_follows_the_working_directory(tmp_path, monkeypatch):
    inner = tmp_path / "pkg"
    inner.mkdir()
    path = str(inner / "f.py")
    monkeypatch.chdir(tmp_path)
    assert display_path(path) == os.path.join("pkg", "f.py")
    monkeypatch.chdir(inner)
    assert display_path(path) == "f.py"
    monkeypatch.chdir(tmp_path.parent)
    assert display_path(path) == os.path.join(tmp_path.name, "pkg", "f.py")
    assert display_path("/elsewhere/g.py") == "/elsewhere/g.py"
    assert display_path(None) is None
