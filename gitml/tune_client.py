"""The trial side of ``gitml.api.report``: send intermediate values to the tuner.

Inside a tuning trial gitml sets ``GITML_TUNE_SOCKET`` (a Unix socket served
by the parent ``gitml`` process) and ``GITML_TUNE_TRIAL`` (this trial's
token). Each :func:`report` sends one JSON line and reads one answer; when
the study's pruner says stop, :func:`report` raises :class:`TrialPruned`, a
``SystemExit`` with exit code :data:`PRUNED_EXIT`, so the process ends
cleanly (``finally`` blocks run) and the parent records the trial as pruned.
Outside a trial (no such variables) :func:`report` does nothing.

Standard library only: imported by training scripts.
"""

from __future__ import annotations

import json
import math
import os
import socket
import sys

SOCKET_ENV = "GITML_TUNE_SOCKET"
TRIAL_ENV = "GITML_TUNE_TRIAL"
PRUNED_EXIT = 86  # the exit code of a pruned trial ("eighty-sixed")

_conn: socket.socket | None = None


class TrialPruned(SystemExit):
    """Raised by :func:`report` when the pruner stops the trial; ends the process."""

    def __init__(self, step: int) -> None:
        super().__init__(PRUNED_EXIT)
        self.step = step


def _connect(path: str) -> socket.socket | None:
    global _conn
    if _conn is None:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(path)
        except OSError:
            conn.close()
            return None
        _conn = conn
    return _conn


def _ask(path: str, message: dict[str, object]) -> dict[str, object]:
    global _conn
    conn = _connect(path)
    if conn is None:
        return {}
    try:
        conn.sendall(json.dumps(message).encode() + b"\n")
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                raise OSError("closed")
            answer += chunk
    except OSError:
        conn.close()
        _conn = None
        return {}
    reply: dict[str, object] = json.loads(answer)
    return reply


def report(step: int, value: float) -> None:
    """Report ``value`` at ``step``; raise :class:`TrialPruned` when told to stop."""
    path = os.environ.get(SOCKET_ENV)
    token = os.environ.get(TRIAL_ENV)
    if not path or not token:
        return
    value = float(value)
    if not math.isfinite(value):
        return
    answer = _ask(path, {"t": token, "s": int(step), "v": value})
    if answer.get("prune"):
        sys.stdout.flush()
        sys.stderr.flush()
        raise TrialPruned(int(step))
