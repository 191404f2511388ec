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
from collections.abc import Callable
from typing import Any

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
