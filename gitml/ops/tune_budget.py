"""An exact trial budget across processes and machines, and trials of dead runs.

Every process that works on a study reserves a trial under the study's
reservation lock: it counts the trials that spend the budget (complete,
pruned, running) and only then asks optuna for a new one, and claims it
(host, pid, run id, heartbeat) before releasing the lock. So two workers
filling one study finish exactly ``budget`` trials between them.

A running trial whose owner died (same host: its pid is gone; any host: no
heartbeat for :data:`STALE_AFTER` seconds; or never claimed) is marked FAIL
with ``gitml_abandoned`` and its params are queued again, so the next trial
redoes it. Abandoned trials do not spend the budget.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from gitml.ops.tune_sampler import ABANDONED
from gitml.ops.tune_storage import StudyHandle
from gitml.ops.tune_trial import kill_group
from gitml.tune_client import TRIAL_ENV

HEARTBEAT_EVERY = 15.0  # seconds between heartbeats of a running trial
STALE_AFTER = 120.0  # seconds without a heartbeat after which another host takes over

# user attrs: {"run", "host", "pid", "token", "since"} set once under the reservation lock,
# and a heartbeat (unix time) refreshed while the trial runs
OWNER, BEAT = "gitml_owner", "gitml_heartbeat"
# user attr of a finished trial: {"exit_code", "duration", "error", "output_tail"}
RESULT = "gitml_result"
WAIT, DONE = "wait", "done"


@dataclass(frozen=True, slots=True)
class Owner:
    run: str  # unique per run_tuning call
    host: str
    pid: int

    @classmethod
    def here(cls, run: str) -> Owner:
        return cls(run, socket.gethostname(), os.getpid())


@dataclass(frozen=True, slots=True)
class Counts:
    complete: int = 0
    pruned: int = 0
    failed: int = 0  # the command failed (abandoned trials are not counted)
    running: int = 0
    waiting: int = 0

    @property
    def done(self) -> int:
        return self.complete + self.pruned

    @property
    def spent(self) -> int:
        return self.complete + self.pruned + self.running


def count(trials: Sequence[FrozenTrial]) -> Counts:
    states = [t.state for t in trials if ABANDONED not in t.user_attrs]
    return Counts(
        complete=states.count(TrialState.COMPLETE),
        pruned=states.count(TrialState.PRUNED),
        failed=states.count(TrialState.FAIL),
        running=states.count(TrialState.RUNNING),
        waiting=states.count(TrialState.WAITING),
    )


@dataclass(frozen=True, slots=True)
class Limits:
    budget: int
    max_failures: int
    deadline: float | None  # time.monotonic() after which no trial starts


@dataclass(frozen=True, slots=True)
class Claim:
    trial: optuna.Trial
    token: str  # in the trial's environment: identifies its processes and reports


def reserve(
    handle: StudyHandle,
    owner: Owner,
    limits: Limits,
    on_event: Callable[[str], None],
    stop: threading.Event,
) -> Claim | str:
    """A new claimed trial, or :data:`WAIT` (others still run the last trials) or :data:`DONE`."""
    with handle.lock:
        if stop.is_set():
            return DONE
        study = handle.study
        trials = study.get_trials(deepcopy=False)
        if abandon_stale(study, trials, owner, on_event):
            trials = study.get_trials(deepcopy=False)
        c = count(trials)
        if c.failed >= limits.max_failures:
            return DONE
        if limits.deadline is not None and time.monotonic() >= limits.deadline:
            return DONE
        if c.spent >= limits.budget:
            return WAIT if c.running else DONE
        trial = study.ask()
        token = secrets.token_hex(8)
        claim = {
            "run": owner.run,
            "host": owner.host,
            "pid": owner.pid,
            "token": token,
            "since": time.time(),
        }
        trial.set_user_attr(OWNER, claim)
        return Claim(trial, token)


def owner_of(trial: FrozenTrial) -> dict[str, Any]:
    claim = trial.user_attrs.get(OWNER)
    return claim if isinstance(claim, dict) else {}


def abandon_stale(
    study: optuna.Study,
    trials: Sequence[FrozenTrial],
    owner: Owner,
    on_event: Callable[[str], None],
) -> int:
    """Mark the running trials of dead owners FAIL and queue their params again."""
    stale = [t for t in trials if t.state == TrialState.RUNNING and is_stale(t, owner)]
    for t in stale:
        claim = owner_of(t)
        who = f"pid {claim.get('pid')} on {claim.get('host')}"
        abandon(study, t, f"its run ({who}) stopped")
        on_event(f"trial {t.number} of a run that stopped ({who}) failed; queued again")
    return len(stale)


def is_stale(trial: FrozenTrial, owner: Owner) -> bool:
    claim = owner_of(trial)
    if claim.get("run") == owner.run:
        return False
    if not claim:  # claims happen under the lock we hold: its creator died
        return True
    beat = max(float(claim.get("since", 0.0)), float(trial.user_attrs.get(BEAT, 0.0)))
    if time.time() - beat > STALE_AFTER:
        return True
    return claim.get("host") == owner.host and not pid_alive(int(claim.get("pid", 0)))


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (dead, not yet reaped) is dead
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def abandon(study: optuna.Study, trial: FrozenTrial, reason: str) -> None:
    """Fail ``trial`` as abandoned (it will not count) and queue its params again."""
    storage = study._storage
    with contextlib.suppress(optuna.exceptions.UpdateFinishedTrialError):  # finished meanwhile
        storage.set_trial_user_attr(trial._trial_id, ABANDONED, reason)
        storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        study.enqueue_trial(dict(trial.params), user_attrs={"gitml_retry_of": trial.number})
    claim = owner_of(trial)
    if claim.get("host") == socket.gethostname() and claim.get("token"):
        kill_orphans(str(claim["token"]))


def kill_orphans(token: str) -> None:
    """Kill the process groups a dead run left behind: those whose processes carry the
    trial's token in their environment (Linux; elsewhere they finish on their own)."""
    needle = f"{TRIAL_ENV}={token}".encode()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            with contextlib.suppress(OSError):
                kill_group(os.getpgid(int(proc.name)), 9)


def heartbeat(trials: Sequence[optuna.Trial]) -> None:
    now = time.time()
    for trial in trials:
        with contextlib.suppress(optuna.exceptions.UpdateFinishedTrialError):
            trial.set_user_attr(BEAT, now)
