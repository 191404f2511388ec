"""The one wrapper through which gitml runs subprocesses.

``subprocess`` (with ``selectors``, ``signal``, ``threading``) is imported on
the first run, not with this module: commands that never start one, or start
one late, do not pay for it at start-up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

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
        raise GitmlError(f"cannot run {args[0]!r}: not found", "install it and retry") from exc
    if check and proc.returncode != 0:
        out = (proc.stderr or proc.stdout).decode(errors="replace").strip()
        raise GitmlError(
            f"`{' '.join(args)}` failed with exit code {proc.returncode}: {out[-2000:]}"
        )
    return proc
