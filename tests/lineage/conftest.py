"""A real project for lineage tests: gitml-added source data, a three-stage
pipeline run by ``gitml repro``, and a history of real commits."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

# TmpRepo and its Result come from the fixture ``tmp_repo`` in tests/conftest.py.
TmpRepo = Any

STAGES = """
stages:
  prepare:
    cmd: sh src/prepare.sh
    deps: [src/prepare.sh, data/raw]
    params: [prepare.scale]
    outs: [data/prepared]
  train:
    cmd: mkdir -p models && cat data/prepared/all.csv params.yaml > models/model.bin
    deps: [data/prepared]
    params: [train]
    outs: [models/model.bin]
  evaluate:
    cmd: mkdir -p metrics && wc -c models/model.bin data/prepared/all.csv > metrics/eval.txt
    deps: [models/model.bin, data/prepared/all.csv]
    outs: [metrics/eval.txt]
"""

PREPARE_SH = """\
mkdir -p data/prepared
cat data/raw/*.csv > data/prepared/all.csv
echo header > data/prepared/header.txt
"""


@dataclass
class Project:
    """The repository and the commits of its history, by what they did."""

    repo: TmpRepo
    raw: str  # tracked the raw data (data/raw.gitml)
    pipeline: str  # added stages.yaml, params.yaml, src/prepare.sh
    run1: str  # first `gitml repro`: every stage
    run2: str  # train.lr changed: train and evaluate ran again

    def ok(self, *args: str) -> str:
        return str(self.repo.ok(*args).out)

    def json(self, *args: str) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.ok("lineage", "--json", *args))
        return doc

    def head(self) -> str:
        return str(self.repo.git("rev-parse", "HEAD").strip())

    def lock(self) -> dict[str, Any]:
        stages: dict[str, Any] = yaml.safe_load((self.repo.root / "stages.lock").read_text())[
            "stages"
        ]
        return stages

    def pointer(self, rel: str = "data/raw.gitml") -> dict[str, Any]:
        doc: dict[str, Any] = yaml.safe_load((self.repo.root / rel).read_text())
        return doc

    def commit(self, message: str) -> str:
        self.repo.commit(message)
        return self.head()


def add_meta(repo: TmpRepo, rel: str, meta: dict[str, str]) -> None:
    path = repo.root / rel
    doc = yaml.safe_load(path.read_text())
    doc["meta"] = meta
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


@pytest.fixture
def project(tmp_repo: TmpRepo) -> Project:
    repo = tmp_repo
    repo.gen({"data/raw/a.csv": "1,2\n", "data/raw/b.csv": "3,4\n"})
    repo.ok("add", "data/raw")
    add_meta(repo, "data/raw.gitml", {"license": "CC-BY-4.0", "source": "https://example.org"})
    p = Project(repo, "", "", "", "")
    p.raw = p.commit("track raw data")
    repo.gen(
        {
            "stages.yaml": textwrap.dedent(STAGES).lstrip(),
            "params.yaml": "prepare:\n  scale: 2\ntrain:\n  lr: 0.1\n  epochs: 3\n",
            "src/prepare.sh": PREPARE_SH,
        }
    )
    p.pipeline = p.commit("pipeline")
    repo.ok("repro")
    p.run1 = p.commit("run pipeline")
    repo.gen({"params.yaml": "prepare:\n  scale: 2\ntrain:\n  lr: 0.2\n  epochs: 3\n"})
    repo.ok("repro")
    p.run2 = p.commit("lr 0.2")
    return p
