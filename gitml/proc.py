"""The wrappers through which gitml runs subprocesses.

:func:`run` goes through ``subprocess``, imported on its first call, not with
this module. :func:`capture` starts a command that needs no input and no
working directory of its own with ``os.posix_spawnp``: no ``subprocess``
(with ``selectors``, ``signal``, ``threading``) to import, which is most of the
cost of the ``git ls-files`` every ``gitml status`` starts with.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gitml.errors import GitmlError

if TYPE_CHECKING:
    import subprocess


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment without inherited ``GIT_*`` variables.

    Inside a git hook git exports ``GIT_DIR``, ``GIT_INDEX_FILE`` and friends;
    a git command we start for another purpose must not inherit them.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    if extra:
        env.update(extra)
    return env


def run(
    args: Sequence[str],
    *,
    cwd: Path | str | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    input_bytes: bytes | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run a command, capturing output; on failure raise with command, code and output."""
    import subprocess

    try:
        proc = subprocess.run(
            list(args),
            cwd=cwd,
            env=dict(env) if env is not None else clean_env(),
            input=input_bytes,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise _not_found(args) from exc
    if check and proc.returncode != 0:
        raise failure(args, proc.returncode, proc.stdout, proc.stderr)
    return proc


class Captured(NamedTuple):
    returncode: int
    stdout: bytes
    stderr: bytes


def capture(
    args: Sequence[str], *, check: bool = True, env: Mapping[str, str] | None = None
) -> Captured:
    """Run a command that reads no input (its standard input is gitml's), in the
    current directory; capture its output. On failure raise as :func:`run` does."""
    import select

    out_r, out_w = os.pipe()  # inheritable only as the child's 1 and 2 (dup2 clears CLOEXEC)
    err_r, err_w = os.pipe()
    if min(out_r, out_w, err_r, err_w) < 3:  # gitml's own 0, 1 or 2 is closed: the
        for fd in (out_r, out_w, err_r, err_w):  # dup2s could clash; subprocess copes
            os.close(fd)
        proc = run(args, check=check, env=env)
        return Captured(proc.returncode, proc.stdout, proc.stderr)
    try:
        try:
            pid = os.posix_spawnp(
                args[0],
                list(args),
                dict(env) if env is not None else clean_env(),
                file_actions=[(os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)],
            )
        except FileNotFoundError as exc:
            raise _not_found(args) from exc
    finally:
        os.close(out_w)
        os.close(err_w)
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    poller = select.poll()  # both pipes at once: a full stderr pipe cannot block the child
    for fd in chunks:
        poller.register(fd, select.POLLIN)
    try:
        open_fds = len(chunks)
        while open_fds:
            for fd, _ in poller.poll():
                data = os.read(fd, 1 << 16)
                if data:
                    chunks[fd].append(data)
                else:
                    poller.unregister(fd)
                    open_fds -= 1
    finally:
        os.close(out_r)
        os.close(err_r)
        _, wait_status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(wait_status)
    stdout, stderr = b"".join(chunks[out_r]), b"".join(chunks[err_r])
    if check and code != 0:
        raise failure(args, code, stdout, stderr)
    return Captured(code, stdout, stderr)


def _not_found(args: Sequence[str]) -> GitmlError:
    return GitmlError(f"cannot run {args[0]!r}: not found", "install it and retry")


def failure(args: Sequence[str], code: int, stdout: bytes, stderr: bytes) -> GitmlError:
    """The error for command ``args`` that exited with ``code``, naming it and its output."""
    out = (stderr or stdout).decode(errors="replace").strip()
    return GitmlError(f"`{' '.join(args)}` failed with exit code {code}: {out[-2000:]}")
