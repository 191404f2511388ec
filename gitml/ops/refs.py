"""Which cache objects are referenced: by the work tree and by git history.

Reference sources are a registry: pointer files here; the pipeline adds
``stages.lock`` outputs. Each source turns a file's text into object ids
(files and directory manifests, the latter expanded through the cache).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from gitml import git
from gitml.core import pointer as pointers
from gitml.core.manifest import Manifest
from gitml.core.repo import Repo
from gitml.errors import GitmlError


@dataclass(frozen=True, slots=True)
class Ref:
    oid: str
    is_dir: bool


# (file-name glob, parser(text, path) returning the refs in that file)
RefSource = tuple[str, Callable[[str, str], list[Ref]]]
SOURCES: list[RefSource] = []


def _pointer_refs(text: str, path: str) -> list[Ref]:
    ptr = pointers.loads(text, path)
    return [Ref(ptr.oid, ptr.is_dir)]


def _lock_refs(text: str, path: str) -> list[Ref]:
    from gitml.core import lockfile

    return [
        Ref(out.oid, out.files is not None)
        for entry in lockfile.loads(text, path).values()
        for out in entry.outs
    ]


SOURCES.append(("*" + pointers.SUFFIX, _pointer_refs))
SOURCES.append(("stages.lock", _lock_refs))


def _wanted(path: str) -> bool:
    name = PurePosixPath(path).name
    return any(fnmatch.fnmatchcase(name, glob) for glob, _ in SOURCES)


def _parse(text: str, path: str, notice: Callable[[str], None] | None) -> list[Ref]:
    """The refs in a file; an unreadable one is skipped with a notice, or raised without."""
    name = PurePosixPath(path).name
    for glob, parser in SOURCES:
        if fnmatch.fnmatchcase(name, glob):
            try:
                return parser(text, path)
            except GitmlError as exc:
                if notice is None:
                    raise
                notice(f"skipped unreadable {path}: {exc}")
                return []
    return []


def workspace_refs(repo: Repo, *, strict: bool = False, all_worktrees: bool = False) -> list[Ref]:
    """Refs in the work tree's files; ``strict`` raises on an unreadable one (for gc,
    which must not delete the data of a pointer that merely has a typo).

    ``all_worktrees`` reads every work tree of the repository: they share the
    cache, so gc must keep what any of them uses, committed or not.
    """
    refs: list[Ref] = []
    globs = [glob if glob.startswith("*") else "*" + glob for glob, _ in SOURCES]
    roots = git.worktrees(repo.root) if all_worktrees else [repo.root]
    for root in roots:
        for rel in git.work_tree_files(root, globs):
            if _wanted(rel):
                text = (root / rel).read_text(encoding="utf-8", errors="replace")
                refs.extend(_parse(text, rel, None if strict else repo.notice))
    return refs


def history_refs(repo: Repo, commits: Iterable[bytes]) -> list[Ref]:
    refs: list[Ref] = []
    for _commit, path, blob in git.files_at_revisions(repo.root, commits, _wanted):
        refs.extend(_parse(blob.decode("utf-8", errors="replace"), path, repo.notice))
    return refs


def expand(repo: Repo, refs: Iterable[Ref]) -> tuple[set[str], set[str]]:
    """(all object ids reachable, ids whose manifest is missing from the cache)."""
    keep: set[str] = set()
    missing: set[str] = set()
    seen_dirs: set[str] = set()
    for ref in refs:
        keep.add(ref.oid)
        if not ref.is_dir or ref.oid in seen_dirs:
            continue
        seen_dirs.add(ref.oid)
        if not repo.cache.exists(ref.oid):
            missing.add(ref.oid)
            continue
        manifest = Manifest.from_bytes(repo.cache.read_bytes(ref.oid), ref.oid)
        keep.update(e.oid for e in manifest)
    return keep, missing
