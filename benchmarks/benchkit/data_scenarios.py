"""The data-tracking scenarios: add, status, re-add, checkout, --version."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from benchkit.data import TreeSpec, copy_into
from benchkit.scenario import Scenario
from benchkit.tools import Tool

ADD = [["add", "data"]]
STATUS = [["status"]]


@dataclass(frozen=True, slots=True)
class Inputs:
    big_file: Path  # one large file
    tree: Path  # the many-small-files folder
    tree_spec: TreeSpec


def copy_big(tool: Tool, repo: Path, inputs: Inputs) -> None:
    copy_into(inputs.big_file, repo / "data")


def copy_tree(tool: Tool, repo: Path, inputs: Inputs) -> None:
    copy_into(inputs.tree, repo / "data")


def tracked_tree(tool: Tool, repo: Path, inputs: Inputs) -> None:
    copy_tree(tool, repo, inputs)
    for cmd in ADD:
        tool.run(cmd, repo)


def change_one_file(repo: Path, spec: TreeSpec, run: int) -> None:
    """Overwrite one file (a different one each run) with new content of the same size."""
    index = (run * 7919 + 4242) % spec.files
    path = repo / "data" / spec.rel(index)
    size = path.stat().st_size
    path.chmod(0o644)  # a link to a read-only cache object would be replaced, not written
    path.unlink()
    path.write_bytes(random.Random(f"change-{run}").randbytes(size))


def delete_tree(tool: Tool, repo: Path, run: int) -> None:
    """Take the data folder out of the work tree (moved aside: see scenario.py on deleting)."""
    (repo / "data").rename(repo.with_name(f"{repo.name}.deleted-{run}"))


@dataclass(frozen=True, slots=True)
class Names:
    """Scenario names other scenarios refer to (``continues``, the scaling pairs)."""

    add_tree: str
    noop_status: str
    re_add: str

    @classmethod
    def of(cls, spec: TreeSpec) -> Names:
        n = f"{spec.files:,}"
        return cls(
            f"`add` a directory of {n} files of 1-4 KiB in {spec.folders} folders",
            f"no-op `status` on the {n}-file directory",
            f"`status` + re-`add` after changing 1 of the {n} files",
        )


def scenarios(inputs: Inputs, big_label: str) -> list[Scenario]:
    n = f"{inputs.tree_spec.files:,}"
    names = Names.of(inputs.tree_spec)
    add_tree, noop_status, re_add = names.add_tree, names.noop_status, names.re_add
    checkout = f"`checkout` of the {n} files after deleting them (copy)"
    return [
        Scenario(
            f"`add` one {big_label} file (in page cache)",
            3.0,
            lambda t, r: copy_big(t, r, inputs),
            ADD,
            ADD,
            fresh=True,
            reps=5,  # writing 1 GiB of new page cache varies a lot on this VM
        ),
        Scenario(
            add_tree,
            5.0,
            lambda t, r: copy_tree(t, r, inputs),
            ADD,
            ADD,
            fresh=True,
        ),
        Scenario(
            noop_status,
            10.0,
            lambda t, r: tracked_tree(t, r, inputs),
            STATUS,
            STATUS,
            continues=add_tree,
            reps=5,
        ),
        Scenario(
            re_add,
            10.0,
            lambda t, r: tracked_tree(t, r, inputs),
            [*STATUS, *ADD],
            [*STATUS, *ADD],
            reset=lambda t, r, i: change_one_file(r, inputs.tree_spec, i),
            continues=noop_status,
        ),
        Scenario(
            checkout,
            4.0,
            lambda t, r: tracked_tree(t, r, inputs),
            [["checkout"]],
            [["checkout"]],
            reset=delete_tree,
            continues=re_add,
        ),
        Scenario(
            f"pre-commit hook on the {n}-file directory, nothing changed",
            None,  # the bound is absolute: under 0.3 s
            lambda t, r: tracked_tree(t, r, inputs),
            [["hook", "pre-commit"]],
            [["git-hook", "pre-commit"]],
            continues=checkout,
            reps=5,
            note="gitml's default policy (artifacts-committed, pipeline-fresh); "
            "DVC's hook runs `dvc status`",
        ),
        Scenario(
            "`--version` wall time",
            2.0,
            None,
            [["--version"]],
            [["--version"]],
            repo=False,
            reps=7,
        ),
    ]
