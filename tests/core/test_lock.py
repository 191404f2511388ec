"""The repository lock: exclusive, re-entrant, says who holds it, survives kill -9."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitml.core.lock import RepoLock
from gitml.errors import LockBusy


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_holder_is_recorded_and_cleared(tmp_path: Path) -> None:
    path = tmp_path / "tmp" / "lock"
    with RepoLock(path, command="gitml add data"):
        assert path.read_text() == f"{os.getpid()}\ngitml add data\n"
    assert path.read_text() == ""


def test_reentrant(tmp_path: Path) -> None:
    lock = RepoLock(tmp_path / "lock", command="x")
    with lock, lock:
        assert (tmp_path / "lock").read_text().startswith(str(os.getpid()))
    assert (tmp_path / "lock").read_text() == ""
    lock.release()  # releasing an unheld lock is harmless


def test_second_holder_waits_then_fails_naming_the_holder(tmp_path: Path) -> None:
    events: list[str] = []
    with RepoLock(tmp_path / "lock", command="gitml add big"):
        other = RepoLock(tmp_path / "lock", wait=0.2, command="gitml gc", on_event=events.append)
        with pytest.raises(LockBusy) as info:
            other.acquire()
    assert f"pid {os.getpid()} (gitml add big)" in info.value.message
    assert "status" in str(info.value.hint)
    assert events == [f"waiting for the repository lock held by pid {os.getpid()} (gitml add big)"]
    # Released: now it can be taken.
    with RepoLock(tmp_path / "lock", wait=0.2):
        pass


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    pid = _dead_pid()
    (tmp_path / "lock").write_text(f"{pid}\ngitml add data/raw\n")
    events: list[str] = []
    with RepoLock(tmp_path / "lock", wait=0.2, command="gitml status", on_event=events.append):
        assert (tmp_path / "lock").read_text() == f"{os.getpid()}\ngitml status\n"
    assert events == [
        f"took over a stale repository lock of dead process {pid} (gitml add data/raw)"
    ]


def test_lock_of_a_killed_holder_is_released_by_the_kernel(tmp_path: Path) -> None:
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from gitml.core.lock import RepoLock\n"
        "lock = RepoLock(Path(sys.argv[1]), command='gitml add big')\n"
        "lock.acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "lock")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "held\n"
        with pytest.raises(LockBusy, match=f"pid {proc.pid} \\(gitml add big\\)"):
            RepoLock(tmp_path / "lock", wait=0.1).acquire()
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()
    events: list[str] = []
    with RepoLock(tmp_path / "lock", wait=1, on_event=events.append):
        pass
    assert events == [
        f"took over a stale repository lock of dead process {proc.pid} (gitml add big)"
    ]


@pytest.mark.parametrize("content", ["", "garbage\n", "\n\n"])
def test_unreadable_holder_is_not_reported(tmp_path: Path, content: str) -> None:
    (tmp_path / "lock").write_text(content)
    events: list[str] = []
    with RepoLock(tmp_path / "lock", on_event=events.append):
        pass
    assert events == []


def test_default_command_is_the_argv(tmp_path: Path) -> None:
    lock = RepoLock(tmp_path / "lock")
    assert lock.command.startswith("gitml")
