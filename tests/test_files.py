"""Atomic writes leave either the old file or the new one, never a part."""

from __future__ import annotations

import os
import stat

import pytest

from initlab.core.errors import InitlabError
from initlab.core.files import atomic_write_text, ensure_dir


def test_atomic_write_replaces_and_uses_normal_permissions(tmp_path):
    p = tmp_path / "r.json"
    p.write_text("old")
    atomic_write_text(p, "new")
    assert p.read_text() == "new"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask
    assert [q.name for q in tmp_path.iterdir()] == ["r.json"]


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    p = tmp_path / "r.json"
    p.write_text("old")

    def fail(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(InitlabError, match=r"cannot write '.*r\.json': No space left on device"):
        atomic_write_text(p, "new")
    assert p.read_text() == "old"
    assert [q.name for q in tmp_path.iterdir()] == ["r.json"]


def test_ensure_dir_names_the_bad_folder(tmp_path):
    f = tmp_path / "f"
    f.write_text("")
    with pytest.raises(InitlabError, match="cannot create output folder"):
        ensure_dir(f / "sub")
