"""A failing stage: exit 1, the command and its exit code named, the lock untouched."""

from __future__ import annotations

import json

import pytest

from .helpers import Pipe

STAGES = """
stages:
  up:
    cmd: echo up > up.txt && echo up >> runs.log
    outs: [up.txt]
  flaky:
    cmd:
      - cat up.txt > flaky.txt
      - echo flaky >> runs.log
      - echo flaky says goodbye; exit $(cat code.txt)
    deps: [up.txt, code.txt]
    outs: [flaky.txt]
  down:
    cmd: cat flaky.txt > down.txt && echo down >> runs.log
    deps: [flaky.txt]
    outs: [down.txt]
  indep:
    cmd: echo {indep} > indep.txt && echo indep >> runs.log
    outs: [indep.txt]
"""


@pytest.fixture
def failing(pipe: Pipe) -> Pipe:
    """The pipeline ran once; now ``flaky`` exits 3 and ``indep`` changed."""
    pipe.gen({"code.txt": "0\n"})
    pipe.stages(STAGES.format(indep="one"))
    pipe.commit()
    pipe.ok("repro")
    pipe.gen({"code.txt": "3\n", "runs.log": ""})
    pipe.stages(STAGES.format(indep="two"))
    return pipe


def test_failing_stage(failing: Pipe) -> None:
    before = failing.lock_bytes()
    result = failing.fails("repro")
    err = result.err.splitlines()
    assert (
        "gitml: stage flaky: `echo flaky says goodbye; exit $(cat code.txt)`"
        " failed with exit code 3" in err
    )
    assert err[-1] == (
        "error: stage flaky failed with exit code 3 — fix the command and run"
        " `gitml repro` again; stages.lock was not changed for it"
    )
    assert "flaky says goodbye" in result.out  # the stage's own output is shown
    assert failing.lock_bytes() == before
    # downstream (and, without --keep-going, everything after) did not run
    assert failing.lines("runs.log") == ["flaky"]
    assert not failing.exists("down.txt") or failing.read("down.txt") == "up\n"
    assert failing.read("indep.txt") == "one\n"
    dry = failing.ok("repro", "--dry").out.splitlines()
    assert "flaky: would run (dep code.txt changed" in dry[1]


def test_keep_going_runs_independent_stages(failing: Pipe) -> None:
    before = failing.lock()
    result = failing.fails("repro", "--keep-going")
    assert "gitml: stage down: not run, an upstream stage failed" in result.err.splitlines()
    assert failing.lines("runs.log") == ["flaky", "indep"]
    assert failing.read("indep.txt") == "two\n"
    after = failing.lock()
    assert after["flaky"] == before["flaky"]
    assert after["down"] == before["down"]
    assert after["indep"] != before["indep"]


def test_keep_going_with_jobs(failing: Pipe) -> None:
    result = failing.fails("repro", "-k", "-j", "2")
    assert "[flaky] flaky says goodbye" in result.out.splitlines()
    assert sorted(failing.lines("runs.log")) == ["flaky", "indep"]


def test_lock_keeps_the_last_successful_run(failing: Pipe) -> None:
    failing.fails("repro")
    # back to the inputs of the last successful run: nothing to redo for flaky
    failing.gen({"code.txt": "0\n"})
    failing.ok("repro")
    assert failing.lines("runs.log") == ["flaky", "indep"]
    assert failing.ok("repro", "--dry").out.count("(up to date)") == 4
    # a real fix (here: a new input) runs it and what it feeds
    failing.gen({"code.txt": "00\n"})
    failing.ok("repro")
    assert failing.lines("runs.log") == ["flaky", "indep", "flaky"]
    assert failing.lock()["flaky"]["deps"][1]["hash"].startswith("xxh128:")


def test_failing_stage_json(failing: Pipe) -> None:
    result = failing.fails("repro", "--keep-going", "--json")
    doc = json.loads(result.out)
    actions = {s["stage"]: (s["action"], s["exit_code"]) for s in doc["stages"]}
    assert actions == {
        "up": ("skipped", None),
        "flaky": ("failed", 3),
        "down": ("blocked", None),
        "indep": ("ran", 0),
    }
