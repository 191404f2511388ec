"""Running a tuning stage from ``repro``: build the request, call the tuner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gitml.core.repo import Repo
from gitml.core.stages import Stage
from gitml.errors import GitmlError
from gitml.ops.runner import CommandResult
from gitml.ops.staleness import Check


def run_tune_stage(
    repo: Repo,
    stage: Stage,
    found: Check,
    env: dict[str, str],
    options: Any,
    emit: Callable[[str], None],
) -> CommandResult:
    raise GitmlError(f"stage {stage.name}: tuning stages are not available yet")
