"""``gitml tune STAGE`` (run or join a stage's study) and ``gitml tune show STAGE``."""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import sys
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

import click

from gitml.cli.output import Out, make_out, output_options
from gitml.cli.run import open_repo
from gitml.errors import GitmlError, StageFailed

if TYPE_CHECKING:
    from gitml.core.repo import Repo
    from gitml.ops.tune import TuneOptions, TuneProgress, TuneRequest
    from gitml.ops.tune_show import StudyReport


class _TuneGroup(click.Group):
    """``gitml tune STAGE ...`` means ``gitml tune run STAGE ...``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("tune", cls=_TuneGroup)
def tune_cmd() -> None:
    """Tune a stage's hyperparameters: the stage's `tune:` block says what to search.

    `gitml tune STAGE` is `gitml tune run STAGE`. The study resumes when run
    again with the same deps and space; with a database `storage:`, other
    machines join it with `--worker`.

    \b
    Example:
      gitml tune tune --trials 40 -j 4     # run 40 trials, 4 at a time
      gitml tune tune --worker             # on another machine: help fill the study
      gitml tune show tune                 # leaderboard and param importances
    """


@tune_cmd.command("run")
@click.argument("stage")
@click.option("--trials", type=click.IntRange(min=1), help="Budget: overrides the spec's trials.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Trials run in parallel on this machine.",
)
@click.option("--worker", is_flag=True, help="Join the stage's existing (shared) study.")
@output_options
def run_cmd(
    stage: str,
    trials: int | None,
    jobs: int,
    worker: bool,
    as_json: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Run (or resume) the study of STAGE until its budget is spent.

    Without --worker this runs the stage like `gitml repro STAGE` (its outputs
    are cached and stages.lock updated); a worker only adds trials.

    \b
    Example:
      gitml tune tune -j 2
    """
    from gitml.ops.tune import TuneOptions

    out = make_out(as_json, quiet, verbose)
    live = LiveLine(out.notice) if _terminal(out) else None
    options = TuneOptions(
        trials=trials,
        jobs=jobs,
        worker=worker,
        live=live is not None,
        on_progress=live,
        on_event=live.notice if live is not None else out.notice,
    )
    try:
        with open_repo(out) as repo:
            run_stage(repo, stage, options)
            has_requests = hasattr(_pipeline(), "tune_request")
            report = _show(repo, stage, limit=3) if has_requests else None
    finally:
        if live is not None:
            live.close()
    if report is not None:
        _render_summary(out, report)


@tune_cmd.command("show")
@click.argument("stage")
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Trials to list, best first (0: all).",
)
@output_options
def show_cmd(stage: str, limit: int, as_json: bool, quiet: bool, verbose: bool) -> None:
    """Show the study of STAGE: best trials, their params and metrics, param importances.

    \b
    Example:
      gitml tune show tune -n 20
      gitml tune show tune --json | jq .importances
    """
    out = make_out(as_json, quiet, verbose)
    with open_repo(out) as repo:
        report = _show(repo, stage, limit)
    if out.json:
        out.emit_json(report.to_dict())
        return
    _render_summary(out, report)
    _render_table(out, report)
    _render_importances(out, report)


def _pipeline() -> ModuleType:
    if importlib.util.find_spec("gitml.ops.pipeline") is None:
        raise GitmlError("the pipeline is not available yet", "use a newer gitml")
    return importlib.import_module("gitml.ops.pipeline")


def request_for(repo: Repo, stage: str, options: TuneOptions | None = None) -> TuneRequest:
    build = getattr(_pipeline(), "tune_request", None)
    if build is None:
        raise GitmlError("the pipeline is not available yet", "use a newer gitml")
    request: TuneRequest = build(repo, stage, options)
    return request


def run_stage(repo: Repo, stage: str, options: TuneOptions) -> None:
    """The adapter to the pipeline. A worker joins the study directly; otherwise
    ``repro`` runs the stage, so its outputs are cached and stages.lock updated."""
    from gitml.ops.tune import run_tuning

    if options.worker:
        run_tuning(repo, request_for(repo, stage, options))
        return
    _pipeline()
    from gitml.ops.repro import ReproOptions, repro

    # forced: the study decides what is left to do (a finished one only rewrites the outputs)
    opts = ReproOptions(force=True, tune=options)
    result = repro(repo, [stage], opts, on_event=options.on_event)
    if result.failed:
        names = ", ".join(o.name for o in result.failed)
        raise StageFailed(f"stage {names} failed", "see the messages above")


def _show(repo: Repo, stage: str, limit: int) -> StudyReport:
    from gitml.ops.tune_show import show_study

    return show_study(repo, request_for(repo, stage), limit)


def _terminal(out: Out) -> bool:
    return not (out.quiet or out.json or os.environ.get("CI")) and sys.stderr.isatty()


class LiveLine:
    """One status line on stderr, rewritten after every trial; notices print above it."""

    def __init__(self, print_notice: Callable[[str], None]) -> None:
        self.shown = False
        self.text = ""
        self._print_notice = print_notice

    def __call__(self, p: TuneProgress) -> None:
        best = ""
        if p.best_trial is not None:
            values = ", ".join(f"{v:.6g}" for v in p.best_values.values())
            best = f" | best {values} (trial {p.best_trial}) {_params(p.best_params)}"
        self.text = (
            f"{p.stage}: {p.done}/{p.budget} trials, {p.running} running, {p.failed} failed{best}"
        )
        self.shown = True
        self._draw()

    def notice(self, text: str) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
        self._print_notice(text)
        if self.shown:
            self._draw()

    def _draw(self) -> None:
        width = shutil.get_terminal_size((100, 20)).columns - 1
        sys.stderr.write("\r\x1b[K" + self.text[:width])
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.shown = False


def _params(values: Any) -> str:
    return " ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in dict(values).items()
    )


def _render_summary(out: Out, report: StudyReport) -> None:
    if out.json:
        out.emit_json(report.to_dict())
        return
    counts = f"{report.complete} complete, {report.pruned} pruned, {report.failed} failed"
    running = f", {report.running} running" if report.running else ""
    out.info(f"study {report.study} ({report.storage})")
    out.info(f"  {report.complete + report.pruned}/{report.budget} trials: {counts}{running}")
    best = next((r for r in report.rows if r.number == report.best_trial), None)
    if best is not None:
        values = ", ".join(f"{k}={v:.6g}" for k, v in best.values.items())
        out.info(f"  best: trial {best.number}: {values}  {_params(best.params)}")


def _render_table(out: Out, report: StudyReport) -> None:
    head = ["trial", "state", *report.metrics, "time", "params"]
    rows = [head]
    for r in report.rows:
        metrics = [f"{r.values[m]:.6g}" if m in r.values else "-" for m in report.metrics]
        took = f"{r.duration:.1f}s" if r.duration is not None else "-"
        state = r.state if r.exit_code in (None, 0) or r.state != "fail" else f"fail({r.exit_code})"
        rows.append([str(r.number), state, *metrics, took, _params(r.params)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head) - 1)]
    out.info("")
    for row in rows:
        out.info("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1])


def _render_importances(out: Out, report: StudyReport) -> None:
    for metric, found in report.importances.items():
        out.info(f"\nparam importances for {metric}:")
        for name, share in sorted(found.items(), key=lambda kv: -kv[1]):
            out.info(f"  {name:<24} {share:6.3f} {'#' * round(share * 30)}")
