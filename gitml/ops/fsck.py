"""``gitml fsck``: re-hash cache objects, find corrupt and missing ones."""

from __future__ import annotations

from dataclasses import dataclass

from gitml.core.repo import Repo
from gitml.core.tree import Progress
from gitml.ops.refs import expand, workspace_refs


@dataclass(frozen=True, slots=True)
class FsckResult:
    checked: int
    corrupt: list[str]
    missing: list[str]  # referenced by the work tree's pointers, absent from the cache
    removed: list[str]  # corrupt objects deleted by --repair
    temp_removed: int  # leftovers of killed writers deleted by --repair

    @property
    def ok(self) -> bool:
        return not self.corrupt and not self.missing


def fsck(repo: Repo, *, repair: bool = False, progress: Progress | None = None) -> FsckResult:
    oids = list(repo.cache.iter_oids())
    corrupt = []
    for i, oid in enumerate(oids, 1):
        if not repo.cache.verify(oid):
            corrupt.append(oid)
        if progress:
            progress(i, len(oids))
    removed: list[str] = []
    temp_removed = 0
    if repair:
        with repo.lock("gitml fsck --repair"):
            for oid in corrupt:
                repo.cache.remove(oid)
                removed.append(oid)
            repo.state.forget_complete()
            temp_removed = repo.cache.clear_temp()
    bad = set(corrupt)
    refs = workspace_refs(repo)
    keep, missing_manifests = expand(repo, [r for r in refs if r.oid not in bad])
    missing = sorted(missing_manifests | {o for o in keep if not repo.cache.exists(o)} - bad)
    return FsckResult(len(oids), corrupt, missing, removed, temp_removed)
