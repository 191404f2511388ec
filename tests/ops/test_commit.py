"""``gitml commit`` at the ops level: record what changed in tracked artifacts."""

from __future__ import annotations

import os

import pytest

from gitml.core.hashing import hash_bytes
from gitml.core.pointer import load as load_pointer
from gitml.core.repo import Repo
from gitml.errors import GitmlError
from gitml.ops.add import add
from gitml.ops.commit import commit


def test_commit_records_changes(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"d/a": "a", "m.pt": "v1"})
    add(repo, ["d", "m.pt"])
    assert [r.changed for r in commit(repo)] == [False, False]
    tmp_repo.gen({"m.pt": "v2"})
    results = commit(repo)
    assert [(r.path, r.changed) for r in results] == [("d", False), ("m.pt", True)]
    assert load_pointer(tmp_repo.root, "m.pt.gitml").oid == hash_bytes(b"v2")
    assert repo.cache.read_bytes(hash_bytes(b"v2")) == b"v2"


def test_commit_some(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"d/a": "a", "m.pt": "v1"})
    add(repo, ["d", "m.pt"])
    tmp_repo.gen({"d/a": "a2", "m.pt": "v2"})
    assert [r.path for r in commit(repo, ["d"])] == ["d"]
    assert load_pointer(tmp_repo.root, "m.pt.gitml").oid == hash_bytes(b"v1")


def test_nothing_tracked(repo: Repo) -> None:
    assert commit(repo) == []


def test_missing_artifact_is_refused(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"d/a": "a", "m.pt": "v1"})
    add(repo, ["d", "m.pt"])
    tmp_repo.gen({"d/a": "changed"})
    os.remove(tmp_repo.root / "m.pt")
    before = tmp_repo.snapshot()
    with pytest.raises(
        GitmlError, match=r"cannot commit m\.pt: missing from the work tree"
    ) as info:
        commit(repo)
    assert "gitml checkout" in str(info.value.hint)
    assert tmp_repo.snapshot() == before
