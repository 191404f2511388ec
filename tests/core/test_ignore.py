"""The .gitignore entries gitml keeps for tracked artifacts, checked with real git."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitml.core.ignore import add_entry, remove_entry


@pytest.fixture
def root(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def _ignored(root: Path, rel: str) -> bool:
    proc = subprocess.run(["git", "check-ignore", "-q", "--", rel], cwd=root, check=False)
    assert proc.returncode in (0, 1), proc
    return proc.returncode == 0


def test_entry_in_the_artifacts_folder(root: Path) -> None:
    (root / "data").mkdir()
    assert add_entry(root, "data/raw")
    assert (root / "data" / ".gitignore").read_text() == "/raw\n"
    assert not add_entry(root, "data/raw")
    assert (root / "data" / ".gitignore").read_text() == "/raw\n"
    assert _ignored(root, "data/raw")
    assert _ignored(root, "data/raw/x.csv")
    assert not _ignored(root, "data/raw.gitml")
    assert not _ignored(root, "data/other/raw")  # anchored to its folder


def test_entry_at_the_top(root: Path) -> None:
    assert add_entry(root, "model.pt")
    assert (root / ".gitignore").read_text() == "/model.pt\n"
    assert _ignored(root, "model.pt")
    assert not _ignored(root, "sub/model.pt")


def test_keeps_existing_lines_and_adds_a_missing_newline(root: Path) -> None:
    (root / ".gitignore").write_text("*.pyc\n/build")
    add_entry(root, "m.pt")
    assert (root / ".gitignore").read_text() == "*.pyc\n/build\n/m.pt\n"


@pytest.mark.parametrize(
    "name", ["a b", "x*", "#hash", "!bang", "br[1]", "trailing ", "q?", "back\\slash", "é.csv"]
)
def test_special_names_are_escaped_so_git_ignores_exactly_them(root: Path, name: str) -> None:
    (root / "d").mkdir(exist_ok=True)
    add_entry(root, f"d/{name}")
    (root / "d" / name).write_text("x")
    assert _ignored(root, f"d/{name}")
    assert not _ignored(root, f"d/{name}.gitml")
    assert not _ignored(root, "d/other")


def test_remove_entry(root: Path) -> None:
    (root / ".gitignore").write_text("*.pyc\n")
    add_entry(root, "a")
    add_entry(root, "b")
    assert remove_entry(root, "a")
    assert (root / ".gitignore").read_text() == "*.pyc\n/b\n"
    assert not remove_entry(root, "a")
    assert not remove_entry(root, "nowhere/x")
