"""Crash-safe writes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gitml.core.atomic import is_temp, temp_name, write_bytes, write_text


def test_temp_names_are_unique_hidden_and_recognised(tmp_path: Path) -> None:
    target = tmp_path / "raw.gitml"
    a, b = temp_name(target), temp_name(target)
    assert a != b
    assert a.parent == tmp_path
    assert a.name.startswith(".raw.gitml.")
    assert is_temp(a.name) and is_temp(b.name)
    assert not is_temp("raw.gitml")
    assert not is_temp(".gitignore")


def test_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("old")
    write_text(target, "new é")
    assert target.read_text(encoding="utf-8") == "new é"
    write_bytes(target, b"\x00" * 10, 0o600, fsync=False)
    assert target.read_bytes() == b"\x00" * 10
    assert os.listdir(tmp_path) == ["f"]


def test_new_file_mode(tmp_path: Path) -> None:
    write_bytes(tmp_path / "f", b"x", 0o640)
    assert stat.S_IMODE(os.stat(tmp_path / "f").st_mode) == 0o640 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("old")
    (tmp_path / "blocker").mkdir()
    with pytest.raises(IsADirectoryError):
        write_text(tmp_path / "blocker", "x")  # os.replace onto a folder fails
    assert target.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["blocker", "f"]
