"""Validated documents kept in the state index: served while unchanged, never stale."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from gitml.core.schema import load_validated
from gitml.core.state import StateIndex
from gitml.errors import InvalidFile

POINTER = "version: 1\npath: a\nhash: xxh128:{h}\nsize: 1\n"


def _write_old(path: Path, text: str) -> None:
    path.write_text(text)
    old = time.time_ns() - 10_000_000_000  # well outside the racy window
    os.utime(path, ns=(old, old))


def test_an_unchanged_file_is_served_from_the_index(tmp_path: Path) -> None:
    state = StateIndex(tmp_path / "state")
    path = tmp_path / "a.gitml"
    _write_old(path, POINTER.format(h="0" * 32))
    first = load_validated(path, "pointer", "a.gitml", state)
    st = path.stat()
    key = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    assert state.parsed_get("a.gitml", f"pointer@{__import__('gitml').__version__}", key)
    assert load_validated(path, "pointer", "a.gitml", state) == first


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(tmp_path: Path) -> None:
    state = StateIndex(tmp_path / "state")
    path = tmp_path / "a.gitml"
    _write_old(path, POINTER.format(h="0" * 32))
    load_validated(path, "pointer", "a.gitml", state)
    st = path.stat()
    with open(path, "r+") as f:  # same inode, same size, mtime put back: only ctime moves
        f.write(POINTER.format(h="1" * 32))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert load_validated(path, "pointer", "a.gitml", state)["hash"] == "xxh128:" + "1" * 32


def test_a_fresh_file_is_not_stored_and_errors_still_point_at_lines(tmp_path: Path) -> None:
    state = StateIndex(tmp_path / "state")
    path = tmp_path / "a.gitml"
    path.write_text(POINTER.format(h="0" * 32))  # mtime is now: racy, not stored
    load_validated(path, "pointer", "a.gitml", state)
    st = path.stat()
    key = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    assert state.parsed_get("a.gitml", f"pointer@{__import__('gitml').__version__}", key) is None
    _write_old(path, "version: 1\npath: a\nhash: nope\nsize: 1\n")
    with pytest.raises(InvalidFile, match=r"a.gitml:3:1: hash"):
        load_validated(path, "pointer", "a.gitml", state)
