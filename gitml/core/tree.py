"""Hashing work-tree files through the state index, and storing them in the cache.

The hot path of ``add`` and ``status``: one batched state lookup, and a read
only for files whose (inode, size, mtime) the state index does not know.
Folders go through :mod:`gitml.core.folder`; scanning is :mod:`gitml.core.listing`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from gitml.core import forked
from gitml.core.hashing import SMALL_FILE, hash_bytes, hash_fd
from gitml.core.linking import copy_file
from gitml.core.listing import FileStat, Listing
from gitml.core.manifest import Entry, Manifest
from gitml.core.odb import OBJECT_MODE, LocalCache
from gitml.core.parallel import parallel_chunks, worth_threads
from gitml.core.state import StateIndex, StatKey
from gitml.errors import GitmlError

if TYPE_CHECKING:
    from gitml.core.folder import FolderHash

Progress = Callable[[int, int], None]  # (done units, total units)
# From this size on, ``add`` copies a file into the cache while it hashes it.
OVERLAP_COPY = 8 << 20


def _check_unchanged(fd: int, f: FileStat) -> None:
    after = os.fstat(fd)
    if (after.st_size, after.st_mtime_ns) != (f.size, f.mtime_ns):
        raise _changed(f)


def _changed(f: FileStat) -> GitmlError:
    return GitmlError(f"{f.path}: changed while being read", "retry when it is written")


class Hasher:
    """Hashes files through the state index; optionally stores them in the cache."""

    def __init__(
        self,
        state: StateIndex,
        cache: LocalCache | None = None,
        progress: Progress | None = None,
        *,
        objects: LocalCache | None = None,
    ) -> None:
        self.state = state
        self.cache = cache
        # where recorded manifests are read from (never written): the cache by default
        self.objects = objects if objects is not None else cache
        self.progress = progress
        self.hashed = 0  # files actually read
        self.stored = 0  # objects written to the cache
        self.in_cache: set[str] = set()  # objects this hasher stored or found in the cache

    def hash_files(self, files: Sequence[FileStat]) -> list[str]:
        """Content hashes of ``files`` in order; reads only what the state index lacks.

        With a cache, also stores every object the cache lacks. Reads and
        writes run on a few threads; the state index is used from this one.
        """
        known = self.state.lookup([f.key for f in files])
        if self.cache is None:
            todo = [i for i, oid in enumerate(known) if oid is None]
        else:
            todo = list(range(len(files)))
        total = sum(files[i].size for i in todo) or 1
        done = 0
        checked = time.time_ns()

        def work(chunk: Sequence[int]) -> list[tuple[int, str, bool, bool]]:
            out = []  # (index, oid, read, stored)
            for i in chunk:
                oid = known[i]
                if oid is None:
                    oid, stored = self._read(files[i])
                    out.append((i, oid, True, stored))
                else:
                    out.append((i, oid, False, self._store_missing(files[i], oid)))
            return out

        fresh: list[tuple[StatKey, str]] = []

        def take(results: list[tuple[int, str, bool, bool]]) -> None:
            nonlocal done
            for i, oid, was_read, stored in results:
                known[i] = oid
                if self.cache is not None:
                    self.in_cache.add(oid)
                done += files[i].size
                self.stored += stored
                if was_read:
                    self.hashed += 1
                    fresh.append((files[i].key, oid))

        threads = worth_threads(len(todo), total)
        # Many small files to store: creating files is the cost, and a second process
        # creates them side by side (threads would queue on the GIL around each call).
        many = self.cache is not None and not threads and len(todo) >= forked.MIN_FILES
        with forked.Share(todo, work, many) as share:
            ours = sum(files[i].size for i in share.ours) or 1
            for results in parallel_chunks(work, share.ours, threads=threads):
                take(results)
                if self.progress:  # our share stands for the whole while a helper works
                    self.progress(min(total, done * total // ours), total)
            take(share.rest())
        if self.progress:
            self.progress(total, total)
        self.state.record(fresh, checked_ns=checked)
        return [k for k in known if k is not None]

    def _read(self, f: FileStat) -> tuple[str, bool]:
        """Hash one file (storing it when the cache lacks it): (oid, stored)."""
        try:
            fd = os.open(f.path, os.O_RDONLY)
        except FileNotFoundError:
            raise GitmlError(f"{f.path}: vanished while being read", "retry") from None
        try:
            if f.size <= SMALL_FILE:
                data = os.read(fd, f.size + 1)
                if len(data) != f.size:
                    raise _changed(f)
                oid = hash_bytes(data)
                return oid, self.cache is not None and self.cache.put_bytes(data, oid)
            if self.cache is not None and f.size >= OVERLAP_COPY:
                return self._hash_while_copying(fd, f)
            oid = hash_fd(fd, f.size)
            _check_unchanged(fd, f)
        finally:
            os.close(fd)
        return oid, self._store_missing(f, oid)

    def _hash_while_copying(self, fd: int, f: FileStat) -> tuple[str, bool]:
        """Large file: copy it into the cache (kernel-side, another thread) while hashing.

        Both passes read the same pages, one on each core; the copy lands under
        a temp name and is renamed to its object id, or dropped if the cache
        already had it.
        """
        assert self.cache is not None
        tmp = self.cache.incoming()
        failure: list[BaseException] = []

        def copy() -> None:
            try:
                copy_file(f.path, tmp, OBJECT_MODE)
            except BaseException as exc:  # re-raised below, on this thread
                failure.append(exc)

        worker = threading.Thread(target=copy, name="gitml-copy")
        worker.start()
        try:
            oid = hash_fd(fd, f.size)
            _check_unchanged(fd, f)
        finally:
            worker.join()
        if failure:
            raise failure[0]
        return oid, self.cache.adopt(tmp, oid)

    def store_all(self, files: Sequence[FileStat], oids: list[str]) -> None:
        """Make sure the cache holds every one of ``files`` (hashes known)."""
        assert self.cache is not None
        seen = self.in_cache
        pairs = [(f, oid) for f, oid in zip(files, oids, strict=True) if oid not in seen]

        def work(chunk: list[tuple[FileStat, str]]) -> int:
            return sum(self._store_missing(f, oid) for f, oid in chunk)

        threads = worth_threads(len(pairs), sum(f.size for f, _ in pairs))
        for stored in parallel_chunks(work, pairs, threads=threads):
            self.stored += stored
        seen.update(oid for _, oid in pairs)

    def _store_missing(self, f: FileStat, oid: str) -> bool:
        if self.cache is None or self.cache.exists(oid):
            return False
        self.cache.put_file(f.path, oid)
        return True

    def tree(
        self, rel: str, files: Sequence[FileStat], *, remember: bool | str = True
    ) -> FolderHash:
        """The hash of the folder ``rel`` holding ``files`` (see :mod:`gitml.core.folder`).

        Storing into the cache is the caller's business: see ``gitml.ops.record``.
        """
        from gitml.core.folder import hash_folder

        listing = files if isinstance(files, Listing) else Listing.of(files)
        return hash_folder(self, rel, listing, remember=remember)

    def manifest(self, files: Sequence[FileStat]) -> Manifest:
        oids = self.hash_files(files)
        return Manifest(
            tuple(
                Entry(f.rel, oid, f.size, f.executable) for f, oid in zip(files, oids, strict=True)
            )
        )
