"""Folder snapshots in the state index (Hasher.tree)."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gitml.core.hashing import hash_bytes
from gitml.core.listing import scan
from gitml.core.odb import LocalCache
from gitml.core.state import StateIndex
from gitml.core.tree import Hasher


@pytest.fixture
def folder(tmp_path: Path, backdate: Callable[..., None]) -> Path:
    root = tmp_path / "d"
    for i in range(30):
        (root / f"s{i % 3}").mkdir(parents=True, exist_ok=True)
        (root / f"s{i % 3}" / f"f{i}.txt").write_text(f"file {i}\n")
    backdate(root)
    return root


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateIndex]:
    index = StateIndex(tmp_path / "state")
    yield index
    index.close()


@pytest.fixture
def cache(tmp_path: Path) -> LocalCache:
    return LocalCache(tmp_path / "cache")


def tree(
    state: StateIndex, folder: Path, cache: LocalCache | None = None
) -> tuple[str, list[str], Hasher]:
    """Hash folder ``d``; with a cache, store its manifest there as ``add`` does (the
    next change then patches it)."""
    hasher = Hasher(state, objects=cache)
    result = hasher.tree("d", scan(folder, folder.parent))
    if cache is not None and not cache.exists(result.oid):
        cache.put_bytes(result.manifest_bytes(), result.oid)
    return result.oid, result.oids, hasher


def snapshot(state: StateIndex) -> tuple[object, ...]:
    """Folder ``d``'s snapshot as the state index has it: head, then every group."""
    groups = state.folder_group_heads("d")
    return state.folder_head("d"), state.folder_groups("d", sorted(groups))


def test_unchanged_folder_reads_nothing_and_matches_the_manifest(
    state: StateIndex, folder: Path
) -> None:
    first_oid, first_oids, first = tree(state, folder)
    assert first.hashed == 30
    again_oid, again_oids, again = tree(state, folder)
    assert (again_oid, again_oids, again.hashed) == (first_oid, first_oids, 0)
    full = Hasher(StateIndex(folder.parent / "other-state")).manifest(scan(folder, folder.parent))
    assert full.oid() == first_oid
    assert [e.oid for e in full] == first_oids


def test_one_changed_file_is_the_only_one_read(state: StateIndex, folder: Path) -> None:
    old_oid, _, _ = tree(state, folder)
    target = folder / "s1" / "f4.txt"
    target.write_text("changed\n")
    past = time.time_ns() - 60 * 10**9
    os.utime(target, ns=(past, past))
    new_oid, _, hasher = tree(state, folder)
    assert hasher.hashed == 1
    assert new_oid != old_oid


def test_exec_bit_changes_the_folder_hash(state: StateIndex, folder: Path) -> None:
    old_oid, _, _ = tree(state, folder)
    (folder / "s0" / "f0.txt").chmod(0o755)
    new_oid, _, hasher = tree(state, folder)
    assert new_oid != old_oid
    assert hasher.hashed == 0  # same content: only the listing changed


def test_racy_files_are_not_vouched_for(state: StateIndex, folder: Path) -> None:
    ahead = time.time_ns() + 10**9  # within the racy window however slow the test is
    target = folder / "s2" / "f5.txt"
    os.utime(target, ns=(ahead, ahead))
    tree(state, folder)
    _, _, hasher = tree(state, folder)
    assert hasher.hashed == 1  # the racy file is read again, the others are not


def _fresh(folder: Path) -> tuple[str, list[str]]:
    """The folder's manifest hash computed from nothing (a new state index)."""
    other = StateIndex(folder.parent / f"fresh-{time.time_ns()}")
    try:
        manifest = Hasher(other).manifest(scan(folder, folder.parent))
    finally:
        other.close()
    return manifest.oid(), [e.oid for e in manifest]


def _backdated_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    past = time.time_ns() - 60 * 10**9 + random.randrange(10**9)
    os.utime(path, ns=(past, past))


def test_odd_names_are_rewritten_in_place(
    state: StateIndex, tmp_path: Path, cache: LocalCache
) -> None:
    folder = tmp_path / "d"
    names = ['q"uote', "br]ack[et", "ünï cödé", "back\\slash", 'x","y', "s0/f0.txt"]
    for name in names:
        _backdated_write(folder / name, name.encode())
    tree(state, folder, cache)
    for name in names:
        _backdated_write(folder / name, name.encode() + b" changed, longer")
        oid, oids, hasher = tree(state, folder, cache)
        assert hasher.hashed == 1
        assert (oid, oids) == _fresh(folder), name


def test_snapshot_follows_every_kind_of_change(
    state: StateIndex, folder: Path, cache: LocalCache
) -> None:
    rng = random.Random(20261127)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for step in range(40):
        kind = rng.choice(["edit", "resize", "exec", "add", "remove", "rename", "touch", "dir"])
        target = rng.choice(files)
        if kind == "edit":
            _backdated_write(target, target.read_bytes()[::-1])
        elif kind == "resize":
            _backdated_write(target, target.read_bytes() * 2)
        elif kind == "exec":
            target.chmod(target.stat().st_mode ^ 0o100)
        elif kind == "add":
            _backdated_write(target.with_name(f"new{step}.txt"), f"new {step}".encode())
        elif kind == "remove" and len(files) > 1:
            target.unlink()
        elif kind == "rename":
            target.rename(target.with_name(f"renamed{step}.txt"))
        elif kind == "touch":
            past = time.time_ns() - 30 * 10**9
            os.utime(target, ns=(past, past))
        elif kind == "dir":
            _backdated_write(folder / f"n{step}" / "deep" / "x.txt", b"x")
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        oid, oids, _ = tree(state, folder, cache)
        assert (oid, oids) == _fresh(folder), (step, kind)


def test_status_remembers_only_a_folder_that_matches_its_pointer(
    state: StateIndex, folder: Path
) -> None:
    recorded, _, _ = tree(state, folder)
    before = snapshot(state)
    target = folder / "s1" / "f4.txt"
    content = target.read_bytes()
    _backdated_write(target, b"edited")
    looked = Hasher(state).tree("d", scan(folder, folder.parent), remember=recorded)
    assert looked.oid != recorded
    assert snapshot(state) == before  # a modified folder is left to the next add
    again, _, hasher = tree(state, folder)
    assert again == looked.oid
    assert hasher.hashed == 0  # the file's hash was kept in the state index all the same
    _backdated_write(target, content)  # back as recorded (a new mtime: a changed listing)
    back = Hasher(state).tree("d", scan(folder, folder.parent), remember=recorded)
    assert back.oid == recorded
    assert state.folder_head("d") == (scan(folder, folder.parent).digest, recorded, True)


def test_a_change_rewrites_only_its_group_and_patches_the_cached_manifest(
    state: StateIndex, folder: Path, cache: LocalCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitml.core import folder as folder_module

    tree(state, folder, cache)
    before = snapshot(state)[1]
    _backdated_write(folder / "s1" / "f4.txt", b"edited")
    built = []
    real_build = folder_module._build
    monkeypatch.setattr(folder_module, "_build", lambda *a: built.append(1) or real_build(*a))
    oid, oids, hasher = tree(state, folder, cache)
    assert (built, hasher.hashed) == ([], 1)  # the cached manifest, one row rewritten
    assert (oid, oids) == _fresh(folder)
    after = snapshot(state)[1]
    assert isinstance(before, dict) and isinstance(after, dict)
    assert sorted(p for p in after if after[p] != before[p]) == ["s1/"]
    cache.path(oid).chmod(0o644)
    cache.path(oid).write_bytes(b"damaged")  # a manifest that no longer hashes right
    _backdated_write(folder / "s2" / "f5.txt", b"edited too")
    oid, oids, _ = tree(state, folder, cache)
    assert built == [1]  # built afresh instead
    assert (oid, oids) == _fresh(folder)


def test_group_rows_of_another_listing_are_not_patched_into_the_last_manifest(
    state: StateIndex, folder: Path, cache: LocalCache
) -> None:
    tree(state, folder, cache)
    first = state.folder_head("d")
    assert first is not None
    _backdated_write(folder / "s1" / "f4.txt", b"edited")
    tree(state, folder, cache)  # rows for the new listing: s1/'s is rewritten
    # a status and an add that wrote at the same time: the first head, s1/'s new row
    state.folder_put("d", first, ["s0/", "s1/", "s2/"], {})
    result = Hasher(state, objects=cache).tree("d", scan(folder, folder.parent))
    assert (result.oid, list(result)) == _fresh(folder)  # not the first manifest
    # nor may `add` take the hashes it kept for files the head's manifest vouches for
    assert result.reused is None


def test_an_unchanged_folder_gives_the_cached_copy_of_its_manifest(
    state: StateIndex, folder: Path, cache: LocalCache
) -> None:
    oid, _, _ = tree(state, folder, cache)
    again = Hasher(state, objects=cache).tree("d", scan(folder, folder.parent))
    assert again.manifest_bytes() == cache.read_bytes(oid)
    without = Hasher(state).tree("d", scan(folder, folder.parent))  # nothing to read: built
    assert without.manifest_bytes() == cache.read_bytes(oid)
    assert hash_bytes(again.manifest_bytes()) == oid


@pytest.mark.parametrize(
    "row",
    [
        lambda digest, detail: (digest, True, "", detail),  # hashes cut short: damaged
        lambda digest, detail: ("another listing", True, "0" * 32 * 10, detail),  # a race
        lambda digest, detail: (digest, False, "0" * 32 * 10, detail),  # not vouched for
    ],
    ids=["damaged", "another-listing", "untrusted"],
)
def test_an_unchanged_folder_reads_its_file_hashes_only_when_asked(
    state: StateIndex, folder: Path, row: Callable[[str, str], tuple[str, bool, str, str]]
) -> None:
    oid, oids, _ = tree(state, folder)
    head = state.folder_head("d")
    assert head is not None
    # a group row that does not vouch for the group as listed, under a head that matches
    # (a status and an add that wrote at the same time, each for its own listing)
    digest, _, _, detail = state.folder_groups("d", ["s1/"])["s1/"]
    state.folder_put("d", head, ["s0/", "s1/", "s2/"], {"s1/": row(digest, detail)})
    hasher = Hasher(state)
    unchanged = hasher.tree("d", scan(folder, folder.parent))
    assert unchanged.oid == oid  # all status asks for: the groups were never read
    assert list(unchanged) == oids  # that group's hashes come from the state index instead
    assert hasher.hashed == 0
