"""``gitml status``: compare every tracked artifact with its pointer."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple

from gitml.core.listing import FileStat, scan, stat_file
from gitml.core.manifest import Manifest, diff
from gitml.core.pointer import Pointer
from gitml.core.repo import Repo
from gitml.core.tree import Hasher, Progress
from gitml.ops.workspace import load_pointers

UNCHANGED, MODIFIED, MISSING, NOT_IN_CACHE = "unchanged", "modified", "missing", "not in cache"


class ArtifactStatus(NamedTuple):
    path: str
    kind: str  # "file" | "dir"
    state: str  # one of UNCHANGED, MODIFIED, MISSING, NOT_IN_CACHE
    workspace: str  # UNCHANGED | MODIFIED | MISSING
    in_cache: bool
    changes: dict[str, list[str]]  # files changed in a folder, when asked for and known

    @property
    def clean(self) -> bool:
        return self.state == UNCHANGED

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "path": self.path,
            "kind": self.kind,
            "state": self.state,
            "workspace": self.workspace,
            "in_cache": self.in_cache,
        }
        if self.changes:
            out["changes"] = self.changes
        return out


def status(
    repo: Repo,
    paths: Sequence[str] = (),
    *,
    progress: Progress | None = None,
    details: bool = True,
) -> list[ArtifactStatus]:
    """Every tracked artifact's state; ``details`` lists the files changed in folders."""
    hasher = Hasher(repo.state, None, progress, objects=repo.cache)
    return [artifact_status(repo, p, hasher, details) for p in load_pointers(repo, paths)]


def in_cache(repo: Repo, ptr: Pointer, manifest: Manifest | None = None) -> bool:
    """Whether every object the pointer needs is in the cache."""
    if not repo.cache.exists(ptr.oid):
        return False
    if not ptr.is_dir or repo.state.is_complete(ptr.oid):
        return True
    if manifest is None:
        manifest = Manifest.from_bytes(repo.cache.read_bytes(ptr.oid), ptr.rel)
    if all(repo.cache.exists(e.oid) for e in manifest):
        repo.state.mark_complete(ptr.oid)
        return True
    return False


def current_files(repo: Repo, ptr: Pointer) -> Sequence[FileStat] | None:
    """The work-tree files of an artifact, or None when it is missing."""
    path = repo.root / ptr.rel
    if ptr.is_dir:
        if not path.is_dir():
            return None
        return scan(path, repo.root, (repo.cache.root,), expected=ptr.files or 0)
    return [stat_file(path, ptr.rel)] if os.path.isfile(path) else None


def artifact_status(
    repo: Repo, ptr: Pointer, hasher: Hasher, details: bool = True
) -> ArtifactStatus:
    kind = "dir" if ptr.is_dir else "file"
    files = current_files(repo, ptr)
    cached = in_cache(repo, ptr)
    changes: dict[str, list[str]] = {}
    if files is None:
        workspace = MISSING
    elif ptr.is_dir:
        oid = hasher.tree(ptr.rel, files, remember=ptr.oid).oid
        workspace = UNCHANGED if oid == ptr.oid else MODIFIED
        if details and workspace == MODIFIED and repo.cache.exists(ptr.oid):
            old = Manifest.from_bytes(repo.cache.read_bytes(ptr.oid), ptr.rel)
            changes = diff(old, hasher.manifest(files))
    else:
        workspace = UNCHANGED if hasher.hash_files(files)[0] == ptr.oid else MODIFIED
    if workspace == UNCHANGED:
        state = UNCHANGED if cached else NOT_IN_CACHE
    elif workspace == MISSING and not cached:
        state = NOT_IN_CACHE
    else:
        state = workspace
    return ArtifactStatus(ptr.rel, kind, state, workspace, cached, changes)
