"""``large-files``: files git is asked to store above a size limit belong in the cache."""

from __future__ import annotations

from gitml import git
from gitml.core.policy import DEFAULT_MAX_KB, Rule
from gitml.ops.policy import Context, Failure, staged_blobs


def candidate_blobs(ctx: Context) -> list[tuple[str, str]]:
    """(path, blob id) of the files this check puts into git.

    The work tree (a commit being made, or ``gitml check``): what the index adds
    or changes. A commit (push, CI): what changed since the base, or the whole
    tree without one.
    """
    if ctx.head is None:
        found = staged_blobs(ctx.repo)
        if ctx.base is not None and ctx.hook is None:
            head = git.head_commit(ctx.repo.root)
            if head is not None:
                found += git.changed_blobs(ctx.repo.root, ctx.base, head)
        return list(dict.fromkeys(found))
    if ctx.base is not None:
        return git.changed_blobs(ctx.repo.root, ctx.base, ctx.head)
    return [(p, b) for p, b, _ in git.tree_blobs(ctx.repo.root, ctx.head)]


def large_files(ctx: Context, rule: Rule) -> list[Failure]:
    limit_kb = float(rule.option("max_kb", DEFAULT_MAX_KB))
    blobs = candidate_blobs(ctx)
    sizes = git.blob_sizes(ctx.repo.root, (b for _, b in blobs))
    failures = []
    for path, blob in blobs:
        size = sizes.get(blob, 0)
        if size > limit_kb * 1024:
            failures.append(
                Failure(
                    rule.id,
                    path,
                    f"{size / 1024:,.0f} KB would be stored in git, "
                    f"above the {limit_kb:g} KB limit",
                    f"track it with gitml instead: `git rm --cached {path} && gitml add {path}`, "
                    f"then `git add {path}.gitml`",
                )
            )
    return failures
