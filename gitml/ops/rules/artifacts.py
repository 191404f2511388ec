"""``artifacts-committed`` and ``pipeline-fresh``: what git records matches the data.

On the work tree (pre-commit, ``gitml check``) the data is hashed through the
state index, as ``gitml status`` does. On a commit (pre-push, CI) nothing is
checked out: pointers, ``stages.lock`` and ``stages.yaml`` are read from git
objects and compared with each other and with the cache.
"""

from __future__ import annotations

from typing import Any

from gitml.core.hashing import hash_bytes
from gitml.core.lockfile import Record
from gitml.core.manifest import Entry, Manifest
from gitml.core.pointer import Pointer
from gitml.core.policy import Rule
from gitml.ops.policy import Context, Failure
from gitml.ops.staleness import Inspector, check


def artifacts_committed(ctx: Context, rule: Rule) -> list[Failure]:
    if ctx.head is None:
        return _workspace_artifacts(ctx, rule)
    return _commit_artifacts(ctx, rule)


def _workspace_artifacts(ctx: Context, rule: Rule) -> list[Failure]:
    from gitml.core.tree import Hasher
    from gitml.ops.status import MODIFIED, NOT_IN_CACHE, artifact_status
    from gitml.ops.workspace import load_pointers

    repo = ctx.repo
    hasher = Hasher(repo.state)
    failures = []
    for ptr in load_pointers(repo, with_outputs=True):
        found = artifact_status(repo, ptr, hasher, False)
        if found.workspace == MODIFIED:
            failures.append(
                Failure(
                    rule.id,
                    ptr.rel,
                    "changed since it was recorded (its pointer or stages.lock is out of date)",
                    f"run `gitml add {ptr.rel}` (or `gitml repro` for a stage output), "
                    f"or `gitml checkout {ptr.rel}` to undo the change",
                )
            )
        elif found.state == NOT_IN_CACHE:
            failures.append(_not_cached(rule, ptr.rel))
    return failures


def _not_cached(rule: Rule, rel: str) -> Failure:
    return Failure(
        rule.id,
        rel,
        "its data is not in the cache, so nobody could check this commit's version out",
        f"run `gitml add {rel}` where the data is, or fetch it into the cache",
    )


def _commit_artifacts(ctx: Context, rule: Rule) -> list[Failure]:
    from gitml.ops.status import in_cache

    repo = ctx.repo
    snap = ctx.head_snapshot
    wanted = snap.artifacts()
    if wanted and not _cache_has_objects(repo):
        ctx.notes.append(
            f"{rule.id}: the cache is empty in this clone, so cache presence was not checked"
        )
        return []
    return [
        _not_cached(rule, rel)
        for rel, ptr in wanted.items()
        if not in_cache(repo, Pointer(ptr.rel, ptr.oid, ptr.size, ptr.files))
    ]


def _cache_has_objects(repo: Any) -> bool:
    root = repo.cache.root
    return root.is_dir() and any(p.is_dir() for p in root.iterdir())


def pipeline_fresh(ctx: Context, rule: Rule) -> list[Failure]:
    if ctx.head is None:
        from gitml.ops.repro import stage_status

        outcomes = [(o.name, o.reasons) for o in stage_status(ctx.repo) if o.reasons]
    else:
        outcomes = _stale_at_commit(ctx)
    return [
        Failure(
            rule.id,
            "stages.lock",
            f"stage {name} is stale: " + "; ".join(r.text for r in reasons),
            f"run `gitml repro {name}` and commit stages.lock with its outputs",
        )
        for name, reasons in outcomes
    ]


def _stale_at_commit(ctx: Context) -> list[tuple[str, Any]]:
    """Stages whose lock entry does not match stages.yaml, params and deps in the commit."""
    snap = ctx.head_snapshot
    pipeline = snap.pipeline()
    if pipeline is None:
        return []
    entries = snap.lock()
    inspector = CommitInspector(ctx, snap, entries)
    stale = []
    for name, stage in pipeline.stages.items():
        if stage.frozen:
            continue
        found = check(inspector, stage, entries.get(name))
        reasons = [r for r in found.reasons if r.kind != "always"]
        if reasons:
            stale.append((name, reasons))
    return stale


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
