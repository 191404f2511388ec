"""Running stage commands as process groups, optionally streaming with a prefix.

Every command runs in its own session (process group), so an interrupt ends
the whole tree a stage started, not just the shell.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Output = Callable[[str, str], None]  # (stage name, line)

_running: set[subprocess.Popen[bytes]] = set()
_running_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class CommandResult:
    code: int  # 0 on success
    failed_cmd: str | None
    tail: str  # last lines of output when it was captured
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. a tuning study's summary


def run_commands(
    name: str,
    commands: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    output: Output | None = None,
) -> CommandResult:
    """Run ``commands`` one after another; stop at the first failure.

    With ``output`` the lines are captured and passed on (prefixed by the
    caller); without it the commands write straight to our stdout/stderr.
    """
    start = time.monotonic()
    tail: deque[str] = deque(maxlen=20)
    for command in commands:
        code = _run_one(name, command, cwd, env, output, tail)
        if code != 0:
            return CommandResult(code, command, "\n".join(tail), time.monotonic() - start)
    return CommandResult(0, None, "\n".join(tail), time.monotonic() - start)


def _run_one(
    name: str,
    command: str,
    cwd: Path,
    env: Mapping[str, str],
    output: Output | None,
    tail: deque[str],
) -> int:
    proc = subprocess.Popen(
        command,
        shell=True,
        cwd=cwd,
        env=dict(env),
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if output else None,
        stderr=subprocess.STDOUT if output else None,
    )
    with _running_lock:
        _running.add(proc)
    try:
        if output and proc.stdout is not None:
            for raw in proc.stdout:
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                tail.append(line)
                output(name, line)
        return proc.wait()
    finally:
        with _running_lock:
            _running.discard(proc)


def stop_all(grace: float = 3.0) -> None:
    """Interrupt every running stage's process group; kill what is left after ``grace``."""
    with _running_lock:
        procs = list(_running)
    for sig in (signal.SIGINT, signal.SIGTERM):
        for proc in procs:
            _signal_group(proc, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(p.poll() is None for p in procs):
            time.sleep(0.05)
    for proc in procs:
        if proc.poll() is None:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)
