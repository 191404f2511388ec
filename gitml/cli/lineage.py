"""``gitml lineage PATH``: how an artifact came to be, as a tree."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from gitml.cli.output import human_bytes, make_out, output_options
from gitml.cli.run import open_repo
from gitml.core.hashing import format_oid

if TYPE_CHECKING:
    from gitml.ops.lineage import Change, Dep, Lineage, Origin

INDENT = "  "


@click.command("lineage")
@click.argument("path", type=click.Path())
@click.option(
    "--rev", metavar="REV", default=None, help="Read the records of this commit, not the work tree."
)
@output_options
def lineage_cmd(path: str, rev: str | None, as_json: bool, quiet: bool, verbose: bool) -> None:
    """Show how PATH came to be: stages, commands, params, deps, source data.

    PATH is a stage output (or a file inside a folder output), or data that
    `gitml add` tracks (or its .gitml pointer). For every stage on the way
    down to source data it prints the command and param values recorded in
    stages.lock, each dependency's hash, and the commit that last changed
    each lock entry, pointer file and git file ("not committed" when the
    work tree's record differs from HEAD).

    \b
    Example:
      gitml lineage models/model.pt
      gitml lineage metrics/test.json --rev v1.0 --json
    """
    from gitml.ops.lineage import lineage

    out = make_out(as_json, quiet, verbose)
    with open_repo(out) as repo:
        result = lineage(repo, path, rev)
    if out.json:
        out.emit_json(result.to_dict())
        return
    for line in render(result):
        out.info(line)


def render(result: Lineage) -> list[str]:
    """The lineage as an indented tree, one record per line."""
    lines: list[str] = []
    if result.rev is not None:
        lines.append(f"at {result.rev} ({(result.commit or '')[:12]})")
    root = result.artifact
    if result.path not in (root.path, root.path + ".gitml"):
        lines.append(f"{result.path} is inside {root.path}")
    _dep(root, 0, lines, prefix="")
    return lines


def _dep(dep: Dep, depth: int, lines: list[str], prefix: str = "dep ") -> None:
    what = human_bytes(dep.size) + (f", {dep.files} files" if dep.files is not None else "")
    stale = ""
    if dep.stale and dep.current is not None:
        stale = f"  [stale: its source now records {format_oid(dep.current)}]"
    lines.append(f"{INDENT * depth}{prefix}{dep.path}  {format_oid(dep.oid)}  ({what}){stale}")
    for origin in dep.origins:
        _origin(origin, depth + 1, lines)


def _origin(origin: Origin, depth: int, lines: list[str]) -> None:
    from gitml.ops.lineage import GitNode, PointerNode, SeenNode

    pad = INDENT * depth
    if isinstance(origin, SeenNode):
        why = "a cycle: already on this path" if origin.cycle else "shown above"
        lines.append(f"{pad}stage {origin.name}  ({why})")
    elif isinstance(origin, PointerNode):
        ptr = origin.pointer
        lines.append(f"{pad}pointer {ptr.pointer_rel}  (last changed: {_change(origin.change)})")
        if ptr.meta:
            lines.append(f"{pad}{INDENT}meta: {_pairs(ptr.meta)}")
    elif isinstance(origin, GitNode):
        kind = "folder" if origin.is_dir else "file"
        obj = ""
        if origin.object_id:
            obj = f"{'tree' if origin.is_dir else 'blob'} {origin.object_id[:12]}  "
        lines.append(f"{pad}git {kind}  {obj}(last changed: {_change(origin.change)})")
    else:
        lines.append(f"{pad}stage {origin.name}  (lock entry: {_change(origin.change)})")
        lines.append(f"{pad}{INDENT}cmd: {' && '.join(origin.cmd)}")
        for file, values in origin.params.items():
            lines.append(f"{pad}{INDENT}params {file}: {_pairs(values)}")
        for dep in origin.deps:
            _dep(dep, depth + 1, lines)


def _change(change: Change) -> str:
    if change.commit is None:
        return "not committed"
    c = change.commit
    return f"{c.id[:12]} {(change.date or '')[:10]} {json.dumps(c.summary, ensure_ascii=False)}"


def _pairs(values: dict[str, Any], prefix: str = "") -> str:
    """``{"train": {"lr": 0.01}}`` -> ``train.lr=0.01`` (nested keys joined by dots)."""
    parts: list[str] = []
    for key, value in values.items():
        if isinstance(value, dict) and value:
            parts.append(_pairs(value, f"{prefix}{key}."))
        else:
            shown = value if isinstance(value, str) else json.dumps(value)
            parts.append(f"{prefix}{key}={shown}")
    return ", ".join(parts)
