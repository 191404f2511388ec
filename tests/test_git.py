"""gitml.git: locating repositories and reading the index and history with real git."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitml import git
from gitml.errors import GitmlError, NotARepository


def test_find_from_subfolders_and_worktrees(tmp_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_repo.root / "a/b").mkdir(parents=True)
    root = tmp_repo.root.resolve()
    loc = git.find(tmp_repo.root / "a/b")
    assert (loc.root, loc.git_dir, loc.common_dir) == (root, root / ".git", root / ".git")
    tmp_repo.commit("init")
    tmp_repo.git("worktree", "add", "-q", "--detach", str(tmp_path / "wt"))
    wt = git.find(tmp_path / "wt")
    assert wt.root == (tmp_path / "wt").resolve()
    assert wt.git_dir == root / ".git/worktrees/wt"
    assert wt.common_dir == root / ".git"


def test_find_outside(tmp_path: Path) -> None:
    with pytest.raises(NotARepository, match="not a git repository"):
        git.find(tmp_path)


def test_find_with_a_broken_git_file(tmp_path: Path) -> None:
    (tmp_path / ".git").write_text("nonsense\n")
    with pytest.raises(NotARepository, match="not a gitdir link"):
        git.find(tmp_path)


def test_index_queries(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen(
        {
            "src/a.py": "a",
            "src/b.py": "b",
            "data/x.gitml": "p",
            "data/sub/y.gitml": "p",
            "data/ignored/z.gitml": "p",
            "data/.gitignore": "/ignored\n",
            "données/é.gitml": "p",
        }
    )
    tmp_repo.git("add", "src")
    assert git.tracked_under(tmp_repo.root, ["src"]) == ["src/a.py", "src/b.py"]
    assert git.tracked_under(tmp_repo.root, ["data"]) == []
    assert git.tracked_under(tmp_repo.root, []) == []
    assert git.pointer_files(tmp_repo.root, ".gitml") == [
        "data/sub/y.gitml",
        "data/x.gitml",
        "données/é.gitml",
    ]


def test_history(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    assert git.head_commit(tmp_repo.root) is None
    assert git.revisions(tmp_repo.root) == []
    tmp_repo.gen({"a.gitml": "one", "sub/b.gitml": "b", "c.txt": "c"})
    tmp_repo.commit("1")
    first = git.head_commit(tmp_repo.root)
    tmp_repo.gen({"a.gitml": "two"})
    tmp_repo.commit("2")
    tmp_repo.git("tag", "-a", "-m", "t", "v1", first or "")
    tmp_repo.git("branch", "side", first or "")
    head = git.head_commit(tmp_repo.root)
    assert head and first and head != first
    assert git.read_blob(tmp_repo.root, "HEAD~1", "a.gitml") == b"one"
    assert git.read_blob(tmp_repo.root, "HEAD", "nope") is None

    assert git.revisions(tmp_repo.root) == [head.encode()]
    assert set(git.revisions(tmp_repo.root, branches=True)) == {head.encode(), first.encode()}
    assert set(git.revisions(tmp_repo.root, tags=True)) == {head.encode(), first.encode()}
    assert set(git.revisions(tmp_repo.root, all_commits=True)) == {
        head.encode(),
        first.encode(),
    }

    found = list(
        git.files_at_revisions(
            tmp_repo.root,
            git.revisions(tmp_repo.root, all_commits=True),
            lambda p: p.endswith(".gitml"),
        )
    )
    assert sorted((path, blob) for _c, path, blob in found) == [
        ("a.gitml", b"one"),
        ("a.gitml", b"two"),
        ("sub/b.gitml", b"b"),  # an unchanged subtree is visited once
    ]


def test_git_errors_name_the_command(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    with pytest.raises(GitmlError, match=r"`git rev-parse --verify nope` failed with exit code"):
        git.git(tmp_path, "rev-parse", "--verify", "nope")


def test_inherited_git_variables_do_not_leak(tmp_repo, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    # Inside a hook git exports GIT_DIR/GIT_INDEX_FILE; gitml's own git calls must ignore them.
    tmp_repo.gen({"a.txt": "a"})
    tmp_repo.git("add", "a.txt")
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_repo.root / "elsewhere.index"))
    monkeypatch.setenv("GIT_DIR", "/nonexistent")
    assert git.tracked_under(tmp_repo.root, ["a.txt"]) == ["a.txt"]
