"""``gitml merge-driver``: the git merge driver for stages.lock and pointer files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gitml.cli.output import make_out, output_options

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("merge-driver")
@click.argument("base", type=_FILE)
@click.argument("ours", type=_FILE)
@click.argument("theirs", type=_FILE)
@click.argument("path")
@output_options
def merge_driver_cmd(
    base: Path, ours: Path, theirs: Path, path: str, as_json: bool, quiet: bool, verbose: bool
) -> None:
    """Merge stages.lock or a pointer file three ways; git runs it as a merge driver.

    BASE, OURS and THEIRS are the three versions (git's %O %A %B) and PATH the
    file's path in the repository (%P). The result is written over OURS. What
    one side changed is taken; a folder both sides changed on different files
    gets a merged manifest. Exits 0 when the merge is clean, 1 when conflicts
    are left between markers, with one line each on stderr saying how to
    settle them. `gitml install` sets the driver up (docs/merging.md).

    \b
    Example:
      git config merge.gitml.driver "gitml merge-driver %O %A %B %P"
      printf 'stages.lock merge=gitml\\n*.gitml merge=gitml\\n' >> .gitattributes
      git merge feature      # git calls: gitml merge-driver BASE OURS THEIRS stages.lock
    """
    from gitml.ops.merge import merge_file

    out = make_out(as_json, quiet, verbose)
    result = merge_file(base, ours, theirs, path)
    if out.json:
        out.emit_json(
            {
                "path": result.path,
                "clean": result.clean,
                "merged_folders": list(result.merged_folders),
                "conflicts": [
                    {"what": c.what, "reason": c.reason, "hint": c.hint} for c in result.conflicts
                ],
            }
        )
    else:
        for folder in result.merged_folders:
            out.notice(f"{path}: merged {folder} from both sides' changes")
    for conflict in result.conflicts:
        click.echo(f"gitml: conflict: {conflict.line()}", err=True)
    if not result.clean:
        sys.exit(1)
