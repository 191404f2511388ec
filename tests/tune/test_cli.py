"""``gitml tune`` and ``gitml repro`` on a real tuning stage, as a user runs them."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

STAGES = """\
stages:
  tune:
    cmd: python objective.py ${trial.dir}/metrics.json
    deps: [objective.py]
    params: [train]
    tune:
      metric: ${trial.dir}/metrics.json:val.score
      direction: maximize
      trials: 3
      seed: 3
      sampler: random
      space:
        train.x: {float: [-4.0, 4.0]}
    outs: [tuning/best_params.yaml, tuning/trials.parquet]
"""


def _setup(tmp_repo: Any) -> None:
    tmp_repo.gen({"stages.yaml": STAGES, "params.yaml": "train:\n  x: 0.0\n  epochs: 2\n"})
    tmp_repo.commit("a tuning stage")


def _run(tmp_repo: Any, *args: str) -> Any:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return tmp_repo.run(*args, env={"PATH": path, "CI": "1"})


def test_repro_then_tune_adds_trials_to_the_same_study(tmp_repo: Any, root: Path) -> None:
    _setup(tmp_repo)
    first = _run(tmp_repo, "repro")
    assert first.code == 0, first
    assert first.err.count("gitml: trial ") == 3  # CI: one line per finished trial
    best = yaml.safe_load((root / "tuning" / "best_params.yaml").read_text())
    assert set(best["train"]) == {"x"}
    more = _run(tmp_repo, "tune", "tune", "--trials", "5")
    assert more.code == 0, more
    assert "resuming study tune-" in more.err and more.err.count("gitml: trial ") == 2
    lock = yaml.safe_load((root / "stages.lock").read_text())
    assert "tune" in lock["stages"]


def test_tune_show_lists_the_leaderboard(tmp_repo: Any, root: Path) -> None:
    _setup(tmp_repo)
    assert _run(tmp_repo, "repro").code == 0
    shown = _run(tmp_repo, "tune", "show", "tune", "--json")
    assert shown.code == 0, shown
    report = json.loads(shown.out)
    assert report["complete"] == 3 and len(report["rows"]) == 3
    assert report["rows"][0]["number"] == report["best_trial"]


def test_a_worker_adds_trials_without_touching_outputs_or_the_lock(
    tmp_repo: Any, root: Path
) -> None:
    _setup(tmp_repo)
    assert _run(tmp_repo, "repro").code == 0
    lock = (root / "stages.lock").read_bytes()
    best = (root / "tuning" / "best_params.yaml").read_bytes()
    worker = _run(tmp_repo, "tune", "tune", "--worker", "--trials", "4")
    assert worker.code == 0, worker
    assert worker.err.count("gitml: trial ") == 1
    assert (root / "stages.lock").read_bytes() == lock
    assert (root / "tuning" / "best_params.yaml").read_bytes() == best
    report = json.loads(_run(tmp_repo, "tune", "show", "tune", "--json").out)
    assert report["complete"] == 4


def test_tune_help_has_an_example(tmp_repo: Any) -> None:
    result = _run(tmp_repo, "tune", "--help")
    assert result.code == 0 and "gitml tune show" in result.out
    assert "Example" in _run(tmp_repo, "tune", "run", "--help").out
