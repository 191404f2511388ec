"""gitml report: the pull-request report between real commits, as a real process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .conftest import repro

SECTIONS = ("### Stages changed", "### Params", "### Metrics", "### Data", "### Check")
GATE = """\
rules:
  - id: metric-gate
    regressions:
      - metric: metrics/train.json:acc
        max_drop: 0.01
"""


def test_report_markdown_has_every_section(two_commits: Any) -> None:
    md = two_commits.ok("report", "--base", "HEAD~1", "--head", "HEAD", "--md").out
    assert md.startswith("## gitml report\n")
    for section in SECTIONS:
        assert f"\n{section}\n" in md, section
    assert "| train | modified | " in md and "param train.lr: 0.01 -> 0.02" in md
    assert "| params.yaml | train.lr | 0.01 | 0.02 | +0.01 | +100% |" in md
    assert "| metrics/train.json | acc | 0.6 | 0.7 | +0.1 | +16.667% |" in md
    assert "| metrics/cached.json | auc | 0.3 | 0.35 | +0.05 | +16.667% |" in md
    assert "| ↳ added | data/raw/c.txt | — | 8 B |" in md
    assert "| removed | data/single.csv | 8 B | — |" in md
    # the stage's lock entry: its data dep and its outputs changed too
    stage_row = next(line for line in md.splitlines() if line.startswith("| train |"))
    assert "dep data/raw: " in stage_row and "out models/model.bin: " in stage_row


def test_report_text_is_plain(two_commits: Any) -> None:
    text = two_commits.ok("report", "--base", "HEAD~1", "--head", "HEAD").out
    for title in ("Stages changed", "Params", "Metrics", "Data", "Check"):
        assert f"\n{title}\n{'-' * len(title)}\n" in text
    assert "|" not in text and "###" not in text
    assert ["params.yaml", "train.lr", "0.01", "0.02", "+0.01", "+100%"] in [
        line.split() for line in text.splitlines()
    ]


def test_report_flags_the_policy_regressions(two_commits: Any) -> None:
    two_commits.gen({".gitml/policy.yaml": GATE})
    two_commits.commit("gate")
    two_commits.gen({"params.yaml": "train:\n  lr: 0.01\n  epochs: 3\nseed: 7\n"})
    repro(two_commits)  # acc 0.7 -> 0.6: a drop of 0.1, the policy allows 0.01
    doc = json.loads(two_commits.ok("report", "--base", "HEAD", "--json").out)
    assert doc["passed"] is False
    flagged = {(m["file"], m["key"]): m["regression"] for m in doc["metrics"]}
    assert "max_drop 0.01" in flagged[("metrics/train.json", "acc")]
    assert flagged[("metrics/train.json", "loss")] is None
    assert doc["check"] is not None and "metric-gate" in doc["check"]["rules_run"]
    md = two_commits.ok("report", "--base", "HEAD", "--md").out
    acc_row = next(line for line in md.splitlines() if "| acc |" in line)
    assert "❌" in acc_row and "max_drop 0.01" in acc_row
    assert "❌ 1 stage" in md


def test_github_summary_appends(two_commits: Any, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    for _ in range(2):
        result = two_commits.run("report", "--base", "HEAD~1", "--github-summary", env=env)
        assert result.code == 0, result
        assert result.out == ""  # the Markdown goes to the summary file only
    text = summary.read_text()
    assert text.startswith("# earlier step\n")
    assert text.count("## gitml report") == 2
    for section in SECTIONS:
        assert text.count(section) == 2
    shown = two_commits.run("report", "--base", "HEAD~1", "--github-summary", "--md", env=env)
    assert shown.out.startswith("## gitml report")


def test_github_summary_needs_the_variable(two_commits: Any) -> None:
    result = two_commits.fails("report", "--base", "HEAD~1", "--github-summary")
    assert "$GITHUB_STEP_SUMMARY is not set" in result.err
    assert len(result.err.strip().splitlines()) == 1
