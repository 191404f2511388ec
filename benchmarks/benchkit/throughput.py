"""Hashing throughput next to the raw read throughput of the same (cached) file."""

from __future__ import annotations

import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROBE = Path(__file__).with_name("throughput_probe.py")
MODES = {
    "read": "raw read, 16 MiB chunks",
    "xxh128": "gitml hash_file (XXH3-128)",
    "md5": "md5, 16 MiB chunks (DVC's hash)",
}


@dataclass(frozen=True, slots=True)
class Throughput:
    mode: str
    label: str
    seconds: float
    gb_per_s: float
    runs: int


def measure(path: Path, reps: int) -> list[Throughput]:
    _warm(path)
    size = path.stat().st_size
    times: dict[str, list[float]] = {m: [] for m in MODES}
    for i in range(reps):
        order = list(MODES) if i % 2 == 0 else list(MODES)[::-1]
        for mode in order:
            out = subprocess.run(
                [sys.executable, str(PROBE), mode, str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            times[mode].append(float(out.stdout))
    result = []
    for mode, label in MODES.items():
        med = statistics.median(times[mode])
        result.append(Throughput(mode, label, med, size / med / 1e9, reps))
    return result


def _warm(path: Path) -> None:
    with open(path, "rb", buffering=0) as f:
        buf = bytearray(16 << 20)
        while f.readinto(buf):
            pass
