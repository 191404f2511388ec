"""Git hook commands: install, uninstall, and hook (what the installed shims run).

``gitml hook`` is on the path of every commit, merge, push and checkout:
everything beyond click and the hook logic is imported inside the branch
that needs it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gitml.cli.output import Out, make_out, output_options
from gitml.ops.hooks import HOOK_NAMES

if TYPE_CHECKING:
    from gitml.core.repo import Repo
    from gitml.ops.hooks import InstallResult, UninstallResult


def _shown(folder: str, repo: Repo) -> str:
    path = Path(folder)
    return path.relative_to(repo.root).as_posix() if path.is_relative_to(repo.root) else folder


@click.command("install")
@click.option(
    "--hooks",
    "hooks",
    metavar="NAME,...",
    help=f"Install only these hooks (default: all of {', '.join(HOOK_NAMES)}).",
)
@output_options
def install_cmd(hooks: str | None, as_json: bool, quiet: bool, verbose: bool) -> None:
    """Install gitml's git hooks and register its merge driver (safe to run again).

    Hooks go where git runs them (core.hooksPath, else .git/hooks). A hook
    that is already there is kept as NAME.gitml-saved and still runs, before
    gitml's part. The merge driver for stages.lock and *.gitml pointer files is
    registered in .git/config and .gitattributes (commit .gitattributes).

    \b
    Example:
      gitml install                          # all hooks, and the merge driver
      gitml install --hooks pre-commit,pre-push
      gitml uninstall                        # back to how it was
    """
    from gitml.cli.run import open_repo
    from gitml.ops.hooks import install, parse_names

    out = make_out(as_json, quiet, verbose)
    names = parse_names(hooks)
    with open_repo(out) as repo:
        result = install(repo, names)
        if out.json:
            out.emit_json(result.to_dict())
        else:
            _print_install(out, repo, result)


def _print_install(out: Out, repo: Repo, r: InstallResult) -> None:
    folder = _shown(r.hooks_dir, repo)
    if not r.changed:
        out.info(f"gitml hooks already installed in {folder}: {', '.join(r.unchanged)}")
        return
    done = r.installed + r.updated
    if done:
        out.info(f"installed hooks in {folder}: {', '.join(done)}")
    if r.unchanged:
        out.detail(f"already installed: {', '.join(r.unchanged)}")
    for name in r.saved:
        out.info(f"kept the existing {name} hook as {folder}/{name}.gitml-saved; it still runs")
    if r.merge_driver != "unchanged":
        out.info(f"{r.merge_driver} the gitml merge driver for stages.lock and *.gitml")
    if r.attributes_added:
        out.info(
            f"added to .gitattributes: {'; '.join(r.attributes_added)}"
            " (commit it: git add .gitattributes)"
        )


@click.command("uninstall")
@output_options
def uninstall_cmd(as_json: bool, quiet: bool, verbose: bool) -> None:
    """Remove gitml's git hooks and merge driver; put back the hooks they replaced.

    Only what `gitml install` added is removed: the shims, the .gitattributes
    lines it appended and the merge.gitml section of .git/config.

    \b
    Example:
      gitml uninstall
      gitml uninstall --json
    """
    from gitml.cli.run import open_repo
    from gitml.ops.hooks import uninstall

    out = make_out(as_json, quiet, verbose)
    with open_repo(out) as repo:
        result = uninstall(repo)
    if out.json:
        out.emit_json(result.to_dict())
    else:
        _print_uninstall(out, result)


def _print_uninstall(out: Out, r: UninstallResult) -> None:
    if not r.changed:
        out.info("gitml hooks are not installed: nothing to do")
    if r.removed:
        out.info(f"removed hooks: {', '.join(r.removed)}")
    if r.restored:
        out.info(f"put back the hooks gitml had kept aside: {', '.join(r.restored)}")
    for name in r.kept:
        out.info(f"left {name} alone: it is not gitml's (a {name}.gitml-saved may remain)")
    if r.attributes_removed:
        out.info(f"removed from .gitattributes: {'; '.join(r.attributes_removed)}")
    if r.merge_driver_removed:
        out.info("unregistered the gitml merge driver")


@click.command(
    "hook",
    hidden=True,
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@output_options
@click.argument("name", type=click.Choice(HOOK_NAMES))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def hook_cmd(name: str, args: tuple[str, ...], as_json: bool, quiet: bool, verbose: bool) -> None:
    """Run git hook NAME: the hook gitml kept aside, then gitml's part.

    The shims `gitml install` writes call this with git's arguments (options
    go before NAME). pre-commit, pre-merge-commit and pre-push run the policy
    checks (exit 1 blocks git); post-checkout (a branch switch) and post-merge
    run `gitml checkout` so data follows the branch, unless hooks.checkout is
    false in .gitml/config.yaml. Outside a gitml repository only the kept hook
    runs.

    \b
    Example:
      gitml hook pre-commit                      # what `git commit` runs
      gitml hook post-checkout OLD NEW 1         # data follows a branch switch
    """
    from gitml.cli.hook_entry import run_hook_command

    sys.exit(run_hook_command(name, list(args), make_out(as_json, quiet, verbose)))
