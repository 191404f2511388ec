"""Scanning folders and hashing through the state index (the hot path of add and status)."""

from __future__ import annotations

import marshal
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gitml.core.hashing import hash_bytes
from gitml.core.listing import Group, Listing, scan, stat_file
from gitml.core.odb import LocalCache
from gitml.core.state import StateIndex
from gitml.core.tree import Hasher
from gitml.errors import BadPath, GitmlError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "d" / "sub" / "deeper").mkdir(parents=True)
    (root / "d" / "b.txt").write_bytes(b"b")
    (root / "d" / "a.txt").write_bytes(b"a")
    (root / "d" / "sub" / "c").write_bytes(b"c")
    (root / "d" / "sub" / "deeper" / "e").write_bytes(b"e")
    (root / "d" / "run.sh").write_bytes(b"#!/bin/sh\n")
    (root / "d" / "run.sh").chmod(0o755)
    return root


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateIndex]:
    index = StateIndex(tmp_path / "state")
    yield index
    index.close()


def test_scan_lists_every_file_sorted(root: Path) -> None:
    files = scan(root / "d", root)
    assert [f.rel for f in files] == ["a.txt", "b.txt", "run.sh", "sub/c", "sub/deeper/e"]
    by = {f.rel: f for f in files}
    assert by["run.sh"].executable and not by["a.txt"].executable
    assert by["sub/c"].path == str(root / "d" / "sub" / "c")
    assert by["a.txt"].size == 1
    assert by["a.txt"].key == (by["a.txt"].ino, 1, by["a.txt"].mtime_ns)


def test_scan_skips_temp_files_and_empty_folders(root: Path) -> None:
    (root / "d" / ".x.123-0.gitml-tmp").write_bytes(b"partial")
    (root / "d" / "empty").mkdir()
    os.mkfifo(root / "d" / "fifo")
    assert [f.rel for f in scan(root / "d", root)] == [
        "a.txt",
        "b.txt",
        "run.sh",
        "sub/c",
        "sub/deeper/e",
    ]


def test_scan_follows_links_inside_the_repo(root: Path) -> None:
    (root / "other").write_bytes(b"other")
    os.symlink("../other", root / "d" / "link")
    files = {f.rel: f for f in scan(root / "d", root)}
    assert files["link"].size == 5


def test_scan_refuses_links_out_of_the_repo(root: Path, tmp_path: Path) -> None:
    (tmp_path / "secret").write_bytes(b"s")
    os.symlink(tmp_path / "secret", root / "d" / "sub" / "link")
    with pytest.raises(BadPath, match="symlink points outside the repository"):
        scan(root / "d", root)


def test_scan_allows_links_into_the_cache(root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "obj").write_bytes(b"o")
    os.symlink(cache / "obj", root / "d" / "link")
    assert "link" in {f.rel for f in scan(root / "d", root, (cache,))}


def test_scan_refuses_symlinked_folders(root: Path) -> None:
    os.symlink("sub", root / "d" / "alias")
    with pytest.raises(BadPath, match="symlinked folders are not supported"):
        scan(root / "d", root)


def test_scan_refuses_broken_links(root: Path) -> None:
    os.symlink("gone", root / "d" / "dangling")
    with pytest.raises(BadPath, match="broken symlink"):
        scan(root / "d", root)


def test_listing_digest_is_the_same_from_a_scan_or_a_file_list(root: Path) -> None:
    listing = scan(root / "d", root)
    assert len(listing) == 5
    assert Listing.of(reversed(list(listing))).digest == listing.digest
    (root / "empty" / "inside").mkdir(parents=True)
    assert Listing.of([]).digest == scan(root / "empty", root).digest
    assert Listing.of([]).digest != listing.digest


@pytest.mark.parametrize(
    "change",
    [
        lambda d: (d / "a.txt").write_bytes(b"A"),  # same size: a new mtime
        lambda d: (d / "a.txt").chmod(0o755),  # the exec bit
        lambda d: (d / "a.txt").rename(d / "a2.txt"),  # a name
        lambda d: (d / "sub" / "c").rename(d / "c"),  # a file moved between folders
        lambda d: (d / "sub" / "deeper" / "f").write_bytes(b""),  # a new empty file
        lambda d: os.replace(d / "b.txt", d / "a.txt"),  # another inode under a name
    ],
)
def test_listing_digest_changes_with_the_listing(
    root: Path, change: Callable[[Path], object]
) -> None:
    before = scan(root / "d", root).digest
    time.sleep(0.01)
    change(root / "d")
    assert scan(root / "d", root).digest != before


def test_listing_digest_ignores_what_a_scan_skips(root: Path) -> None:
    before = scan(root / "d", root).digest
    (root / "d" / ".x.123-0.gitml-tmp").write_bytes(b"partial")
    (root / "d" / "empty").mkdir()
    assert scan(root / "d", root).digest == before


def test_stat_file(root: Path) -> None:
    info = stat_file(root / "d" / "run.sh", "d/run.sh")
    assert info.executable
    assert info.size == 10
    with pytest.raises(BadPath, match="not a regular file"):
        stat_file(root / "d", "d")


def test_hasher_reads_each_file_once(
    root: Path, state: StateIndex, backdate: Callable[..., None]
) -> None:
    backdate(root)
    files = scan(root / "d", root)
    first = Hasher(state)
    oids = first.hash_files(files)
    assert oids == [hash_bytes((root / "d" / f.rel).read_bytes()) for f in files]
    assert first.hashed == len(files)
    assert first.stored == 0
    again = Hasher(state)
    assert again.hash_files(scan(root / "d", root)) == oids
    assert again.hashed == 0  # a stat per file, no reads
    (root / "d" / "sub" / "c").write_bytes(b"changed")
    changed = Hasher(state)
    changed.hash_files(scan(root / "d", root))
    assert changed.hashed == 1


def test_freshly_written_files_are_read_again(root: Path, state: StateIndex) -> None:
    # A file whose mtime is not clearly before the moment it is hashed is
    # "racy": never trusted yet. Stamping the mtimes a second ahead puts every
    # file in that window however slowly this test runs.
    ahead = time.time_ns() + 1_000_000_000
    for path in (root / "d").rglob("*"):
        if path.is_file():
            os.utime(path, ns=(ahead, ahead))
    files = scan(root / "d", root)
    Hasher(state).hash_files(files)
    again = Hasher(state)
    again.hash_files(files)
    assert again.hashed == len(files)


def test_hasher_stores_into_the_cache(
    root: Path, state: StateIndex, tmp_path: Path, backdate: Callable[..., None]
) -> None:
    backdate(root)
    cache = LocalCache(tmp_path / "cache")
    (root / "d" / "dup").write_bytes(b"a")  # same content as a.txt: one object
    os.utime(root / "d" / "dup", (0, 0))
    big = os.urandom((1 << 20) + 10)  # above SMALL_FILE: streamed, then copied
    (root / "d" / "big").write_bytes(big)
    os.utime(root / "d" / "big", (0, 0))
    files = scan(root / "d", root)
    hasher = Hasher(state, cache)
    manifest = hasher.manifest(files)
    assert hasher.hashed == len(files)
    assert hasher.stored == len(files) - 1
    assert sorted(cache.iter_oids()) == sorted({e.oid for e in manifest})
    assert cache.read_bytes(hash_bytes(big)) == big
    # An object missing from the cache is restored from the known file, without reading it
    # to hash it again.
    cache.remove(hash_bytes(big))
    again = Hasher(state, cache)
    assert again.manifest(scan(root / "d", root)) == manifest
    assert again.hashed == 0
    assert again.stored == 1
    assert cache.read_bytes(hash_bytes(big)) == big


def test_manifest_entries(root: Path, state: StateIndex) -> None:
    manifest = Hasher(state).manifest(scan(root / "d", root))
    by = manifest.by_path()
    assert by["run.sh"].executable
    assert by["sub/deeper/e"].oid == hash_bytes(b"e")
    assert manifest.size == 14


def test_progress_reports_bytes(root: Path, state: StateIndex) -> None:
    seen: list[tuple[int, int]] = []
    Hasher(state, progress=lambda done, total: seen.append((done, total))).hash_files(
        scan(root / "d", root)
    )
    assert seen[-1] == (14, 14)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def _big(root: Path, folders: int = 6, files: int = 5) -> Path:
    for i in range(folders):
        for j in range(files):
            path = root / "big" / f"f{i}" / ("sub" if j % 2 else "") / f"x{j}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"{i} {j}".encode())
    (root / "big" / "top.txt").write_bytes(b"top")
    return root / "big"


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Shared scans even under pytest-xdist (whose threads would turn them off); counts them."""
    from gitml.core import forked

    made: list[int] = []

    class Counted(forked.Forked):
        def __init__(self, fn: Callable[[], object]) -> None:
            super().__init__(fn)
            made.append(1)

    monkeypatch.setattr(forked, "available", lambda: True)
    monkeypatch.setattr(forked, "Forked", Counted)
    return made


def test_a_shared_scan_finds_what_a_lone_one_finds(root: Path, forks: list[int]) -> None:
    big = _big(root)
    alone = scan(big, root)
    assert forks == []
    shared = scan(big, root, expected=10**6)
    assert forks == [1]
    assert shared.digest == alone.digest
    assert [(f.rel, f.path, f.key, f.executable) for f in shared] == [
        (f.rel, f.path, f.key, f.executable) for f in alone
    ]
    assert len(shared) == 31


@pytest.mark.parametrize("folder", ["f0", "f1"])  # in the child's share or the parent's
def test_a_shared_scan_meets_the_same_errors(
    root: Path, tmp_path: Path, folder: str, forks: list[int]
) -> None:
    big = _big(root)
    (tmp_path / "secret").write_bytes(b"s")
    os.symlink(tmp_path / "secret", big / folder / "link")
    with pytest.raises(BadPath, match="symlink points outside the repository"):
        scan(big, root, expected=10**6)
    assert forks == [1]


def test_a_forked_share_returns_its_result_or_none() -> None:
    from gitml.core.forked import Forked

    assert Forked(lambda: [("a", [1, 2])]).result() == [("a", [1, 2])]
    assert Forked(lambda: 1 // 0).result() is None  # the child failed: the caller does it
    assert Forked(lambda: os.kill(os.getpid(), 9)).result() is None
    helper = Forked(lambda: time.sleep(30))
    helper.close()  # killed and reaped at once


def test_storing_many_files_shares_them_with_a_forked_child(
    root: Path,
    state: StateIndex,
    tmp_path: Path,
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
    backdate: Callable[..., None],
) -> None:
    from gitml.core import forked

    monkeypatch.setattr(forked, "MIN_FILES", 10)
    big = _big(root, folders=8, files=6)
    (big / "f0" / "dup").write_bytes(b"0 0")  # the same content as f0/x0: one object
    backdate(big)
    files = scan(big, root)
    cache = LocalCache(tmp_path / "cache")
    hasher = Hasher(state, cache)
    oids = hasher.hash_files(files)
    assert forks == [1]
    assert oids == [hash_bytes(Path(f.path).read_bytes()) for f in files]
    assert (hasher.hashed, hasher.stored) == (len(files), len(files) - 1)
    assert sorted(cache.iter_oids()) == sorted(set(oids))
    assert all(cache.verify(oid) for oid in oids)
    assert state.lookup([f.key for f in files]) == oids  # both halves recorded


def test_a_failed_child_share_is_done_again_and_meets_the_same_error(
    root: Path, state: StateIndex, tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitml.core import forked

    monkeypatch.setattr(forked, "MIN_FILES", 10)
    files = scan(_big(root, folders=8, files=6), root)
    Path(files[-1].path).unlink()  # in the child's half: it fails, then so does the parent
    with pytest.raises(GitmlError, match="vanished while being read"):
        Hasher(state, LocalCache(tmp_path / "cache")).hash_files(files)
    assert forks == [1]


@pytest.mark.parametrize("inode", [12345, 2**63 + 5])  # beyond 2**63: numbers kept as a list
def test_a_packed_group_comes_back_whole(inode: int) -> None:
    names = ["a.txt", "b c", "ünï"]
    ints = [inode, 10, -(10**18), 0, 7, 0, 10**18, 0o100, 8, 2**40, 5, 0]
    group = Group("sub/", "/r/d/sub", names, ints)
    back = Group.unpack(marshal.loads(marshal.dumps(group.pack())))
    assert (back.prefix, back.folder, back.count, back.digest) == (
        "sub/",
        "/r/d/sub",
        3,
        group.digest,
    )
    assert (back.names, back.ints) == (names, ints)
    assert [back.file(i) for i in range(3)] == [group.file(i) for i in range(3)]
    assert Listing([back]).digest == Listing([group]).digest
