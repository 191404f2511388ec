"""A project with two real commits that differ in data, params and metrics."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

TmpRepo = Any  # tests/conftest.py TmpRepo
# Stage commands find the venv's python (and gitml.api) through PATH.
STAGE_ENV = {"PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}


def repro(repo: TmpRepo) -> None:
    result = repo.run("repro", env=STAGE_ENV)
    assert result.code == 0, result


TRAIN = """\
import json, os
from gitml import api

p = api.params()["train"]
os.makedirs("models", exist_ok=True)
with open("models/model.bin", "w") as f:
    f.write(f"weights lr={p['lr']}\\n")
acc = round(0.5 + p["lr"] * 10, 4)
api.log_metrics("metrics/train.json", acc=acc, loss=round(1 - acc, 4), epochs=p["epochs"])
api.log_metrics("metrics/cached.json", auc=round(acc / 2, 4))
"""

STAGES = """\
stages:
  train:
    cmd: python src/train.py
    deps: [src/train.py, data/raw]
    params: [train]
    outs: [models/model.bin]
    metrics:
      - metrics/train.json
      - metrics/cached.json: {cache: true}
"""


def first_commit(repo: TmpRepo) -> None:
    """data/raw (a, b), data/single.csv, lr 0.01: repro and commit."""
    repo.gen(
        {
            "data/raw/a.txt": "alpha\n",
            "data/raw/b.txt": "bravo\n",
            "data/single.csv": "x,y\n1,2\n",
            "params.yaml": "train:\n  lr: 0.01\n  epochs: 3\nseed: 7\n",
            "src/train.py": TRAIN,
            "stages.yaml": STAGES,
        }
    )
    repo.ok("add", "data/raw", "data/single.csv")
    repro(repo)
    repo.commit("first")


def second_change(repo: TmpRepo) -> None:
    """a.txt modified, b.txt removed, c.txt added, single.csv untracked, new.bin
    added, lr 0.02; repro (not committed)."""
    (repo.root / "data/raw/b.txt").unlink()
    repo.gen({"data/raw/a.txt": "alpha, longer\n", "data/raw/c.txt": "charlie\n"})
    repo.gen({"data/new.bin": b"\x00" * 10})
    repo.ok("add", "data/raw", "data/new.bin")
    repo.git("rm", "-q", "--cached", "data/single.csv.gitml")
    (repo.root / "data/single.csv.gitml").unlink()
    repo.gen({"params.yaml": "train:\n  lr: 0.02\n  epochs: 3\nseed: 7\n"})
    repro(repo)


class _Builder:
    """TmpRepo's helpers for a session fixture (which cannot use the per-test ones)."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env

    def gen(self, files: dict[str, str | bytes]) -> None:
        for rel, content in files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)

    def git(self, *args: str) -> None:
        subprocess.run(["git", *args], cwd=self.root, env=self.env, check=True)

    def run(self, *args: str, env: dict[str, str] | None = None) -> Any:
        cmd = [sys.executable, "-m", "gitml", *args]
        proc = subprocess.run(
            cmd, cwd=self.root, env={**self.env, **(env or {})}, capture_output=True, text=True
        )
        proc.code = proc.returncode  # type: ignore[attr-defined]
        return proc

    def ok(self, *args: str) -> None:
        proc = self.run(*args)
        assert proc.returncode == 0, proc.stderr

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)


@pytest.fixture(scope="session")
def _two_commits_template(_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two commits, built once (each repro costs seconds) and copied for each test."""
    home = tmp_path_factory.mktemp("review-home")
    (home / ".gitconfig").write_text("[user]\n\tname = gitml tests\n\temail = t@gitml.invalid\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "CI"}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1")
    root = tmp_path_factory.mktemp("review-template") / "repo"
    shutil.copytree(_template, root, symlinks=True)
    builder = _Builder(root, env)
    first_commit(builder)
    second_change(builder)
    builder.commit("second")
    return root


@pytest.fixture
def two_commits(_two_commits_template: Path, tmp_path: Path, repo_at: Any) -> TmpRepo:
    """A repository whose HEAD~1 and HEAD differ in data, params and metrics."""
    root = tmp_path / "repo"
    shutil.copytree(_two_commits_template, root, symlinks=True)
    return repo_at(root)
