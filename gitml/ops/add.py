"""``gitml add``: hash files and folders into the cache and write their pointers."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gitml import git
from gitml.core import ignore
from gitml.core import pointer as pointers
from gitml.core.listing import FileStat, Listing
from gitml.core.paths import check_link_target, check_portable
from gitml.core.pointer import SUFFIX, Pointer
from gitml.core.repo import Repo
from gitml.core.state import TRUSTED
from gitml.core.tree import Hasher, Progress
from gitml.errors import AlreadyTrackedByGit, BadPath, GitmlError
from gitml.ops.record import files_of, pairs, record_files
from gitml.ops.workspace import artifact_arg, artifacts_inside, enclosing_artifact


@dataclass(frozen=True, slots=True)
class AddResult:
    path: str
    pointer: str
    hash: str
    size: int
    files: int | None
    hashed: int  # files read this time
    stored: int  # objects newly written to the cache
    changed: bool  # the pointer changed


def validate_targets(repo: Repo, user_paths: Sequence[str]) -> list[str]:
    """Check every path before anything is written; return repo-relative paths."""
    rels: list[str] = []
    for user_path in user_paths:
        rel = artifact_arg(repo, user_path)
        path = repo.root / rel
        if not os.path.lexists(path):
            raise BadPath(f"{user_path}: no such file or folder", "check the path")
        check_link_target(repo.root, path)
        if path.is_symlink() and path.is_dir():
            raise BadPath(f"{user_path}: is a symlinked folder", "add the folder itself")
        if not (path.is_file() or path.is_dir()):
            raise BadPath(f"{user_path}: not a regular file or folder", "add files or folders")
        parent = enclosing_artifact(repo, rel)
        if parent:
            raise BadPath(
                f"{user_path}: is inside {parent}, which gitml already tracks",
                f"run `gitml add {parent}` to record its new content",
            )
        inner = artifacts_inside(repo, rel) if path.is_dir() else []
        if inner:  # its pointer would vanish into the folder's data, ignored by git
            raise BadPath(
                f"{user_path}: contains {inner[0]}, which gitml already tracks",
                f"add the other paths inside {user_path} one by one",
            )
        rels.append(rel)
    _refuse_stage_outputs(repo, rels)
    in_git = git.tracked_under(repo.root, rels) if rels else []
    if in_git:
        first = in_git[0]
        owner = next(r for r in rels if first == r or first.startswith(r + "/"))
        raise AlreadyTrackedByGit(
            f"{owner}: already tracked by git ({len(in_git)} file(s), e.g. {first})",
            f"untrack it with `git rm -r --cached {owner}` and commit, then `gitml add` it",
        )
    return list(dict.fromkeys(rels))


def _refuse_stage_outputs(repo: Repo, rels: list[str]) -> None:
    """A stage's output is tracked by stages.lock; a pointer too would compete with it."""
    if not (repo.root / "stages.yaml").is_file():
        return
    from gitml.core.dag import producers_of
    from gitml.ops.pipeline import load_pipeline

    pipeline = load_pipeline(repo, check=False)
    if pipeline is None:
        return
    outs = sorted(pipeline.dag.producer)
    for rel in rels:
        found = producers_of(rel, outs)
        if found:
            stage = pipeline.dag.producer[found[0]]
            raise BadPath(
                f"{rel}: is (or holds) output {found[0]} of stage {stage}",
                "stage outputs are tracked by stages.lock: run `gitml repro` instead",
            )


def add(
    repo: Repo, user_paths: Sequence[str], *, progress: Progress | None = None
) -> list[AddResult]:
    rels = validate_targets(repo, user_paths)
    with repo.lock("gitml add"):
        return add_all(repo, rels, progress=progress)


def add_all(
    repo: Repo, rels: Sequence[str], *, progress: Progress | None = None
) -> list[AddResult]:
    """Record every path (caller holds the lock); a bad file name or link anywhere in
    them is refused before anything is written."""
    olds = [_existing(repo, rel + SUFFIX) for rel in rels]
    scanned = [target_files(repo, rel, old) for rel, old in zip(rels, olds, strict=True)]
    return [
        add_one(repo, rel, files, old, progress=progress)
        for rel, files, old in zip(rels, scanned, olds, strict=True)
    ]


def target_files(repo: Repo, rel: str, old: Pointer | None) -> Sequence[FileStat]:
    """The files that recording ``rel`` (now pointed to by ``old``) hashes; refuses
    names a pointer or manifest cannot hold."""
    files = files_of(repo, rel, expected=(old.files or 0) if old is not None else 0)
    if files is None:
        raise BadPath(f"{rel}: no such file or folder", "check the path")
    check_portable(PurePosixPath(rel).name, rel)
    if isinstance(files, Listing):
        _check_names(rel, files)
    return files


def _check_names(rel: str, listing: Listing) -> None:
    """:func:`check_portable` for every file, a folder at a time: a drive or a
    backslash can only start a name at the top, a line break can be anywhere."""
    for g in listing.groups:
        if g.prefix:
            check_portable(g.prefix, f"{rel}/{g.prefix[:-1]}")  # names the folder
            if "\n" not in "/".join(g.names):
                continue
        for name in g.names:
            check_portable(g.prefix + name, f"{rel}/{g.prefix}{name}")


def add_one(
    repo: Repo,
    rel: str,
    files: Sequence[FileStat],
    old: Pointer | None,
    *,
    progress: Progress | None = None,
) -> AddResult:
    """Record ``rel``'s current content, pointed to by ``old`` so far (caller holds the
    lock and has validated it)."""
    hasher = Hasher(repo.state, repo.cache, progress)
    is_dir = (repo.root / rel).is_dir()
    pointer_rel = rel + SUFFIX
    previous = old.oid if old is not None and old.is_dir else None
    record, oids = record_files(repo, rel, files, hasher, is_dir=is_dir, previous=previous)
    new = Pointer(rel, record.oid, record.size, record.files)
    relink(repo, pairs(files, oids))
    if old is not None:
        new = Pointer(new.rel, new.oid, new.size, new.files, old.meta)
    changed = old != new or old.meta != new.meta
    if changed:
        pointers.save(repo.root, new)
    ignore.add_entry(repo.root, rel)
    return AddResult(
        rel,
        pointer_rel,
        f"xxh128:{new.oid}",
        new.size,
        new.files,
        hasher.hashed,
        hasher.stored,
        changed,
    )


def _existing(repo: Repo, pointer_rel: str) -> Pointer | None:
    if not (repo.root / pointer_rel).is_file():
        return None
    try:
        return pointers.load(repo.root, pointer_rel)
    except GitmlError:
        return None  # a broken pointer is replaced by a good one


def relink(repo: Repo, files: Iterable[tuple[FileStat, str]]) -> None:
    """Replace work-tree copies (file, hash) by links to the cache when cache.type
    asks for links; where only a copy works, this stops at the first file."""
    linker = repo.linker()
    fresh = []
    for f, oid in files:
        src = repo.cache.path(oid)
        if f.ino == _inode(src):
            continue  # already a hard link or symlink to the cache object
        if linker.place(src, Path(f.path), f.executable, allow_copy=False) is None:
            if f.executable:
                continue  # stays its own executable copy; other files may still be linked
            break  # only copying works here, and the work tree already holds the data
        s = os.stat(f.path)
        fresh.append(((s.st_ino, s.st_size, s.st_mtime_ns), oid))
    repo.state.record(fresh, checked_ns=TRUSTED)


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None
