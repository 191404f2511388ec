"""gitml alone on a ten times larger tree: does the cost grow linearly?"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchkit.data import TreeSpec, copy_into
from benchkit.data_scenarios import ADD, STATUS, Names
from benchkit.scenario import Result, Scenario
from benchkit.tools import Tool


def scenarios(tree: Path, spec: TreeSpec, small: Names) -> list[tuple[Scenario, str]]:
    """The large-tree scenarios, each with the name of its small-tree counterpart."""

    def copy(tool: Tool, repo: Path) -> None:
        copy_into(tree, repo / "data")

    def tracked(tool: Tool, repo: Path) -> None:
        copy(tool, repo)
        tool.run(["add", "data"], repo)

    add = f"gitml `add` of {spec.files:,} files"
    return [
        (
            # One run only: each run needs a fresh copy of the tree, and deleting the
            # previous one (twice the files, with its cache) takes minutes on this disk.
            Scenario(add, None, copy, ADD, None, fresh=True, reps=1),
            small.add_tree,
        ),
        (
            Scenario(
                f"gitml no-op `status` on {spec.files:,} files",
                None,
                tracked,
                STATUS,
                None,
                continues=add,
            ),
            small.noop_status,
        ),
    ]


@dataclass(frozen=True, slots=True)
class Point:
    label: str
    files: int
    seconds: float | None
    runs: int

    @property
    def us_per_file(self) -> float | None:
        return self.seconds / self.files * 1e6 if self.seconds else None


def point(label: str, files: int, result: Result | None) -> Point:
    if result is None:
        return Point(label, files, None, 0)
    return Point(label, files, result.median("gitml"), len(result.times.get("gitml", [])))
