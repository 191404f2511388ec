"""A study survives ``kill -9`` of the process running it."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import optuna

from gitml.ops.tune_budget import pid_alive

from .helpers import read_log, runner_config, runner_outcome, spec_dict, start_runner


def _wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _study(root: Path) -> optuna.Study:
    (folder,) = (root / ".git" / "gitml" / "tune").iterdir()
    storage = optuna.storages.journal.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(folder / "journal.log"))
    )
    return optuna.load_study(study_name=folder.name, storage=storage)


def test_kill_9_mid_study_then_resume(root: Path, tmp_path: Path) -> None:
    log = root / "log.jsonl"
    spec = spec_dict(trials=8, seed=5)
    env = {"TRIAL_LOG": str(log), "TRIAL_SLEEP": "0.05", "SLOW_TRIAL": "3"}
    first = start_runner(runner_config(root, spec, env=env), tmp_path, "first")
    try:
        _wait_for(lambda: any(e["trial"] == 3 for e in read_log(log)))
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    before = read_log(log)
    orphan = next(e["pid"] for e in before if e["trial"] == 3)
    assert pid_alive(orphan), "the slow trial's process outlives its killed parent"
    done_before = {e["trial"] for e in before if e["event"] == "done"}
    assert done_before == {0, 1, 2}

    second = start_runner(runner_config(root, spec, env=env), tmp_path, "second")
    assert second.wait(60) == 0, (tmp_path / "second.out").read_text()
    outcome = runner_outcome(tmp_path, "second")
    assert outcome["complete"] == 8 and outcome["ran"] == 5

    _wait_for(lambda: not pid_alive(orphan), timeout=5)  # the resumed run ended the orphan
    entries = read_log(log)
    done = [e["trial"] for e in entries if e["event"] == "done"]
    assert sorted(done) == sorted(set(done)), "no trial ran twice"
    assert 3 not in done and done_before <= set(done)

    study = _study(root)
    trials = study.get_trials()
    abandoned = [t for t in trials if "gitml_abandoned" in t.user_attrs]
    assert [t.number for t in abandoned] == [3]
    redo = next(t for t in trials if t.user_attrs.get("gitml_retry_of") == 3)
    assert redo.params == abandoned[0].params and redo.state.name == "COMPLETE"
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    assert len(complete) == 8 and not [t for t in trials if t.state.name == "RUNNING"]
    assert "queued again" in (tmp_path / "second.out").read_text()


def test_a_resumed_study_proposes_what_an_uninterrupted_one_would(
    root: Path, tmp_path: Path
) -> None:
    """Per-trial seeds come from (seed, slot): a crash does not change the sequence."""
    log = root / "log.jsonl"
    spec = spec_dict(trials=6, seed=9)
    env = {"TRIAL_LOG": str(log), "SLOW_TRIAL": "2"}
    first = start_runner(runner_config(root, spec, env=env), tmp_path, "first")
    try:
        _wait_for(lambda: any(e["trial"] == 2 for e in read_log(log)))
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    resumed = start_runner(runner_config(root, spec, env=env), tmp_path, "resumed")
    assert resumed.wait(60) == 0
    fresh = start_runner(runner_config(root, spec, env={}, identity="f" * 32), tmp_path, "fresh")
    assert fresh.wait(60) == 0
    studies = {s.study_name: s for s in _all_studies(root)}
    assert len(studies) == 2
    sequences = [
        [t.params["train.x"] for t in s.get_trials() if "gitml_abandoned" not in t.user_attrs]
        for s in studies.values()
    ]
    assert sequences[0] == sequences[1]


def _all_studies(root: Path) -> list[optuna.Study]:
    out = []
    for folder in (root / ".git" / "gitml" / "tune").iterdir():
        storage = optuna.storages.journal.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(folder / "journal.log"))
        )
        out.append(optuna.load_study(study_name=folder.name, storage=storage))
    return out


def test_ctrl_c_ends_running_trials_and_queues_them_again(root: Path, tmp_path: Path) -> None:
    log = root / "log.jsonl"
    spec = spec_dict(trials=6, seed=5)
    env = {"TRIAL_LOG": str(log), "SLOW_TRIAL": "1"}
    run = start_runner(runner_config(root, spec, env=env, jobs=2), tmp_path, "run")
    try:
        _wait_for(lambda: any(e["trial"] == 1 for e in read_log(log)))
    finally:
        os.kill(run.pid, signal.SIGINT)
    assert run.wait(30) != 0
    slow = next(e["pid"] for e in read_log(log) if e["trial"] == 1)
    _wait_for(lambda: not pid_alive(slow), timeout=5)  # its process group was ended
    assert "queued again" in (tmp_path / "run.out").read_text()
    trials = _study(root).get_trials()
    assert not [t for t in trials if t.state.name == "RUNNING"]
    one = next(t for t in trials if t.number == 1)
    assert one.user_attrs["gitml_abandoned"] == "interrupted"
    abandoned = [t for t in trials if "gitml_abandoned" in t.user_attrs]
    queued = [t.system_attrs["fixed_params"] for t in trials if t.state.name == "WAITING"]
    assert len(queued) == len(abandoned) and one.params in queued


def test_a_torn_journal_line_from_a_machine_crash_is_cut(root: Path) -> None:
    from gitml.core.repo import Repo
    from gitml.ops.tune import run_tuning, study_name

    from .helpers import make_request, make_spec

    request = make_request(root, make_spec(trials=2))
    run_tuning(Repo.find(root), request)
    journal = root / ".git" / "gitml" / "tune" / study_name(request) / "journal.log"
    with open(journal, "ab") as f:
        f.write(b'{"op_code": 5, "worker_id": "x", "trial_id"')  # no newline: cut short
    more = run_tuning(Repo.find(root), make_request(root, make_spec(trials=2), n_trials=3))
    assert (more.ran, more.complete) == (1, 3)
    assert journal.read_bytes().endswith(b"\n")
