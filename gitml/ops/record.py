"""Hashing a work-tree path into a :class:`Record`, optionally storing it in the cache."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from gitml.core.folder import FolderHash
from gitml.core.listing import FileStat, scan, stat_file, total_size
from gitml.core.lockfile import Record
from gitml.core.manifest import file_oids
from gitml.core.repo import Repo
from gitml.core.tree import Hasher


def files_of(repo: Repo, rel: str, expected: int = 0) -> Sequence[FileStat] | None:
    """The files of a work-tree path (a file or a folder), or None when absent;
    ``expected`` is how many files the folder had when last recorded, if known."""
    path = repo.root / rel
    if path.is_dir():
        return scan(path, repo.root, (repo.cache.root,), expected=expected)
    if os.path.isfile(path):
        return [stat_file(path, rel)]
    return None


def record_files(
    repo: Repo,
    rel: str,
    files: Sequence[FileStat],
    hasher: Hasher,
    *,
    is_dir: bool,
    previous: str | None = None,
) -> tuple[Record, Sequence[str]]:
    """Hash (and, when the hasher has a cache, store) ``files``; return the record and oids.

    ``previous`` is the folder's last recorded manifest: when the cache holds
    all of it, its files need no existence check.
    """
    if is_dir:
        folder = hasher.tree(rel, files)
        oid = folder.oid
        if hasher.cache is not None and not _complete(repo, oid):
            # Files the folder's snapshot vouched for were neither read nor stored:
            # unless they come from the complete previous manifest, fill in what
            # the cache lacks.
            if folder.reused is None or folder.reused != previous or not _complete(repo, previous):
                present = complete_oids(repo, previous)
                oids = folder.oids
                todo = [i for i, o in enumerate(oids) if o not in present]
                hasher.store_all([files[i] for i in todo], [oids[i] for i in todo])
            store_manifest(repo, folder.manifest_bytes(), oid)
        return Record(rel, oid, total_size(files), len(files)), folder
    oid = hasher.hash_files(files)[0]
    return Record(rel, oid, files[0].size), [oid]


def pairs(files: Sequence[FileStat], oids: Sequence[str]) -> Iterable[tuple[FileStat, str]]:
    """Each file with its hash, in no particular order (a folder's: without sorting)."""
    if isinstance(oids, FolderHash):
        return oids.pairs()
    return zip(files, oids, strict=True)


def _complete(repo: Repo, manifest: str | None) -> bool:
    """Whether the cache holds the manifest and, as far as gitml knows, all its files."""
    return manifest is not None and repo.state.is_complete(manifest) and repo.cache.exists(manifest)


def complete_oids(repo: Repo, manifest: str | None) -> set[str]:
    """The file hashes of a manifest whose every object the cache is known to hold."""
    if manifest is None or not _complete(repo, manifest):
        return set()
    return file_oids(repo.cache.read_bytes(manifest))


def record_path(repo: Repo, rel: str, hasher: Hasher) -> Record | None:
    files = files_of(repo, rel)
    if files is None:
        return None
    return record_files(repo, rel, files, hasher, is_dir=(repo.root / rel).is_dir())[0]


def store_manifest(repo: Repo, manifest: bytes, oid: str) -> None:
    repo.cache.put_bytes(manifest, oid)
    repo.state.mark_complete(oid)
