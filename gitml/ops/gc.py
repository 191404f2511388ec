"""``gitml gc``: delete cache objects nothing references."""

from __future__ import annotations

from dataclasses import dataclass

from gitml import git
from gitml.core.repo import Repo
from gitml.errors import GitmlError
from gitml.ops.refs import expand, history_refs, workspace_refs


@dataclass(frozen=True, slots=True)
class GcResult:
    removed: list[str]  # object ids (removed, or that would be with dry_run)
    bytes_freed: int
    kept: int
    dry_run: bool


def gc(
    repo: Repo,
    *,
    all_branches: bool = False,
    all_tags: bool = False,
    all_commits: bool = False,
    dry_run: bool = False,
) -> GcResult:
    with repo.lock("gitml gc"):
        refs = workspace_refs(repo, strict=True, all_worktrees=True)
        if all_branches or all_tags or all_commits:
            commits = git.revisions(
                repo.root, branches=all_branches, tags=all_tags, all_commits=all_commits
            )
            refs.extend(history_refs(repo, commits))
        keep, missing_manifests = expand(repo, refs)
        if missing_manifests:
            # We cannot know which files a missing manifest needs; deleting would guess.
            raise GitmlError(
                f"{len(missing_manifests)} referenced directory manifest(s) are not in the cache"
                f" (e.g. {sorted(missing_manifests)[0][:12]}), so gc cannot tell what they need",
                "run `gitml pull` or `gitml fsck` first",
            )
        doomed = [oid for oid in repo.cache.iter_oids() if oid not in keep]
        freed = 0
        for oid in doomed:
            try:
                freed += repo.cache.size(oid)
            except FileNotFoundError:
                continue
            if not dry_run:
                repo.cache.remove(oid)
        if doomed and not dry_run:
            repo.state.forget_complete()
            repo.cache.clear_temp()
        return GcResult(doomed, freed, len(keep), dry_run)
