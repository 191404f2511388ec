"""RESULTS.md: the comparison table, the machine, scaling and throughput."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from benchkit.machine import Machine
from benchkit.scaling import Point
from benchkit.scenario import Result
from benchkit.throughput import Throughput

COMMAND = "make bench"


@dataclass(frozen=True, slots=True)
class Report:
    machine: Machine
    results: Sequence[Result]  # gitml vs DVC
    scaling: Sequence[tuple[Point, Point]]  # (small, large) pairs, gitml alone
    throughput: Sequence[Throughput]
    file_label: str  # e.g. "1 GiB"
    notes: Sequence[str]  # how it was measured
    raw: Sequence[Result]  # every result, for the list of all runs


def _s(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "-"


def _runs(result: Result) -> str:
    counts = sorted({len(v) for v in result.times.values()})
    return "/".join(str(c) for c in counts) or "0"


def comparison_table(results: Sequence[Result]) -> str:
    rows = [
        "| scenario | gitml median (s) | DVC median (s) | ratio DVC/gitml | target | met | runs |",
        "| --- | ---: | ---: | ---: | ---: | :---: | ---: |",
    ]
    for r in results:
        if r.skipped:
            continue
        sc = r.scenario
        ratio = f"{r.ratio:.1f}x" if r.ratio is not None else "-"
        target = f"≥ {sc.target:g}x" if sc.target is not None else "-"
        met = {True: "yes", False: "**no**", None: "-"}[r.met]
        rows.append(
            f"| {sc.name} | {_s(r.median('gitml'))} | {_s(r.median('dvc'))} | {ratio}"
            f" | {target} | {met} | {_runs(r)} |"
        )
    skipped = [f"- {r.scenario.name}: skipped ({r.skipped})" for r in results if r.skipped]
    return "\n".join(rows + (["", *skipped] if skipped else []))


def scaling_table(pairs: Sequence[tuple[Point, Point]]) -> str:
    if not pairs:
        return "(not run)"
    small, large = pairs[0]
    rows = [
        f"| gitml | {small.files:,} files (s) | {large.files:,} files (s) | growth"
        f" (linear = {large.files / small.files:g}x) | µs per file, {small.files:,}"
        f" | µs per file, {large.files:,} | µs per extra file | runs at {large.files:,} |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for small, large in pairs:
        growth = f"{large.seconds / small.seconds:.1f}x" if small.seconds and large.seconds else "-"
        rows.append(
            f"| {small.label} | {_s(small.seconds)} | {_s(large.seconds)} | {growth}"
            f" | {_us(small.us_per_file)} | {_us(large.us_per_file)}"
            f" | {_us(_marginal(small, large))} | {large.runs} |"
        )
    return "\n".join(rows)


def _marginal(small: Point, large: Point) -> float | None:
    """What each file beyond the small tree's added: the slope, without fixed costs."""
    if small.seconds is None or large.seconds is None:
        return None
    return (large.seconds - small.seconds) / (large.files - small.files) * 1e6


def _us(value: float | None) -> str:
    return f"{value:.0f}" if value is not None else "-"


def throughput_table(items: Sequence[Throughput], label: str) -> str:
    if not items:
        return "(not run)"
    rows = [
        f"| one pass over the {label} file (page cache) | median (s) | GB/s | runs |",
        "| --- | ---: | ---: | ---: |",
    ]
    rows += [f"| {t.label} | {t.seconds:.3f} | {t.gb_per_s:.2f} | {t.runs} |" for t in items]
    return "\n".join(rows)


def machine_lines(m: Machine) -> str:
    versions = "; ".join(f"`{name} --version`: {v}" for name, v in m.versions.items())
    return "\n".join(
        [
            f"- CPUs: {m.cpus} (`nproc`), {m.cpu_model}",
            f"- RAM: {m.ram_gib:.1f} GiB",
            f"- file system of benchmarks/work (`df -T`): {m.filesystem}",
            f"- Linux {m.kernel}, Python {m.python}, {m.git}",
            f"- versions: {versions}; gitml source: commit {m.source}",
            f"- 1-minute load average: {m.load[0]:.1f} at the start, {m.load[1]:.1f} at the end"
            " (anything above 0 is other work sharing the 2 CPUs during the run)",
            f"- date: {m.date}",
            f"- command: `{COMMAND}`",
        ]
    )


def all_runs(results: Sequence[Result]) -> str:
    lines = []
    for r in results:
        for tool, times in r.times.items():
            shown = ", ".join(f"{t:.3f}" for t in times)
            lines.append(f"- {r.scenario.name} — {tool}: {shown}")
    return "\n".join(lines)


def render(rep: Report) -> str:
    return "\n".join(
        [
            "# Benchmarks: gitml vs DVC",
            "",
            f"Written by `{COMMAND}` (benchmarks/run.py); do not edit by hand.",
            "",
            "## Results",
            "",
            comparison_table(rep.results),
            "",
            "## Machine",
            "",
            machine_lines(rep.machine),
            "",
            "## How it was measured",
            "",
            "\n".join(f"- {n}" for n in rep.notes),
            "",
            "## Linear scaling (gitml alone)",
            "",
            scaling_table(rep.scaling),
            "",
            "## Hashing throughput",
            "",
            throughput_table(rep.throughput, rep.file_label),
            "",
            "## Every timed run (s, in run order)",
            "",
            all_runs(rep.raw),
            "",
        ]
    )
