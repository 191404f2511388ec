"""``make bench``: gitml against DVC 3 on the same generated data; writes RESULTS.md.

Not part of the test suite. Installs DVC into benchmarks/work/dvc-venv on first
use, generates the data once into benchmarks/work/data, and runs every scenario
in fresh git repositories under benchmarks/work/repos (all git-ignored).

    python benchmarks/run.py                 # everything, writes benchmarks/RESULTS.md
    python benchmarks/run.py --quick         # small data, writes benchmarks/work/RESULTS-quick.md
    python benchmarks/run.py --only status   # scenarios whose name contains "status"
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchkit import data, data_scenarios, pipeline_scenarios, scaling, throughput
from benchkit.data_scenarios import Names
from benchkit.machine import describe
from benchkit.report import Report, comparison_table, render, scaling_table, throughput_table
from benchkit.scaling import Point
from benchkit.scenario import Result, Runner, Scenario
from benchkit.tools import Tool, base_env, dvc_tool, gitml_tool

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"

NOTES = [
    "Data is generated once, deterministically (seeded), then copied with `cp -R` into each"
    " tool's own fresh `git init` repository (`gitml init -q` / `dvc init -q`); both tools"
    " see byte-identical input.",
    "Outside the timed region, before every run: the state is reset (a fresh repository,"
    " the data folder taken out of the work tree, or one file changed) and `sync` flushes"
    " dirty pages; a repository that was just created and filled has every file read once,"
    " so the page cache is warm for both tools.",
    "A run is the wall time (`time.perf_counter`) around `subprocess.run` of the real CLI:"
    " `gitml` from benchmarks/work/gitml-venv, where `pip install .` puts this checkout at"
    " the start of every `make bench` (a regular install, as users get it: not the"
    " project's editable .venv, whose import hook adds about 15 ms to every start), `dvc`"
    " from benchmarks/work/dvc-venv. When a scenario has two commands (status, then add)"
    " their times are added.",
    "The tools alternate run by run (gitml, DVC, then DVC, gitml, ...); a scenario's time is"
    " the median of its runs (at least 3; `runs` column).",
    "This ext4 has no journal and is mounted with `discard`: deleting a file costs a"
    " synchronous discard, and for a minute or more afterwards creating files near the freed"
    " inodes is several times slower (the inode allocator skips recently deleted inodes)."
    " So nothing is deleted while scenarios run: `checkout` finds its data folder renamed"
    " out of the repository rather than deleted, repositories are deleted at the end, and"
    " the no-op status, re-add and checkout scenarios continue in the repositories the"
    " scenario before them left (data added, nothing changed since) instead of copying and"
    " adding the 20,000 files again.",
    "Writing 1 GiB of new page cache (the copy into or out of a cache in the 1 GiB `add`)"
    " takes from 0.3 s to 3 s from one run to the next on this VM, for both tools; that"
    " scenario therefore has 5 runs, and the list of every run below shows the spread.",
    "Link type: both tools are left at their default, reflink falling back to copy (DVC"
    " `cache.type = reflink,copy`, gitml `cache.type: [reflink, copy]`). ext4 has no"
    " reflinks, so on this machine both copy between cache and work tree.",
    "DVC: analytics and update checks off (`DVC_NO_ANALYTICS=1`, `core.analytics = false`,"
    " `core.check_update = false`); its site cache (state, index) lives under"
    " benchmarks/work and every repository has a path never used before, so no run reuses"
    " another run's DVC state.",
    "`status` is `dvc status` vs `gitml status`; `checkout` is `dvc checkout` vs `gitml"
    " checkout` after deleting the data folder; `repro` is `dvc repro` (dvc.yaml) vs"
    " `gitml repro` (stages.yaml) on the same stages, params and commands.",
    "gitml alone on 200,000 files: `add` is timed once (each run needs a fresh copy of the"
    " tree and deleting the previous one takes minutes here), no-op `status` three times.",
    "The machine is shared: other work may run at the same time (see the load average"
    " above); alternating the tools and taking medians spreads that over both.",
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=3, help="runs per scenario and tool (min 3)")
    p.add_argument("--only", action="append", default=[], help="name substring (repeatable)")
    p.add_argument("--tools", default="gitml,dvc", help="comma-separated subset of gitml,dvc")
    p.add_argument("--quick", action="store_true", help="small data for trying the harness")
    p.add_argument("--no-scaling", action="store_true", help="skip gitml on the large tree")
    p.add_argument("--no-throughput", action="store_true", help="skip the hashing throughput")
    p.add_argument("--output", type=Path, help="where to write the report")
    return p.parse_args(argv)


def make_tools(names: list[str]) -> list[Tool]:
    home = WORK / "home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    env = base_env(home)
    makers = {
        "gitml": lambda: gitml_tool(WORK, env, WORK / "gitml-pip.log"),
        "dvc": lambda: dvc_tool(WORK, env, WORK / "pip.log"),
    }
    tools = [makers[n]() for n in names]
    for tool in tools:  # untimed warm-up: writes each tool's bytecode cache
        tool.version()
    return tools


def select(scenarios: list[Scenario], only: list[str]) -> list[Scenario]:
    return [s for s in scenarios if not only or any(o.lower() in s.name.lower() for o in only)]


@dataclass(frozen=True, slots=True)
class Profile:
    file: data.FileSpec
    file_label: str
    tree: data.TreeSpec
    large_tree: data.TreeSpec  # gitml alone, ten times the files


FULL = Profile(
    data.FileSpec("file-1gib.bin", 1 << 30),
    "1 GiB",
    data.TreeSpec("tree-20k", 20_000, 100),
    data.TreeSpec("tree-200k", 200_000, 1000, seed=200_000),
)
QUICK = Profile(
    data.FileSpec("file-64mib.bin", 64 << 20),
    "64 MiB",
    data.TreeSpec("tree-2k", 2_000, 10),
    data.TreeSpec("tree-20k-large", 20_000, 100, seed=200_000),
)


def run_scaling(
    runner: Runner, prof: Profile, small: list[Result], only: list[str]
) -> tuple[list[Result], list[tuple[Point, Point]]]:
    """gitml on the large tree, paired with its times on the small one."""
    large = data.ensure(prof.large_tree, WORK / "data")
    by_name = {r.scenario.name: r for r in small}
    results, pairs = [], []
    for sc, small_name in scaling.scenarios(large, prof.large_tree, Names.of(prof.tree)):
        if select([sc], only):
            r = runner.run(sc)
            results.append(r)
            verb = sc.name.split("`")[1]
            pairs.append(
                (
                    scaling.point(verb, prof.tree.files, by_name.get(small_name)),
                    scaling.point(verb, prof.large_tree.files, r),
                )
            )
    return results, pairs


def measure(args: argparse.Namespace, prof: Profile, runner: Runner) -> Report:
    load_at_start = os.getloadavg()[0]
    big_file = data.ensure(prof.file, WORK / "data")
    tree = data.ensure(prof.tree, WORK / "data")
    inputs = data_scenarios.Inputs(big_file, tree, prof.tree)
    compared = data_scenarios.scenarios(inputs, prof.file_label)
    compared += pipeline_scenarios.scenarios(tree, prof.tree.files)
    results = [runner.run(sc) for sc in select(compared, args.only)]
    scaled: list[Result] = []
    pairs: list[tuple[Point, Point]] = []
    if not args.no_scaling and any(t.name == "gitml" for t in runner.tools):
        scaled, pairs = run_scaling(runner, prof, results, args.only)
    tp = [] if args.no_throughput else throughput.measure(big_file, max(args.reps, 3))
    machine = describe(WORK, runner.tools, load_at_start)
    return Report(machine, results, pairs, tp, prof.file_label, NOTES, [*results, *scaled])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    prof = QUICK if args.quick else FULL
    tools = make_tools([n.strip() for n in args.tools.split(",") if n.strip()])
    runner = Runner(tools, WORK, max(args.reps, 3))
    if runner.close():
        print("waiting 60 s: files deleted just now slow down creating new ones", flush=True)
        time.sleep(60)
    shutil.rmtree(WORK / "dvc-site-cache", ignore_errors=True)
    report = measure(args, prof, runner)
    out = args.output or (WORK / "RESULTS-quick.md" if args.quick else HERE / "RESULTS.md")
    out.write_text(render(report))
    for table in (
        comparison_table(report.results),
        scaling_table(report.scaling),
        throughput_table(report.throughput, report.file_label),
    ):
        print(f"\n{table}")
    print(f"\nwrote {out}")
    runner.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
