"""The local object cache: layout, atomic read-only objects, listing, verification."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gitml.core.atomic import temp_name
from gitml.core.hashing import hash_bytes
from gitml.core.odb import LocalCache, ObjectStore


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
