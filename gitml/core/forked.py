"""A share of the work on many small files, run in a forked child process.

Checking a big folder is one ``stat`` per file, storing one is a file created
per file, and Python's interpreter lock keeps threads from making those calls
side by side; a second process can. The child inherits everything it needs
(it lists, stats, reads and writes files; it never touches the state
database), sends its result back through a pipe with ``marshal`` and leaves
with ``os._exit``. It inherits the repository lock too, and holds it until it
is done even if its parent is killed. Whatever goes wrong in it (an error, a signal),
the caller gets None and does the share itself, which then raises the error
it would have raised anyway.
"""

from __future__ import annotations

import marshal
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# From this many files on, scanning or storing shares its work with a forked child.
# Measured on 2 cores with 20,000 files of 1-4 KiB: a scan takes 46-61 ms alone and
# 33-51 ms shared (`gitml status`: 135 ms at best alone, 114 ms shared); the first
# `gitml add` 1.02-1.12 s alone and 0.75-0.80 s shared. A fork costs about 1 ms.
MIN_FILES = 4000


def available() -> bool:
    """Whether forking pays and is safe here: Linux, two cores for us, no other thread."""
    return (
        sys.platform.startswith("linux")
        and len(os.sched_getaffinity(0)) >= 2
        and threading.active_count() == 1
    )


class Forked:
    """``fn()`` running in a child; :meth:`result` waits for it (None if it failed)."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 1
            try:
                os.close(read_end)
                view = memoryview(marshal.dumps(fn()))
                while view:
                    view = view[os.write(write_end, view) :]
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        self._pid: int | None = pid
        self._fd = read_end

    def result(self) -> Any | None:
        chunks = []
        try:
            while chunk := os.read(self._fd, 1 << 20):
                chunks.append(chunk)
        finally:
            code = self._reap()
        if code != 0 or not chunks:
            return None
        return marshal.loads(b"".join(chunks))

    def close(self) -> None:
        """Stop the child if its result is no longer wanted (the caller failed)."""
        if self._pid is not None:
            import signal

            os.kill(self._pid, signal.SIGKILL)
            self._reap()

    def _reap(self) -> int:
        os.close(self._fd)
        pid, self._pid = self._pid, None
        assert pid is not None
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)


class Share(Generic[T, R]):
    """Split ``items`` with a forked child, if ``wanted`` and :func:`available`.

    The child runs ``work`` on the second half at once; the caller works on
    :attr:`ours` (in its own way: in chunks, with progress) and then calls
    :meth:`rest` for the child's result, or ``work`` on that half right here
    when there was no child or it failed. Leaving the ``with`` block on an
    error stops the child.
    """

    def __init__(self, items: Sequence[T], work: Callable[[Sequence[T]], R], wanted: bool) -> None:
        self._work = work
        self._helper: Forked | None = None
        self.ours, self._theirs = items, items[len(items) :]
        if wanted and len(items) >= 2 and available():
            half = len(items) // 2
            self.ours, self._theirs = items[:half], items[half:]
            self._helper = Forked(lambda: work(self._theirs))
        self.shared = self._helper is not None

    def rest(self) -> R:
        got = self._helper.result() if self._helper is not None else None
        self._helper = None
        return self._work(self._theirs) if got is None else got

    def __enter__(self) -> Share[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._helper is not None:
            self._helper.close()
            self._helper = None
