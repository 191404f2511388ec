"""What the numbers were measured on."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

from benchkit.tools import Tool


@dataclass(frozen=True, slots=True)
class Machine:
    cpus: int
    cpu_model: str
    ram_gib: float
    filesystem: str
    kernel: str
    python: str
    git: str
    versions: dict[str, str]
    source: str  # the gitml commit measured
    load: tuple[float, float]  # 1-minute load average at the start and the end of the run
    date: str


def describe(work: Path, tools: list[Tool], load_at_start: float) -> Machine:
    return Machine(
        cpus=os.cpu_count() or 0,
        cpu_model=_cpu_model(),
        ram_gib=_ram_gib(),
        filesystem=_filesystem(work),
        kernel=platform.release(),
        python=platform.python_version(),
        git=_out(["git", "--version"]),
        versions={t.name: t.version() for t in tools},
        source=_source(work),
        load=(load_at_start, os.getloadavg()[0]),
        date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _out(cmd: list[str]) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / (1 << 20)
    return 0.0


def _filesystem(path: Path) -> str:
    """``df -T`` of ``path``: type and device, e.g. ``ext4 (/dev/vda)``."""
    lines = _out(["df", "-T", str(path)]).splitlines()
    if len(lines) < 2:
        return "unknown"
    fields = lines[-1].split()
    return f"{fields[1]} ({fields[0]})"


def _source(work: Path) -> str:
    """``abc1234`` plus a note when gitml/ has uncommitted changes (they were measured too)."""
    commit = _out(["git", "-C", str(work.parent), "rev-parse", "--short", "HEAD"])
    dirty = _out(["git", "-C", str(work.parent), "status", "--porcelain", "--", "gitml"])
    return commit + (" with uncommitted changes in gitml/" if dirty else "")
