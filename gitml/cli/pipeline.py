"""Pipeline commands: repro, dag, stage list, metrics show."""

from __future__ import annotations

import sys
import threading
from typing import Any

import click

from gitml.cli.output import make_out, output_options
from gitml.cli.review import open_review_repo, render_values, values_options
from gitml.cli.run import open_repo


@click.command("repro")
@click.argument("targets", nargs=-1)
@click.option("-f", "--force", is_flag=True, help="Run the targets even when up to date.")
@click.option("-s", "--single-item", is_flag=True, help="Only the targets, not their upstream.")
@click.option("--downstream", is_flag=True, help="The targets and every stage after them.")
@click.option("--dry", is_flag=True, help="Say what would run; run nothing.")
@click.option("-k", "--keep-going", is_flag=True, help="Go on with stages not hit by a failure.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Run this many independent stages at once [default: core.jobs, else 1].",
)
@click.option("--no-run-cache", is_flag=True, help="Never restore outputs from the run cache.")
@click.option("--explain", is_flag=True, help="Say for every stage why it runs or is skipped.")
@click.option("--strict-env", is_flag=True, help="Rerun stages whose environment changed.")
@output_options
def repro_cmd(
    targets: tuple[str, ...],
    force: bool,
    single_item: bool,
    downstream: bool,
    dry: bool,
    keep_going: bool,
    jobs: int | None,
    no_run_cache: bool,
    explain: bool,
    strict_env: bool,
    as_json: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Run the stale stages of stages.yaml in dependency order.

    A stage runs when its command, a dependency, a param it reads or one of
    its outputs changed since stages.lock recorded it. Results computed
    before are restored from the run cache instead of run again.

    \b
    Example:
      gitml repro                 # everything that is stale
      gitml repro train --explain # train and its upstream, saying why
      gitml repro -j 2 --dry      # what would run, two stages at a time
    """
    from gitml.ops.repro import ReproOptions, repro

    out = make_out(as_json, quiet, verbose)
    printing = threading.Lock()

    def line(stage: str, text: str) -> None:
        with printing:  # with --json, stdout carries only the JSON document
            click.echo(f"[{stage}] {text}", err=out.json)

    def event(text: str) -> None:
        if not out.json:
            with printing:
                out.notice(text)

    with open_repo(out) as repo:
        jobs = jobs or repo.config.jobs or 1
        options = ReproOptions(
            force=force,
            single_item=single_item,
            downstream=downstream,
            dry=dry,
            keep_going=keep_going,
            jobs=jobs,
            run_cache=not no_run_cache,
            explain=explain or dry,
            strict_env=strict_env,
        )
        # One stage at a time writes straight to the terminal (progress bars work);
        # parallel stages are captured and prefixed so their lines can be told apart.
        captured = line if jobs > 1 or out.json else None
        result = repro(repo, targets, options, on_event=event, on_output=captured)
    if out.json:
        out.emit_json({"stages": [o.to_dict() for o in result.outcomes]})
    elif dry:
        for o in result.outcomes:
            why = [r.text for r in o.reasons] or ["up to date"]
            if o.env_changes and not any(r.kind == "env" for r in o.reasons):
                why.append(f"environment changed: {', '.join(o.env_changes)}")
            action = "would run" if o.action == "would-run" else o.action
            out.info(f"{o.name}: {action} ({'; '.join(why)})")
    else:
        out.info(summary(result.outcomes))
    if result.failed:
        sys.exit(1)


def summary(outcomes: list[Any]) -> str:
    """``2 ran, 1 restored, 3 up to date, 1 failed, 1 blocked`` (zero counts left out)."""
    labels = {
        "ran": "ran",
        "restored": "restored from the run cache",
        "skipped": "up to date",
        "frozen": "frozen",
        "failed": "failed",
        "blocked": "blocked by a failure",
    }
    counts = [(sum(1 for o in outcomes if o.action == a), label) for a, label in labels.items()]
    parts = [f"{n} {label}" for n, label in counts if n]
    return f"stages: {', '.join(parts) or 'none selected'}"


@click.command("dag")
@click.argument("targets", nargs=-1)
@click.option("--dot", "fmt", flag_value="dot", help="Graphviz dot.")
@click.option("--mermaid", "fmt", flag_value="mermaid", help="Mermaid flowchart.")
@output_options
def dag_cmd(
    targets: tuple[str, ...], fmt: str | None, as_json: bool, quiet: bool, verbose: bool
) -> None:
    """Print the stage graph (text, --dot or --mermaid).

    \b
    Example:
      gitml dag
      gitml dag --dot | dot -Tpng > dag.png
      gitml dag --mermaid >> README.md
    """
    from gitml.ops.graph import render
    from gitml.ops.pipeline import require_pipeline

    out = make_out(as_json, quiet, verbose)
    with open_repo(out) as repo:
        pipeline = require_pipeline(repo)
    names = pipeline.select(targets)
    if out.json:
        edges = [[up, n] for n in names for up in sorted(pipeline.dag.upstream[n])]
        out.emit_json({"stages": names, "edges": edges})
    else:
        click.echo(render(pipeline, names, fmt or "text"))


@click.group("stage")
def stage_group() -> None:
    """Inspect the stages of stages.yaml."""


@stage_group.command("list")
@output_options
def stage_list_cmd(as_json: bool, quiet: bool, verbose: bool) -> None:
    """List the stages (after foreach/matrix expansion) in execution order.

    \b
    Example:
      gitml stage list
      gitml stage list --json | jq '.[].name'
    """
    from gitml.ops.pipeline import require_pipeline

    out = make_out(as_json, quiet, verbose)
    with open_repo(out) as repo:
        pipeline = require_pipeline(repo)
    rows: list[dict[str, Any]] = []
    for name in pipeline.dag.order():
        stage = pipeline.stages[name]
        rows.append(
            {
                "name": name,
                "cmd": list(stage.cmd),
                "desc": stage.desc,
                "deps": list(stage.deps),
                "outs": [o.path for o in stage.outs],
                "upstream": sorted(pipeline.dag.upstream[name]),
                "tune": stage.tune is not None,
            }
        )
    if out.json:
        out.emit_json(rows)
        return
    width = max((len(r["name"]) for r in rows), default=0)
    for r in rows:
        summary = r["desc"] or " && ".join(r["cmd"])
        out.info(f"{r['name']:<{width}}  {summary}")
        out.detail(f"{'':<{width}}  deps: {', '.join(r['deps'])}; outs: {', '.join(r['outs'])}")


@click.group("metrics")
def metrics_group() -> None:
    """Show metrics files, or compare them across revisions."""


@metrics_group.command("show")
@click.argument("paths", nargs=-1, type=click.Path())
@output_options
def metrics_show_cmd(paths: tuple[str, ...], as_json: bool, quiet: bool, verbose: bool) -> None:
    """Print the metrics of the work tree (the stages' metrics files, or PATHS).

    JSON, YAML and CSV files; nested keys are flattened with dots.

    \b
    Example:
      gitml metrics show
      gitml metrics show metrics/val.json --json
    """
    from gitml.ops.metrics import show

    out = make_out(as_json, quiet, verbose)
    with open_repo(out) as repo:
        found = show(repo, paths)
    if out.json:
        out.emit_json(found)
        return
    if not found:
        out.info("no metrics files (declare them under `metrics:` in stages.yaml)")
    for path, values in found.items():
        out.info(path)
        width = max((len(k) for k in values), default=0)
        for key, value in values.items():
            shown = f"{value:.6g}" if isinstance(value, float) else str(value)
            out.info(f"  {key:<{width}}  {shown}")


@metrics_group.command("diff")
@values_options
@output_options
def metrics_diff_cmd(
    a: str | None,
    b: str | None,
    md: bool,
    show_all: bool,
    precision: int,
    as_json: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Metrics that differ between revisions A and B: old, new, change and change %.

    A defaults to HEAD and B to the workspace. Every metrics file either
    pipeline declares is compared; one that git does not hold (a cached
    output) is read from the cache by the hash in that revision's stages.lock.

    \b
    Example:
      gitml metrics diff                      # HEAD against the workspace
      gitml metrics diff main HEAD --md --all
      gitml metrics diff HEAD~1 HEAD --json
    """
    from gitml.ops.review import default_revs, metrics_diff

    out = make_out(as_json, quiet, verbose)
    with open_review_repo(out) as repo:
        result = metrics_diff(repo, *default_revs(repo, a, b), include_unchanged=show_all)
    render_values(result, "metrics", out, md, precision)
