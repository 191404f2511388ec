"""The local object cache: layout, atomic read-only objects, listing, verification."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gitml.core.atomic import temp_name
from gitml.core.hashing import hash_bytes
from gitml.core.odb import MODES_KEPT, WRITING_MODE, LocalCache, ObjectStore


@pytest.fixture
def cache(tmp_path: Path) -> LocalCache:
    return LocalCache(tmp_path / "cache")


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_is_an_object_store(cache: LocalCache) -> None:
    store: ObjectStore = cache  # mypy checks the Protocol; this pins the interface
    assert store is cache


def test_put_bytes_layout_and_mode(cache: LocalCache) -> None:
    data = b"hello"
    oid = hash_bytes(data)
    assert not cache.exists(oid)
    cache.put_bytes(data, oid)
    assert cache.path(oid) == cache.root / oid[:2] / oid[2:]
    assert cache.exists(oid)
    assert cache.read_bytes(oid) == data
    assert cache.size(oid) == 5
    assert _mode(cache.path(oid)) == 0o444
    assert cache.verify(oid)
    assert list(cache.iter_oids()) == [oid]
    cache.put_bytes(data, oid)  # writing an existing object again is harmless
    assert cache.read_bytes(oid) == data


def test_put_empty_object(cache: LocalCache) -> None:
    oid = hash_bytes(b"")
    cache.put_bytes(b"", oid)
    assert cache.read_bytes(oid) == b""
    assert cache.verify(oid)


def test_put_file_copies(cache: LocalCache, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_bytes(os.urandom(100_000))
    oid = hash_bytes(src.read_bytes())
    cache.put_file(src, oid)
    assert cache.read_bytes(oid) == src.read_bytes()
    assert os.stat(src).st_ino != os.stat(cache.path(oid)).st_ino
    assert _mode(cache.path(oid)) == 0o444
    assert _mode(src) != 0o444


def test_iter_oids_skips_everything_else(cache: LocalCache) -> None:
    oids = sorted(hash_bytes(bytes([i])) for i in range(20))
    for i, oid in enumerate(oids):
        cache.put_bytes(bytes([i]), oid)
    some = cache.path(oids[0])
    temp_name(some).write_bytes(b"partial")  # a killed writer's leftover
    (some.parent / "not-an-oid").write_bytes(b"")
    (cache.root / "README").write_text("x")
    (cache.root / "tmp").mkdir()
    (cache.root / "zz").write_text("a file where a folder is expected")
    assert sorted(cache.iter_oids()) == oids


def test_iter_on_a_missing_cache(tmp_path: Path) -> None:
    cache = LocalCache(tmp_path / "none")
    assert list(cache.iter_oids()) == []
    assert list(cache.iter_temp()) == []


def test_temp_files_are_found_and_cleared(cache: LocalCache) -> None:
    oid = hash_bytes(b"x")
    cache.put_bytes(b"x", oid)
    leftover = temp_name(cache.path(oid))
    leftover.write_bytes(b"half")
    (cache.tmp / "work").mkdir(parents=True)
    assert list(cache.iter_temp()) == [leftover]
    assert cache.clear_temp() == 1
    assert not leftover.exists()
    assert not cache.tmp.exists()
    assert cache.exists(oid)


def test_verify_detects_corruption(cache: LocalCache) -> None:
    oid = hash_bytes(b"good")
    cache.put_bytes(b"good", oid)
    path = cache.path(oid)
    path.chmod(0o644)
    path.write_bytes(b"evil")
    path.chmod(0o444)
    assert cache.exists(oid)
    assert not cache.verify(oid)
    cache.remove(oid)
    assert not cache.exists(oid)
    assert not cache.verify(oid)
    cache.remove(oid)  # idempotent


def test_failed_write_leaves_nothing(cache: LocalCache, tmp_path: Path) -> None:
    oid = hash_bytes(b"x")
    with pytest.raises(FileNotFoundError):
        cache.put_file(tmp_path / "missing", oid)
    assert not cache.exists(oid)
    assert list(cache.iter_temp()) == []


def test_objects_are_written_in_place_where_modes_are_kept(cache: LocalCache) -> None:
    oid = hash_bytes(b"x")
    assert cache.put_bytes(b"x", oid) is True
    assert (cache.root / MODES_KEPT).is_file()
    assert cache.modes_kept()
    assert _mode(cache.path(oid)) == 0o444
    assert cache.put_bytes(b"x", oid) is False  # already there: nothing written
    assert list(cache.iter_oids()) == [oid]  # the marker is not an object


def test_an_object_left_half_written_is_not_taken_for_a_complete_one(
    cache: LocalCache,
) -> None:
    data = b"complete content"
    oid = hash_bytes(data)
    cache.put_bytes(b"other", hash_bytes(b"other"))  # the cache writes in place
    path = cache.path(oid)
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data[:5])  # a writer killed before it made the object read-only
    path.chmod(WRITING_MODE)
    fresh = LocalCache(cache.root)  # another process
    assert not fresh.exists(oid)
    assert not fresh.verify(oid)
    assert oid not in list(fresh.iter_oids())  # not an object (fsck: not corrupt either)
    assert list(fresh.iter_temp()) == [path]
    assert fresh.put_bytes(data, oid) is True  # replaced
    assert fresh.exists(oid) and fresh.read_bytes(oid) == data
    assert list(fresh.iter_temp()) == []


def test_clear_temp_removes_half_written_objects(cache: LocalCache) -> None:
    cache.put_bytes(b"keep", hash_bytes(b"keep"))
    oid = hash_bytes(b"half")
    cache.path(oid).parent.mkdir(exist_ok=True)
    cache.path(oid).write_bytes(b"ha")
    assert cache.clear_temp() == 1
    assert not cache.path(oid).exists()
    assert cache.exists(hash_bytes(b"keep"))


def test_a_umask_without_owner_write_falls_back_to_rename(cache: LocalCache) -> None:
    old = os.umask(0o277)
    try:
        oid = hash_bytes(b"y")
        assert cache.put_bytes(b"y", oid) is True
    finally:
        os.umask(old)
    assert not (cache.root / MODES_KEPT).exists()
    assert not cache.modes_kept()
    assert cache.exists(oid) and cache.read_bytes(oid) == b"y"
    assert _mode(cache.path(oid)) == 0o444 & ~0o277
