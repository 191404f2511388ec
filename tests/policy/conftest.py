"""A repository with a tiny pipeline whose accuracy is a param, for policy tests."""

from __future__ import annotations

import json
from typing import Any

import pytest

TRAIN = """import json, yaml
p = yaml.safe_load(open("params.yaml"))
open("model.bin", "w").write("model %s" % p["quality"])
json.dump({"accuracy": p["quality"], "loss": round(1 - p["quality"], 6)}, open("metrics.json", "w"))
"""

STAGES = """stages:
  train:
    cmd: python train.py
    deps: [data.csv, train.py]
    params: [quality]
    outs: [model.bin]
    metrics: [metrics.json]
"""


class Project:
    def __init__(self, repo: Any) -> None:
        self.repo = repo
        self.root = repo.root

    def write_policy(self, text: str) -> None:
        self.repo.gen({".gitml/policy.yaml": text})

    def set_quality(self, value: float) -> None:
        self.repo.gen({"params.yaml": f"quality: {value}\n"})

    def metrics(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.root / "metrics.json").read_text())
        return data

    def check(self, *args: str) -> Any:
        return self.repo.run("check", *args)


@pytest.fixture
def project(tmp_repo: Any) -> Project:
    tmp_repo.gen(
        {
            "data.csv": "x,y\n1,2\n3,4\n",
            "params.yaml": "quality: 0.9\n",
            "stages.yaml": STAGES,
            "train.py": TRAIN,
        }
    )
    tmp_repo.ok("add", "data.csv")
    tmp_repo.ok("repro")
    tmp_repo.commit("pipeline")
    return Project(tmp_repo)
