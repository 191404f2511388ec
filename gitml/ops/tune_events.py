"""What a tuning run tells its caller: one line per finished trial, or live progress.

Without a live display (CI, pipes) every finished trial is one ``on_event``
line; with one (``request.live`` and ``on_progress``), every start and end of
a trial sends a :class:`~gitml.ops.tune.TuneProgress` snapshot instead.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import optuna

from gitml.ops.tune import TuneProgress, TuneRequest
from gitml.ops.tune_budget import count
from gitml.ops.tune_outputs import best_trial, values_of
from gitml.ops.tune_trial import TrialResult


def format_params(values: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={_short(v)}" for k, v in values.items())


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class Reporter:
    def __init__(self, request: TuneRequest, study: optuna.Study, budget: int) -> None:
        self.request = request
        self.study = study
        self.budget = budget
        self._lock = threading.Lock()
        self.live = request.live and request.on_progress is not None

    def started(self, number: int, values: Mapping[str, Any]) -> None:
        if self.live:
            self._progress(f"trial {number} started: {format_params(values)}")

    def finished(self, number: int, result: TrialResult, step: int | None) -> None:
        trials = self.study.get_trials(deepcopy=False)
        c = count(trials)
        spec = self.request.spec
        took = f"in {result.duration:.1f}s"
        if result.state == "complete":
            metrics = ", ".join(
                f"{k}={v:.6g}" for k, v in zip(spec.metric_names, result.values, strict=False)
            )
            what = f"complete {took}: {metrics}"
        elif result.state == "pruned":
            what = f"pruned at step {step} {took}"
        else:
            last = result.tail.strip().splitlines()[-1:] if result.tail else []
            what = f"failed {took}: {result.error}" + (f": {last[0][:200]}" if last else "")
        best = best_trial(self.study, spec)
        best_text = ""
        if best is not None:
            shown = ", ".join(f"{v:.6g}" for v in values_of(best, spec).values())
            best_text = f"; best {shown} (trial {best.number})"
        params = next((t.params for t in trials if t.number == number), {})
        line = f"trial {number} {what} [{c.done}/{self.budget}]{best_text} {format_params(params)}"
        if self.live:
            self._progress(line)
        else:
            self.request.on_event(line)

    def _progress(self, last: str) -> None:
        assert self.request.on_progress is not None
        spec = self.request.spec
        with self._lock:
            c = count(self.study.get_trials(deepcopy=False))
            best = best_trial(self.study, spec)
            snapshot = TuneProgress(
                stage=self.request.stage,
                budget=self.budget,
                done=c.done,
                failed=c.failed,
                running=c.running,
                best_trial=best.number if best else None,
                best_values=values_of(best, spec),
                best_params=dict(best.params) if best else {},
                last=last,
            )
            self.request.on_progress(snapshot)
