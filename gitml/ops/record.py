"""Hashing a work-tree path into a :class:`Record`, optionally storing it in the cache."""

from __future__ import annotations

import os
from collections.abc import Sequence

from gitml.core.lockfile import Record
from gitml.core.manifest import Manifest, file_oids
from gitml.core.repo import Repo
from gitml.core.tree import FileStat, Hasher, scan, stat_file


def files_of(repo: Repo, rel: str) -> Sequence[FileStat] | None:
    """The files of a work-tree path (a file or a folder), or None when absent."""
    path = repo.root / rel
    if path.is_dir():
        return scan(path, repo.root, (repo.cache.root,))
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
) -> tuple[Record, list[str]]:
    """Hash (and, when the hasher has a cache, store) ``files``; return the record and oids.

    ``previous`` is the folder's last recorded manifest: when the cache holds
    all of it, its files need no existence check.
    """
    if is_dir:
        # Files the folder's snapshot vouches for are neither read nor stored, so
        # unless the cache is known to hold the whole folder, fill in what it lacks.
        oid, oids = hasher.tree(rel, files)
        if hasher.cache is not None and not (
            repo.state.is_complete(oid) and repo.cache.exists(oid)
        ):
            present = complete_oids(repo, previous)
            todo = [i for i, o in enumerate(oids) if o not in present]
            hasher.store_all([files[i] for i in todo], [oids[i] for i in todo])
            store_manifest(repo, Hasher.manifest_of(files, oids), oid)
        size = sum(f.size for f in files)
        return Record(rel, oid, size, len(files)), oids
    oid = hasher.hash_files(files)[0]
    return Record(rel, oid, files[0].size), [oid]


def complete_oids(repo: Repo, manifest: str | None) -> set[str]:
    """The file hashes of a manifest whose every object the cache is known to hold."""
    if manifest is None or not repo.state.is_complete(manifest) or not repo.cache.exists(manifest):
        return set()
    return file_oids(repo.cache.read_bytes(manifest))


def record_path(repo: Repo, rel: str, hasher: Hasher) -> Record | None:
    files = files_of(repo, rel)
    if files is None:
        return None
    return record_files(repo, rel, files, hasher, is_dir=(repo.root / rel).is_dir())[0]


def store_manifest(repo: Repo, manifest: Manifest, oid: str) -> None:
    if not repo.cache.exists(oid):
        repo.cache.put_bytes(manifest.to_bytes(), oid)
    repo.state.mark_complete(oid)
