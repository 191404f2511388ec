"""The repository lock that serialises writers.

``flock`` makes the lock itself crash-proof (the kernel drops it when its
holder dies); the file also records the holder's pid and command so that a
waiting process can say who holds it, and so that a lock left by a process
that died is reported when it is taken over.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from gitml.errors import LockBusy


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RepoLock:
    """``with RepoLock(path): ...`` holds the lock; ``on_event`` receives notices."""

    def __init__(
        self,
        path: Path,
        *,
        wait: float = 5.0,
        command: str = "",
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self.path = path
        self.wait = wait
        self.command = command or " ".join(["gitml", *sys.argv[1:]])[:200]
        self.on_event = on_event or (lambda _msg: None)
        self._fd: int | None = None
        self._depth = 0

    def _holder(self) -> tuple[int | None, str]:
        try:
            text = self.path.read_text()
        except OSError:
            return None, ""
        first, _, rest = text.partition("\n")
        try:
            return int(first), rest.strip()
        except ValueError:
            return None, ""

    def acquire(self) -> None:
        if self._depth:
            self._depth += 1
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        announced = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pid, cmd = self._holder()
                if time.monotonic() >= deadline:
                    os.close(fd)
                    who = f"pid {pid} ({cmd})" if pid else "another process"
                    raise LockBusy(
                        f"the repository is locked by {who}",
                        "wait for it to finish, or stop it; readers like `gitml status` "
                        "still work meanwhile",
                    ) from None
                if not announced:
                    self.on_event(f"waiting for the repository lock held by pid {pid} ({cmd})")
                    announced = True
                time.sleep(0.05)
        pid, cmd = self._holder()
        if pid is not None and pid != os.getpid() and not _pid_alive(pid):
            self.on_event(f"took over a stale repository lock of dead process {pid} ({cmd})")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n{self.command}\n".encode(), 0)
        self._fd = fd
        self._depth = 1

    def release(self) -> None:
        if not self._depth:
            return
        self._depth -= 1
        if self._depth or self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RepoLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
