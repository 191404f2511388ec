"""The two command-line tools under test, run as real subprocesses and timed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

DVC_SPEC = "dvc>=3,<4"
# Same defaults for both tools: try a reflink, fall back to a copy.
DVC_GLOBAL_CONFIG = """\
[core]
    analytics = false
    check_update = false
[cache]
    type = "reflink,copy"
"""


class BenchError(RuntimeError):
    """A command under test failed; carries its output."""


@dataclass(frozen=True, slots=True)
class Tool:
    name: str  # "gitml" | "dvc": also the key of a scenario's command lists
    exe: str
    env: Mapping[str, str]

    def run(self, args: Sequence[str], cwd: Path) -> float:
        """Run ``exe args`` in ``cwd``; return its wall time in seconds; raise on failure."""
        return timed([self.exe, *args], cwd, self.env)

    def version(self) -> str:
        out = subprocess.run(
            [self.exe, "--version"], capture_output=True, text=True, env=dict(self.env), check=True
        )
        return out.stdout.strip().splitlines()[-1]

    def init_repo(self, path: Path) -> None:
        """A fresh git repository at ``path`` with this tool initialised in it."""
        path.mkdir(parents=True)
        timed(["git", "init", "-q"], path, self.env)
        self.run(["init", "-q"], path)


def timed(cmd: Sequence[str], cwd: Path, env: Mapping[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), cwd=cwd, env=dict(env), capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise BenchError(
            f"`{' '.join(cmd)}` in {cwd} exited {proc.returncode}\n"
            f"--- stdout\n{proc.stdout.decode(errors='replace')[-4000:]}\n"
            f"--- stderr\n{proc.stderr.decode(errors='replace')[-4000:]}"
        )
    return elapsed


def base_env(home: Path) -> dict[str, str]:
    """The caller's environment without git overrides, with a fixed git identity."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.invalid",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=str(home / "gitconfig"),
    )
    env.pop("CI", None)
    # Both tools run as users run them: with Python's bytecode cache. (Some shells set
    # PYTHONDONTWRITEBYTECODE, which makes every start recompile every module.)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def gitml_tool(work: Path, env: Mapping[str, str], log: Path) -> Tool:
    """``gitml`` installed from this checkout into its own virtualenv under ``work``.

    As users get it from ``pip install``: a regular install, not the project's
    editable .venv, whose import hook costs every command about 15 ms of
    start-up. Reinstalled on every run, so the numbers are this checkout's.
    """
    venv = work / "gitml-venv"
    python = venv / "bin" / "python"
    source = Path(__file__).resolve().parents[2]
    pip = [str(python), "-m", "pip", "install", "-q"]
    print(f"installing gitml from {source} into {venv} ...", flush=True)
    with log.open("w") as out:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([*pip, str(source)], stdout=out, stderr=out, check=True)
        proc = subprocess.run(
            [*pip, "--no-deps", "--force-reinstall", str(source)], stdout=out, stderr=out
        )
    exe = venv / "bin" / "gitml"
    if proc.returncode != 0 or not exe.exists():
        raise BenchError(f"installing gitml into {venv} failed; see {log}")
    return Tool("gitml", str(exe), dict(env))


def dvc_tool(work: Path, env: Mapping[str, str], log: Path) -> Tool:
    """``dvc`` from its own virtualenv under ``work``, created and installed on first use."""
    venv = work / "dvc-venv"
    exe = venv / "bin" / "dvc"
    if not _is_dvc3(exe):
        print(f"installing {DVC_SPEC} into {venv} (once) ...", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        with log.open("w") as out:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
            subprocess.run([*pip, DVC_SPEC], stdout=out, stderr=out, check=True)
        if not _is_dvc3(exe):
            raise BenchError(f"installing {DVC_SPEC} failed; see {log}")
    config = work / "dvc-config"
    (config / "global").mkdir(parents=True, exist_ok=True)
    (config / "system").mkdir(parents=True, exist_ok=True)
    (config / "global" / "config").write_text(DVC_GLOBAL_CONFIG)
    dvc_env = dict(env)
    dvc_env.update(
        DVC_NO_ANALYTICS="1",
        DVC_GLOBAL_CONFIG_DIR=str(config / "global"),
        DVC_SYSTEM_CONFIG_DIR=str(config / "system"),
        DVC_SITE_CACHE_DIR=str(work / "dvc-site-cache"),
    )
    return Tool("dvc", str(exe), dvc_env)


def _is_dvc3(exe: Path) -> bool:
    if not exe.exists():
        return False
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False)
    return out.returncode == 0 and out.stdout.strip().startswith("3.")
