"""Hashing a work-tree path into a :class:`Record`, optionally storing it in the cache."""

from __future__ import annotations

import os

from gitml.core.lockfile import Record
from gitml.core.manifest import Manifest
from gitml.core.repo import Repo
from gitml.core.tree import FileStat, Hasher, scan, stat_file


def files_of(repo: Repo, rel: str) -> list[FileStat] | None:
    """The files of a work-tree path (a file or a folder), or None when absent."""
    path = repo.root / rel
    if path.is_dir():
        return scan(path, repo.root, (repo.cache.root,))
    if os.path.isfile(path):
        return [stat_file(path, rel)]
    return None


def record_files(
    repo: Repo, rel: str, files: list[FileStat], hasher: Hasher, *, is_dir: bool
) -> tuple[Record, list[str]]:
    """Hash (and, when the hasher has a cache, store) ``files``; return the record and oids."""
    if is_dir:
        # Files the folder's snapshot vouches for are neither read nor stored, so
        # unless the cache is known to hold the whole folder, fill in what it lacks.
        oid, oids = hasher.tree(rel, files)
        if hasher.cache is not None and not (
            repo.state.is_complete(oid) and repo.cache.exists(oid)
        ):
            hasher.store_all(files, oids)
            store_manifest(repo, Hasher.manifest_of(files, oids), oid)
        size = sum(f.size for f in files)
        return Record(rel, oid, size, len(files)), oids
    oid = hasher.hash_files(files)[0]
    return Record(rel, oid, files[0].size), [oid]


def record_path(repo: Repo, rel: str, hasher: Hasher) -> Record | None:
    files = files_of(repo, rel)
    if files is None:
        return None
    return record_files(repo, rel, files, hasher, is_dir=(repo.root / rel).is_dir())[0]


def store_manifest(repo: Repo, manifest: Manifest, oid: str) -> None:
    if not repo.cache.exists(oid):
        repo.cache.put_bytes(manifest.to_bytes(), oid)
    repo.state.mark_complete(oid)
