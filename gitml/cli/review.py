"""Review commands: diff (tracked data), params diff, and report (the pull-request report).

``metrics diff`` lives with ``metrics show`` in :mod:`gitml.cli.pipeline` and
shares the options and rendering here. Each works on a bare clone (plus its
gitml cache) when both revisions are named.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from gitml.cli.output import Out, make_out, output_options
from gitml.core.repo import Repo
from gitml.errors import GitmlError

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def open_review_repo(out: Out) -> Iterator[Repo]:
    """The repository, bare ones included (these commands read revisions and the cache)."""
    repo = Repo.find(allow_bare=True)
    repo.on_notice = out.notice
    try:
        yield repo
    finally:
        repo.close()


def md_option(fn: F) -> F:
    return click.option("--md", is_flag=True, help="Print a Markdown table.")(fn)


def values_options(fn: F) -> F:
    """``A B --md --all --precision`` for params and metrics diffs."""
    fn = click.option(
        "--precision",
        type=click.IntRange(min=1, max=17),
        default=5,
        show_default=True,
        help="Significant digits of the numbers shown (JSON keeps exact values).",
    )(fn)
    fn = click.option("--all", "show_all", is_flag=True, help="Show unchanged values too.")(fn)
    fn = md_option(fn)
    fn = click.argument("b", required=False)(fn)
    fn = click.argument("a", required=False)(fn)
    return fn


def render_values(diff: Any, what: str, out: Out, md: bool, precision: int) -> None:
    """Print a ``ValuesDiff`` (params or metrics) as JSON, Markdown or a plain table."""
    from gitml.ops.report_format import values_table

    if out.json:
        out.emit_json({"old": diff.old, "new": diff.new, what: [r.to_dict() for r in diff.rows]})
        return
    if out.quiet:
        return
    if not diff.rows:
        click.echo(f"no {what} changed between {diff.old} and {diff.new}")
        return
    if not md:
        out.detail(f"{diff.old} -> {diff.new}")
    click.echo(values_table(diff.rows, precision, md=md))


@click.command("diff")
@click.argument("a", required=False)
@click.argument("b", required=False)
@md_option
@output_options
def diff_cmd(
    a: str | None, b: str | None, md: bool, as_json: bool, quiet: bool, verbose: bool
) -> None:
    """Tracked data added, removed or modified between revisions A and B.

    A defaults to HEAD and B to the workspace (the data on disk). Tracked
    folders are compared file by file, through their manifests in the cache;
    sizes are shown before and after. Covers pointer files (PATH.gitml) and
    the cached stage outputs of stages.lock. Nothing is checked out, so it
    also runs in a bare clone that holds the gitml cache (name both A and B).

    \b
    Example:
      gitml diff                    # HEAD against the workspace
      gitml diff main~1 main --md   # two commits, as a Markdown table
      gitml diff v1.0 HEAD --json
    """
    from gitml.ops.report_format import data_table
    from gitml.ops.review import data_diff, default_revs

    out = make_out(as_json, quiet, verbose)
    with open_review_repo(out) as repo:
        result = data_diff(repo, *default_revs(repo, a, b))
    if out.json:
        out.emit_json(result.to_dict())
    elif not quiet:
        if not result.changes:
            click.echo(f"no tracked data changed between {result.old} and {result.new}")
            return
        out.detail(f"{result.old} -> {result.new}")
        click.echo(data_table(result, md=md))


@click.group("params")
def params_group() -> None:
    """Compare params across revisions."""


@params_group.command("diff")
@values_options
@output_options
def params_diff_cmd(
    a: str | None,
    b: str | None,
    md: bool,
    show_all: bool,
    precision: int,
    as_json: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Params that differ between revisions A and B: old, new, change and change %.

    A defaults to HEAD and B to the workspace. Every params file the
    pipeline reads (and params.yaml) is compared, keys flattened with dots.

    \b
    Example:
      gitml params diff                  # HEAD against the workspace
      gitml params diff main HEAD --md   # a Markdown table for a pull request
      gitml params diff HEAD~1 --all --precision 3
    """
    from gitml.ops.review import default_revs, params_diff

    out = make_out(as_json, quiet, verbose)
    with open_review_repo(out) as repo:
        result = params_diff(repo, *default_revs(repo, a, b), include_unchanged=show_all)
    render_values(result, "params", out, md, precision)


@click.command("report")
@click.option("--base", required=True, help="The revision the change is compared with.")
@click.option("--head", default=None, help="The changed revision [default: the workspace].")
@click.option("--precision", type=click.IntRange(min=1, max=17), default=5, show_default=True)
@click.option("--github-summary", is_flag=True, help="Append the Markdown to $GITHUB_STEP_SUMMARY.")
@md_option
@output_options
def report_cmd(
    base: str,
    head: str | None,
    precision: int,
    github_summary: bool,
    md: bool,
    as_json: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """The pull-request report: what HEAD (or --head) changed against --base.

    Stages whose stages.lock entry changed and what changed in them, params
    diff, metrics diff with the regressions the policy's metric-gate flags,
    tracked data changes, and the result of `gitml check`. It informs and
    exits 0 whatever it finds; `gitml check --ci` is the gate.

    \b
    Example:
      gitml report --base main                      # plain text in a terminal
      gitml report --base origin/main --md > report.md
      gitml report --base origin/main --github-summary   # in a GitHub Actions job
    """
    from gitml.ops.report import report
    from gitml.ops.report_format import render_report

    out = make_out(as_json, quiet, verbose)
    summary_file = _summary_path() if github_summary else None
    with open_review_repo(out) as repo:
        result = report(repo, base, head)
    if summary_file is not None:
        text = render_report(result, precision, md=True)
        with summary_file.open("a", encoding="utf-8") as f:
            f.write(text if summary_file.stat().st_size == 0 else "\n" + text)
        out.notice(f"report appended to {summary_file}")
    if out.json:
        out.emit_json(result.to_dict())
    elif not quiet and (md or summary_file is None):
        click.echo(render_report(result, precision, md=md), nl=False)


def _summary_path() -> Path:
    name = os.environ.get("GITHUB_STEP_SUMMARY")
    if not name:
        raise GitmlError(
            "--github-summary: $GITHUB_STEP_SUMMARY is not set",
            "run it in a GitHub Actions step, or use --md and redirect the output",
        )
    return Path(name)
