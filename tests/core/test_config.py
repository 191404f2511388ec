"""The configuration: defaults, the local override file, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitml.core.config import DEFAULT_LINKS, Config
from gitml.errors import InvalidFile


def _write(root: Path, name: str, text: str) -> None:
    (root / ".gitml").mkdir(exist_ok=True)
    (root / ".gitml" / name).write_text(text)


def test_defaults_without_files(tmp_path: Path) -> None:
    config = Config.load(tmp_path)
    assert config.link_types == list(DEFAULT_LINKS)
    assert config.cache_dir is None
    assert config.lock_wait == 5.0
    assert config.jobs is None


def test_empty_file_is_fine(tmp_path: Path) -> None:
    _write(tmp_path, "config.yaml", "# nothing yet\n")
    assert Config.load(tmp_path).link_types == list(DEFAULT_LINKS)


def test_local_file_overrides_the_committed_one(tmp_path: Path) -> None:
    _write(
        tmp_path, "config.yaml", "version: 1\ncache:\n  type: [hardlink, copy]\n  dir: /shared\n"
    )
    _write(tmp_path, "config.local.yaml", "cache:\n  type: symlink\ncore:\n  jobs: 4\n")
    config = Config.load(tmp_path)
    assert config.link_types == ["symlink"]
    assert config.cache_dir == "/shared"  # merged, not replaced
    assert config.jobs == 4


def test_invalid_local_file_is_reported_by_name(tmp_path: Path) -> None:
    _write(tmp_path, "config.yaml", "version: 1\n")
    _write(tmp_path, "config.local.yaml", "core:\n  lock_wiat: 3\n")
    with pytest.raises(InvalidFile, match=r"^\.gitml/config\.local\.yaml:2") as info:
        Config.load(tmp_path)
    assert info.value.hint == "did you mean 'lock_wait'?"
