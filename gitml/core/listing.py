"""What a scan of a work-tree folder finds: its files and their stat numbers.

One ``listdir`` and one ``lstat`` per entry, through an open folder
descriptor; the result is kept as raw numbers per folder, with a digest per
folder, so that checking an unchanged tree builds no Python object per file.
"""

from __future__ import annotations

import os
import stat as st
from array import array
from collections.abc import Iterable, Iterator, Sequence
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple, overload

from xxhash import xxh3_128, xxh3_128_hexdigest

from gitml.core import forked
from gitml.core.atomic import is_temp
from gitml.core.paths import check_link_target
from gitml.core.state import StatKey
from gitml.errors import BadPath


class FileStat(NamedTuple):
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

    ``groups`` holds the raw scan, one :class:`Group` per folder that has files,
    sorted by prefix. Each group has a digest of its files' names, inodes,
    sizes, mtimes and exec bits; ``digest`` hashes those, so equal digests mean
    an unchanged listing. The :class:`FileStat` objects are only built when
    something asks for them (an unchanged folder never does).
    """

    __slots__ = ("_count", "_files", "digest", "groups")

    def __init__(self, groups: list[Group]) -> None:
        groups.sort(key=_group_key)
        self.groups = groups
        self._files: list[FileStat] | None = None
        self._count = sum(g.count for g in groups)
        self.digest = listing_digest(g.digest for g in groups)

    @classmethod
    def of(cls, files: Iterable[FileStat]) -> Listing:
        """A listing of files found otherwise (the same digest a scan gives)."""
        by_folder: dict[str, tuple[str, list[tuple[str, FileStat]]]] = {}
        for f in files:
            head, _, name = f.rel.rpartition("/")
            prefix = head + "/" if head else ""
            found = by_folder.get(prefix)
            if found is None:
                found = by_folder[prefix] = (f.path[: len(f.path) - len(name) - 1], [])
            found[1].append((name, f))
        groups = []
        for prefix, (folder, named) in by_folder.items():
            named.sort(key=_first)
            ints = [v for _, f in named for v in (f.ino, f.size, f.mtime_ns, 0o100 * f.executable)]
            groups.append(Group(prefix, folder, [n for n, _ in named], ints))
        return cls(groups)

    @property
    def files(self) -> list[FileStat]:
        if self._files is None:
            out = []
            for g in self.groups:
                prefix, folder, ints = g.prefix, g.folder, g.ints
                for i, name in enumerate(g.names):
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


def listing_digest(group_digests: Iterable[str]) -> str:
    """A listing's digest: the hash of its groups' digests, in prefix order."""
    h = xxh3_128()
    for digest in group_digests:
        h.update(digest.encode())
    return str(h.hexdigest())


class Group:
    """The regular files of one folder of a scan: names sorted, 4 ints per file
    (inode, size, mtime_ns, exec bit as 0 or 0o100) and a digest of them all.

    A group also keeps what its digest hashes: the names joined and the
    numbers as 8-byte integers. That is what :meth:`pack` hands to another
    process (as ``marshal`` copies it: a few strings, not an object per file),
    and a group :meth:`unpack` makes of it splits names and numbers only when
    they are asked for, which the check of an unchanged folder never does.
    """

    __slots__ = ("_ints", "_joined", "_names", "_numbers", "count", "digest", "folder", "prefix")

    def __init__(self, prefix: str, folder: str, names: list[str], ints: list[int]) -> None:
        self.prefix = prefix  # "" or "a/b/", relative to the listed folder
        self.folder = folder  # absolute
        self.count = len(names)
        self._names: list[str] | None = names
        self._ints: list[int] | None = ints
        self._joined = "/".join(names)
        try:
            self._numbers: bytes | list[int] = array("q", ints).tobytes()
        except OverflowError:  # an inode beyond 2**63: kept as they are
            self._numbers = ints
        self.digest = _digest(prefix, self.count, self._joined, self._numbers)

    def pack(self) -> Packed:
        return (self.prefix, self.folder, self.count, self._joined, self._numbers, self.digest)

    @classmethod
    def unpack(cls, packed: Packed) -> Group:
        group = cls.__new__(cls)
        group.prefix, group.folder, group.count, group._joined, group._numbers = packed[:5]
        group.digest = packed[5]
        group._names = group._ints = None
        return group

    @property
    def names(self) -> list[str]:
        if self._names is None:
            self._names = self._joined.split("/")
        return self._names

    @property
    def ints(self) -> list[int]:
        if self._ints is None:
            numbers = self._numbers
            if isinstance(numbers, bytes):
                decoded = array("q")
                decoded.frombytes(numbers)
                self._ints = decoded.tolist()
            else:
                self._ints = numbers
        return self._ints

    def stat_key(self, i: int) -> tuple[int, int, int]:
        ints = self.ints
        return ints[4 * i], ints[4 * i + 1], ints[4 * i + 2]

    def file(self, i: int) -> FileStat:
        name, ints = self.names[i], self.ints
        return FileStat(
            self.prefix + name,
            f"{self.folder}/{name}",
            ints[4 * i],
            ints[4 * i + 1],
            ints[4 * i + 2],
            bool(ints[4 * i + 3]),
        )


# What Group.pack gives: prefix, folder, count, names joined, numbers, digest.
Packed = tuple[str, str, int, str, bytes | list[int], str]


def _digest(prefix: str, count: int, joined: str, numbers: bytes | list[int]) -> str:
    text = f"{prefix}\0{count}\0{joined}\n".encode("utf-8", "surrogateescape")
    if not isinstance(numbers, bytes):
        numbers = " ".join(map(str, numbers)).encode()  # spelled out
    return xxh3_128_hexdigest(text + numbers)


def _group_key(group: Group) -> str:
    return group.prefix


def _first(pair: tuple[str, FileStat]) -> str:
    return pair[0]


def scan(
    folder: Path, root: Path, allowed_links: tuple[Path, ...] = (), *, expected: int = 0
) -> Listing:
    """Every regular file below ``folder`` (symlinks to files inside the repo followed).

    One ``listdir`` and one ``lstat`` per entry, relative to an open folder
    descriptor: the least a full check of many files can cost in Python. With
    ``expected`` files or more (what the caller last saw there), the first
    level of sub-folders is shared with a forked child (see :mod:`gitml.core.forked`).
    """
    groups: list[Group] = []
    pending = [("", str(folder))]
    if expected >= forked.MIN_FILES:
        pending = _scan_dir("", str(folder), root, allowed_links, groups)

    def walk(part: Sequence[tuple[str, str]]) -> list[Packed]:
        return [g.pack() for g in _walk(part, root, allowed_links)]

    with forked.Share(pending, walk, expected >= forked.MIN_FILES) as share:
        groups += _walk(share.ours, root, allowed_links)
        groups += [Group.unpack(packed) for packed in share.rest()]
    return Listing(groups)


def _walk(
    pending: Sequence[tuple[str, str]], root: Path, allowed_links: tuple[Path, ...]
) -> list[Group]:
    """The groups of the folders in ``pending`` (prefix, absolute path) and below."""
    groups: list[Group] = []
    stack = list(pending)
    while stack:
        stack += _scan_dir(*stack.pop(), root, allowed_links, groups)
    return groups


def _scan_dir(
    prefix: str, current: str, root: Path, allowed_links: tuple[Path, ...], groups: list[Group]
) -> list[tuple[str, str]]:
    """Add the files of one folder to ``groups``; return its sub-folders."""
    names: list[str] = []
    ints: list[int] = []
    below: list[tuple[str, str]] = []
    keep, extend, lstat = names.append, ints.extend, os.lstat  # locals: the loop runs per file
    ifmt, ifreg = _S_IFMT, _S_IFREG
    dfd = os.open(current, _DIR_FLAGS)
    try:
        listed = os.listdir(dfd)
        listed.sort()
        for name in listed:
            if name[0] == "." and is_temp(name):
                continue
            s = lstat(name, dir_fd=dfd)
            kind = s.st_mode & ifmt
            if kind != ifreg:
                if kind == _S_IFDIR:
                    below.append((f"{prefix}{name}/", f"{current}/{name}"))
                    continue
                if kind != _S_IFLNK:
                    continue  # a socket, fifo or device: not data
                s = _followed(root, f"{current}/{name}", allowed_links)
                if s.st_mode & ifmt != ifreg:
                    continue
            keep(name)
            extend((s.st_ino, s.st_size, s.st_mtime_ns, s.st_mode & 0o100))
    finally:
        os.close(dfd)
    if names:  # an empty folder is not part of a manifest
        groups.append(Group(prefix, current, names, ints))
    return below


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


def total_size(files: Sequence[FileStat]) -> int:
    if isinstance(files, Listing):
        return sum(sum(g.ints[1::4]) for g in files.groups)
    return sum(f.size for f in files)
