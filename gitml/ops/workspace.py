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


def load_pointers(repo: Repo, paths: Sequence[str] = ()) -> list[Pointer]:
    """Pointers for ``paths`` (artifacts or folders containing them), or all of them."""
    found = all_pointer_files(repo)
    if not paths:
        return [pointers.load(repo.root, rel) for rel in found]
    chosen: dict[str, None] = {}
    for user_path in paths:
        rel = artifact_arg(repo, user_path)
        if rel + SUFFIX in found or (repo.root / (rel + SUFFIX)).is_file():
            chosen[rel + SUFFIX] = None
            continue
        inside = [p for p in found if p.startswith(rel + "/")]
        if not inside:
            raise GitmlError(
                f"{user_path}: not tracked by gitml (no {rel}{SUFFIX})",
                f"run `gitml add {user_path}` to track it",
            )
        chosen.update(dict.fromkeys(inside))
    return [pointers.load(repo.root, rel) for rel in chosen]


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
