"""A project with two real commits that differ in data, params and metrics."""

from __future__ import annotations

import os
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


@pytest.fixture
def two_commits(tmp_repo: TmpRepo) -> TmpRepo:
    first_commit(tmp_repo)
    second_change(tmp_repo)
    tmp_repo.commit("second")
    return tmp_repo
