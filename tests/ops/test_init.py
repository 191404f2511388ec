"""``gitml init``: idempotent set-up of a git repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitml.core.config import Config
from gitml.errors import NotARepository
from gitml.ops.init import GITIGNORE, init


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    root = tmp_path / "fresh"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_first_and_second_run(fresh: Path) -> None:
    first = init(fresh)
    assert first.root == str(fresh.resolve())
    assert first.created == [".gitml/config.yaml", ".gitml/.gitignore"]
    config = Config.load(fresh)
    assert config.link_types == ["reflink", "copy"]
    assert (fresh / ".gitml/.gitignore").read_text() == GITIGNORE
    for sub in ("cache", "state", "tmp"):
        assert (fresh / ".git/gitml" / sub).is_dir()
    text = (fresh / ".gitml/config.yaml").read_text()
    second = init(fresh)
    assert second.created == []
    assert (fresh / ".gitml/config.yaml").read_text() == text


def test_keeps_an_edited_config(fresh: Path) -> None:
    (fresh / ".gitml").mkdir()
    (fresh / ".gitml/config.yaml").write_text("version: 1\ncache:\n  type: hardlink\n")
    assert init(fresh).created == [".gitml/.gitignore"]
    assert Config.load(fresh).link_types == ["hardlink"]


def test_from_a_subfolder(fresh: Path) -> None:
    sub = fresh / "a" / "b"
    sub.mkdir(parents=True)
    assert init(sub).root == str(fresh.resolve())
    assert (fresh / ".gitml/config.yaml").is_file()
    assert not (sub / ".gitml").exists()


def test_outside_git(tmp_path: Path) -> None:
    with pytest.raises(NotARepository, match="not a git repository") as info:
        init(tmp_path)
    assert "git init" in str(info.value.hint)
    assert list(tmp_path.iterdir()) == []


def test_local_config_is_ignored_by_git(fresh: Path) -> None:
    init(fresh)
    (fresh / ".gitml/config.local.yaml").write_text("core:\n  jobs: 2\n")
    out = subprocess.run(
        ["git", "status", "--porcelain", "-uall"], cwd=fresh, capture_output=True, text=True
    ).stdout
    assert ".gitml/config.local.yaml" not in out
    assert ".gitml/config.yaml" in out
