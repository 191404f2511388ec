"""What ships: the shim template in the wheel, and .pre-commit-hooks.yaml at the root."""

from __future__ import annotations

import importlib.util
import shlex
import subprocess
import tomllib
from pathlib import Path
from shutil import which
from typing import Any

import yaml

from .conftest import HOOKS

ROOT = Path(__file__).resolve().parents[2]


def test_the_shim_template_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "gitml.hooks" in config["packages"]
    assert config["package-dir"]["gitml.hooks"] == "hooks"
    assert config["package-data"]["gitml.hooks"] == ["*.sh"]
    spec = importlib.util.find_spec("gitml.hooks")
    assert spec is not None and spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations)))
    assert (folder / "shim.sh").read_text().startswith("#!/bin/sh\n")


def test_the_shim_is_posix_sh() -> None:
    """`sh -n` parses it; bash-only syntax would break on dash (Debian's /bin/sh)."""
    for shell in ("sh", "dash"):
        if which(shell):
            proc = subprocess.run([shell, "-n", str(ROOT / "hooks" / "shim.sh")], check=False)
            assert proc.returncode == 0, shell


def test_pre_commit_framework_hooks_cover_the_three_checking_stages() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    stages = [h["stages"] for h in hooks]
    assert stages == [["pre-commit"], ["pre-merge-commit"], ["pre-push"]]
    for hook in hooks:
        assert hook["entry"] == f"gitml check --hook {hook['stages'][0]}"
        assert hook["language"] == "system"
        assert hook["pass_filenames"] is False
        assert hook["always_run"] is True
        assert {"id", "name"} <= set(hook)
    assert len({h["id"] for h in hooks}) == len(hooks)
    assert {h["stages"][0] for h in hooks} <= set(HOOKS)


def test_pre_commit_framework_entries_run(repo: Any) -> None:
    """Each entry is a command gitml accepts, and passes on a clean repository."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        program, *args = shlex.split(hook["entry"])
        assert program == "gitml"
        result = repo.run(*args)
        assert result.code == 0, (hook["id"], result)
