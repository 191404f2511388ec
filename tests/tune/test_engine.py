"""run_tuning with hand-built requests: real optuna, real trial processes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import optuna
import pyarrow.parquet as pq
import pytest
import yaml

from gitml.core.repo import Repo
from gitml.errors import GitmlError, StageFailed
from gitml.ops.tune import TuneOptions, TuneProgress, run_tuning, study_name
from gitml.tune_client import PRUNED_EXIT, report

from .helpers import PY, make_request, make_spec, read_log


def load(root: Path, request: Any) -> optuna.Study:
    name = study_name(request)
    path = root / ".git" / "gitml" / "tune" / name / "journal.log"
    storage = optuna.storages.journal.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(path))
    )
    return optuna.load_study(study_name=name, storage=storage)


def test_a_study_runs_its_budget_and_writes_best_params_and_table(root: Path) -> None:
    events: list[str] = []
    spec = make_spec(
        trials=5,
        space={
            "train.x": {"float": [-4.0, 4.0]},
            "train.model": {"choice": ["mlp", "cnn"]},
            "train.channels": {"int": [4, 16], "when": {"train.model": "cnn"}},
        },
    )
    request = make_request(
        root, spec, on_event=events.append, env={"TRIAL_LOG": str(root / "log.jsonl")}
    )
    outcome = run_tuning(Repo.find(root), request)
    assert (outcome.complete, outcome.failed, outcome.pruned, outcome.ran) == (5, 0, 0, 5)
    best = yaml.safe_load(request.best_params_out.read_text())
    assert best == outcome.best_params
    assert set(best) == {"train"} and "x" in best["train"]
    assert outcome.best_values["val.score"] == max(
        -((e["x"] - 2) ** 2) for e in read_log(root / "log.jsonl") if e["event"] == "done"
    )
    table = pq.read_table(request.trials_table_out).to_pylist()
    assert [r["number"] for r in table] == [0, 1, 2, 3, 4]
    assert {r["state"] for r in table} == {"complete"}
    for row in table:  # a conditional param exists exactly when its condition holds
        assert (row["params.train.channels"] is not None) == (row["params.train.model"] == "cnn")
    assert len([e for e in events if e.startswith("trial ")]) == 5
    assert "[5/5]" in events[-1]


def test_trial_files_env_and_placeholders(root: Path) -> None:
    (root / "show.py").write_text(
        "import json, os, sys\nfrom gitml import api\n"
        "p = api.params()\n"
        "json.dump({'score': 1.0, 'params': p, 'yaml': open(sys.argv[1]).read(),\n"
        "           'number': sys.argv[2], 'stage': os.environ['GITML_STAGE']},\n"
        "          open(os.environ['GITML_TRIAL_DIR'] + '/m.json', 'w'))\n"
    )
    spec = make_spec(trials=1, metric="${trial.dir}/m.json:score")
    request = make_request(root, spec, cmd=[f"{PY} show.py ${{trial.params}} ${{trial.number}}"])
    run_tuning(Repo.find(root), request)
    trial_dir = root / ".git" / "gitml" / "tune" / study_name(request) / "trial-0"
    written = json.loads((trial_dir / "m.json").read_text())
    assert written["params"]["train"]["epochs"] == 3  # base params kept
    assert written["params"]["train"]["x"] != 0.0  # sampled value merged in
    assert yaml.safe_load(written["yaml"]) == written["params"]
    assert (written["number"], written["stage"]) == ("0", "tune")


def test_failed_trials_are_recorded_and_the_study_goes_on(root: Path) -> None:
    spec = make_spec(trials=6, seed=1, max_failures=30)
    request = make_request(root, spec, env={"FAIL_ABOVE": "1.0", "NO_METRIC_BELOW": "-3.0"})
    outcome = run_tuning(Repo.find(root), request)
    study = load(root, request)
    failed = study.get_trials(states=(optuna.trial.TrialState.FAIL,))
    assert failed, "the seed must produce some x > 1"
    assert outcome.complete == 6 and outcome.failed == len(failed)
    for t in failed:
        if t.params["train.x"] > 1.0:
            assert t.user_attrs["gitml_result"]["exit_code"] == 3
            assert "boom: x is too large" in t.user_attrs["gitml_result"]["output_tail"]
        else:
            assert t.user_attrs["gitml_result"]["exit_code"] == 0
            assert "wrote no metrics file" in t.user_attrs["gitml_result"]["error"]


def test_a_study_whose_trials_all_fail_stops_at_max_failures(root: Path) -> None:
    spec = make_spec(trials=10, max_failures=3)
    request = make_request(root, spec, env={"FAIL_ABOVE": "-100"})
    with pytest.raises(StageFailed) as info:
        run_tuning(Repo.find(root), request)
    assert "no trial completed (3 failed)" in str(info.value)
    assert "exit code 3" in str(info.value) and "boom" in str(info.value)
    assert "output.log" in str(info.value.hint)


def test_the_median_pruner_stops_bad_trials_through_report(root: Path) -> None:
    spec = make_spec(trials=10, seed=2, pruner={"type": "median", "startup_trials": 2})
    log = root / "log.jsonl"
    request = make_request(root, spec, env={"TRIAL_STEPS": "4", "TRIAL_LOG": str(log)})
    outcome = run_tuning(Repo.find(root), request)
    study = load(root, request)
    pruned = study.get_trials(states=(optuna.trial.TrialState.PRUNED,))
    assert pruned and outcome.pruned == len(pruned)
    assert outcome.complete + outcome.pruned == 10 and outcome.failed == 0
    entries = read_log(log)
    for t in pruned:
        assert t.user_attrs["gitml_result"]["exit_code"] == PRUNED_EXIT
        steps = [e["step"] for e in entries if e["trial"] == t.number and e["event"] == "step"]
        assert max(steps) < 3 and max(t.intermediate_values) == max(steps)
        assert not [e for e in entries if e["trial"] == t.number and e["event"] == "done"]


def test_parallel_trials_overlap_and_spend_the_exact_budget(root: Path) -> None:
    spec = make_spec(trials=6)
    log = root / "log.jsonl"
    request = make_request(root, spec, jobs=2, env={"TRIAL_SLEEP": "0.4", "TRIAL_LOG": str(log)})
    outcome = run_tuning(Repo.find(root), request)
    assert outcome.complete == 6 and outcome.ran == 6
    entries = read_log(log)
    spans = {e["trial"]: [e["time"]] for e in entries if e["event"] == "start"}
    for e in entries:
        if e["event"] == "done":
            spans[e["trial"]].append(e["time"])
    assert sorted(spans) == list(range(6))
    overlaps = sum(1 for a in spans.values() for b in spans.values() if a < b and b[0] < a[1])
    assert overlaps >= 2
    assert len(load(root, request).trials) == 6


def test_same_seed_proposes_the_same_trials(root: Path) -> None:
    """Two fresh studies (different identities), jobs=1: TPE past its random start-up."""
    spec = make_spec(
        trials=12,
        sampler="tpe",
        seed=11,
        space={"train.x": {"float": [-4.0, 4.0]}, "train.k": {"choice": ["a", "b", "c"]}},
    )
    runs = []
    for identity in ("1" * 32, "2" * 32):
        request = make_request(root, spec, identity=identity)
        run_tuning(Repo.find(root), request)
        runs.append([t.params for t in load(root, request).trials])
    assert runs[0] == runs[1]
    different = make_request(root, make_spec(trials=12, sampler="tpe", seed=12), identity="3" * 32)
    run_tuning(Repo.find(root), different)
    assert [t.params["train.x"] for t in load(root, different).trials] != [
        p["train.x"] for p in runs[0]
    ]


def test_rerun_resumes_and_a_changed_space_starts_a_new_study(root: Path) -> None:
    spec = make_spec(trials=3)
    log = root / "log.jsonl"
    request = make_request(root, spec, env={"TRIAL_LOG": str(log)})
    run_tuning(Repo.find(root), request)
    again = run_tuning(Repo.find(root), request)
    assert again.ran == 0 and again.complete == 3
    more = run_tuning(
        Repo.find(root), make_request(root, spec, n_trials=5, env={"TRIAL_LOG": str(log)})
    )
    assert more.ran == 2 and more.study == again.study
    assert len([e for e in read_log(log) if e["event"] == "done"]) == 5
    changed = make_request(root, make_spec(trials=3, space={"train.x": {"float": [0.0, 4.0]}}))
    assert study_name(changed) != study_name(request)
    assert run_tuning(Repo.find(root), changed).ran == 3


def test_live_progress_replaces_per_trial_events(root: Path) -> None:
    seen: list[TuneProgress] = []
    events: list[str] = []
    options = TuneOptions(live=True, on_progress=seen.append)
    request = options.apply(make_request(root, make_spec(trials=2), on_event=events.append))
    run_tuning(Repo.find(root), request)
    assert [p.done for p in seen] == [0, 1, 1, 2]
    assert seen[-1].best_trial is not None and seen[-1].budget == 2
    assert not [e for e in events if e.startswith("trial ")]


def test_shared_metric_files_are_refused_with_parallel_jobs(root: Path) -> None:
    spec = make_spec(metric="metrics.json:score")
    with pytest.raises(GitmlError, match="shared by parallel trials"):
        run_tuning(Repo.find(root), make_request(root, spec, jobs=2))


def test_a_worker_cannot_start_a_study(root: Path) -> None:
    with pytest.raises(GitmlError, match="no study"):
        run_tuning(Repo.find(root), make_request(root, make_spec(), worker=True))


def test_report_outside_a_trial_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITML_TUNE_SOCKET", raising=False)
    assert report(0, 1.0) is None
    monkeypatch.setenv("GITML_TUNE_SOCKET", "/nonexistent/socket")
    monkeypatch.setenv("GITML_TUNE_TRIAL", "x")
    assert report(1, 1.0) is None  # an unreachable tuner is not the script's problem
    assert os.environ["GITML_TUNE_TRIAL"] == "x"
