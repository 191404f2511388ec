"""``gitml fsck`` at the ops level: corrupt and missing objects, repair."""

from __future__ import annotations

from gitml.core.atomic import temp_name
from gitml.core.hashing import hash_bytes
from gitml.core.repo import Repo
from gitml.ops.add import add
from gitml.ops.fsck import FsckResult, fsck
from gitml.ops.status import status


def _corrupt(repo: Repo, oid: str, data: bytes = b"garbage") -> None:
    path = repo.cache.path(oid)
    path.chmod(0o644)
    path.write_bytes(data)
    path.chmod(0o444)  # bit rot, not a writer killed half-way


def test_clean_cache(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"d/a": "a", "d/b": "b", "m.pt": "m"})
    add(repo, ["d", "m.pt"])
    result = fsck(repo)
    assert result == FsckResult(4, [], [], [], 0)
    assert result.ok


def test_corrupt_object_found_and_repaired(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"d/a": "a", "d/b": "b"})
    add(repo, ["d"])
    oid = hash_bytes(b"a")
    _corrupt(repo, oid)
    result = fsck(repo)
    assert (result.corrupt, result.missing, result.removed, result.ok) == ([oid], [], [], False)
    assert repo.cache.exists(oid)  # reporting deletes nothing
    repaired = fsck(repo, repair=True)
    assert repaired.removed == [oid]
    assert not repo.cache.exists(oid)
    # Now it is simply missing, and status says so.
    after = fsck(repo)
    assert (after.corrupt, after.missing) == ([], [oid])
    assert [s.state for s in status(repo)] == ["not in cache"]
    # Adding the data again restores the object.
    [r] = add(repo, ["d"])
    assert r.stored == 1
    assert repo.cache.read_bytes(oid) == b"a"
    assert fsck(repo).ok
    assert [s.state for s in status(repo)] == ["unchanged"]


def test_corrupt_manifest(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"d/a": "a"})
    [r] = add(repo, ["d"])
    manifest = r.hash.split(":")[1]
    _corrupt(repo, manifest, b"{not json")
    result = fsck(repo)
    assert result.corrupt == [manifest]
    assert result.missing == []
    fsck(repo, repair=True)
    [again] = add(repo, ["d"])
    assert repo.cache.verify(manifest)
    assert again.hash == r.hash
    assert fsck(repo).ok


def test_missing_objects(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"m.pt": "m", "d/a": "a"})
    [d, _] = add(repo, ["d", "m.pt"])
    repo.cache.remove(hash_bytes(b"m"))
    repo.cache.remove(d.hash.split(":")[1])
    result = fsck(repo)
    assert result.corrupt == []
    assert result.missing == sorted([hash_bytes(b"m"), d.hash.split(":")[1]])
    assert not result.ok


def test_partial_files_of_killed_writers(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"m.pt": "m"})
    add(repo, ["m.pt"])
    leftover = temp_name(repo.cache.path(hash_bytes(b"other")))
    leftover.parent.mkdir(exist_ok=True)
    leftover.write_bytes(b"half")
    result = fsck(repo)
    assert result.ok  # leftovers are not objects: not corrupt
    assert result.checked == 1
    assert leftover.exists()
    assert fsck(repo, repair=True).temp_removed == 1
    assert not leftover.exists()


def test_progress(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"d/a": "a", "d/b": "b"})
    add(repo, ["d"])
    seen: list[tuple[int, int]] = []
    fsck(repo, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
