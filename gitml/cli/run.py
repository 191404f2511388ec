"""The bodies of the data commands people and scripts run most: add, status, checkout.

No click here: :mod:`gitml.cli.data` declares the commands (options, help)
and calls these; :mod:`gitml.cli.fast` calls them straight from the entry
point for the plain forms of the commands, without importing click at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from gitml.cli.output import Out, human_bytes, make_out
from gitml.core.repo import Repo

_MARK = {"unchanged": " ", "modified": "M", "missing": "!", "not in cache": "C"}


@contextmanager
def open_repo(out: Out) -> Iterator[Repo]:
    repo = Repo.find()
    repo.on_notice = out.notice  # printed as they happen (e.g. waiting for the lock)
    try:
        yield repo
    finally:
        repo.close()


def as_dict(obj: Any) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(obj)


def add(paths: Sequence[str], *, as_json: bool, quiet: bool, verbose: bool) -> None:
    from gitml.ops.add import add

    out = make_out(as_json, quiet, verbose)
    with open_repo(out) as repo:
        results = add(repo, paths, progress=out.progress("hashing"))
    if out.json:
        out.emit_json([as_dict(r) for r in results])
        return
    for r in results:
        what = f"{r.files} files, " if r.files is not None else ""
        verb = "added" if r.changed else "unchanged"
        out.info(f"{verb} {r.path} ({what}{human_bytes(r.size)}) -> {r.pointer}")
        out.detail(f"  {r.hash}; read {r.hashed} file(s), stored {r.stored} new object(s)")
    changed = [r for r in results if r.changed]
    if changed:
        files = sorted({r.pointer for r in changed} | {gitignore_of(r.path) for r in changed})
        import shlex

        out.info(f"to record it in git: git add {shlex.join(files)}")


def gitignore_of(rel: str) -> str:
    folder = rel.rpartition("/")[0]
    return f"{folder}/.gitignore" if folder else ".gitignore"


def status(paths: Sequence[str], *, check: bool, as_json: bool, quiet: bool, verbose: bool) -> int:
    """Print the status; the exit status: 1 if ``check`` and something is not up to date."""
    from gitml.ops.status import status

    out = make_out(as_json, quiet, verbose)
    with open_repo(out) as repo:
        details = out.verbose or out.json
        results = status(repo, paths, progress=out.progress("checking"), details=details)
        stages = [] if paths or not (repo.root / "stages.yaml").is_file() else _stages(repo)
    dirty = [r for r in results if not r.clean]
    stale = [s for s in stages if s.action == "would-run"]
    if out.json:
        out.emit_json(
            {
                "clean": not dirty and not stale,
                "artifacts": [r.to_dict() for r in results],
                "stages": [
                    {"stage": s.name, "stale": s.action == "would-run", **s.to_dict()}
                    for s in stages
                ],
            }
        )
    else:
        _print_status(out, results, dirty, stale, len(stages))
    return 1 if check and (dirty or stale) else 0


def _stages(repo: Repo) -> list[Any]:
    from gitml.ops.repro import stage_status  # the pipeline machinery only when there is one

    return stage_status(repo)


def _print_status(
    out: Out, results: list[Any], dirty: list[Any], stale: list[Any], n_stages: int
) -> None:
    for r in results if out.verbose else dirty:
        out.info(f"{_MARK[r.state]} {r.path}: {r.state}")
        if out.verbose:
            for change, files in r.changes.items():
                for f in files:
                    out.info(f"    {change}: {r.path}/{f}")
    for s in stale:
        out.info(f"S stage {s.name}: stale ({'; '.join(r.text for r in s.reasons)})")
    if not dirty:
        out.info(f"all {len(results)} tracked artifact(s) up to date")
    if n_stages and not stale:
        out.info(f"all {n_stages} stage(s) up to date")


def checkout(
    paths: Sequence[str], *, force: bool, as_json: bool, quiet: bool, verbose: bool
) -> None:
    from gitml.ops.checkout import checkout

    out = make_out(as_json, quiet, verbose)
    with open_repo(out) as repo:
        results = checkout(repo, paths, force=force, progress=out.progress("checkout"))
    if out.json:
        out.emit_json([as_dict(r) for r in results])
        return
    for r in results:
        if r.changed:
            out.info(f"{r.path}: {r.created} created, {r.updated} updated, {r.removed} removed")
        else:
            out.detail(f"{r.path}: up to date")
    if not any(r.changed for r in results):
        out.info("work tree already matches the pointers")
