"""The tuning loop behind :func:`gitml.ops.tune.run_tuning`.

``jobs`` threads each reserve a trial (see :mod:`gitml.ops.tune_budget`),
sample its params, run its commands as a subprocess and tell optuna the
result, until the budget is spent. A report server answers the trials'
``gitml.api.report`` calls; a heartbeat thread keeps this run's trials
visibly alive for other workers. Ctrl-C ends every running trial's process
group, queues those trials again and re-raises.
"""

from __future__ import annotations

import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import optuna
from optuna.trial import TrialState

from gitml.core.schema import suggest as near
from gitml.core.tune_space import grid_size
from gitml.errors import GitmlError, StageFailed
from gitml.ops import tune_budget as budget
from gitml.ops.tune import TuneOutcome, TuneRequest, _flatten, study_name
from gitml.ops.tune_events import Reporter
from gitml.ops.tune_outputs import best_trial, values_of, write_best_params, write_trials_table
from gitml.ops.tune_sampler import make_pruner, make_sampler, suggest
from gitml.ops.tune_server import ReportServer
from gitml.ops.tune_storage import StudyHandle, open_study, quiet_optuna
from gitml.ops.tune_trial import (
    TAIL_CHARS,
    ProcessGroups,
    TrialResult,
    outcome_of,
    output_tail,
    prepare,
    read_objectives,
    run_commands,
    trial_env,
)

if TYPE_CHECKING:
    from gitml.core.repo import Repo

_STATES = {"complete": TrialState.COMPLETE, "pruned": TrialState.PRUNED, "failed": TrialState.FAIL}


@dataclass
class _Live:
    trial: optuna.Trial
    pruned_step: int | None = None


@dataclass(eq=False)
class _Run:
    """What the threads of one run share."""

    request: TuneRequest
    handle: StudyHandle
    owner: budget.Owner
    limits: budget.Limits
    reporter: Reporter
    groups: ProcessGroups = field(default_factory=ProcessGroups)
    stop: threading.Event = field(default_factory=threading.Event)
    interrupted: threading.Event = field(default_factory=threading.Event)
    live: dict[str, _Live] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ran: int = 0
    errors: list[BaseException] = field(default_factory=list)
    socket_path: str = ""


def run(repo: Repo, request: TuneRequest) -> TuneOutcome:
    started = time.monotonic()
    _check_request(request)
    with warnings.catch_warnings():
        quiet_optuna()
        handle = _open(repo, request)
        try:
            state = _prepare_run(request, handle, started)
            _drive(state)
            return _finish(state, started)
        finally:
            handle.close()


def _check_request(request: TuneRequest) -> None:
    if request.jobs < 1:
        raise GitmlError(f"-j {request.jobs}: need at least 1 job", "use -j 1 or more")
    shared = request.jobs > 1 or request.worker or request.spec.storage is not None
    for o in request.spec.objectives:
        if shared and "${trial.dir}" not in o.path:
            raise GitmlError(
                f"stage {request.stage}: metric file {o.path} is shared by parallel trials",
                "write it inside the trial's folder: metric: ${trial.dir}/metrics.json:KEY",
            )
    base = _flatten(request.base_params)
    for p in request.spec.space:
        parent, _, leaf = p.name.rpartition(".")
        siblings = [k.rpartition(".")[2] for k in base if k.rpartition(".")[0] == parent]
        guess = near(leaf, siblings) if p.name not in base else None
        if guess:
            shown = f"{parent}.{guess}" if parent else guess
            request.on_event(
                f"space param {p.name} is not in the stage's params (did you mean {shown}?)"
            )


def _open(repo: Repo, request: TuneRequest) -> StudyHandle:
    spec = request.spec
    return open_study(
        repo.data_dir,
        study_name(request),
        spec.storage,
        create=not request.worker,
        directions=list(spec.directions),
        sampler=make_sampler(spec),
        pruner=make_pruner(spec),
    )


def _prepare_run(request: TuneRequest, handle: StudyHandle, started: float) -> _Run:
    spec, study = request.spec, handle.study
    if request.worker:
        n = request.n_trials or int(study.user_attrs.get("gitml_budget", spec.trials))
    else:
        n = request.budget
        with handle.lock:
            study.set_user_attr("gitml_budget", n)
            study.set_user_attr("gitml_stage", request.stage)
            study.set_user_attr("gitml_spec", spec.to_dict())
    if spec.sampler == "grid" and n > grid_size(spec):
        request.on_event(f"the grid has {grid_size(spec)} points: running {grid_size(spec)} trials")
        n = grid_size(spec)
    deadline = started + spec.timeout if spec.timeout else None
    limits = budget.Limits(n, spec.max_failures or n, deadline)
    owner = budget.Owner.here(uuid.uuid4().hex)
    state = _Run(request, handle, owner, limits, Reporter(request, handle.study, n))
    done = budget.count(study.get_trials(deepcopy=False)).done
    if done or request.worker:
        verb = "joining" if request.worker else "resuming"
        request.on_event(f"{verb} study {handle.name}: {done}/{n} trials done")
    return state


_ACTIVE: set[_Run] = set()
_ACTIVE_LOCK = threading.Lock()


def stop_all() -> None:
    """Stop every tuning run of this process: end their trials' process groups and
    queue those trials again. For an interrupt that lands in another thread."""
    with _ACTIVE_LOCK:
        runs = list(_ACTIVE)
    for state in runs:
        _stop(state)


def _drive(state: _Run) -> None:
    server = ReportServer(lambda token, step, value: _on_report(state, token, step, value))
    state.socket_path = server.path
    threads = [
        threading.Thread(target=_worker, args=(state,), daemon=True, name=f"gitml-trial-{i}")
        for i in range(state.request.jobs)
    ]
    beat = threading.Thread(target=_heartbeat, args=(state,), daemon=True)
    with _ACTIVE_LOCK:
        _ACTIVE.add(state)
    try:
        beat.start()
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(0.25)
    except KeyboardInterrupt:
        _stop(state)
        raise
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(state)
        state.stop.set()
        server.close()
    if state.interrupted.is_set():
        raise KeyboardInterrupt
    if state.errors:
        raise state.errors[0]


def _worker(state: _Run) -> None:
    try:
        while not state.stop.is_set():
            got = budget.reserve(
                state.handle, state.owner, state.limits, state.request.on_event, state.stop
            )
            if got == budget.DONE:
                return
            if isinstance(got, str):
                state.stop.wait(0.2)
                continue
            _one_trial(state, got.trial, got.token)
    except BaseException as exc:
        state.errors.append(exc)
        state.stop.set()


def _one_trial(state: _Run, trial: optuna.Trial, token: str) -> None:
    request = state.request
    try:
        values = suggest(trial, request.spec.space)
        plan = prepare(state.handle.dir, trial.number, token, values, request.base_params)
        with state.lock:
            state.live[token] = _Live(trial)
        state.reporter.started(trial.number, values)
        t0 = time.monotonic()
        code, timed_out = run_commands(
            request.cmd,
            plan,
            wdir=request.wdir,
            groups=state.groups,
            env=trial_env(request.env, plan, state.socket_path),
            timeout=request.spec.trial_timeout,
        )
        if state.interrupted.is_set():
            return  # the main thread queues it again
        live = state.live[token]
        result = outcome_of(
            code,
            timed_out,
            live.pruned_step is not None,
            lambda: read_objectives(request.spec.objectives, plan, request.wdir),
        )
        tail = output_tail(plan) if result.state == "failed" else ""
        result = replace(result, duration=time.monotonic() - t0, tail=tail)
        _record(state, trial, result, live.pruned_step)
    except BaseException as exc:
        if not state.interrupted.is_set():
            _tell(state, trial, TrialResult("failed", error=f"gitml: {exc}"), None)
        raise
    finally:
        with state.lock:
            state.live.pop(token, None)


def _record(state: _Run, trial: optuna.Trial, result: TrialResult, step: int | None) -> None:
    outcome: dict[str, Any] = {"exit_code": result.exit_code, "duration": round(result.duration, 3)}
    if result.error:
        outcome["error"] = result.error
    if result.tail:
        outcome["output_tail"] = result.tail[-TAIL_CHARS:]
    trial.set_user_attr(budget.RESULT, outcome)
    if _tell(state, trial, result, step):
        with state.lock:
            state.ran += 1
        state.reporter.finished(trial.number, result, step)


def _tell(state: _Run, trial: optuna.Trial, result: TrialResult, step: int | None) -> bool:
    values = list(result.values) if result.state == "complete" else None
    try:
        state.handle.study.tell(trial, values, state=_STATES[result.state])
    except optuna.exceptions.UpdateFinishedTrialError:  # another worker judged us dead
        state.request.on_event(f"trial {trial.number} was taken over by another run")
        return False
    return True


def _on_report(state: _Run, token: str, step: int, value: float) -> bool:
    live = state.live.get(token)
    if live is None or state.request.spec.multi_objective:
        return False
    live.trial.report(value, step)
    if live.trial.should_prune():
        live.pruned_step = step
        return True
    return False


def _heartbeat(state: _Run) -> None:
    while not state.stop.wait(budget.HEARTBEAT_EVERY):
        with state.lock:
            trials = [live.trial for live in state.live.values()]
        try:
            budget.heartbeat(trials)
        except Exception as exc:  # a lost beat is retried; a dead storage fails the trials
            state.request.on_event(f"heartbeat failed: {exc}")


def _stop(state: _Run) -> None:
    """End this run's trials and queue them again; no trial starts afterwards."""
    with state.lock:
        if state.interrupted.is_set():
            return
        state.interrupted.set()
    state.stop.set()
    state.groups.kill_all()
    study, run = state.handle.study, state.owner.run
    with state.handle.lock:  # no reservation is half done while we look
        mine = [
            t
            for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            if budget.owner_of(t).get("run") == run
        ]
        for frozen in mine:
            budget.abandon(study, frozen, "interrupted")
    if mine:
        state.request.on_event(f"interrupted: {len(mine)} running trial(s) ended, queued again")


def _finish(state: _Run, started: float) -> TuneOutcome:
    request, handle = state.request, state.handle
    spec, study = request.spec, handle.study
    trials = study.get_trials(deepcopy=False)
    counts = budget.count(trials)
    best = best_trial(study, spec)
    if best is None:
        raise _all_failed(state, trials)
    if counts.failed >= state.limits.max_failures and counts.done < state.limits.budget:
        request.on_event(f"stopped after {counts.failed} failed trials (max_failures)")
    outputs: list[str] = []
    if not request.worker:
        write_best_params(request.best_params_out, best, handle.name, spec)
        outputs.append(str(request.best_params_out))
        if request.trials_table_out is not None:
            write_trials_table(request.trials_table_out, trials, spec)
            outputs.append(str(request.trials_table_out))
    return TuneOutcome(
        stage=request.stage,
        study=handle.name,
        storage=handle.url,
        budget=state.limits.budget,
        best_trial=best.number,
        best_params=_nested(best.params),
        best_values=values_of(best, spec),
        complete=counts.complete,
        pruned=counts.pruned,
        failed=counts.failed,
        ran=state.ran,
        duration=time.monotonic() - started,
        worker=request.worker,
        outputs=tuple(outputs),
    )


def _nested(params: dict[str, Any]) -> dict[str, Any]:
    from gitml.ops.tune_trial import merge_params

    return merge_params({}, params)


def _all_failed(state: _Run, trials: list[optuna.trial.FrozenTrial]) -> StageFailed:
    results = [(t, t.user_attrs.get(budget.RESULT) or {}) for t in trials]
    failed = [(t, r) for t, r in results if t.state == TrialState.FAIL and r.get("error")]
    stage = state.request.stage
    if not failed:
        return StageFailed(f"stage {stage}: no trial completed", "raise timeout or trials")
    last, result = failed[-1]
    lines = str(result.get("output_tail", "")).strip().splitlines()[-5:]
    shown = "\n  ".join(lines)
    folder = state.handle.dir / f"trial-{last.number}"
    return StageFailed(
        f"stage {stage}: no trial completed ({len(failed)} failed); trial {last.number}: "
        f"{result['error']}" + (f"\n  {shown}" if shown else ""),
        f"see {folder}/output.log; rerun it by hand with GITML_PARAMS_FILE={folder}/params.json",
    )
