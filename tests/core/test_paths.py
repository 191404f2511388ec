"""Confining paths: relative paths from files, user arguments, symlink targets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitml.core.paths import (
    check_link_target,
    check_portable,
    check_relative,
    has_drive,
    in_git_dir,
    to_repo_relative,
)
from gitml.errors import BadPath


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("a", "a"),
        ("a/b.csv", "a/b.csv"),
        ("a//b", "a/b"),
        ("./a", "a"),
        ("a/./b", "a/b"),
        ("données", "données"),
        ("...", "..."),
        ("..a", "..a"),
        ("0:z", "0:z"),
        (" a", " a"),  # file names may start or end with spaces
        ("a /b\t", "a /b\t"),
        ("ab:c", "ab:c"),
    ],
)
def test_check_relative_accepts(rel: str, expected: str) -> None:
    assert check_relative(rel, "f.gitml") == expected


@pytest.mark.parametrize(
    ("rel", "problem"),
    [
        ("", "empty"),
        ("/etc/passwd", "absolute"),
        ("\\\\server\\share", "absolute"),
        ("C:evil", "absolute"),
        ("c:/evil", "absolute"),
        ("..", "'..'"),
        ("../a", "'..'"),
        ("a/../../b", "'..'"),
        ("a/..", "'..'"),
    ],
)
def test_check_relative_refuses(rel: str, problem: str) -> None:
    with pytest.raises(BadPath, match=problem) as info:
        check_relative(rel, "data/raw.gitml")
    assert info.value.message.startswith("data/raw.gitml:")
    assert info.value.hint


def test_in_git_dir() -> None:
    assert in_git_dir(".git")
    assert in_git_dir(".git/config")
    assert in_git_dir("sub/.git/HEAD")
    assert not in_git_dir(".gitignore")
    assert not in_git_dir(".gitml/config.yaml")
    assert not in_git_dir("a.git/b")


def test_to_repo_relative(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    sub = root / "data"
    assert to_repo_relative(root, "raw", sub) == "data/raw"
    assert to_repo_relative(root, "../models/m.pt", sub) == "models/m.pt"
    assert to_repo_relative(root, "./data//raw/", root) == "data/raw"
    assert to_repo_relative(root, str(root / "x"), sub) == "x"
    assert to_repo_relative(root, Path("x"), root) == "x"


@pytest.mark.parametrize(
    ("arg", "problem"),
    [
        ("../../outside", "outside the repository"),
        ("/tmp", "outside the repository"),
        ("..", "is the repository root"),
        (".", "outside the repository"),
        ("../.git/config", "inside .git"),
        ("../.git", "inside .git"),
        ("sub/.git/x", "inside .git"),
    ],
)
def test_to_repo_relative_refuses(tmp_path: Path, arg: str, problem: str) -> None:
    root = tmp_path / "repo"
    cwd = root / "data" if arg != "." else tmp_path
    with pytest.raises(BadPath, match=problem):
        to_repo_relative(root, arg, cwd)


def test_link_targets(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text("x")
    (root / "data").mkdir()
    (root / "data" / "real").write_text("x")
    (tmp_path / "outside").write_text("x")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "obj").write_text("x")

    def link(name: str, target: str | Path) -> Path:
        path = root / "data" / name
        os.symlink(target, path)
        return path

    check_link_target(root, root / "data" / "real")  # not a link: fine
    check_link_target(root, link("in", "real"))
    check_link_target(root, link("in-abs", root / "data" / "real"))
    check_link_target(root, link("dangling-inside", "nothing-here"))
    check_link_target(root, link("to-cache", cache / "obj"), (cache,))
    for name, target in [
        ("out-rel", "../../outside"),
        ("out-abs", tmp_path / "outside"),
        ("to-git", "../.git/config"),
        ("to-cache-not-allowed", cache / "obj"),
        ("to-etc", "/etc/passwd"),
    ]:
        with pytest.raises(BadPath, match="symlink points outside the repository") as info:
            check_link_target(root, link(name, target))
        assert info.value.message.startswith(f"data/{name}:")


def test_link_chain_leaving_the_repo(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "secret").write_text("x")
    os.symlink(tmp_path / "secret", root / "hop")
    os.symlink("hop", root / "link")
    with pytest.raises(BadPath):
        check_link_target(root, root / "link")


def test_root_reached_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "f").write_text("x")
    alias = tmp_path / "alias"
    os.symlink(real, alias)
    os.symlink("f", real / "link")
    check_link_target(alias, alias / "link")


def test_drive_letters() -> None:
    assert has_drive("C:x")
    assert has_drive("z:")
    assert not has_drive("0:z")
    assert not has_drive("é:z")
    assert not has_drive("ab:c")
    assert not has_drive("C")
    check_portable("0:z", "d/0:z")
    check_portable("a b/c\\d ", "x")
    for bad in ["C:x", "\\x", "a\nb"]:
        with pytest.raises(BadPath, match=r"^d/x: gitml cannot track a name"):
            check_portable(bad, "d/x")
