"""A bad stages.yaml gives one line naming ``stages.yaml:LINE:COL`` and changes nothing."""

from __future__ import annotations

import re

import pytest

from .helpers import Pipe

ERROR = re.compile(r"^error: stages\.yaml:(\d+):(\d+): (.*)$")


def one_error(pipe: Pipe, *args: str) -> tuple[int, int, str]:
    """Run ``gitml ARGS``, check it fails with one located line and no change on disk."""
    before = pipe.snapshot()
    result = pipe.fails(*args)
    assert pipe.snapshot() == before
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    match = ERROR.match(lines[0])
    assert match, lines[0]
    return int(match.group(1)), int(match.group(2)), match.group(3)


CASES = {
    "bad indentation": (
        """
        stages:
          a:
            cmd: echo hi
           outs: [a.txt]
        """,
        (4, 4),
        ["invalid YAML"],
    ),
    "duplicate key": (
        """
        stages:
          a:
            cmd: echo hi
            cmd: echo ho
        """,
        (4, 5),
        ["invalid YAML", 'duplicate key "cmd"'],
    ),
    "unknown stage key": (
        """
        stages:
          a:
            cmd: echo hi
            dep: [src.txt]
        """,
        (4, 5),
        ["stages.a.dep: unknown key", "did you mean 'deps'?"],
    ),
    "unknown top-level key": (
        """
        stage:
          a:
            cmd: echo hi
        """,
        (1, 1),
        ["stage: unknown key", "did you mean 'stages'?"],
    ),
    "wrong type: deps is a string": (
        """
        stages:
          a:
            cmd: echo hi
            deps: src.txt
        """,
        (4, 5),
        ["stages.a.deps: must be array"],
    ),
    "wrong type: frozen is a string": (
        """
        stages:
          a:
            cmd: echo hi
            outs: [a.txt]
            frozen: "yes"
        """,
        (5, 5),
        ["stages.a.frozen: must be boolean"],
    ),
    "missing cmd": (
        """
        stages:
          a:
            outs: [a.txt]
        """,
        (2, 3),
        ["stages.a", "missing required key 'cmd'"],
    ),
    "undefined interpolation": (
        """
        stages:
          a:
            cmd: echo ${undefined} > a.txt
            outs: [a.txt]
        """,
        (3, 5),
        ["stages.a.cmd", "${undefined} is not defined"],
    ),
    "misspelt interpolation": (
        """
        stages:
          a:
            cmd: echo hi > a.txt
            outs:
              - ${trian.lr}.txt
        """,
        (5, 9),
        ["${trian.lr} is not defined", "did you mean ${train}?"],
    ),
    "foreach and matrix together": (
        """
        stages:
          a:
            foreach: [x, y]
            matrix:
              n: [1, 2]
            cmd: echo hi
        """,
        (4, 5),
        ["stages.a.matrix", "use foreach or matrix, not both"],
    ),
    "absolute output path": (
        """
        stages:
          a:
            cmd: echo hi
            outs: [/tmp/a.txt]
        """,
        (4, 12),
        ["stages.a.outs.0", "absolute path '/tmp/a.txt'"],
    ),
    "dep leaving the repository": (
        """
        stages:
          a:
            cmd: echo hi
            deps:
              - src.txt
              - ../secret.txt
            outs: [a.txt]
        """,
        (6, 9),
        ["stages.a.deps.1", "path '../secret.txt' leaves the repository"],
    ),
    "dep leaving the repository through wdir": (
        """
        stages:
          a:
            wdir: sub
            cmd: echo hi
            outs: [../../a.txt]
        """,
        (5, 12),
        ["stages.a.outs.0", "leaves the repository"],
    ),
    "two stages writing one output": (
        """
        stages:
          a:
            cmd: echo a > out.txt
            outs: [out.txt]
          b:
            cmd: echo b > out.txt
            outs: [out.txt]
        """,
        (7, 12),
        ["stages.b.outs.0", "output out.txt is also an output of stage a"],
    ),
    "overlapping outputs": (
        """
        stages:
          a:
            cmd: mkdir -p data && echo a > data/x.txt
            outs: [data]
          b:
            cmd: echo b > data/y.txt
            outs: [data/y.txt]
        """,
        (5, 3),
        ["stages.b", "output data/y.txt lies inside output data of stage a"],
    ),
    "stage depending on its own output": (
        """
        stages:
          a:
            cmd: echo a > a.txt
            deps: [a.txt]
            outs: [a.txt]
        """,
        (4, 12),
        ["stages.a.deps.0", "depends on its own output a.txt"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_stages_yaml_is_one_located_line(pipe: Pipe, case: str) -> None:
    text, (line, col), fragments = CASES[case]
    pipe.params("train:\n  lr: 0.1\n")
    pipe.gen({"src.txt": "source\n"})
    pipe.stages(text)
    pipe.commit()
    got_line, got_col, message = one_error(pipe, "repro")
    assert (got_line, got_col) == (line, col), message
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize("command", [["repro", "--dry"], ["dag"], ["stage", "list"], ["status"]])
def test_every_pipeline_command_reports_the_same_error(pipe: Pipe, command: list[str]) -> None:
    pipe.stages(CASES["unknown stage key"][0])
    pipe.gen({"src.txt": "source\n"})
    pipe.commit()
    line, col, message = one_error(pipe, *command)
    assert (line, col) == (4, 5)
    assert "did you mean 'deps'?" in message


def test_cycle_lists_its_stages_in_order(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          a:
            cmd: cat c.txt > a.txt
            deps: [c.txt]
            outs: [a.txt]
          b:
            cmd: cat a.txt > b.txt
            deps: [a.txt]
            outs: [b.txt]
          c:
            cmd: cat b.txt > c.txt
            deps: [b.txt]
            outs: [c.txt]
          d:
            cmd: echo d > d.txt
            outs: [d.txt]
        """
    )
    pipe.commit()
    line, col, message = one_error(pipe, "repro")
    found = re.search(r"dependency cycle: ([\w -]+?>[\w >-]+)", message)
    assert found, message
    cycle = [s.strip() for s in found.group(1).split("->")]
    assert cycle[0] == cycle[-1], cycle
    # each stage feeds the next: a -> b -> c -> a, starting anywhere
    ring = ["a", "b", "c"]
    start = ring.index(cycle[0])
    assert cycle == [*ring[start:], *ring[:start], cycle[0]]
    # located at the definition of the stage the message starts with
    lines = (pipe.root / "stages.yaml").read_text().splitlines()
    assert lines[line - 1] == f"  {cycle[0]}:"
    assert col == 3


def test_two_stage_cycle(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          a:
            cmd: cat b.txt > a.txt
            deps: [b.txt]
            outs: [a.txt]
          b:
            cmd: cat a.txt > b.txt
            deps: [a.txt]
            outs: [b.txt]
        """
    )
    pipe.commit()
    _, _, message = one_error(pipe, "repro")
    assert "dependency cycle: a -> b -> a" in message or "dependency cycle: b -> a -> b" in message


MARKER_STAGE = """
stages:
  first:
    cmd: echo ran > marker.txt
    outs: [marker.txt]
  second:
    cmd: cat marker.txt {dep} > second.txt
    deps:
      - marker.txt
      - {dep}
    outs: [second.txt]
"""


def test_unknown_dep_is_reported_before_anything_runs(pipe: Pipe) -> None:
    pipe.stages(MARKER_STAGE.format(dep="data/nowhere.csv"))
    pipe.commit()
    line, col, message = one_error(pipe, "repro")
    assert (line, col) == (9, 9)
    assert "stages.second.deps.1" in message
    assert "dependency data/nowhere.csv does not exist and no stage produces it" in message
    assert not pipe.exists("marker.txt")
    assert not pipe.exists("stages.lock")


def test_dep_ignored_by_git_and_not_tracked_is_refused(pipe: Pipe) -> None:
    pipe.stages(MARKER_STAGE.format(dep="scratch.csv"))
    pipe.gen({".gitignore": "/scratch.csv\n"})
    pipe.commit()
    pipe.gen({"scratch.csv": "1,2\n"})
    line, col, message = one_error(pipe, "repro")
    assert (line, col) == (9, 9)
    assert "dependency scratch.csv is ignored by git and not tracked by gitml" in message
    assert "gitml add scratch.csv" in message
    assert not pipe.exists("marker.txt")


def test_deps_known_to_git_or_gitml_are_accepted(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          use:
            cmd: cat src.txt data/raw/one.csv new.txt > used.txt
            deps: [src.txt, data/raw/one.csv, new.txt]
            outs: [used.txt]
        """
    )
    pipe.gen({"src.txt": "committed\n", "data/raw/one.csv": "1\n"})
    pipe.ok("add", "data/raw")  # a file inside a gitml-tracked folder
    pipe.commit()
    pipe.gen({"new.txt": "untracked but not ignored\n"})
    pipe.ok("repro")
    assert pipe.read("used.txt") == "committed\n1\nuntracked but not ignored\n"


def test_missing_param_is_located_and_reported_before_anything_runs(pipe: Pipe) -> None:
    pipe.params(
        """
        train:
          lr: 0.1
        """
    )
    pipe.stages(
        """
        stages:
          first:
            cmd: echo ran > marker.txt
            outs: [marker.txt]
          train:
            cmd: cat marker.txt > model.txt
            deps: [marker.txt]
            params:
              - train.lr
              - train.epochs
            outs: [model.txt]
        """
    )
    pipe.commit()
    line, col, message = one_error(pipe, "repro")
    assert (line, col) == (10, 9)
    assert "stages.train.params.1" in message
    assert "'train.epochs' is not defined in params.yaml" in message
    assert not pipe.exists("marker.txt")


def test_missing_params_file_is_located(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          train:
            cmd: echo hi > model.txt
            params:
              - other.yaml: [lr]
            outs: [model.txt]
        """
    )
    pipe.commit()
    line, col, message = one_error(pipe, "repro")
    assert (line, col) == (5, 9)
    assert "params file other.yaml does not exist" in message


def test_bad_foreach_value(pipe: Pipe) -> None:
    pipe.params("splits: {}\n")
    pipe.stages(
        """
        stages:
          ev:
            foreach: ${splits}
            cmd: echo ${item}
        """
    )
    pipe.commit()
    line, col, message = one_error(pipe, "repro")
    assert (line, col) == (3, 5)
    assert "foreach needs a non-empty list or mapping" in message
