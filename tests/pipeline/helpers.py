"""Helpers for the pipeline tests: run gitml with the venv's ``python`` first on PATH.

Stage commands are tiny shell or ``python -c`` commands; they find the
interpreter (and ``gitml.api``) through PATH, so every run gets the directory
of ``sys.executable`` in front of it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

GITML = [sys.executable, "-m", "gitml"]
BIN = str(Path(sys.executable).parent)
# TmpRepo and its Result come from the fixture ``tmp_repo`` in tests/conftest.py.
TmpRepo = Any
Result = Any


def stage_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {"PATH": BIN + os.pathsep + os.environ.get("PATH", ""), **(extra or {})}


class Pipe:
    """A :class:`TmpRepo` holding a pipeline, and helpers to drive ``gitml repro``."""

    def __init__(self, repo: TmpRepo) -> None:
        self.repo = repo
        self.root = repo.root
        self._procs: list[subprocess.Popen[str]] = []
        self._groups: list[int] = []

    # -- files -------------------------------------------------------------

    def stages(self, text: str) -> None:
        """Write ``stages.yaml`` (dedented)."""
        self.repo.gen({"stages.yaml": textwrap.dedent(text).lstrip("\n")})

    def params(self, text: str) -> None:
        self.repo.gen({"params.yaml": textwrap.dedent(text).lstrip("\n")})

    def gen(self, files: Mapping[str, str | bytes]) -> None:
        self.repo.gen(files)

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text()

    def exists(self, rel: str) -> bool:
        return os.path.lexists(self.root / rel)

    def lines(self, rel: str) -> list[str]:
        """Lines of a counter file the stage commands append to ([] when absent)."""
        path = self.root / rel
        return path.read_text().split() if path.exists() else []

    def lock_bytes(self) -> bytes:
        return (self.root / "stages.lock").read_bytes()

    def lock(self) -> dict[str, Any]:
        """``stages.lock``, checked to be valid YAML matching its schema."""
        from gitml.core.schema import text_locator, validate

        text = (self.root / "stages.lock").read_text()
        doc = yaml.safe_load(text)
        validate(doc, "lock", "stages.lock", text_locator(text))
        stages: dict[str, Any] = doc["stages"] or {}
        return stages

    def commit(self, message: str = "commit") -> None:
        self.repo.commit(message)

    def snapshot(self) -> dict[str, bytes]:
        return self.repo.snapshot()

    # -- processes ---------------------------------------------------------

    def run(self, *args: str, env: Mapping[str, str] | None = None) -> Result:
        return self.repo.run(*args, env=stage_env(env))

    def ok(self, *args: str, env: Mapping[str, str] | None = None) -> Result:
        result = self.run(*args, env=env)
        assert result.code == 0, result
        return result

    def fails(self, *args: str, code: int = 1, env: Mapping[str, str] | None = None) -> Result:
        result = self.run(*args, env=env)
        assert result.code == code, result
        return result

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """Start gitml in the background; its output goes to files (see :meth:`output`).

        Files, not pipes: a stage orphaned by ``kill -9`` would hold a pipe open.
        """
        n = len(self._procs)
        out = (self.root.parent / f"popen{n}.out").open("w")
        err = (self.root.parent / f"popen{n}.err").open("w")
        with out, err:
            proc = subprocess.Popen(
                [*GITML, *args],
                cwd=self.root,
                env={**os.environ, **stage_env()},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                text=True,
            )
        self._procs.append(proc)
        return proc

    def output(self, proc: subprocess.Popen[str], timeout: float = 30.0) -> tuple[str, str]:
        """Wait for a process from :meth:`popen`; its (stdout, stderr)."""
        proc.wait(timeout=timeout)
        n = self._procs.index(proc)
        return (
            (self.root.parent / f"popen{n}.out").read_text(),
            (self.root.parent / f"popen{n}.err").read_text(),
        )

    def reap_group(self, pgid: int) -> None:
        """Kill process group ``pgid`` at teardown if still there (stages of killed runs)."""
        self._groups.append(pgid)

    def wait_for(self, rel: str, timeout: float = 20.0) -> str:
        """Wait until a (non-empty) file appears; its text."""
        path = self.root / rel
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if path.is_file() and path.read_text().strip():
                return path.read_text()
            time.sleep(0.02)
        raise AssertionError(f"{rel} did not appear within {timeout}s")

    def close(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        for pgid in self._groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)


def group_alive(pgid: int) -> bool:
    """Whether any process of group ``pgid`` is still running (zombies do not count:
    they are dead, waiting for a parent — here possibly pid 1 — to reap them)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    state = stat.rpartition(")")[2].split()[0]
    return state not in ("Z", "X")


def kill_group(pid: int) -> None:
    """Kill a stage's process group (clean-up after gitml itself was killed)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(os.getpgid(pid), signal.SIGKILL)


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
