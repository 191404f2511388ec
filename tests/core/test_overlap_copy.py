"""Large files are copied into the cache while they are hashed (Hasher._hash_while_copying)."""

from __future__ import annotations

import os
from pathlib import Path

from gitml.core.hashing import hash_file
from gitml.core.listing import stat_file
from gitml.core.odb import LocalCache
from gitml.core.state import StateIndex
from gitml.core.tree import OVERLAP_COPY, Hasher


def test_large_file_is_stored_once_under_its_hash(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(OVERLAP_COPY + 12345))
    cache = LocalCache(tmp_path / "cache")
    state = StateIndex(tmp_path / "state")
    try:
        hasher = Hasher(state, cache)
        [oid] = hasher.hash_files([stat_file(big, "big.bin")])
        assert oid == hash_file(big)
        assert hasher.stored == 1
        assert cache.path(oid).read_bytes() == big.read_bytes()
        assert (cache.path(oid).stat().st_mode & 0o777) == 0o444
        assert list(cache.tmp.iterdir()) == []  # the temp copy was renamed, not left behind
        # the same content under another name: copied, found present, dropped
        twin = tmp_path / "twin.bin"
        twin.write_bytes(big.read_bytes())
        again = Hasher(state, cache)
        assert again.hash_files([stat_file(twin, "twin.bin")]) == [oid]
        assert again.stored == 0
        assert list(cache.tmp.iterdir()) == []
        assert list(cache.iter_oids()) == [oid]
    finally:
        state.close()
