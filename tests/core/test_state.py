"""The state index: (inode, size, mtime) -> hash, trusted only outside the racy window."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitml.core.state import RACY_NS, TRUSTED, StateIndex

H1 = "a" * 32
H2 = "b" * 32
MTIME = 1_700_000_000_000_000_000


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateIndex]:
    index = StateIndex(tmp_path / "state")
    yield index
    index.close()


def test_unknown_key(state: StateIndex) -> None:
    assert state.get((1, 2, 3)) is None
    assert state.lookup([]) == []


def test_recorded_well_after_the_mtime_is_trusted(state: StateIndex) -> None:
    state.record([((1, 10, MTIME), H1)], checked_ns=MTIME + RACY_NS + 1)
    assert state.get((1, 10, MTIME)) == H1


def test_recorded_within_the_racy_window_is_not_trusted(state: StateIndex) -> None:
    state.record([((1, 10, MTIME), H1)], checked_ns=MTIME + RACY_NS)
    assert state.get((1, 10, MTIME)) is None
    # Hashing again later records a trusted entry.
    state.record([((1, 10, MTIME), H1)], checked_ns=MTIME + 2 * RACY_NS)
    assert state.get((1, 10, MTIME)) == H1


def test_default_checked_time_is_now(state: StateIndex) -> None:
    old = time.time_ns() - 10 * RACY_NS
    fresh = time.time_ns()
    state.record([((1, 1, old), H1), ((2, 1, fresh), H2)])
    assert state.get((1, 1, old)) == H1
    assert state.get((2, 1, fresh)) is None  # written just now: racy


def test_trusted_entries(state: StateIndex) -> None:
    now = time.time_ns()
    state.record([((7, 1, now), H1)], checked_ns=TRUSTED)
    assert state.get((7, 1, now)) == H1


@pytest.mark.parametrize("key", [(1, 11, MTIME), (1, 10, MTIME + 1), (2, 10, MTIME)])
def test_any_stat_change_misses(state: StateIndex, key: tuple[int, int, int]) -> None:
    state.record([((1, 10, MTIME), H1)], checked_ns=TRUSTED)
    assert state.get(key) is None


def test_lookup_keeps_order(state: StateIndex) -> None:
    state.record([((i, i, MTIME), f"{i:032x}") for i in range(1, 50)], checked_ns=TRUSTED)
    keys = [(i, i, MTIME) for i in (49, 3, 1000, 3, 1)]
    assert state.lookup(keys) == [f"{49:032x}", f"{3:032x}", None, f"{3:032x}", f"{1:032x}"]


def test_an_inode_has_one_entry(state: StateIndex) -> None:
    state.record([((1, 10, MTIME), H1)], checked_ns=TRUSTED)
    state.record([((1, 12, MTIME + 5), H2)], checked_ns=TRUSTED)
    assert state.get((1, 10, MTIME)) is None
    assert state.get((1, 12, MTIME + 5)) == H2


def test_persists_and_is_shared(tmp_path: Path) -> None:
    a = StateIndex(tmp_path / "s")
    b = StateIndex(tmp_path / "s")
    try:
        a.record([((1, 1, MTIME), H1)], checked_ns=TRUSTED)
        assert b.get((1, 1, MTIME)) == H1  # a reader sees a writer's committed entries
        a.mark_complete(H2)
        assert b.is_complete(H2)
    finally:
        a.close()
        b.close()
    c = StateIndex(tmp_path / "s")
    try:
        assert c.get((1, 1, MTIME)) == H1
        assert c.is_complete(H2)
    finally:
        c.close()


def test_reader_is_not_blocked_by_an_open_write_transaction(tmp_path: Path) -> None:
    a = StateIndex(tmp_path / "s")
    a.record([((1, 1, MTIME), H1)], checked_ns=TRUSTED)
    other = sqlite3.connect(tmp_path / "s" / "state.db", isolation_level=None)
    b = StateIndex(tmp_path / "s")
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT OR REPLACE INTO state VALUES (1, 1, 1, 1, 'x')")
        assert b.get((1, 1, MTIME)) == H1  # WAL: the uncommitted write is invisible
        other.execute("ROLLBACK")
    finally:
        other.close()
        a.close()
        b.close()


def test_complete_manifests(state: StateIndex) -> None:
    assert not state.is_complete(H1)
    state.mark_complete(H1)
    state.mark_complete(H1)
    assert state.is_complete(H1)
    state.forget_complete()
    assert not state.is_complete(H1)


def test_creates_its_folder(tmp_path: Path) -> None:
    index = StateIndex(tmp_path / "a" / "b")
    index.close()
    assert (tmp_path / "a" / "b" / "state.db").is_file()


def test_folder_snapshots_kept_the_old_way_are_dropped(tmp_path: Path) -> None:
    StateIndex(tmp_path / "state").close()
    db = sqlite3.connect(tmp_path / "state" / "state.db")
    db.execute("CREATE TABLE folders (path TEXT PRIMARY KEY, groups BLOB, manifest BLOB)")
    db.execute("INSERT INTO folders VALUES ('d', x'00', x'00')")
    db.commit()
    db.close()
    index = StateIndex(tmp_path / "state")  # a cache: the next look rebuilds them
    index.close()
    db = sqlite3.connect(tmp_path / "state" / "state.db")
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    db.close()
    assert "folders" not in tables
    assert {"snapshots", "snapshot_groups"} <= tables


def test_a_folder_snapshot_writes_and_drops_group_rows(state: StateIndex) -> None:
    rows = {p: (f"digest {p}", True, H1, "[]") for p in ("", "a/", "b/")}
    state.folder_put("d", ("listing", H2, True), ["", "a/", "b/"], rows)
    assert state.folder_head("d") == ("listing", H2, True)
    assert state.folder_group_heads("d") == {p: (f"digest {p}", True) for p in rows}
    # the next listing: b/ gone, a/ changed, "" as it was (not written again)
    state.folder_put("d", ("next", H1, False), ["", "a/"], {"a/": ("new", False, H2, "[1]")})
    assert state.folder_head("d") == ("next", H1, False)
    assert state.folder_groups("d", ["", "a/", "b/"]) == {
        "": ("digest ", True, H1, "[]"),
        "a/": ("new", False, H2, "[1]"),
    }
