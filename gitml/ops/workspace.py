"""Finding the artifacts a command is about."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from gitml import git
from gitml.core import pointer as pointers
from gitml.core.paths import to_repo_relative
from gitml.core.pointer import SUFFIX, Pointer
from gitml.core.repo import Repo
from gitml.errors import GitmlError


def all_pointer_files(repo: Repo) -> list[str]:
    return git.pointer_files(repo.root, SUFFIX)


def artifact_arg(repo: Repo, user_path: str) -> str:
    """A user's path argument (data path or its pointer) as the artifact's repo path."""
    rel = to_repo_relative(repo.root, user_path, repo.cwd)
    return rel[: -len(SUFFIX)] if rel.endswith(SUFFIX) else rel


def load_pointers(
    repo: Repo, paths: Sequence[str] = (), *, with_outputs: bool = False
) -> list[Pointer]:
    """Pointers for ``paths`` (artifacts or folders containing them), or all of them.

    ``with_outputs`` adds the cached outputs recorded in ``stages.lock``, as
    pointers (``checkout`` restores them like tracked data).
    """
    candidates = {pointers.artifact_of(rel): rel for rel in all_pointer_files(repo)}
    outputs = lock_outputs(repo) if with_outputs else {}
    wanted = _select(repo, [*candidates, *outputs], paths)
    return [
        outputs[rel]
        if rel in outputs and rel not in candidates
        else pointers.load(repo.root, candidates.get(rel, rel + SUFFIX), repo.state)
        for rel in wanted
    ]


def lock_outputs(repo: Repo) -> dict[str, Pointer]:
    """Cached stage outputs as recorded in ``stages.lock`` (artifact path -> pointer)."""
    from gitml.core import lockfile

    out: dict[str, Pointer] = {}
    for entry in lockfile.load(repo.root, repo.state).values():
        for rec in entry.outs:
            if rec.cache:
                out[rec.path] = Pointer(rec.path, rec.oid, rec.size, rec.files)
    return out


def _select(repo: Repo, artifacts: Sequence[str], paths: Sequence[str]) -> list[str]:
    if not paths:
        return sorted(dict.fromkeys(artifacts))
    chosen: dict[str, None] = {}
    for user_path in paths:
        rel = artifact_arg(repo, user_path)
        if rel in artifacts or (repo.root / (rel + SUFFIX)).is_file():
            chosen[rel] = None
            continue
        inside = [a for a in artifacts if a.startswith(rel + "/")]
        if not inside:
            raise _not_tracked(repo, user_path, rel)
        chosen.update(dict.fromkeys(inside))
    return list(chosen)


def artifacts_inside(repo: Repo, rel: str) -> list[str]:
    """Tracked artifacts below the folder ``rel``."""
    prefix = "" if rel in ("", ".") else rel + "/"
    return [pointers.artifact_of(p) for p in all_pointer_files(repo) if p.startswith(prefix)]


def _not_tracked(repo: Repo, user_path: str, rel: str) -> GitmlError:
    from gitml.core import lockfile

    for name, entry in lockfile.load(repo.root).items():
        if any(o.path == rel or rel.startswith(o.path + "/") for o in entry.outs):
            return GitmlError(
                f"{user_path}: is an output of stage {name}, tracked by stages.lock",
                "`gitml status` shows whether the stage is stale; `gitml repro` recreates it",
            )
    return GitmlError(
        f"{user_path}: not tracked by gitml (no {rel}{SUFFIX})",
        f"run `gitml add {user_path}` to track it",
    )


def enclosing_artifact(repo: Repo, rel: str) -> str | None:
    """The tracked directory that contains ``rel``, if any."""
    parts = rel.split("/")
    for i in range(1, len(parts)):
        parent = "/".join(parts[:i])
        if os.path.isfile(repo.root / (parent + SUFFIX)):
            return parent
    return None


def exists(path: Path) -> bool:
    return os.path.lexists(path)
