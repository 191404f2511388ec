"""A scenario: untimed setup in a fresh git repo, then timed commands per tool.

Runs alternate between the tools (gitml, dvc, then dvc, gitml, ...) and each
tool's time is the median of its runs. A scenario whose commands change the
repository either sets ``fresh`` (new repo and setup before every run) or has a
``reset`` that restores the state before every run; both happen outside the
timed region. A new repository is then settled (sync, every file read once so
the page cache is warm); later runs in the same repository only sync.

``continues`` names the scenario just before whose final repositories this one
may start from instead of running its own setup (the same state, reached
without copying and adding 20,000 files again). Run alone (``--only``), it
runs its own setup.

Nothing is deleted while scenarios run: repositories stay until :meth:`close`.
On this ext4 (no journal, mounted with ``discard``) every deleted file costs a
synchronous discard, and for a minute or more afterwards creating files near
the deleted inodes is several times slower (the allocator skips recently
deleted inodes), which would slow whichever tool runs next.
"""

from __future__ import annotations

import os
import shutil
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchkit.data import settle
from benchkit.tools import Tool

Cmds = Sequence[Sequence[str]]  # commands timed one after another, times summed
Setup = Callable[[Tool, Path], None]  # (tool, repo) -> None
Reset = Callable[[Tool, Path, int], None]  # (tool, repo, run index) -> None
Check = Callable[[Tool], "str | None"]  # a reason to skip, or None


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    target: float | None  # the DVC/gitml time ratio to reach; None: report only
    setup: Setup | None  # untimed, once per repo (every run when ``fresh``)
    gitml_cmds: Cmds | None  # None: this tool does not run the scenario
    dvc_cmds: Cmds | None
    reset: Reset | None = None  # untimed, before every timed run
    fresh: bool = False  # a new repo for every run (the commands mutate it)
    repo: bool = True  # False: run in an empty folder outside any repository
    requires: Check | None = None
    reps: int | None = None  # overrides the global repetition count
    continues: str | None = None  # start from the repos this scenario left (see above)
    note: str = ""

    def cmds(self, tool: str) -> Cmds | None:
        return {"gitml": self.gitml_cmds, "dvc": self.dvc_cmds}.get(tool)


@dataclass(slots=True)
class Result:
    scenario: Scenario
    times: dict[str, list[float]] = field(default_factory=dict)
    skipped: str | None = None

    def median(self, tool: str) -> float | None:
        runs = self.times.get(tool)
        return statistics.median(runs) if runs else None

    @property
    def ratio(self) -> float | None:
        g, d = self.median("gitml"), self.median("dvc")
        return d / g if g and d else None

    @property
    def met(self) -> bool | None:
        if self.scenario.target is None or self.ratio is None:
            return None
        return self.ratio >= self.scenario.target


class Runner:
    def __init__(self, tools: Sequence[Tool], work: Path, reps: int) -> None:
        self.tools = list(tools)
        self.repos = work / "repos"
        self.reps = reps
        self._serial = 0
        self._left: tuple[str, dict[str, Path]] | None = None  # (scenario, tool -> repo)

    def run(self, sc: Scenario) -> Result:
        result = Result(sc)
        tools = [t for t in self.tools if sc.cmds(t.name) is not None]
        for tool in tools:
            reason = sc.requires(tool) if sc.requires else None
            if reason:
                result.skipped = f"{tool.name}: {reason}"
                return result
        if not tools:
            result.skipped = "no selected tool runs this scenario"
            return result
        print(f"== {sc.name}", flush=True)
        repos = self._inherit(sc)
        reps = sc.reps or self.reps
        try:
            for i in range(reps):
                order = tools if i % 2 == 0 else tools[::-1]
                for tool in order:
                    elapsed = self._one(sc, tool, repos, i)
                    result.times.setdefault(tool.name, []).append(elapsed)
                    print(f"   run {i + 1}/{reps} {tool.name:5} {elapsed:8.3f} s", flush=True)
        finally:
            self._left = (sc.name, repos)
        return result

    def _inherit(self, sc: Scenario) -> dict[str, Path]:
        """The previous scenario's repos when ``sc`` continues it; otherwise none."""
        left, self._left = self._left, None
        if left is None:
            return {}
        name, repos = left
        if sc.continues is not None and sc.continues == name and not sc.fresh:
            print(f"   (continuing in the repositories of: {name})", flush=True)
            return repos
        return {}

    def close(self) -> bool:
        """Delete every repository made (slow on this disk); whether there were any."""
        self._left = None
        if not self.repos.exists():
            return False
        print(f"deleting {self.repos} (a discard per file on this disk: takes a while) ...")
        shutil.rmtree(self.repos)
        os.sync()
        return True

    def _one(self, sc: Scenario, tool: Tool, repos: dict[str, Path], i: int) -> float:
        old = repos.get(tool.name)
        if old is None or sc.fresh:
            repo, new = self._new_repo(sc, tool), True
            repos[tool.name] = repo
        else:
            repo, new = old, False
        if sc.reset:
            sc.reset(tool, repo, i)
        if new:
            settle(repo)
        else:
            os.sync()
        cmds = sc.cmds(tool.name) or ()
        return sum(tool.run(cmd, repo) for cmd in cmds)

    def _new_repo(self, sc: Scenario, tool: Tool) -> Path:
        # A path never used before: DVC keys its site cache (state, index) by repo path.
        self._serial += 1
        slug = "".join(c if c.isalnum() else "-" for c in sc.name.lower()).strip("-")[:40]
        path = self.repos / f"{self._serial:03d}-{tool.name}-{slug}"
        if sc.repo:
            tool.init_repo(path)
        else:
            path.mkdir(parents=True)
        if sc.setup:
            sc.setup(tool, path)
        return path
