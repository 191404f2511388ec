"""``gitml status`` at the ops level: the four states, the changes, and what is read."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

import pytest

from gitml.core.repo import Repo
from gitml.core.tree import Hasher
from gitml.errors import GitmlError
from gitml.ops.add import add
from gitml.ops.status import (
    MISSING,
    MODIFIED,
    NOT_IN_CACHE,
    UNCHANGED,
    ArtifactStatus,
    artifact_status,
    status,
)
from gitml.ops.workspace import load_pointers


def _tree(n: int = 20) -> dict[str, str]:
    return {f"data/raw/{i % 3}/f{i}.txt": f"row {i}\n" for i in range(n)}


def _by_path(repo: Repo) -> dict[str, ArtifactStatus]:
    return {s.path: s for s in status(repo)}


def test_no_artifacts(repo: Repo) -> None:
    assert status(repo) == []


def test_unchanged(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({**_tree(), "model.pt": "w"})
    add(repo, ["data/raw", "model.pt"])
    result = _by_path(repo)
    assert result["data/raw"] == ArtifactStatus("data/raw", "dir", UNCHANGED, UNCHANGED, True, {})
    assert result["model.pt"] == ArtifactStatus("model.pt", "file", UNCHANGED, UNCHANGED, True, {})
    assert all(s.clean for s in result.values())
    assert result["data/raw"].to_dict() == {
        "path": "data/raw",
        "kind": "dir",
        "state": "unchanged",
        "workspace": "unchanged",
        "in_cache": True,
    }


def test_modified_file(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"model.pt": "w"})
    add(repo, ["model.pt"])
    tmp_repo.gen({"model.pt": "w2"})
    s = _by_path(repo)["model.pt"]
    assert (s.state, s.workspace, s.in_cache, s.clean) == (MODIFIED, MODIFIED, True, False)


def test_modified_directory_lists_its_changes(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen(_tree())
    add(repo, ["data/raw"])
    tmp_repo.gen({"data/raw/0/f0.txt": "changed\n", "data/raw/new/x.txt": "new\n"})
    os.remove(tmp_repo.root / "data/raw/1/f1.txt")
    s = _by_path(repo)["data/raw"]
    assert s.state == MODIFIED
    assert s.changes == {"added": ["new/x.txt"], "modified": ["0/f0.txt"], "deleted": ["1/f1.txt"]}
    assert s.to_dict()["changes"] == s.changes


def test_exec_bit_change_is_a_modification(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"tools/run.sh": "#!/bin/sh\n"})
    add(repo, ["tools"])
    (tmp_repo.root / "tools/run.sh").chmod(0o755)
    s = _by_path(repo)["tools"]
    assert s.state == MODIFIED
    assert s.changes == {"added": [], "modified": ["run.sh"], "deleted": []}


@pytest.mark.parametrize("target", ["data/raw", "model.pt"])
def test_missing(tmp_repo, repo: Repo, target: str) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({**_tree(), "model.pt": "w"})
    add(repo, ["data/raw", "model.pt"])
    path = tmp_repo.root / target
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    s = _by_path(repo)[target]
    assert (s.state, s.workspace, s.in_cache) == (MISSING, MISSING, True)


def test_a_file_where_a_folder_belongs_is_missing_and_vice_versa(
    tmp_repo,  # type: ignore[no-untyped-def]
    repo: Repo,
) -> None:
    tmp_repo.gen({**_tree(), "model.pt": "w"})
    add(repo, ["data/raw", "model.pt"])
    shutil.rmtree(tmp_repo.root / "data/raw")
    os.remove(tmp_repo.root / "model.pt")
    tmp_repo.gen({"data/raw": "a file now", "model.pt/inner": "a folder now"})
    result = _by_path(repo)
    assert result["data/raw"].workspace == MISSING
    assert result["model.pt"].workspace == MISSING


def test_not_in_cache(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({**_tree(), "model.pt": "w"})
    [d, f] = add(repo, ["data/raw", "model.pt"])
    repo.cache.remove(f.hash.split(":")[1])
    # One file of the folder gone from the cache (a fresh handle: no memory of completeness).
    from gitml.core.manifest import Manifest

    manifest = Manifest.from_bytes(repo.cache.read_bytes(d.hash.split(":")[1]))
    repo.state.forget_complete()
    repo.cache.remove(manifest.entries[0].oid)
    result = _by_path(repo)
    for path in ("data/raw", "model.pt"):
        s = result[path]
        assert (s.state, s.workspace, s.in_cache) == (NOT_IN_CACHE, UNCHANGED, False)
    # Missing from both the work tree and the cache: nothing can restore it here.
    os.remove(tmp_repo.root / "model.pt")
    s = _by_path(repo)["model.pt"]
    assert (s.state, s.workspace) == (NOT_IN_CACHE, MISSING)
    # Modified beats not-in-cache: the work tree change is what the user must act on.
    tmp_repo.gen({"data/raw/0/f0.txt": "changed\n"})
    assert _by_path(repo)["data/raw"].state == MODIFIED


def test_filter_by_path(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"data/a/x": "1", "data/b/y": "2", "model.pt": "w"})
    add(repo, ["data/a", "data/b", "model.pt"])
    assert [s.path for s in status(repo, ["data"])] == ["data/a", "data/b"]
    assert [s.path for s in status(repo, ["model.pt.gitml"])] == ["model.pt"]
    assert [s.path for s in status(repo, ["data/b"])] == ["data/b"]
    with pytest.raises(GitmlError, match="nothing: not tracked by gitml") as info:
        status(repo, ["nothing"])
    assert "gitml add nothing" in str(info.value.hint)


def test_an_unchanged_tree_is_not_read_again(
    tmp_repo,  # type: ignore[no-untyped-def]
    repo: Repo,
    backdate: Callable[..., None],
) -> None:
    tmp_repo.gen(_tree(60))
    backdate(tmp_repo.root / "data")
    add(repo, ["data/raw"])
    [ptr] = load_pointers(repo)
    hasher = Hasher(repo.state)
    assert artifact_status(repo, ptr, hasher).clean
    assert hasher.hashed == 0  # a stat per file, no reads


def test_status_right_after_add_reads_nothing_once_outside_the_racy_window(
    tmp_repo,  # type: ignore[no-untyped-def]
    repo: Repo,
) -> None:
    import time

    tmp_repo.gen(_tree(30))
    time.sleep(0.05)  # > RACY_NS after the files were written
    add(repo, ["data/raw"])
    [ptr] = load_pointers(repo)
    hasher = Hasher(repo.state)
    assert artifact_status(repo, ptr, hasher).clean
    assert hasher.hashed == 0


def test_a_changed_file_is_read_once(
    tmp_repo,  # type: ignore[no-untyped-def]
    repo: Repo,
    backdate: Callable[..., None],
) -> None:
    tmp_repo.gen(_tree(60))
    backdate(tmp_repo.root / "data")
    add(repo, ["data/raw"])
    tmp_repo.gen({"data/raw/2/f5.txt": "edited\n"})
    backdate(tmp_repo.root / "data/raw/2/f5.txt", 30)
    [ptr] = load_pointers(repo)
    first = Hasher(repo.state)
    assert artifact_status(repo, ptr, first).state == MODIFIED
    assert first.hashed == 1
    second = Hasher(repo.state)
    assert artifact_status(repo, ptr, second).state == MODIFIED
    assert second.hashed == 0


def test_a_rewrite_within_the_same_clock_tick_is_detected(
    tmp_repo,  # type: ignore[no-untyped-def]
    repo: Repo,
) -> None:
    # On a coarse clock, a write right after hashing can keep size and mtime. Emulate
    # it: the mtime is "now" (rounded up) when add hashes, and stays after the rewrite.
    import time

    tick = time.time_ns() + 10**9
    tmp_repo.gen({"m.bin": "aaaa"})
    os.utime(tmp_repo.root / "m.bin", ns=(tick, tick))
    add(repo, ["m.bin"])
    tmp_repo.gen({"m.bin": "bbbb"})
    os.utime(tmp_repo.root / "m.bin", ns=(tick, tick))
    assert _by_path(repo)["m.bin"].state == MODIFIED
