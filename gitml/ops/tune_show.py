"""``gitml tune show STAGE``: a study's leaderboard and its parameter importances."""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from gitml.core.tune_space import TuneSpec
from gitml.ops.tune import TuneRequest, study_name
from gitml.ops.tune_budget import RESULT, count
from gitml.ops.tune_outputs import best_trial
from gitml.ops.tune_sampler import ABANDONED
from gitml.ops.tune_storage import open_study, quiet_optuna

if TYPE_CHECKING:
    from gitml.core.repo import Repo

_ORDER = {
    TrialState.COMPLETE: 0,
    TrialState.PRUNED: 1,
    TrialState.RUNNING: 2,
    TrialState.WAITING: 3,
    TrialState.FAIL: 4,
}


@dataclass(frozen=True, slots=True)
class TrialRow:
    number: int
    state: str
    values: dict[str, float]
    params: dict[str, Any]  # dotted names
    duration: float | None
    exit_code: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class StudyReport:
    stage: str
    study: str
    storage: str
    budget: int
    metrics: tuple[str, ...]
    directions: tuple[str, ...]
    complete: int
    pruned: int
    failed: int
    running: int
    best_trial: int | None
    rows: tuple[TrialRow, ...]  # best first
    importances: dict[str, dict[str, float]] = field(default_factory=dict)  # metric -> param

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def show_study(repo: Repo, request: TuneRequest, limit: int = 10) -> StudyReport:
    """The study of ``request`` (read only): ``limit`` best trials (0: all) and importances."""
    spec = request.spec
    with warnings.catch_warnings():
        quiet_optuna()
        handle = open_study(
            repo.data_dir,
            study_name(request),
            spec.storage,
            create=False,
            directions=list(spec.directions),
            sampler=optuna.samplers.RandomSampler(),
            pruner=None,
        )
        try:
            study = handle.study
            trials = [t for t in study.get_trials() if ABANDONED not in t.user_attrs]
            rows = sorted(trials, key=lambda t: _rank(t, spec))
            best = best_trial(study, spec)
            c = count(trials)
            return StudyReport(
                stage=request.stage,
                study=handle.name,
                storage=handle.url,
                budget=int(study.user_attrs.get("gitml_budget", spec.trials)),
                metrics=spec.metric_names,
                directions=spec.directions,
                complete=c.complete,
                pruned=c.pruned,
                failed=c.failed,
                running=c.running,
                best_trial=best.number if best else None,
                rows=tuple(_row(t, spec) for t in (rows[:limit] if limit else rows)),
                importances=importances(study, spec) if c.complete >= 2 else {},
            )
        finally:
            handle.close()


def _rank(trial: FrozenTrial, spec: TuneSpec) -> tuple[int, float, int]:
    first = trial.values[0] if trial.values else 0.0
    if trial.state == TrialState.PRUNED and trial.intermediate_values:
        first = trial.intermediate_values[max(trial.intermediate_values)]
    sign = -1.0 if spec.directions[0] == "maximize" else 1.0
    return (_ORDER.get(trial.state, 5), sign * first, trial.number)


def _row(trial: FrozenTrial, spec: TuneSpec) -> TrialRow:
    duration = None
    if trial.datetime_start and trial.datetime_complete:
        duration = (trial.datetime_complete - trial.datetime_start).total_seconds()
    values = dict(zip(spec.metric_names, trial.values or (), strict=False))
    result = trial.user_attrs.get(RESULT) or {}
    if trial.state != TrialState.COMPLETE:
        values = {}
    return TrialRow(
        number=trial.number,
        state=trial.state.name.lower(),
        values=values,
        params=dict(trial.params),
        duration=duration,
        exit_code=result.get("exit_code"),
        error=result.get("error"),
    )


def importances(study: optuna.Study, spec: TuneSpec) -> dict[str, dict[str, float]]:
    """Per metric, each param's share of the metric's variance (optuna.importance);
    params sampled only under a `when` condition are left out when not in every trial."""
    out: dict[str, dict[str, float]] = {}
    for i, name in enumerate(spec.metric_names):

        def target(t: FrozenTrial, i: int = i) -> float:
            return float(t.values[i])

        try:
            found = optuna.importance.get_param_importances(
                study, target=target if spec.multi_objective else None
            )
        except (ValueError, RuntimeError, ZeroDivisionError):
            continue
        out[name] = {k: round(float(v), 4) for k, v in found.items()}
    return out
