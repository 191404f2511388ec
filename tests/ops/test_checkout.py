"""``gitml checkout`` at the ops level: restore, replace what the cache holds, refuse the rest."""

from __future__ import annotations

import os
import shutil
import stat

import pytest

from gitml.core.repo import Repo
from gitml.core.tree import Hasher
from gitml.errors import CheckoutConflict, NotInCache
from gitml.ops.add import add
from gitml.ops.checkout import CheckoutResult, checkout
from gitml.ops.status import artifact_status, status
from gitml.ops.workspace import load_pointers

V1 = {
    "data/raw/a.csv": "a v1\n",
    "data/raw/sub/b.csv": "b v1\n",
    "data/raw/sub/deep/c.csv": "c v1\n",
    "model.pt": "weights v1",
}


def _content(tmp_repo) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    return {
        rel: data
        for rel, data in tmp_repo.snapshot().items()
        if rel.startswith("data/raw/") or rel == "model.pt"
    }


@pytest.fixture
def v1(tmp_repo, repo: Repo) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    tmp_repo.gen(V1)
    add(repo, ["data/raw", "model.pt"])
    return _content(tmp_repo)


def test_nothing_to_do(tmp_repo, repo: Repo, v1: dict[str, bytes]) -> None:  # type: ignore[no-untyped-def]
    results = checkout(repo)
    assert results == [
        CheckoutResult("data/raw", 0, 0, 0, 3),
        CheckoutResult("model.pt", 0, 0, 0, 1),
    ]
    assert not any(r.changed for r in results)


def test_restores_missing_data(tmp_repo, repo: Repo, v1: dict[str, bytes]) -> None:  # type: ignore[no-untyped-def]
    shutil.rmtree(tmp_repo.root / "data/raw")
    os.remove(tmp_repo.root / "model.pt")
    results = checkout(repo)
    assert [(r.path, r.created) for r in results] == [("data/raw", 3), ("model.pt", 1)]
    assert _content(tmp_repo) == v1
    assert all(s.clean for s in status(repo))


def test_restores_one_missing_file_in_a_folder(tmp_repo, repo: Repo, v1: dict[str, bytes]) -> None:  # type: ignore[no-untyped-def]
    shutil.rmtree(tmp_repo.root / "data/raw/sub/deep")
    [r] = checkout(repo, ["data/raw"])
    assert (r.created, r.updated, r.removed, r.unchanged) == (1, 0, 0, 2)
    assert _content(tmp_repo) == v1


def test_switching_versions_replaces_cached_content_without_asking(
    tmp_repo,  # type: ignore[no-untyped-def]
    repo: Repo,
    v1: dict[str, bytes],
) -> None:
    p1 = {rel: (tmp_repo.root / rel).read_bytes() for rel in ("data/raw.gitml", "model.pt.gitml")}
    tmp_repo.gen({"data/raw/a.csv": "a v2\n", "data/raw/new/n.csv": "new\n", "model.pt": "w2"})
    os.remove(tmp_repo.root / "data/raw/sub/deep/c.csv")
    add(repo, ["data/raw", "model.pt"])
    v2 = _content(tmp_repo)
    p2 = {rel: (tmp_repo.root / rel).read_bytes() for rel in p1}
    # Pointers back to v1 (as `git checkout` would do): v2's files are all in the cache.
    tmp_repo.gen(p1)
    results = checkout(repo)
    assert [(r.path, r.created, r.updated, r.removed) for r in results] == [
        ("data/raw", 1, 1, 1),
        ("model.pt", 0, 1, 0),
    ]
    assert _content(tmp_repo) == v1
    assert not (tmp_repo.root / "data/raw/new").exists()  # emptied folders are pruned
    tmp_repo.gen(p2)
    checkout(repo)
    assert _content(tmp_repo) == v2


def test_local_changes_not_in_the_cache_are_refused(
    tmp_repo,  # type: ignore[no-untyped-def]
    repo: Repo,
    v1: dict[str, bytes],
) -> None:
    shutil.rmtree(tmp_repo.root / "data/raw/sub/deep")  # restorable
    tmp_repo.gen({"data/raw/sub/b.csv": "my edit\n", "data/raw/mine.csv": "only here\n"})
    tmp_repo.gen({"model.pt": "my weights"})
    before = tmp_repo.snapshot()
    with pytest.raises(CheckoutConflict) as info:
        checkout(repo)
    assert info.value.paths == ["data/raw/mine.csv", "data/raw/sub/b.csv", "model.pt"]
    assert "gitml checkout --force" in str(info.value.hint)
    assert tmp_repo.snapshot() == before  # planned first, nothing touched
    results = checkout(repo, force=True)
    assert [(r.path, r.created, r.updated, r.removed) for r in results] == [
        ("data/raw", 1, 1, 1),
        ("model.pt", 0, 1, 0),
    ]
    assert _content(tmp_repo) == v1


def test_conflict_in_one_artifact_blocks_all(tmp_repo, repo: Repo, v1: dict[str, bytes]) -> None:  # type: ignore[no-untyped-def]
    shutil.rmtree(tmp_repo.root / "data/raw")
    tmp_repo.gen({"model.pt": "mine"})
    with pytest.raises(CheckoutConflict):
        checkout(repo)
    assert not (tmp_repo.root / "data/raw").exists()
    # Only the other artifact: fine.
    checkout(repo, ["data/raw"])
    assert (tmp_repo.root / "data/raw/a.csv").read_text() == "a v1\n"


def test_a_file_where_a_folder_belongs(tmp_repo, repo: Repo, v1: dict[str, bytes]) -> None:  # type: ignore[no-untyped-def]
    shutil.rmtree(tmp_repo.root / "data/raw")
    tmp_repo.gen({"data/raw": "a v1\n"})  # same content as a.csv: in the cache
    [r] = checkout(repo, ["data/raw"])
    assert r.created == 3
    assert _content(tmp_repo) == v1


def test_a_folder_where_a_file_belongs(tmp_repo, repo: Repo, v1: dict[str, bytes]) -> None:  # type: ignore[no-untyped-def]
    os.remove(tmp_repo.root / "model.pt")
    tmp_repo.gen({"model.pt/x": "not in cache"})
    with pytest.raises(CheckoutConflict, match=r"model\.pt/x"):
        checkout(repo, ["model.pt"])
    checkout(repo, ["model.pt"], force=True)
    assert (tmp_repo.root / "model.pt").read_text() == "weights v1"


def test_a_file_where_a_subfolder_belongs(tmp_repo, repo: Repo, v1: dict[str, bytes]) -> None:  # type: ignore[no-untyped-def]
    shutil.rmtree(tmp_repo.root / "data/raw/sub")
    tmp_repo.gen({"data/raw/sub": "b v1\n"})  # in the cache
    checkout(repo)
    assert _content(tmp_repo) == v1


def test_exec_bit_is_restored(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"tools/run.sh": "#!/bin/sh\n"})
    (tmp_repo.root / "tools/run.sh").chmod(0o755)
    add(repo, ["tools"])
    shutil.rmtree(tmp_repo.root / "tools")
    checkout(repo)
    assert os.stat(tmp_repo.root / "tools/run.sh").st_mode & stat.S_IXUSR


def test_data_missing_from_the_cache(tmp_repo, repo: Repo, v1: dict[str, bytes]) -> None:  # type: ignore[no-untyped-def]
    [ptr] = load_pointers(repo, ["model.pt"])
    repo.cache.remove(ptr.oid)
    os.remove(tmp_repo.root / "model.pt")
    with pytest.raises(NotInCache, match=r"model\.pt: its data") as info:
        checkout(repo)
    assert "gitml pull" in str(info.value.hint)


def test_checked_out_files_are_trusted_by_the_state_index(
    tmp_repo,  # type: ignore[no-untyped-def]
    repo: Repo,
    v1: dict[str, bytes],
) -> None:
    shutil.rmtree(tmp_repo.root / "data/raw")
    checkout(repo)
    [ptr] = load_pointers(repo, ["data/raw"])
    hasher = Hasher(repo.state)
    assert artifact_status(repo, ptr, hasher).clean
    assert hasher.hashed == 0  # written from known objects: no need to read them


def test_progress(tmp_repo, repo: Repo, v1: dict[str, bytes]) -> None:  # type: ignore[no-untyped-def]
    shutil.rmtree(tmp_repo.root / "data/raw")
    os.remove(tmp_repo.root / "model.pt")
    seen: list[tuple[int, int]] = []
    checkout(repo, progress=lambda d, t: seen.append((d, t)))
    # reported per batch of files: rising to exactly the total
    assert seen[-1] == (4, 4)
    assert all(t == 4 for _, t in seen)
    assert [d for d, _ in seen] == sorted({d for d, _ in seen})


def test_a_changed_exec_bit_is_restored(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"tools/run.sh": "#!/bin/sh\n", "tools/data.txt": "x\n"})
    (tmp_repo.root / "tools/run.sh").chmod(0o755)
    add(repo, ["tools"])
    (tmp_repo.root / "tools/run.sh").chmod(0o644)
    (tmp_repo.root / "tools/data.txt").chmod(0o755)
    assert [s.state for s in status(repo)] == ["modified"]
    [r] = checkout(repo)  # same content, in the cache: fixed without asking
    assert (r.created, r.updated, r.removed, r.unchanged) == (0, 2, 0, 0)
    assert os.stat(tmp_repo.root / "tools/run.sh").st_mode & stat.S_IXUSR
    assert not os.stat(tmp_repo.root / "tools/data.txt").st_mode & stat.S_IXUSR
    assert [s.state for s in status(repo)] == ["unchanged"]
