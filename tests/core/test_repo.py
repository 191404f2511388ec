"""The Repo handle: locations in work trees, configured cache folder, lock, close."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitml.core.repo import Repo
from gitml.errors import NotARepository
from gitml.ops.add import add
from gitml.ops.checkout import checkout


def test_locations(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    (tmp_repo.root / "a/b").mkdir(parents=True)
    repo = Repo.find(tmp_repo.root / "a/b")
    try:
        assert repo.root == tmp_repo.root.resolve()
        assert repo.cwd == (tmp_repo.root / "a/b").resolve()
        assert repo.data_dir == tmp_repo.root.resolve() / ".git/gitml"
        assert repo.cache.root == repo.data_dir / "cache"
        assert repo.tmp_dir == repo.data_dir / "tmp"
        assert repo.rel(repo.root / "a/b/c") == "a/b/c"
    finally:
        repo.close()


def test_worktree_shares_the_data_dir(tmp_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.commit("init")
    tmp_repo.git("worktree", "add", "-q", "--detach", str(tmp_path / "wt"))
    main, other = Repo.find(tmp_repo.root), Repo.find(tmp_path / "wt")
    try:
        assert other.root == (tmp_path / "wt").resolve()
        assert other.git_dir != main.git_dir
        assert other.common_dir == main.common_dir
        assert other.cache.root == main.cache.root
        assert other.tmp_dir == main.tmp_dir  # one lock for both
    finally:
        main.close()
        other.close()


def test_not_initialised(tmp_path: Path) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    with pytest.raises(NotARepository, match="gitml is not initialised"):
        Repo.find(tmp_path)
    Repo.find(tmp_path, require_init=False).close()


@pytest.mark.parametrize("relative", [False, True])
def test_configured_cache_dir_is_shared_between_repositories(
    tmp_repo,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    relative: bool,
    repo_at,  # type: ignore[no-untyped-def]
) -> None:
    shared = tmp_path / "team-cache"
    value = "../team-cache" if relative else str(shared)  # relative to the work tree
    tmp_repo.gen({".gitml/config.yaml": f"version: 1\ncache:\n  dir: {value}\n"})
    tmp_repo.commit("config")
    tmp_repo.gen({"m.pt": "w"})
    clone_root = tmp_path / "clone"
    tmp_repo.git("clone", "-q", str(tmp_repo.root), str(clone_root))

    repo = Repo.find(tmp_repo.root)
    try:
        assert repo.cache.root.resolve() == shared.resolve()
        add(repo, ["m.pt"])
    finally:
        repo.close()
    assert list((tmp_repo.cache).rglob("*")) == []  # nothing in the default place
    # The clone reads the same configured cache: checkout needs no copy of the data.
    (clone_root / "m.pt.gitml").write_bytes((tmp_repo.root / "m.pt.gitml").read_bytes())
    clone = Repo.find(clone_root)
    try:
        checkout(clone)
    finally:
        clone.close()
    assert (clone_root / "m.pt").read_text() == "w"


def test_close_is_safe_without_state(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    repo = Repo.find(tmp_repo.root)
    repo.close()  # the state index was never opened
