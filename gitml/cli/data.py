"""Data commands: init, add, status, checkout, commit, gc, fsck."""

from __future__ import annotations

import sys

import click

from gitml.cli import run
from gitml.cli.output import human_bytes, make_out, output_options
from gitml.cli.run import as_dict, open_repo


@click.command("init")
@output_options
def init_cmd(as_json: bool, quiet: bool, verbose: bool) -> None:
    """Set gitml up in the current git repository (safe to run again).

    \b
    Example:
      git init && gitml init
    """
    from gitml.ops.init import init

    out = make_out(as_json, quiet, verbose)
    result = init()
    if out.json:
        out.emit_json({"root": result.root, "created": result.created})
    elif result.created:
        out.info(f"initialised gitml in {result.root} (created {', '.join(result.created)})")
    else:
        out.info(f"gitml is already initialised in {result.root}")


@click.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@output_options
def add_cmd(paths: tuple[str, ...], as_json: bool, quiet: bool, verbose: bool) -> None:
    """Track files or folders: hash them into the cache and write PATH.gitml.

    Commit the pointer (PATH.gitml) and the .gitignore beside it with git.

    \b
    Example:
      gitml add data/raw models/model.pt
      git add data/raw.gitml data/.gitignore models/ && git commit -m "track data"
    """
    run.add(paths, as_json=as_json, quiet=quiet, verbose=verbose)


@click.command("status")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True, help="Exit with 1 when anything is not clean.")
@output_options
def status_cmd(
    paths: tuple[str, ...], check: bool, as_json: bool, quiet: bool, verbose: bool
) -> None:
    """Show tracked artifacts that differ from their pointers.

    States: unchanged, modified, missing (not in the work tree), not in cache.

    \b
    Example:
      gitml status            # what changed
      gitml status -v data    # and which files inside folders
      gitml status --check    # exit 1 unless clean (for scripts and CI)
    """
    code = run.status(paths, check=check, as_json=as_json, quiet=quiet, verbose=verbose)
    if code:
        sys.exit(code)


@click.command("checkout")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-f", "--force", is_flag=True, help="Overwrite local changes not in the cache.")
@output_options
def checkout_cmd(
    paths: tuple[str, ...], force: bool, as_json: bool, quiet: bool, verbose: bool
) -> None:
    """Make the work tree match the pointers (e.g. after `git checkout`).

    Data already in the cache is replaced without asking; local changes that
    exist nowhere else are kept unless --force.

    \b
    Example:
      git checkout v1.0 && gitml checkout
      gitml checkout data/raw --force
    """
    run.checkout(paths, force=force, as_json=as_json, quiet=quiet, verbose=verbose)


@click.command("commit")
@click.argument("paths", nargs=-1, type=click.Path())
@output_options
def commit_cmd(paths: tuple[str, ...], as_json: bool, quiet: bool, verbose: bool) -> None:
    """Record the current content of tracked artifacts into cache and pointers.

    \b
    Example:
      gitml commit            # every tracked artifact that changed
      gitml commit data/raw
    """
    from gitml.ops.commit import commit

    out = make_out(as_json, quiet, verbose)
    with open_repo(out) as repo:
        results = commit(repo, paths, progress=out.progress("hashing"))
    if out.json:
        out.emit_json([as_dict(r) for r in results])
        return
    changed = [r for r in results if r.changed]
    for r in changed:
        out.info(f"recorded {r.path} -> {r.pointer}")
    if not changed:
        out.info("nothing changed")


@click.command("gc")
@click.option("-a", "--all-branches", is_flag=True, help="Keep what any branch references.")
@click.option("-T", "--all-tags", is_flag=True, help="Keep what any tag references.")
@click.option("-A", "--all-commits", is_flag=True, help="Keep what any commit references.")
@click.option("-n", "--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@output_options
def gc_cmd(
    all_branches: bool,
    all_tags: bool,
    all_commits: bool,
    dry_run: bool,
    as_json: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Delete cache objects that no pointer in the work tree references.

    \b
    Example:
      gitml gc --all-branches --dry-run   # what would go, and bytes freed
      gitml gc --all-branches
    """
    from gitml.ops.gc import gc

    out = make_out(as_json, quiet, verbose)
    with open_repo(out) as repo:
        result = gc(
            repo,
            all_branches=all_branches,
            all_tags=all_tags,
            all_commits=all_commits,
            dry_run=dry_run,
        )
    if out.json:
        out.emit_json(as_dict(result))
        return
    verb = "would remove" if dry_run else "removed"
    if dry_run or out.verbose:
        for oid in result.removed:
            out.info(f"{verb} xxh128:{oid}")
    out.info(
        f"{verb} {len(result.removed)} object(s), {human_bytes(result.bytes_freed)};"
        f" kept {result.kept}"
    )


@click.command("fsck")
@click.option("--repair", is_flag=True, help="Delete corrupt objects (add or pull restores them).")
@output_options
def fsck_cmd(repair: bool, as_json: bool, quiet: bool, verbose: bool) -> None:
    """Re-hash every cache object; report corrupt and missing ones.

    Exit code 1 when anything is corrupt or missing.

    \b
    Example:
      gitml fsck
      gitml fsck --repair && gitml add data/raw
    """
    from gitml.ops.fsck import fsck

    out = make_out(as_json, quiet, verbose)
    with open_repo(out) as repo:
        result = fsck(repo, repair=repair, progress=out.progress("verifying"))
    if out.json:
        out.emit_json({**as_dict(result), "ok": result.ok})
    else:
        for oid in result.corrupt:
            note = " (removed)" if oid in result.removed else ""
            out.info(f"corrupt: xxh128:{oid}{note}")
        for oid in result.missing:
            out.info(f"missing: xxh128:{oid}")
        if result.temp_removed:
            out.info(f"removed {result.temp_removed} partial file(s) left by killed writers")
        out.info(
            f"checked {result.checked} object(s): {len(result.corrupt)} corrupt,"
            f" {len(result.missing)} missing"
        )
    if not result.ok:
        sys.exit(1)
