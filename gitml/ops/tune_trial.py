"""One trial: its folder, its params files, its processes and its metrics.

A trial's folder ``.git/gitml/tune/<study>/trial-<number>/`` holds
``params.json`` (read by ``gitml.api.params()`` through
``GITML_PARAMS_FILE``), ``params.yaml`` (the file ``${trial.params}`` names),
``output.log`` (the command's stdout and stderr) and whatever the command
writes into ``${trial.dir}``.

Each command runs through the shell in a new session (process group), so an
interrupted gitml can end a trial with everything it started.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gitml.core.tune_space import Objective
from gitml.errors import GitmlError
from gitml.proc import clean_env
from gitml.tune_client import PRUNED_EXIT, SOCKET_ENV, TRIAL_ENV

TAIL_CHARS = 2000


@dataclass(frozen=True, slots=True)
class TrialPlan:
    number: int
    token: str  # identifies the trial to the report server and its processes
    dir: Path
    values: Mapping[str, Any]  # sampled, dotted names
    params_json: Path
    params_yaml: Path


@dataclass(frozen=True, slots=True)
class TrialResult:
    state: str  # "complete" | "failed" | "pruned" | "interrupted"
    values: tuple[float, ...] = ()
    exit_code: int | None = None
    error: str | None = None
    tail: str = ""
    duration: float = 0.0


def merge_params(base: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` (nested) with each dotted ``values`` key set: {"a.b": 1} -> {"a": {"b": 1}}."""
    merged: dict[str, Any] = copy.deepcopy(dict(base))
    for name, value in values.items():
        node = merged
        *parents, leaf = name.split(".")
        for i, part in enumerate(parents):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                where = ".".join(parents[: i + 1])
                raise GitmlError(
                    f"cannot set {name}: params {where} is {child!r}, not a mapping",
                    "rename the param in the space or in params.yaml",
                )
            node = child
        node[leaf] = value
    return merged


def prepare(
    study_dir: Path, number: int, token: str, values: Mapping[str, Any], base: Mapping[str, Any]
) -> TrialPlan:
    folder = study_dir / f"trial-{number}"
    if folder.exists():  # left by a study of the same name that was deleted
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    merged = merge_params(base, values)
    params_json, params_yaml = folder / "params.json", folder / "params.yaml"
    params_json.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
    params_yaml.write_text(yaml.safe_dump(merged, sort_keys=True))
    return TrialPlan(number, token, folder, dict(values), params_json, params_yaml)


def substitute(text: str, plan: TrialPlan, *, quote: bool) -> str:
    q = shlex.quote if quote else str
    return (
        text.replace("${trial.dir}", q(str(plan.dir)))
        .replace("${trial.params}", q(str(plan.params_yaml)))
        .replace("${trial.number}", str(plan.number))
    )


class ProcessGroups:
    """The process groups of running trials, so an interrupt can end them all."""

    def __init__(self) -> None:
        self._procs: dict[int, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def add(self, proc: subprocess.Popen[bytes]) -> None:
        """Track ``proc``; after :meth:`kill_all` a late starter is killed at once."""
        with self._lock:
            self._procs[proc.pid] = proc
            closed = self._closed
        if closed:
            kill_group(proc.pid, signal.SIGKILL)

    def remove(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.pop(proc.pid, None)

    def kill_all(self, grace: float = 2.0) -> None:
        """SIGTERM every group, then SIGKILL what is left after ``grace`` seconds."""
        with self._lock:
            self._closed = True
            procs = list(self._procs.values())
        for proc in procs:
            kill_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.0, deadline - time.monotonic()))
            kill_group(proc.pid, signal.SIGKILL)


def kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def trial_env(base: Mapping[str, str], plan: TrialPlan, socket_path: str) -> dict[str, str]:
    return clean_env(
        {
            **base,
            "GITML_PARAMS_FILE": str(plan.params_json),
            "GITML_TRIAL_DIR": str(plan.dir),
            "GITML_TRIAL_NUMBER": str(plan.number),
            SOCKET_ENV: socket_path,
            TRIAL_ENV: plan.token,
        }
    )


def run_commands(
    cmds: Sequence[str],
    plan: TrialPlan,
    *,
    wdir: Path,
    env: Mapping[str, str],
    groups: ProcessGroups,
    timeout: float | None,
    on_start: Any = None,
) -> tuple[int, bool]:
    """Run the trial's commands in order; return (exit code, timed out)."""
    deadline = time.monotonic() + timeout if timeout else None
    with open(plan.dir / "output.log", "ab") as log:
        for cmd in cmds:
            proc = subprocess.Popen(
                substitute(cmd, plan, quote=True),
                shell=True,
                cwd=wdir,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            groups.add(proc)
            if on_start is not None:
                on_start(proc.pid)
            try:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                code = proc.wait(left)
            except subprocess.TimeoutExpired:
                kill_group(proc.pid, signal.SIGKILL)
                proc.wait()
                return proc.returncode, True
            finally:
                groups.remove(proc)
            if code != 0:
                return code, False
    return 0, False


def output_tail(plan: TrialPlan) -> str:
    try:
        with open(plan.dir / "output.log", "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - TAIL_CHARS))
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def read_objectives(
    objectives: Sequence[Objective], plan: TrialPlan, wdir: Path
) -> tuple[float, ...]:
    """The trial's metric values; raise :class:`GitmlError` saying what is missing."""
    return tuple(_read_one(o, plan, wdir) for o in objectives)


def _read_one(objective: Objective, plan: TrialPlan, wdir: Path) -> float:
    path = wdir / substitute(objective.path, plan, quote=False)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise GitmlError(f"the trial wrote no metrics file {path}") from None
    try:
        doc = json.loads(text)
    except ValueError:
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            raise GitmlError(f"metrics file {path} is neither JSON nor YAML") from None
    value = _lookup(doc, objective.key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GitmlError(f"{path}: {objective.key} is {value!r}, not a number")
    if not math.isfinite(value):
        raise GitmlError(f"{path}: {objective.key} is {value}")
    return float(value)


def _lookup(doc: Any, key: str) -> Any:
    if isinstance(doc, dict) and key in doc:
        return doc[key]
    node = doc
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def outcome_of(code: int, timed_out: bool, was_pruned: bool, read: Any) -> TrialResult:
    """Classify a finished trial; ``read()`` returns its metric values."""
    if was_pruned and code == PRUNED_EXIT:
        return TrialResult("pruned", exit_code=code)
    if timed_out:
        return TrialResult("failed", exit_code=code, error="timed out (trial_timeout)")
    if code != 0:
        return TrialResult("failed", exit_code=code, error=f"exit code {code}")
    try:
        return TrialResult("complete", values=read(), exit_code=0)
    except GitmlError as exc:
        return TrialResult("failed", exit_code=0, error=exc.message)
