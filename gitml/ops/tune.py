"""Hyperparameter tuning of a stage: ``run_tuning(repo, request) -> TuneOutcome``.

A tuning stage is an ordinary stage with a ``tune:`` block. ``gitml repro``
(or ``gitml tune STAGE``) builds a :class:`TuneRequest` for it and calls
:func:`run_tuning`, which runs the stage's command once per trial with
sampled params, records every trial in an optuna study, and writes the best
params (YAML) and, optionally, a table of all trials (Parquet).

The study's name comes from the stage, the spec and the pipeline's
``identity`` (deps' hashes): rerunning with the same inputs resumes the
study, a changed dep or space starts a new one. The study lives in an optuna
journal file under ``.git/gitml/tune/<study>/`` or, with ``storage:``, in a
database that several machines share (``--worker``).

This module holds the value types only and imports no optuna, so the
pipeline can import it cheaply; the engine is in ``gitml.ops.tune_*``.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitml.core.tune_space import TuneSpec, spec_digest

if TYPE_CHECKING:
    from gitml.core.repo import Repo


def _ignore(_message: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class TuneProgress:
    """A snapshot for a live display, sent after every trial starts or ends."""

    stage: str
    budget: int
    done: int  # complete + pruned: what the budget counts
    failed: int
    running: int
    best_trial: int | None
    best_values: Mapping[str, float]
    best_params: Mapping[str, Any]  # dotted names
    last: str  # the latest event, one line


@dataclass(frozen=True, slots=True)
class TuneOptions:
    """What ``gitml tune``/``gitml repro`` add to a tuning stage's request."""

    trials: int | None = None  # overrides the spec's `trials` (the study's budget)
    jobs: int = 1  # trials run in parallel on this machine
    worker: bool = False  # join an existing (shared) study instead of starting it
    live: bool = False  # a terminal shows `on_progress`; else one event per trial
    on_progress: Callable[[TuneProgress], None] | None = None
    on_event: Callable[[str], None] | None = None  # when set, replaces the request's

    def request_fields(self) -> dict[str, Any]:
        """Keyword arguments for ``TuneRequest(..., **options.request_fields())``
        (all but ``on_event``, which the caller passes)."""
        return {
            "n_trials": self.trials,
            "jobs": self.jobs,
            "worker": self.worker,
            "live": self.live,
            "on_progress": self.on_progress,
        }

    def apply(self, request: TuneRequest) -> TuneRequest:
        """``request`` with these options filled in."""
        return replace(
            request,
            n_trials=self.trials,
            jobs=self.jobs,
            worker=self.worker,
            live=self.live,
            on_progress=self.on_progress,
            on_event=self.on_event or request.on_event,
        )


@dataclass(frozen=True, slots=True)
class TuneRequest:
    """Everything :func:`run_tuning` needs about one tuning stage.

    ``cmd`` is already interpolated by the pipeline except the placeholders
    ``${trial.dir}``, ``${trial.params}`` and ``${trial.number}``, which are
    replaced per trial (shell-quoted). ``identity`` is a hex digest of the
    stage name and its deps' hashes.
    """

    stage: str
    cmd: Sequence[str]
    wdir: Path
    env: Mapping[str, str]
    base_params: Mapping[str, Any]  # nested, as the stage declared them
    spec: TuneSpec
    identity: str
    best_params_out: Path
    trials_table_out: Path | None = None
    n_trials: int | None = None
    jobs: int = 1
    worker: bool = False
    on_event: Callable[[str], None] = field(default=_ignore)
    live: bool = False
    on_progress: Callable[[TuneProgress], None] | None = None

    @property
    def budget(self) -> int:
        return self.n_trials if self.n_trials is not None else self.spec.trials


@dataclass(frozen=True, slots=True)
class TuneOutcome:
    stage: str
    study: str
    storage: str  # shown form: passwords hidden
    budget: int
    best_trial: int | None
    best_params: dict[str, Any]  # nested, as written to best_params_out
    best_values: dict[str, float]  # metric name -> value
    complete: int
    pruned: int
    failed: int
    ran: int  # trials this call ran (0 when the study was already finished)
    duration: float  # seconds
    worker: bool
    outputs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["outputs"] = list(self.outputs)
        return out


def run_tuning(repo: Repo, request: TuneRequest) -> TuneOutcome:
    """Run (or resume) the stage's study until its budget is spent; write the outputs.

    Raises :class:`~gitml.errors.StageFailed` when no trial completed.
    """
    from gitml.ops.tune_engine import run

    return run(repo, request)


def stop_all() -> None:
    """End the trials of every tuning run in this process and queue them again.

    ``run_tuning`` handles a KeyboardInterrupt in its own thread; a caller that
    runs it in a worker thread calls this when the interrupt lands elsewhere
    (the interrupted ``run_tuning`` then raises KeyboardInterrupt).
    """
    engine = sys.modules.get("gitml.ops.tune_engine")
    if engine is not None:
        engine.stop_all()


def study_name(request: TuneRequest) -> str:
    """``<stage>-<16 hex>``: the same inputs give the same study, so a rerun resumes it.

    Hashed: the pipeline's identity (stage + deps), the spec's search fields
    (not the budget or timeouts), the command and the params that are not
    searched (the searched ones are overridden by every trial anyway).
    """
    tuned = {p.name for p in request.spec.space}
    fixed = {k: v for k, v in _flatten(request.base_params).items() if k not in tuned}
    payload = {
        "identity": request.identity,
        "spec": spec_digest(request.spec),
        "cmd": list(request.cmd),
        "params": fixed,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    stage = re.sub(r"[^A-Za-z0-9_.@-]", "_", request.stage)
    return f"{stage}-{digest}"


def _flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out
