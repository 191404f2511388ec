"""Fixtures for the tuning tests: a repository with a trial script, and a real
PostgreSQL server on loopback for shared studies.

The server is started once per test session (per xdist worker) from the
Debian binaries under /usr/lib/postgresql/*/bin (``scripts/ensure-services.sh``
installs them); as root it runs as the ``postgres`` user. Tests marked
``postgres`` are skipped, loudly, only when those binaries are missing.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import write_objective


@pytest.fixture
def root(tmp_repo: Any) -> Path:
    """A gitml repository holding ``objective.py`` (see helpers.OBJECTIVE)."""
    write_objective(tmp_repo.root)
    return tmp_repo.root


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(map(_quote, args))]


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


def _run(args: list[str]) -> None:
    proc = subprocess.run(_as_postgres(args), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {proc.stdout}{proc.stderr}")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """``postgresql://postgres@127.0.0.1:PORT/gitml_tune`` on a server of our own."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip(
            "PostgreSQL IS NOT INSTALLED: no /usr/lib/postgresql/*/bin/initdb; shared-study "
            "tests did not run (run scripts/ensure-services.sh as root)"
        )
    base = Path(tempfile.mkdtemp(prefix="gitml-pg-"))
    data, sockets = base / "data", base / "sock"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    _run([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"])
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off"
    log = base / "server.log"
    _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"])
    try:
        _run(
            [
                str(bin_dir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "gitml_tune",
            ]
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/gitml_tune"
    finally:
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        time.sleep(0.1)
        shutil.rmtree(base, ignore_errors=True)
