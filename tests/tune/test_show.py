"""The leaderboard of a study (``gitml tune show``), read through ops."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitml.core.repo import Repo
from gitml.errors import GitmlError
from gitml.ops.tune import run_tuning
from gitml.ops.tune_show import show_study

from .helpers import make_request, make_spec


def test_show_ranks_trials_best_first_with_importances(root: Path) -> None:
    spec = make_spec(
        trials=8,
        space={"train.x": {"float": [-4.0, 4.0]}, "train.noise": {"choice": ["a", "b"]}},
    )
    request = make_request(root, spec, env={"FAIL_ABOVE": "3.5"}, n_trials=8)
    outcome = run_tuning(Repo.find(root), request)
    report = show_study(Repo.find(root), request, limit=3)
    assert report.study == outcome.study and report.best_trial == outcome.best_trial
    assert report.budget == 8 and len(report.rows) == 3
    scores = [r.values["val.score"] for r in report.rows]
    assert scores == sorted(scores, reverse=True)  # maximize: best first
    assert report.rows[0].number == outcome.best_trial
    assert report.rows[0].duration is not None and report.rows[0].exit_code == 0
    assert set(report.importances["val.score"]) == {"train.x", "train.noise"}
    assert report.to_dict()["rows"][0]["params"] == report.rows[0].params
    full = show_study(Repo.find(root), request, limit=0)
    assert len(full.rows) == full.complete + full.failed + full.pruned


def test_show_without_a_study_says_how_to_start_one(root: Path) -> None:
    with pytest.raises(GitmlError, match="no study") as info:
        show_study(Repo.find(root), make_request(root, make_spec()))
    assert "gitml tune" in str(info.value.hint)
    assert not list((root / ".git" / "gitml").glob("tune/*/journal.log"))
