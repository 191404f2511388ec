"""A bad .gitml/policy.yaml gives one line: file:line:column, key, problem, fix."""

from __future__ import annotations

from typing import Any

import pytest

CASES = [
    (
        "rules:\n  - id: large-files\n    max_kb: 10\n  - id: large-files\n",
        ".gitml/policy.yaml:4:5: rules.1.id: rule id 'large-files' is used twice",
    ),
    ("rules:\n  - id: pii-check\n", ".gitml/policy.yaml:2:5: rules.0.id: unknown rule type"),
    (
        "rules:\n  - id: x\n    type: metric-gat\n    thresholds: ['m.json:a >= 1']\n",
        "did you mean 'metric-gate'?",
    ),
    (
        "rules:\n  - id: pii\n    max_kb: 3\n",
        ".gitml/policy.yaml:3:5: rules.0.max_kb: max_kb does not apply to a pii rule",
    ),
    (
        "rules:\n  - id: data-meta\n",
        ".gitml/policy.yaml:2:5: rules.0: a data-meta rule needs `require`",
    ),
    (
        "rules:\n  - id: metric-gate\n    thresholds:\n      - 'metrics.json accuracy'\n",
        ".gitml/policy.yaml:4:9",
    ),
    (
        "rules:\n  - id: pii\n    custom:\n      badge: '[unclosed'\n",
        ".gitml/policy.yaml:4:7: rules.0.custom.badge: invalid regular expression",
    ),
    ("rules:\n  - id: pii\n    hooks: [pre-comit]\n", ".gitml/policy.yaml:3:"),
    ("rulez: []\n", ".gitml/policy.yaml:1:1"),
    (
        "rules:\n  - id: metric-gate\n    regressions:\n      - metric: m.json:acc\n",
        "needs `max_drop` (higher is better) or `max_rise`",
    ),
    ("rules:\n  - id: pii\n   bad: [\n", ".gitml/policy.yaml:3:"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_bad_policy_is_one_line_with_position(tmp_repo: Any, text: str, expected: str) -> None:
    tmp_repo.gen({".gitml/policy.yaml": text, "a.txt": "a"})
    before = tmp_repo.snapshot()
    result = tmp_repo.run("check")
    assert result.code == 1, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: "), lines
    assert expected in lines[0], lines[0]
    assert " — " in lines[0], "every error says how to fix it"
    assert tmp_repo.snapshot() == before


def test_unknown_rule_id_for_check_rule(tmp_repo: Any) -> None:
    tmp_repo.gen({".gitml/policy.yaml": "rules:\n  - id: pipeline-fresh\n"})
    result = tmp_repo.run("check", "--rule", "metric-gate")
    assert result.code == 1
    assert "no rule 'metric-gate' in .gitml/policy.yaml" in result.err
    assert "pipeline-fresh" in result.err


def test_unknown_base_revision(tmp_repo: Any) -> None:
    result = tmp_repo.run("check", "--base", "nope")
    assert result.code == 1
    assert "unknown revision 'nope'" in result.err


def test_unknown_base_revision_in_ci(tmp_repo: Any) -> None:
    tmp_repo.gen({"a.txt": "a"})
    tmp_repo.commit("a")
    result = tmp_repo.run("check", "--ci", "--base", "origin/nope")
    assert result.code == 1
    assert "unknown revision 'origin/nope'" in result.err
