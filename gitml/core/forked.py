"""A share of a scan, run in a forked child process.

Checking a big folder is one ``stat`` per file, and Python's interpreter lock
keeps threads from making those calls side by side; a second process can. The
child inherits everything it needs (it only lists folders and stats files, no
locks, no database), sends its result back through a pipe with ``marshal``
and leaves with ``os._exit``. Whatever goes wrong in it (an error, a signal),
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
