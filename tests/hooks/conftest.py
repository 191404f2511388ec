"""Helpers for the hook tests: run git like a user would, with a chosen PATH."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

HOOKS = ("pre-commit", "pre-merge-commit", "pre-push", "post-checkout", "post-merge")


def path_without_gitml() -> str:
    """$PATH minus every folder holding a ``gitml`` program (git and sh stay reachable)."""
    folders = [
        d
        for d in os.environ.get("PATH", "").split(os.pathsep)
        if d and not os.access(os.path.join(d, "gitml"), os.X_OK)
    ]
    path = os.pathsep.join(folders)
    assert shutil.which("gitml", path=path) is None
    assert shutil.which("git", path=path) is not None
    return path


def run_git(
    root: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``git ARGS`` in ``root``; hooks run as they would for a user. Never raises."""
    full = {**os.environ, "PATH": path_without_gitml(), **(env or {})}
    return subprocess.run(
        ["git", *args], cwd=root, env=full, capture_output=True, text=True, check=False
    )


def git_ok(root: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    proc = run_git(root, *args, env=env)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stdout}{proc.stderr}"
    return proc.stdout + proc.stderr


def write_hook(path: Path, body: str, mode: int = 0o755) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}")
    path.chmod(mode)


def gitml_on_path(folder: Path, marker: Path) -> str:
    """A PATH whose ``gitml`` notes each call in ``marker``, then runs this interpreter's."""
    folder.mkdir(parents=True, exist_ok=True)
    write_hook(
        folder / "gitml",
        f'echo "$*" >> "{marker}"\nexec "{sys.executable}" -m gitml "$@"\n',
    )
    return f"{folder}{os.pathsep}{path_without_gitml()}"


@pytest.fixture
def repo(tmp_repo: Any) -> Any:
    """The template repository with a first commit (made before any hook is installed)."""
    tmp_repo.gen({"README": "hello\n"})
    tmp_repo.commit("first")
    return tmp_repo
