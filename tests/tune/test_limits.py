"""Time limits, grid budgets, several metrics and a SQLite study."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import optuna

from gitml.core.repo import Repo
from gitml.ops.tune import run_tuning

from .helpers import make_request, make_spec


def test_timeout_stops_starting_trials(root: Path) -> None:
    spec = make_spec(trials=50, timeout=0.6)
    outcome = run_tuning(Repo.find(root), make_request(root, spec, env={"TRIAL_SLEEP": "0.2"}))
    assert 1 <= outcome.complete < 10


def test_trial_timeout_kills_a_hung_trial(root: Path) -> None:
    spec = make_spec(trials=2, trial_timeout=1.0)
    request = make_request(root, spec, env={"SLOW_TRIAL": "0"})
    outcome = run_tuning(Repo.find(root), request)
    assert (outcome.complete, outcome.failed) == (2, 1)
    report = [
        t.user_attrs["gitml_result"]
        for t in _trials(root)
        if t.state == optuna.trial.TrialState.FAIL
    ]
    assert report[0]["error"].startswith("timed out")


def test_grid_budget_is_capped_at_the_grid_size(root: Path) -> None:
    events: list[str] = []
    spec = make_spec(
        trials=100,
        sampler="grid",
        space={"train.x": {"float": [0.0, 3.0], "step": 1.0}, "train.k": {"choice": ["a", "b"]}},
    )
    outcome = run_tuning(Repo.find(root), make_request(root, spec, on_event=events.append))
    assert outcome.complete == 8 and outcome.budget == 8
    assert any("the grid has 8 points" in e for e in events)
    seen = {(t.params["train.x"], t.params["train.k"]) for t in _trials(root)}
    assert len(seen) == 8
    assert outcome.best_params == {"train": {"x": 2.0, "k": outcome.best_params["train"]["k"]}}


def test_several_metrics_with_nsga2(root: Path) -> None:
    spec = make_spec(
        trials=6,
        sampler="nsga2",
        metric=["${trial.dir}/metrics.json:val.score", "${trial.dir}/metrics.json:val.x"],
        direction=["maximize", "minimize"],
    )
    outcome = run_tuning(Repo.find(root), make_request(root, spec))
    assert outcome.complete == 6
    assert set(outcome.best_values) == {"val.score", "val.x"}
    front = _study(root).best_trials
    assert outcome.best_trial in {t.number for t in front}


def test_a_sqlite_storage_shares_the_budget_between_jobs(root: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    spec = make_spec(trials=5, storage=url)
    outcome = run_tuning(Repo.find(root), make_request(root, spec, jobs=2))
    assert outcome.complete == 5 and outcome.storage == url
    study = optuna.load_study(study_name=outcome.study, storage=url)
    assert len(study.trials) == 5


def test_importing_the_tune_types_does_not_import_optuna() -> None:
    code = "import sys, gitml.ops.tune, gitml.cli.tune; print('optuna' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _study(root: Path) -> optuna.Study:
    (folder,) = (root / ".git" / "gitml" / "tune").iterdir()
    storage = optuna.storages.journal.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(folder / "journal.log"))
    )
    return optuna.load_study(study_name=folder.name, storage=storage)


def _trials(root: Path) -> list[optuna.trial.FrozenTrial]:
    return _study(root).get_trials()
