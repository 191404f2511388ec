"""The digits example end to end under ``gitml repro``, in a throw-away git repository."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("torch")

pytestmark = [pytest.mark.slow, pytest.mark.torch]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits"
STAGES = ["prepare", "tune", "train", "evaluate@val", "evaluate@test"]
RESULTS = [
    "tuning/best_params.yaml",
    "models/model.pt",
    "metrics/train.json",
    "metrics/val.json",
    "metrics/test.json",
    "plots/val_confusion.csv",
    "plots/test_confusion.csv",
]


def gitml(repo: Any, *args: str) -> Any:
    """Run gitml with the venv's python first on PATH (the stages run ``python src/...``)."""
    path = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    result = repo.run(*args, env={"PATH": path})
    assert result.code == 0, result
    return result


def actions(result: Any) -> dict[str, str]:
    return {s["stage"]: s["action"] for s in json.loads(result.out)["stages"]}


def results(root: Path) -> dict[str, bytes]:
    return {rel: (root / rel).read_bytes() for rel in RESULTS}


def test_digits_pipeline(tmp_repo: Any) -> None:
    root: Path = tmp_repo.root
    for rel in ("params.yaml", "stages.yaml", "data/digits.csv.gz", "src"):
        source, dest = EXAMPLE / rel, root / rel
        if source.is_dir():
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)
    # a small search keeps the test short: 3 trials of 3 epochs
    params = root / "params.yaml"
    text = params.read_text()
    assert "  trials: 12" in text and "  epochs: 12" in text
    params.write_text(
        text.replace("  trials: 12", "  trials: 3").replace("  epochs: 12", "  epochs: 3")
    )
    gitml(tmp_repo, "add", "data/digits.csv.gz")
    tmp_repo.commit("digits")

    # everything runs (-f: this run and the last must both really run, -j 2: faster)
    assert actions(gitml(tmp_repo, "repro", "-f", "-j", "2", "--json")) == dict.fromkeys(
        STAGES, "ran"
    )
    first = results(root)
    metrics = json.loads(gitml(tmp_repo, "metrics", "show", "--json").out)
    assert set(metrics) == {"metrics/train.json", "metrics/val.json", "metrics/test.json"}
    assert metrics["metrics/val.json"]["accuracy"] > 0.85, metrics
    assert set(tmp_repo.git("status", "--porcelain").split()) >= {"stages.lock"}

    assert set(yaml.safe_load((root / "tuning/best_params.yaml").read_text())["train"]) == {
        "model",
        "lr",
        "hidden",
        "optimizer",
    }
    tune = json.loads(gitml(tmp_repo, "tune", "show", "tune", "--json").out)
    assert tune["complete"] + tune["pruned"] == 3, tune

    # a train param the search does not read: prepare and tune skipped, train and evaluate run
    original = params.read_text()
    assert "  epochs: 30\n" in original
    params.write_text(original.replace("  epochs: 30\n", "  epochs: 31\n"))
    explain = gitml(tmp_repo, "repro", "--explain", "-j", "2").err.splitlines()
    assert "gitml: stage prepare: up to date" in explain, explain
    assert "gitml: stage tune: up to date" in explain, explain
    assert "gitml: stage train: running (param train.epochs changed from 30 to 31)" in explain
    for split in ("val", "test"):
        running = f"gitml: stage evaluate@{split}: running (dep models/model.pt changed from"
        assert any(line.startswith(running) for line in explain), explain

    # nothing changed: nothing runs
    before = {rel: (root / rel).stat().st_mtime_ns for rel in RESULTS}
    assert actions(gitml(tmp_repo, "repro", "--json")) == dict.fromkeys(STAGES, "skipped")
    assert {rel: (root / rel).stat().st_mtime_ns for rel in RESULTS} == before

    # a second forced run on the inputs of the first gives byte-identical results
    params.write_text(original)
    assert actions(gitml(tmp_repo, "repro", "-f", "-j", "2", "--json")) == dict.fromkeys(
        STAGES, "ran"
    )
    again = results(root)
    assert [rel for rel in RESULTS if again[rel] != first[rel]] == []

    # the example's policy: the data needs a license and source, the model a card
    shutil.copytree(EXAMPLE / ".gitml", root / ".gitml", dirs_exist_ok=True)
    refused = tmp_repo.run("check")
    assert refused.code == 1, refused
    assert "[data-meta] data/digits.csv.gz.gitml: meta lacks license, source" in refused.out
    assert "[model-card] models/model.pt: has no model card" in refused.out
    pointer = root / "data/digits.csv.gz.gitml"
    pointer.write_text(
        pointer.read_text() + "meta:\n  license: CC-BY-4.0\n  source: UCI ML repository\n"
    )
    gitml(tmp_repo, "card", "models/model.pt")
    card = root / "models/model.card.yaml"
    drafted = yaml.safe_load(card.read_text())
    assert [d["path"] for d in drafted["training_data"]] == [
        "data/prepared",
        "tuning/best_params.yaml",
    ]
    assert drafted["metrics"]["test.accuracy"] == "metrics/test.json:accuracy"
    filled = card.read_text()
    for field in ("license", "intended_use", "limitations"):
        filled = filled.replace(f"{field}: ''", f"{field}: filled by the test")
    card.write_text(filled)
    passed = tmp_repo.run("check", "--json")
    assert json.loads(passed.out)["passed"] is True, passed
