"""Shared fixtures: a clean git environment and throw-away repositories.

Every test runs with inherited ``GIT_*`` variables removed, ``HOME`` in a temp
folder holding a git identity, and its own copy of a session-wide template
repository (``git init`` + ``gitml init`` done once).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

GITML = [sys.executable, "-m", "gitml"]


def git(cwd: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


class Result:
    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self) -> str:
        return f"Result(code={self.code}, out={self.out!r}, err={self.err!r})"


class TmpRepo:
    """A git repository with gitml initialised, and helpers to drive it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def gen(self, files: Mapping[str, str | bytes]) -> None:
        """Write files (relative paths); dict values are text or bytes."""
        for rel, content in files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)

    def git(self, *args: str, check: bool = True) -> str:
        return git(self.root, *args, check=check)

    def commit(self, message: str = "commit") -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def run(
        self, *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None
    ) -> Result:
        """Run gitml as a real process."""
        full_env = {**os.environ, **(env or {})}
        proc = subprocess.run(
            [*GITML, *args],
            cwd=cwd or self.root,
            capture_output=True,
            text=True,
            env=full_env,
            check=False,
        )
        return Result(proc)

    def ok(self, *args: str, cwd: Path | None = None) -> Result:
        result = self.run(*args, cwd=cwd)
        assert result.code == 0, result
        return result

    def fails(self, *args: str, code: int = 1, cwd: Path | None = None) -> Result:
        result = self.run(*args, cwd=cwd)
        assert result.code == code, result
        return result

    def repo(self):  # type: ignore[no-untyped-def]
        from gitml.core.repo import Repo

        return Repo.find(self.root)

    @property
    def cache(self) -> Path:
        return self.root / ".git" / "gitml" / "cache"

    def snapshot(self) -> dict[str, bytes]:
        """Every file under the root except .git internals other than gitml's pointers."""
        out = {}
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root).as_posix()
            if rel.startswith(".git/") and not rel.startswith(".git/gitml/cache/"):
                continue
            if path.is_file():
                out[rel] = path.read_bytes()
        return out


@pytest.fixture(autouse=True)
def clean_git_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("GIT_"):
            monkeypatch.delenv(key)
    monkeypatch.delenv("CI", raising=False)
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text(
        "[user]\n\tname = gitml tests\n\temail = tests@gitml.invalid\n"
        "[init]\n\tdefaultBranch = main\n"
        "[advice]\n\tdetachedHead = false\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template") / "repo"
    root.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True, env=env)
    subprocess.run([*GITML, "init", "-q"], cwd=root, check=True, env=env)
    return root


@pytest.fixture
def tmp_repo(_template: Path, tmp_path: Path, clean_git_env: None) -> Iterator[TmpRepo]:
    root = tmp_path / "repo"
    shutil.copytree(_template, root, symlinks=True)
    yield TmpRepo(root)


# -- helpers for the data-tracking tests --------------------------------------


def _backdate(path: Path, seconds: float = 60.0) -> None:
    when = time.time() - seconds
    paths = [path, *path.rglob("*")] if path.is_dir() else [path]
    for p in paths:
        if not p.is_symlink():
            os.utime(p, (when, when))


@pytest.fixture
def backdate() -> Callable[..., None]:
    """``backdate(path, seconds=60)``: move mtimes of a file or a tree into the past.

    A file hashed right after it was written is inside the state index's racy
    window and is read again next time; a backdated one is trusted at once.
    """
    return _backdate


@pytest.fixture
def repo_at() -> Callable[[Path], TmpRepo]:
    """``repo_at(folder)``: TmpRepo's helpers on any folder (not a repository, not initialised)."""
    return TmpRepo
