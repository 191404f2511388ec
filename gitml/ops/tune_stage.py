"""Running a tuning stage from ``repro``: build the request, call the tuner.

A tuning stage is decided, cached and locked like any other; only its
execution differs: instead of running ``cmd`` once, the tuner runs it once
per trial and writes the best params (the stage's YAML output) and,
optionally, the trials table (its ``.parquet`` output).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from gitml.core.hashing import hash_bytes
from gitml.core.repo import Repo
from gitml.core.stages import Stage
from gitml.errors import GitmlError
from gitml.ops.runner import CommandResult
from gitml.ops.staleness import Check, nested_params


def identity(stage: Stage, found: Check) -> str:
    """Stage name and dependency hashes: the part of a study's name the pipeline owns."""
    doc = {"stage": stage.name, "deps": [[d.path, d.oid] for d in found.deps]}
    return hash_bytes(json.dumps(doc, sort_keys=True).encode())


def spec_key(spec: Any) -> str:
    from gitml.core.tune_space import spec_digest

    return str(spec_digest(spec))


def build_request(
    repo: Repo,
    stage: Stage,
    spec: Any,
    found: Check,
    env: dict[str, str],
    options: Any,
    emit: Callable[[str], None],
) -> Any:
    """The tuner's request for ``stage`` as the work tree stands (``found``)."""
    from gitml.ops.tune import TuneOptions, TuneRequest

    outs = [o.path for o in stage.outs]
    best = next(p for p in outs if p.endswith((".yaml", ".yml")))
    table = next((p for p in outs if p.endswith(".parquet")), None)
    request = TuneRequest(
        stage=stage.name,
        cmd=stage.cmd,
        wdir=repo.root / stage.wdir,
        env=env,
        base_params=nested_params(found.params),
        spec=spec,
        identity=identity(stage, found),
        best_params_out=repo.root / best,
        trials_table_out=repo.root / table if table else None,
        on_event=emit,
    )
    return options.apply(request) if isinstance(options, TuneOptions) else request


def request_for_stage(repo: Repo, pipeline: Any, name: str, options: Any = None) -> Any:
    """``gitml tune``'s way in: the request for a named tuning stage, nothing run."""
    from gitml.ops.staleness import Inspector, check, stage_env

    [name] = pipeline.resolve([name])
    spec = pipeline.tune_specs.get(name)
    if spec is None:
        raise GitmlError(
            f"stage {name} has no tune block", "add `tune:` to it in stages.yaml (docs/tuning.md)"
        )
    stage = pipeline.stages[name]
    found = check(Inspector(repo), stage, None)
    emit = getattr(options, "on_event", None) or repo.notice
    return build_request(repo, stage, spec, found, stage_env(repo, stage, found), options, emit)


def run_tune_stage(
    repo: Repo,
    stage: Stage,
    spec: Any,
    found: Check,
    env: dict[str, str],
    options: Any,
    emit: Callable[[str], None],
) -> CommandResult:
    from gitml.ops.tune import run_tuning

    request = build_request(repo, stage, spec, found, env, options, emit)
    try:
        outcome = run_tuning(repo, request)
    except GitmlError as exc:
        return CommandResult(1, f"tuning of {stage.name}", str(exc), 0.0)
    extra = {
        "spec": spec_key(spec),
        "study": outcome.study,
        "best_trial": outcome.best_trial,
        "best_values": outcome.best_values,
        "trials": {
            "complete": outcome.complete,
            "pruned": outcome.pruned,
            "failed": outcome.failed,
        },
    }
    return CommandResult(0, None, "", outcome.duration, extra)
