"""A study's outputs: the best params (YAML) and a table of every trial (Parquet)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna
import yaml
from optuna.trial import FrozenTrial, TrialState

from gitml.core.atomic import write_bytes, write_text
from gitml.core.tune_space import ParamSpace, TuneSpec
from gitml.ops.tune_budget import RESULT, owner_of
from gitml.ops.tune_sampler import ABANDONED
from gitml.ops.tune_trial import merge_params


def best_trial(study: optuna.Study, spec: TuneSpec) -> FrozenTrial | None:
    """The best complete trial; for several metrics, the Pareto-optimal trial that is
    best on the first metric."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        return None
    if not spec.multi_objective:
        return study.best_trial
    front = study.best_trials or complete
    sign = -1.0 if spec.directions[0] == "maximize" else 1.0
    return min(front, key=lambda t: (sign * (t.values or [0.0])[0], t.number))


def values_of(trial: FrozenTrial | None, spec: TuneSpec) -> dict[str, float]:
    if trial is None or trial.values is None:
        return {}
    return dict(zip(spec.metric_names, trial.values, strict=False))


def write_best_params(path: Path, trial: FrozenTrial, study: str, spec: TuneSpec) -> None:
    values = ", ".join(f"{k}={v:.6g}" for k, v in values_of(trial, spec).items())
    header = f"# best trial {trial.number} of tuning study {study}: {values}\n"
    body = yaml.safe_dump(merge_params({}, trial.params), sort_keys=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, header + body)


def _arrow_type(p: ParamSpace) -> Any:
    import pyarrow as pa

    if p.kind == "int":
        return pa.int64()
    if p.kind == "float":
        return pa.float64()
    kinds = {type(c) for c in p.choices if c is not None}
    if kinds == {bool}:
        return pa.bool_()
    if kinds and kinds <= {int}:
        return pa.int64()
    if kinds and kinds <= {int, float}:
        return pa.float64()
    return pa.string()


def _cell(value: Any, kind: Any) -> Any:
    import pyarrow as pa

    if value is None:
        return None
    if kind == pa.string():
        return value if isinstance(value, str) else yaml.safe_dump(value).strip()
    if kind == pa.float64():
        return float(value)
    return value


def trials_table(trials: Sequence[FrozenTrial], spec: TuneSpec) -> Any:
    """A pyarrow Table: one row per trial (number, state, metrics, params, duration, ...)."""
    import pyarrow as pa

    rows = [t for t in trials if ABANDONED not in t.user_attrs]
    columns: dict[str, Any] = {
        "number": pa.array([t.number for t in rows], pa.int64()),
        "state": pa.array([t.state.name.lower() for t in rows], pa.string()),
    }
    for i, name in enumerate(spec.metric_names):
        col = [t.values[i] if t.values and len(t.values) > i else None for t in rows]
        columns[f"value.{name}"] = pa.array(col, pa.float64())
    for p in spec.space:
        kind = _arrow_type(p)
        columns[f"params.{p.name}"] = pa.array(
            [_cell(t.params.get(p.name), kind) for t in rows], kind
        )
    columns["duration_s"] = pa.array([_duration(t) for t in rows], pa.float64())
    results = [t.user_attrs.get(RESULT) or {} for t in rows]
    columns["exit_code"] = pa.array([r.get("exit_code") for r in results], pa.int64())
    columns["error"] = pa.array([r.get("error") for r in results], pa.string())
    columns["host"] = pa.array([owner_of(t).get("host") for t in rows], pa.string())
    return pa.table(columns)


def _duration(trial: FrozenTrial) -> float | None:
    if trial.datetime_start and trial.datetime_complete:
        return (trial.datetime_complete - trial.datetime_start).total_seconds()
    return None


def write_trials_table(path: Path, trials: Sequence[FrozenTrial], spec: TuneSpec) -> None:
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(trials_table(trials, spec), buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, buffer.getvalue())
