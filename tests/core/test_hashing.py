"""Content hashing: the oid format and XXH3-128 over bytes, fds and files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from gitml.core import hashing
from gitml.core.hashing import format_oid, hash_bytes, hash_fd, hash_file, is_oid, parse_oid
from gitml.errors import GitmlError

# Fixed values: the hash names objects in caches and remotes, so it must never drift.
EMPTY = "99aa06d3014798d86001c324468d497f"
GITML = "d2a9fe60316a72cdaffda00afebdba80"


def test_known_digests_are_stable() -> None:
    assert hash_bytes(b"") == EMPTY
    assert hash_bytes(b"gitml") == GITML
    assert hash_bytes(memoryview(b"gitml")) == GITML


def test_format_and_parse_round_trip() -> None:
    assert format_oid(GITML) == f"xxh128:{GITML}"
    assert parse_oid(format_oid(GITML)) == GITML


@pytest.mark.parametrize(
    "value",
    [
        GITML,  # no prefix
        f"md5:{GITML}",
        f"xxh128:{GITML.upper()}",
        f"xxh128:{GITML[:-1]}",
        f"xxh128:{GITML}0",
        f"xxh128:{GITML}\n",
        f" xxh128:{GITML}",
        f"xxh128:{GITML[:-1]}g",
        "xxh128:",
        "",
    ],
)
def test_parse_oid_refuses_anything_else(value: str) -> None:
    with pytest.raises(GitmlError, match="bad hash") as info:
        parse_oid(value)
    assert "32 lowercase hex" in str(info.value.hint)


def test_is_oid() -> None:
    assert is_oid(GITML)
    assert not is_oid(GITML.upper())
    assert not is_oid(GITML[:30])
    assert not is_oid(format_oid(GITML))


@pytest.mark.parametrize("size", [0, 1, hashing.SMALL_FILE, hashing.SMALL_FILE + 1, 3 << 20])
def test_hash_file_equals_hash_of_bytes(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "f"
    path.write_bytes(data)
    assert hash_file(path) == hash_bytes(data) == xxhash.xxh3_128_hexdigest(data)
    assert hash_file(str(path), size) == hash_bytes(data)


def test_streaming_in_many_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Large files are read chunk by chunk; use tiny chunks to cross many boundaries.
    monkeypatch.setattr(hashing, "SMALL_FILE", 1000)
    monkeypatch.setattr(hashing, "CHUNK", 4096)
    data = os.urandom(100_003)
    path = tmp_path / "f"
    path.write_bytes(data)
    assert hash_file(path) == hash_bytes(data)


def test_hash_fd_of_a_file_that_grew_since_its_stat(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    fd = os.open(path, os.O_RDONLY)
    try:
        # The caller's stat said 50 bytes; the file has 100 by now: hash what is there.
        assert hash_fd(fd, 50) == hash_bytes(b"x" * 100)
    finally:
        os.close(fd)


def test_hash_file_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        hash_file(tmp_path / "nope")


@settings(max_examples=50, deadline=None)
@given(data=st.binary(max_size=5000))
def test_hash_file_matches_hash_bytes_property(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f"
        path.write_bytes(data)
        assert hash_file(path) == hash_bytes(data)
        assert is_oid(hash_bytes(data))
