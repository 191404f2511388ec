"""Inspectors for judging a pipeline: as a commit holds it (no checkout), and as the
work tree holds it when some data was never fetched into this clone."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gitml.core.hashing import hash_bytes
from gitml.core.lockfile import Record
from gitml.core.manifest import Entry, Manifest
from gitml.core.pointer import Pointer
from gitml.core.repo import Repo
from gitml.ops.policy import Context
from gitml.ops.staleness import Inspector


class CommitInspector(Inspector):
    """Hashes of paths and values of params as a commit holds them (no checkout).

    A path is looked up in git's tree first (files and folders git tracks), then
    among the pointers, then among the outputs ``stages.lock`` records.
    """

    def __init__(self, ctx: Context, snap: Any, entries: dict[str, Any]) -> None:
        super().__init__(ctx.repo)
        self.ctx = ctx
        self.snap = snap
        self.outputs: dict[str, Record] = {o.path: o for e in entries.values() for o in e.outs}
        self.recorded_deps: dict[str, Record] = {
            d.path: d for e in entries.values() for d in e.deps
        }
        self.tree: dict[str, tuple[str, bool]] | None = None

    def params_file(self, rel: str) -> dict[str, Any]:
        if rel not in self._files:
            from gitml.core.params import parse_params

            text = self.snap.read_text(rel)
            self._files[rel] = {} if text is None else parse_params(text, rel, self.snap.shown(rel))
        return self._files[rel]

    def record(self, rel: str) -> Record | None:
        if rel not in self._records:
            self._records[rel] = self._lookup(rel)
        return self._records[rel]

    def _lookup(self, rel: str) -> Record | None:
        data = self.snap.read(rel)
        if data is not None:
            return Record(rel, hash_bytes(data), len(data))
        folder = self._git_folder(rel)
        if folder is not None:
            return folder
        for ptr in self.snap.pointers().values():
            if ptr.rel == rel:
                return Record(rel, ptr.oid, ptr.size, ptr.files)
        found: Record | None = self.outputs.get(rel)
        return found

    def _git_folder(self, rel: str) -> Record | None:
        from gitml import git

        if self.tree is None:
            self.tree = {
                p: (b, x) for p, b, x in git.tree_blobs(self.repo.root, self.ctx.head or "HEAD")
            }
        prefix = rel.rstrip("/") + "/"
        entries = []
        for path, (_blob, executable) in self.tree.items():
            if path.startswith(prefix):
                data = self.snap.read(path) or b""
                entries.append(Entry(path[len(prefix) :], hash_bytes(data), len(data), executable))
        if not entries:
            return None
        manifest = Manifest.build(entries)
        found = Record(rel, manifest.oid(), manifest.size, len(manifest))
        before = self.recorded_deps.get(rel) or self.outputs.get(rel)
        if before is not None and before.oid != found.oid and (before.files or 0) > len(manifest):
            # the folder held files git does not track (a __pycache__, say) when it was
            # recorded: git alone cannot tell whether it changed
            self.ctx.notes.append(
                f"{rel}: recorded with files git does not track; not compared at this commit"
            )
            return before
        return found


class WorkInspector(Inspector):
    """The work tree's hashes; a path that is not there counts as what stages.lock
    (for a stage output) or its pointer (for tracked data) records."""

    def __init__(self, repo: Repo, entries: dict[str, Any], pointers: Iterable[Pointer]) -> None:
        super().__init__(repo)
        self.recorded: dict[str, Record] = {o.path: o for e in entries.values() for o in e.outs}
        self.recorded.update({p.rel: Record(p.rel, p.oid, p.size, p.files) for p in pointers})

    def record(self, rel: str) -> Record | None:
        found = super().record(rel)
        return found if found is not None else self.recorded.get(rel)
