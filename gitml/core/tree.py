"""Scanning work-tree files and hashing them through the state index.

The hot path of ``add`` and ``status``: one ``scandir`` per folder, one
``stat`` per file, one batched state lookup, and a read only for files whose
(inode, size, mtime) the state index does not know.
"""

from __future__ import annotations

import json
import os
import stat as st
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

from gitml.core.atomic import is_temp
from gitml.core.hashing import SMALL_FILE, hash_bytes, hash_fd
from gitml.core.linking import copy_file
from gitml.core.manifest import Entry, Manifest
from gitml.core.odb import OBJECT_MODE, LocalCache
from gitml.core.parallel import parallel_chunks
from gitml.core.paths import check_link_target
from gitml.core.state import RACY_NS, StateIndex, StatKey, TreeSnapshot
from gitml.errors import BadPath, GitmlError

Progress = Callable[[int, int], None]  # (done units, total units)
# From this size on, ``add`` copies a file into the cache while it hashes it.
OVERLAP_COPY = 8 << 20


@dataclass(slots=True)
class FileStat:
    rel: str  # relative to the scanned directory (or the file's name)
    path: str  # absolute
    ino: int
    size: int
    mtime_ns: int
    executable: bool

    @property
    def key(self) -> StatKey:
        return (self.ino, self.size, self.mtime_ns)


def stat_file(path: Path, rel: str) -> FileStat:
    s = os.stat(path)
    if not st.S_ISREG(s.st_mode):
        raise BadPath(f"{rel}: not a regular file or directory", "gitml tracks files and folders")
    return FileStat(rel, str(path), s.st_ino, s.st_size, s.st_mtime_ns, bool(s.st_mode & 0o100))


def scan(folder: Path, root: Path, allowed_links: tuple[Path, ...] = ()) -> list[FileStat]:
    """Every regular file below ``folder`` (symlinks to files inside the repo followed)."""
    out: list[FileStat] = []
    stack = [("", str(folder))]
    while stack:
        prefix, current = stack.pop()
        with os.scandir(current) as it:
            for entry in it:
                name = entry.name
                if name[0] == "." and is_temp(name):
                    continue
                rel = prefix + name
                if entry.is_symlink():
                    check_link_target(root, Path(entry.path), allowed_links)
                    if os.path.isdir(entry.path):
                        raise BadPath(
                            f"{entry.path}: symlinked folders are not supported",
                            "replace the link by the folder itself",
                        )
                elif entry.is_dir():
                    stack.append((rel + "/", entry.path))
                    continue
                s = entry.stat()
                if not st.S_ISREG(s.st_mode):
                    continue
                out.append(
                    FileStat(
                        rel, entry.path, s.st_ino, s.st_size, s.st_mtime_ns, bool(s.st_mode & 0o100)
                    )
                )
    out.sort(key=attrgetter("rel"))
    return out


def listing_digest(files: list[FileStat]) -> str:
    """A hash of the folder's listing: every file's path, inode, size, mtime and exec bit."""
    text = "\n".join(f"{f.rel}\0{f.ino}\0{f.size}\0{f.mtime_ns}\0{f.executable:d}" for f in files)
    return hash_bytes(text.encode("utf-8", errors="surrogateescape"))


def _check_unchanged(fd: int, f: FileStat) -> None:
    after = os.fstat(fd)
    if (after.st_size, after.st_mtime_ns) != (f.size, f.mtime_ns):
        raise _changed(f)


def _changed(f: FileStat) -> GitmlError:
    return GitmlError(f"{f.path}: changed while being read", "retry when it is written")


class Hasher:
    """Hashes files through the state index; optionally stores them in the cache."""

    def __init__(
        self, state: StateIndex, cache: LocalCache | None = None, progress: Progress | None = None
    ) -> None:
        self.state = state
        self.cache = cache
        self.progress = progress
        self.hashed = 0  # files actually read
        self.stored = 0  # objects written to the cache

    def hash_files(self, files: list[FileStat]) -> list[str]:
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

        def work(chunk: list[int]) -> list[tuple[int, str, bool, bool]]:
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
        for results in parallel_chunks(work, todo):
            for i, oid, was_read, stored in results:
                known[i] = oid
                done += files[i].size
                self.stored += stored
                if was_read:
                    self.hashed += 1
                    fresh.append((files[i].key, oid))
            if self.progress:
                self.progress(done, total)
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
                if self.cache is None or self.cache.exists(oid):
                    return oid, False
                self.cache.put_bytes(data, oid)
                return oid, True
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

    def store_all(self, files: list[FileStat], oids: list[str]) -> None:
        """Make sure the cache holds every one of ``files`` (hashes known)."""
        assert self.cache is not None
        pairs = list(zip(files, oids, strict=True))

        def work(chunk: list[tuple[FileStat, str]]) -> int:
            return sum(self._store_missing(f, oid) for f, oid in chunk)

        for stored in parallel_chunks(work, pairs):
            self.stored += stored

    def _store_missing(self, f: FileStat, oid: str) -> bool:
        if self.cache is None or self.cache.exists(oid):
            return False
        self.cache.put_file(f.path, oid)
        return True

    def tree(
        self, rel: str, files: list[FileStat], *, want_oids: bool = True
    ) -> tuple[str, list[str]]:
        """The manifest hash of the folder ``rel`` holding ``files``, and each file's hash.

        Through the folder's snapshot in the state index: an unchanged folder
        costs one hash of its listing; a folder with a few changed files
        reads only those. (Storing into the cache is the caller's business:
        see ``gitml.ops.record``.)
        """
        listing = listing_digest(files)
        snap = self.state.tree_get(rel)
        if snap is not None and snap.listing == listing and snap.trusted:
            if not want_oids:
                return snap.oid, []
            entries = snap.entry_map()
            return snap.oid, [entries[f.rel][4] for f in files]
        known = snap.entry_map() if snap is not None else {}
        oids: list[str] = [""] * len(files)
        todo: list[int] = []
        for i, f in enumerate(files):
            e = known.get(f.rel)
            if e is not None and e[5] and (e[1], e[2], e[3]) == (f.ino, f.size, f.mtime_ns):
                oids[i] = e[4]
            else:
                todo.append(i)
        t0 = time.time_ns()  # every hash below was read after this moment
        for i, oid in zip(todo, self.hash_files([files[i] for i in todo]), strict=True):
            oids[i] = oid
        fresh = set(todo)
        rows = [
            [f.rel, f.ino, f.size, f.mtime_ns, oid, i not in fresh or f.mtime_ns + RACY_NS < t0]
            for i, (f, oid) in enumerate(zip(files, oids, strict=True))
        ]
        manifest = self.manifest_of(files, oids)
        oid = manifest.oid()
        blob = json.dumps(rows, separators=(",", ":")).encode()
        self.state.tree_put(rel, TreeSnapshot(listing, oid, all(r[5] for r in rows), blob))
        return oid, oids

    @staticmethod
    def manifest_of(files: list[FileStat], oids: list[str]) -> Manifest:
        return Manifest(
            tuple(
                Entry(f.rel, oid, f.size, f.executable) for f, oid in zip(files, oids, strict=True)
            )
        )

    def manifest(self, files: list[FileStat]) -> Manifest:
        oids = self.hash_files(files)
        return Manifest(
            tuple(
                Entry(f.rel, oid, f.size, f.executable) for f, oid in zip(files, oids, strict=True)
            )
        )
