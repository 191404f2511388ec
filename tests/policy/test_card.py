"""`gitml card`: a draft the model-card rule refuses until people fill it, and refreshes."""

from __future__ import annotations

from typing import Any

import yaml

from .conftest import Project

POLICY = "rules:\n  - id: model-card\n    models: ['*.bin']\n"


def test_draft_then_fill_then_refresh(project: Project) -> None:
    project.write_policy(POLICY)
    result = project.repo.ok("card", "model.bin")
    assert "wrote model.card.yaml" in result.out
    card: dict[str, Any] = yaml.safe_load((project.root / "model.card.yaml").read_text())
    ptr = yaml.safe_load((project.root / "data.csv.gitml").read_text())
    assert card["training_data"] == [{"path": "data.csv", "hash": ptr["hash"]}]
    assert card["owners"] == ["tests@gitml.invalid"]
    refused = project.check()
    assert refused.code == 1
    assert "license" in refused.out  # empty fields are refused until filled
    text = (project.root / "model.card.yaml").read_text()
    text = text.replace("license: ''", "license: MIT  # chosen by legal")
    text = text.replace("intended_use: ''", "intended_use: tests")
    text = text.replace("limitations: ''", "limitations: tiny")
    text = text.replace("metrics: {}", "metrics:\n  accuracy: metrics.json:accuracy")
    project.repo.gen({"model.card.yaml": text})
    assert project.check().code == 0, project.check()
    # new data: the card is stale until refreshed; the refresh keeps comments and fields
    project.repo.gen({"data.csv": "x,y\n7,7\n"})
    project.repo.ok("add", "data.csv")
    project.repo.ok("repro")
    assert project.check().code == 1
    assert "updated model.card.yaml" in project.repo.ok("card", "model.bin").out
    refreshed = (project.root / "model.card.yaml").read_text()
    assert "license: MIT  # chosen by legal" in refreshed
    assert project.check().code == 0
    assert "up to date" in project.repo.ok("card", "model.bin").out


def test_card_of_something_no_stage_wrote(project: Project) -> None:
    result = project.repo.run("card", "nothing.bin")
    assert result.code == 1
    assert "nothing.bin is not a recorded stage output" in result.err
    assert not (project.root / "nothing.card.yaml").exists()
