"""``gitml gc`` at the ops level: what the work tree, branches, tags and history keep."""

from __future__ import annotations

import pytest

from gitml.core.hashing import hash_bytes
from gitml.core.repo import Repo
from gitml.errors import GitmlError
from gitml.ops.add import add
from gitml.ops.checkout import checkout
from gitml.ops.gc import gc


def _oid(text: str) -> str:
    return hash_bytes(text.encode())


@pytest.fixture
def history(tmp_repo, repo: Repo) -> Repo:  # type: ignore[no-untyped-def]
    """main: v1 then v2 of model.pt; branch `other`: v3; a tag on a dropped branch: v4."""
    tmp_repo.gen({"model.pt": "v1", "data/d/a": "a1", "data/d/b": "b"})
    add(repo, ["model.pt", "data/d"])
    tmp_repo.commit("v1")
    tmp_repo.gen({"model.pt": "v2", "data/d/a": "a2"})
    add(repo, ["model.pt", "data/d"])
    tmp_repo.commit("v2")
    tmp_repo.git("checkout", "-q", "-b", "other")
    tmp_repo.gen({"model.pt": "v3"})
    add(repo, ["model.pt"])
    tmp_repo.commit("v3")
    tmp_repo.git("checkout", "-q", "-b", "dropped")
    tmp_repo.gen({"model.pt": "v4"})
    add(repo, ["model.pt"])
    tmp_repo.commit("v4")
    tmp_repo.git("tag", "-a", "-m", "release", "v4")
    tmp_repo.git("checkout", "-q", "main")
    tmp_repo.git("branch", "-q", "-D", "dropped")
    checkout(repo, force=True)
    return repo


def _present(repo: Repo, *texts: str) -> list[bool]:
    return [repo.cache.exists(_oid(t)) for t in texts]


def test_workspace_only(history: Repo) -> None:
    assert _present(history, "v1", "v2", "v3", "v4", "a1", "a2", "b") == [True] * 7
    dry = gc(history, dry_run=True)
    assert dry.dry_run
    assert _present(history, "v1", "v2", "v3", "v4", "a1") == [True] * 5  # nothing deleted
    gone = {_oid(t) for t in ("v1", "v3", "v4", "a1")}
    assert gone < set(dry.removed)
    real = gc(history)
    assert sorted(real.removed) == sorted(dry.removed)
    assert real.bytes_freed == dry.bytes_freed > 0
    assert _present(history, "v2", "a2", "b") == [True] * 3
    assert _present(history, "v1", "v3", "v4", "a1") == [False] * 4
    assert len(real.removed) == 5  # the four files and v1's manifest
    assert real.kept == 4  # model v2, manifest v2, a2, b
    assert gc(history).removed == []


def test_dry_run_reports_bytes(history: Repo) -> None:
    dry = gc(history, dry_run=True)
    assert dry.bytes_freed == sum(history.cache.size(oid) for oid in dry.removed)


def test_all_branches_keeps_other_branches(history: Repo) -> None:
    result = gc(history, all_branches=True)
    assert _present(history, "v2", "v3", "a2", "b") == [True] * 4
    # v1/a1 are only in main's history, v4 only behind a tag.
    assert _present(history, "v1", "a1", "v4") == [False] * 3
    assert len(result.removed) == 4


def test_all_tags(history: Repo) -> None:
    gc(history, all_tags=True)
    assert _present(history, "v2", "v4") == [True, True]
    assert _present(history, "v1", "v3") == [False, False]


def test_all_commits_keeps_history(history: Repo) -> None:
    result = gc(history, all_commits=True)
    assert _present(history, "v1", "v2", "v3", "v4", "a1", "a2", "b") == [True] * 7
    assert result.removed == []


def test_unreferenced_object_goes(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    repo.cache.put_bytes(b"orphan", _oid("orphan"))
    result = gc(repo, all_commits=True)
    assert result.removed == [_oid("orphan")]
    assert result.bytes_freed == 6


def test_a_missing_manifest_stops_gc(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"data/d/a": "a"})
    [r] = add(repo, ["data/d"])
    repo.cache.put_bytes(b"orphan", _oid("orphan"))
    repo.cache.remove(r.hash.split(":")[1])
    with pytest.raises(GitmlError, match="manifest"):
        gc(repo)
    assert repo.cache.exists(_oid("orphan"))


def test_an_unreadable_pointer_in_the_work_tree_stops_gc(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"model.pt": "precious"})
    add(repo, ["model.pt"])
    ptr = tmp_repo.root / "model.pt.gitml"
    ptr.write_text(ptr.read_text() + "sise: 3\n")  # a typo: the data is still wanted
    before = tmp_repo.snapshot()
    with pytest.raises(GitmlError, match=r"model\.pt\.gitml"):
        gc(repo)
    assert tmp_repo.snapshot() == before
    assert repo.cache.exists(_oid("precious"))


def test_an_unreadable_pointer_in_history_is_skipped_with_a_notice(
    tmp_repo,  # type: ignore[no-untyped-def]
    repo: Repo,
) -> None:
    tmp_repo.gen({"old.gitml": "version: [\n"})
    tmp_repo.commit("broken")
    (tmp_repo.root / "old.gitml").unlink()
    tmp_repo.commit("fixed")
    gc(repo, all_commits=True)
    assert any("skipped unreadable old.gitml" in n for n in repo.notices)


def test_keeps_what_other_worktrees_use(tmp_repo, repo: Repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Work trees share the cache: data added (not even committed) in one must survive gc in
    # another, and the other way round.
    tmp_repo.gen({"model.pt": "main data"})
    add(repo, ["model.pt"])
    tmp_repo.commit("main")
    wt_root = tmp_path / "wt"
    tmp_repo.git("worktree", "add", "-q", "-b", "exp", str(wt_root))
    (wt_root / "model.pt").write_text("experiment data")
    wt = Repo.find(wt_root)
    try:
        add(wt, ["model.pt"])
        assert gc(repo).removed == []
        assert _present(repo, "main data", "experiment data") == [True, True]
        (tmp_repo.root / "model.pt").write_text("newer main data")
        add(repo, ["model.pt"])  # "main data" is now referenced by HEAD only
        result = gc(wt)
        assert result.removed == [_oid("main data")]
        assert _present(repo, "newer main data", "experiment data") == [True, True]
    finally:
        wt.close()
