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
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import overload

from xxhash import xxh3_128

from gitml.core.atomic import is_temp
from gitml.core.hashing import SMALL_FILE, hash_bytes, hash_fd
from gitml.core.linking import copy_file
from gitml.core.manifest import Entry, Manifest
from gitml.core.odb import OBJECT_MODE, LocalCache
from gitml.core.parallel import parallel_chunks, worth_threads
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


class Listing(Sequence[FileStat]):
    """The regular files below a folder, as one ``scan`` found them, sorted by ``rel``.

    ``digest`` hashes every file's path, inode, size, mtime and exec bit: equal
    digests mean the folder's listing did not change. It is computed from the
    raw scan, folder by folder; the :class:`FileStat` objects are only built
    when something asks for them (an unchanged folder never does).
    """

    __slots__ = ("_count", "_files", "_groups", "digest")

    def __init__(self, groups: list[_Group]) -> None:
        groups.sort(key=_group_key)
        self._groups = groups
        self._files: list[FileStat] | None = None
        self._count = sum(len(g[2]) for g in groups)
        self.digest = _digest(groups)

    @classmethod
    def of(cls, files: Iterable[FileStat]) -> Listing:
        """A listing of files found otherwise (the same digest a scan gives)."""
        by_folder: dict[str, _Group] = {}
        for f in files:
            head, _, name = f.rel.rpartition("/")
            prefix = head + "/" if head else ""
            group = by_folder.get(prefix)
            if group is None:
                folder = f.path[: len(f.path) - len(name) - 1]
                group = by_folder[prefix] = (prefix, folder, [], [])
            group[2].append(name)
            group[3].extend((f.ino, f.size, f.mtime_ns, 0o100 if f.executable else 0))
        for group in by_folder.values():
            _sort_group(group)
        return cls(list(by_folder.values()))

    @property
    def files(self) -> list[FileStat]:
        if self._files is None:
            out = []
            for prefix, folder, names, ints in self._groups:
                for i, name in enumerate(names):
                    ino, size, mtime, mode = ints[4 * i : 4 * i + 4]
                    out.append(
                        FileStat(prefix + name, f"{folder}/{name}", ino, size, mtime, bool(mode))
                    )
            out.sort(key=attrgetter("rel"))
            self._files = out
        return self._files

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> FileStat: ...
    @overload
    def __getitem__(self, index: slice) -> list[FileStat]: ...
    def __getitem__(self, index: int | slice) -> FileStat | list[FileStat]:
        return self.files[index]

    def __iter__(self) -> Iterator[FileStat]:
        return iter(self.files)


# (folder prefix "a/b/", absolute folder, file names, 4 ints per file: ino, size, mtime, exec)
_Group = tuple[str, str, list[str], list[int]]


def _group_key(group: _Group) -> str:
    return group[0]


def _sort_group(group: _Group) -> None:
    names, ints = group[2], group[3]
    order = sorted(range(len(names)), key=names.__getitem__)
    if order != list(range(len(names))):
        names[:] = [names[i] for i in order]
        ints[:] = [v for i in order for v in ints[4 * i : 4 * i + 4]]


def _digest(groups: list[_Group]) -> str:
    h = xxh3_128()
    for prefix, _, names, ints in groups:
        h.update(f"{prefix}\0{len(names)}\0{'/'.join(names)}\n".encode("utf-8", "surrogateescape"))
        try:
            h.update(array("q", ints).tobytes())
        except OverflowError:  # an inode beyond 2**63: spell the numbers out
            h.update(" ".join(map(str, ints)).encode())
    return str(h.hexdigest())


def scan(folder: Path, root: Path, allowed_links: tuple[Path, ...] = ()) -> Listing:
    """Every regular file below ``folder`` (symlinks to files inside the repo followed).

    One ``listdir`` and one ``lstat`` per entry, relative to an open folder
    descriptor: the least a full check of 20,000 files can cost in Python.
    """
    groups: list[_Group] = []
    stack = [("", str(folder))]
    while stack:
        prefix, current = stack.pop()
        names: list[str] = []
        ints: list[int] = []
        keep, extend = names.append, ints.extend
        dfd = os.open(current, _DIR_FLAGS)
        try:
            listed = os.listdir(dfd)
            listed.sort()
            for name in listed:
                if name[0] == "." and is_temp(name):
                    continue
                s = os.stat(name, dir_fd=dfd, follow_symlinks=False)
                kind = s.st_mode & _S_IFMT
                if kind == _S_IFDIR:
                    stack.append((f"{prefix}{name}/", f"{current}/{name}"))
                    continue
                if kind == _S_IFLNK:
                    s = _followed(root, f"{current}/{name}", allowed_links)
                    kind = s.st_mode & _S_IFMT
                if kind == _S_IFREG:
                    keep(name)
                    extend((s.st_ino, s.st_size, s.st_mtime_ns, s.st_mode & 0o100))
        finally:
            os.close(dfd)
        if names:  # an empty folder is not part of a manifest
            groups.append((prefix, current, names, ints))
    return Listing(groups)


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_S_IFMT, _S_IFDIR, _S_IFLNK, _S_IFREG = 0o170000, st.S_IFDIR, st.S_IFLNK, st.S_IFREG


def _followed(root: Path, path: str, allowed_links: tuple[Path, ...]) -> os.stat_result:
    """The stat of what a symlink in a tracked folder points to (inside the repo)."""
    check_link_target(root, Path(path), allowed_links)
    try:
        s = os.stat(path)
    except FileNotFoundError:
        raise BadPath(f"{path}: broken symlink", "remove it or point it at a file") from None
    if st.S_ISDIR(s.st_mode):
        raise BadPath(
            f"{path}: symlinked folders are not supported", "replace the link by the folder itself"
        )
    return s


def listing_digest(files: Sequence[FileStat]) -> str:
    """The :attr:`Listing.digest` of ``files``."""
    return files.digest if isinstance(files, Listing) else Listing.of(files).digest


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
        threads = worth_threads(len(todo), total)
        for results in parallel_chunks(work, todo, threads=threads):
            for i, oid, was_read, stored in results:
                known[i] = oid
                if self.cache is not None:
                    self.in_cache.add(oid)
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
        self, rel: str, files: Sequence[FileStat], *, want_oids: bool = True
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
    def manifest_of(files: Sequence[FileStat], oids: list[str]) -> Manifest:
        return Manifest(
            tuple(
                Entry(f.rel, oid, f.size, f.executable) for f, oid in zip(files, oids, strict=True)
            )
        )

    def manifest(self, files: Sequence[FileStat]) -> Manifest:
        oids = self.hash_files(files)
        return Manifest(
            tuple(
                Entry(f.rel, oid, f.size, f.executable) for f, oid in zip(files, oids, strict=True)
            )
        )
