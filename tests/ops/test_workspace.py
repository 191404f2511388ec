"""Finding the artifacts a command is about."""

from __future__ import annotations

import pytest

from gitml.core.repo import Repo
from gitml.errors import BadPath, GitmlError
from gitml.ops.add import add
from gitml.ops.workspace import artifact_arg, enclosing_artifact, load_pointers


def test_artifact_arg(repo: Repo) -> None:
    assert artifact_arg(repo, "data/raw") == "data/raw"
    assert artifact_arg(repo, "data/raw.gitml") == "data/raw"
    assert artifact_arg(repo, "./data/raw/") == "data/raw"
    with pytest.raises(BadPath):
        artifact_arg(repo, "../elsewhere")


def test_load_pointers(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"data/a/x": "1", "data/b/y": "2", "m.pt": "w"})
    add(repo, ["data/a", "data/b", "m.pt"])
    assert [p.rel for p in load_pointers(repo)] == ["data/a", "data/b", "m.pt"]
    assert [p.rel for p in load_pointers(repo, ["data", "data/a"])] == ["data/a", "data/b"]
    with pytest.raises(GitmlError, match="not tracked by gitml"):
        load_pointers(repo, ["data/a/x"])


def test_ignored_pointer_files_are_not_artifacts(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"m.pt": "w"})
    add(repo, ["m.pt"])
    tmp_repo.gen({"build/junk.gitml": "not a pointer", ".gitignore": "/m.pt\n/build\n"})
    assert [p.rel for p in load_pointers(repo)] == ["m.pt"]


def test_enclosing_artifact(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"data/raw/sub/x": "1"})
    add(repo, ["data/raw"])
    assert enclosing_artifact(repo, "data/raw/sub/x") == "data/raw"
    assert enclosing_artifact(repo, "data/raw") is None
    assert enclosing_artifact(repo, "data/other") is None
