"""Putting a cached object into the work tree: reflink, hardlink, symlink or copy.

Each strategy is a function in ``STRATEGIES``; :class:`Linker` tries the
configured ones in order and remembers the first that works on this file
system, so a failing reflink costs one attempt, not one per file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from gitml.core.atomic import temp_str
from gitml.errors import GitmlError

FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)
_UNSUPPORTED = {
    errno.EXDEV,
    errno.EOPNOTSUPP,
    errno.ENOTTY,
    errno.EINVAL,
    errno.EPERM,
    errno.ENOSYS,
}
_COPY_CHUNK = 1 << 30


def copy_file(src: Path | str, dst: Path | str, mode: int) -> None:
    """Kernel-side copy (``copy_file_range``/``sendfile``) of ``src`` to a new ``dst``."""
    sfd = os.open(src, os.O_RDONLY)
    try:
        dfd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            size = os.fstat(sfd).st_size
            if size:
                _copy_fd(sfd, dfd, size)
        finally:
            os.close(dfd)
    finally:
        os.close(sfd)


def _copy_fd(sfd: int, dfd: int, size: int) -> None:
    left = size
    try:
        while left > 0:
            n = os.copy_file_range(sfd, dfd, min(left, _COPY_CHUNK))
            if n == 0:
                break
            left -= n
    except OSError as exc:
        if exc.errno not in _UNSUPPORTED:
            raise
        offset = size - left
        while left > 0:
            n = os.sendfile(dfd, sfd, offset, min(left, _COPY_CHUNK))
            if n == 0:
                break
            offset += n
            left -= n


def _reflink(src: Path | str, dst: str, mode: int) -> None:
    sfd = os.open(src, os.O_RDONLY)
    try:
        dfd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            fcntl.ioctl(dfd, FICLONE, sfd)
        except OSError:
            os.close(dfd)
            _unlink(dst)
            raise
        os.close(dfd)
    finally:
        os.close(sfd)


def _hardlink(src: Path | str, dst: str, mode: int) -> None:
    os.link(src, dst)


def _symlink(src: Path | str, dst: str, mode: int) -> None:
    os.symlink(src, dst)


def _copy(src: Path | str, dst: str, mode: int) -> None:
    copy_file(src, dst, mode)


Strategy = Callable[[Path | str, str, int], None]
STRATEGIES: dict[str, Strategy] = {
    "reflink": _reflink,
    "hardlink": _hardlink,
    "symlink": _symlink,
    "copy": _copy,
}


class Linker:
    """Places cache objects at work-tree paths with the first strategy that works.

    Thread-safe: ``checkout`` places files from several threads.
    """

    def __init__(self, kinds: Sequence[str]) -> None:
        unknown = [k for k in kinds if k not in STRATEGIES]
        if unknown or not kinds:
            raise GitmlError(
                f"unknown cache.type {unknown or kinds!r}",
                f"use an ordered list of {', '.join(STRATEGIES)}",
            )
        self.kinds = list(kinds)
        self._lock = threading.Lock()

    def place(
        self,
        src: Path | str,
        dst: Path | str,
        executable: bool = False,
        *,
        allow_copy: bool = True,
        fresh: bool = False,
    ) -> str | None:
        """Atomically make ``dst`` a link/copy of cache object ``src``; return the kind used.

        With ``allow_copy=False`` nothing is done (None returned) when only a
        copy would work: ``add`` uses it, as the work tree already has the data.
        ``fresh`` is for a ``dst`` in a folder being built that nobody sees yet:
        it is written under its own name, without a temp name and a rename.
        """
        mode = 0o755 if executable else 0o644
        while True:
            first = self.kinds[0]
            # A link shares the object's mode (read-only, not executable) with every
            # file of that content: an executable file gets a copy of its own.
            kind = "copy" if executable and first in ("hardlink", "symlink") else first
            if kind == "copy" and not allow_copy:
                return None
            tmp = str(dst) if fresh else temp_str(str(dst))
            try:
                STRATEGIES[kind](src, tmp, mode)
            except OSError as exc:
                _unlink(tmp)
                if exc.errno in _UNSUPPORTED and kind == first and self._drop(kind):
                    continue
                raise
            if kind == "hardlink":  # the link shares the cache object's read-only inode
                os.chmod(tmp, 0o444)
            if not fresh:
                os.replace(tmp, dst)
                if kind == "hardlink":  # rename() between two links of one inode does nothing
                    _unlink(tmp)
            return kind

    def _drop(self, kind: str) -> bool:
        """Stop trying ``kind`` here; False when it is the last one left.

        Threads that fail together all retry: the first one drops the kind.
        """
        with self._lock:
            if self.kinds[0] == kind and len(self.kinds) > 1:
                self.kinds.pop(0)
            return self.kinds[0] != kind


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
