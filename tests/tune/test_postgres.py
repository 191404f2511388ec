"""A study shared through a real PostgreSQL server: two workers, one exact budget."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import optuna
import pytest

from .helpers import read_log, runner_config, runner_outcome, spec_dict, start_runner

pytestmark = pytest.mark.postgres


def _driver(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg2://", 1)


def _exists(url: str, name: str) -> bool:
    try:
        optuna.load_study(study_name=name, storage=_driver(url))
    except KeyError:
        return False
    return True


def test_two_workers_fill_one_study_exactly(root: Path, tmp_path: Path, pg_url: str) -> None:
    log = root / "log.jsonl"
    budget = 12
    spec = spec_dict(trials=budget, storage=pg_url, seed=None)
    spec.pop("seed")
    identity = uuid.uuid4().hex  # a study of its own in the session's database
    env = {"TRIAL_LOG": str(log), "TRIAL_SLEEP": "0.15"}
    config = runner_config(root, spec, env=env, identity=identity, jobs=2)
    starter = start_runner(config, tmp_path, "starter")
    deadline = time.monotonic() + 30
    while not read_log(log):  # the study exists once a trial started
        assert time.monotonic() < deadline and starter.poll() is None
        time.sleep(0.05)
    worker = start_runner({**config, "worker": True}, tmp_path, "worker")
    assert starter.wait(120) == 0, (tmp_path / "starter.out").read_text()
    assert worker.wait(120) == 0, (tmp_path / "worker.out").read_text()

    a, b = runner_outcome(tmp_path, "starter"), runner_outcome(tmp_path, "worker")
    assert a["study"] == b["study"] and _exists(pg_url, a["study"])
    assert a["ran"] >= 1 and b["ran"] >= 1, (a, b)
    assert a["ran"] + b["ran"] == budget
    study = optuna.load_study(study_name=a["study"], storage=_driver(pg_url))
    states = [t.state for t in study.trials]
    assert states == [optuna.trial.TrialState.COMPLETE] * budget  # none lost, none extra
    started = [e["trial"] for e in read_log(log) if e["event"] == "start"]
    assert sorted(started) == list(range(budget))  # each trial ran exactly once
    owners = {
        (t.user_attrs["gitml_owner"]["host"], t.user_attrs["gitml_owner"]["pid"])
        for t in study.trials
    }
    assert len(owners) == 2
    assert b["outputs"] == [] and a["outputs"]  # a worker leaves the stage outputs alone
