"""``artifacts-committed`` and ``pipeline-fresh``: what git records matches the data.

On the work tree (pre-commit, ``gitml check``) the data is hashed through the
state index, as ``gitml status`` does. On a commit (pre-push, CI) nothing is
checked out: pointers, ``stages.lock`` and ``stages.yaml`` are read from git
objects and compared with each other and with the cache.
"""

from __future__ import annotations

from typing import Any

from gitml.core.pointer import Pointer
from gitml.core.policy import Rule
from gitml.ops.policy import Context, Failure


def artifacts_committed(ctx: Context, rule: Rule) -> list[Failure]:
    if ctx.head is None:
        return _workspace_artifacts(ctx, rule)
    return _commit_artifacts(ctx, rule)


def _workspace_artifacts(ctx: Context, rule: Rule) -> list[Failure]:
    from gitml.core.tree import Hasher
    from gitml.ops.status import MISSING, MODIFIED, NOT_IN_CACHE, artifact_status

    repo = ctx.repo
    hasher = Hasher(repo.state, objects=repo.cache)
    failures = []
    committed: dict[str, str] | None = None
    # the snapshot's artifacts (pointers and cached stage outputs) serve every rule
    for ptr in ctx.head_snapshot.artifacts().values():
        found = artifact_status(repo, ptr, hasher, False)
        if found.workspace == MISSING and found.state == NOT_IN_CACHE:
            # not in this clone at all: only a reference this change makes is suspect
            if committed is None:
                committed = _committed_oids(ctx)
            if committed.get(ptr.rel) == ptr.oid:
                ctx.notes.append(f"{rule.id}: {ptr.rel} is not in this clone; not checked")
                continue
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


def _committed_oids(ctx: Context) -> dict[str, str]:
    """Artifact path -> hash as HEAD records it ({} before the first commit)."""
    from gitml import git
    from gitml.ops.revision import snapshot

    if git.head_commit(ctx.repo.root) is None:
        return {}
    with snapshot(ctx.repo, "HEAD") as head:
        return {rel: p.oid for rel, p in head.artifacts().items()}


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
    return next(repo.cache.iter_oids(), None) is not None


def pipeline_fresh(ctx: Context, rule: Rule) -> list[Failure]:
    if ctx.head is None:
        if not (ctx.repo.root / "stages.yaml").is_file():
            return []
        outcomes = _stale_in_work_tree(ctx)
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


def _stale_in_work_tree(ctx: Context) -> list[tuple[str, Any]]:
    """Stages whose lock entry does not match the work tree.

    Data that is not here at all (a clone whose cache has not been filled) is
    judged by what stages.lock and the pointers record: missing is not stale.
    """
    from gitml.ops.pipeline import load_pipeline
    from gitml.ops.repro import tune_key
    from gitml.ops.rules.commit_inspector import WorkInspector
    from gitml.ops.staleness import check

    repo = ctx.repo
    pipeline = load_pipeline(repo)
    if pipeline is None:
        return []
    entries = ctx.head_snapshot.lock()
    inspector = WorkInspector(repo, entries, ctx.head_snapshot.pointers().values())
    stale = []
    for name in pipeline.dag.order():
        stage = pipeline.stages[name]
        if stage.frozen:
            continue
        found = check(inspector, stage, entries.get(name), tune_key=tune_key(pipeline, name))
        reasons = [r for r in found.reasons if r.kind != "always"]
        if reasons:
            stale.append((name, reasons))
    return stale


def _stale_at_commit(ctx: Context) -> list[tuple[str, Any]]:
    """Stages whose lock entry does not match stages.yaml, params and deps in the commit."""
    from gitml.ops.rules.commit_inspector import CommitInspector
    from gitml.ops.staleness import check

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
