"""Choosing stages: targets, foreach groups, -s, --downstream, -f."""

from __future__ import annotations

import pytest

from .helpers import Pipe

CHAIN = """
stages:
  a:
    cmd: echo a > a.txt && echo a >> runs.log
    outs: [a.txt]
  b:
    cmd: cat a.txt > b.txt && echo b >> runs.log
    deps: [a.txt]
    outs: [b.txt]
  c:
    foreach: [1, 2]
    cmd: cat b.txt > c${item}.txt && echo c${item} >> runs.log
    deps: [b.txt]
    outs:
      - c${item}.txt
  other:
    cmd: echo o > o.txt && echo other >> runs.log
    outs: [o.txt]
"""


@pytest.fixture
def chain(pipe: Pipe) -> Pipe:
    pipe.stages(CHAIN)
    pipe.commit()
    return pipe


def test_target_runs_its_upstream(chain: Pipe) -> None:
    chain.ok("repro", "c@1")
    assert chain.lines("runs.log") == ["a", "b", "c1"]
    assert set(chain.lock()) == {"a", "b", "c@1"}


def test_foreach_group_name_targets_every_item(chain: Pipe) -> None:
    chain.ok("repro", "c")
    assert chain.lines("runs.log") == ["a", "b", "c1", "c2"]
    dry = chain.ok("repro", "--dry", "c").out.splitlines()
    assert dry == [
        "a: skipped (up to date)",
        "b: skipped (up to date)",
        "c@1: skipped (up to date)",
        "c@2: skipped (up to date)",
    ]


def test_no_target_means_everything(chain: Pipe) -> None:
    chain.ok("repro")
    assert chain.lines("runs.log") == ["a", "b", "c1", "c2", "other"]


def test_single_item_runs_only_the_target(chain: Pipe) -> None:
    chain.ok("repro", "a")
    chain.ok("repro", "--single-item", "b")
    chain.ok("repro", "-s", "c@2")
    assert chain.lines("runs.log") == ["a", "b", "c2"]
    assert set(chain.lock()) == {"a", "b", "c@2"}


def test_single_item_skips_stale_upstream(chain: Pipe) -> None:
    chain.ok("repro")
    chain.stages(CHAIN.replace("echo a > a.txt", "echo A > a.txt"))
    dry = chain.ok("repro", "--dry", "-s", "b").out.splitlines()
    assert dry == ["b: skipped (up to date)"]
    chain.ok("repro", "-s", "-f", "b")
    assert chain.lines("runs.log")[-1] == "b"
    assert chain.read("b.txt") == "a\n"


def test_downstream(chain: Pipe) -> None:
    chain.ok("repro")
    chain.gen({"runs.log": ""})
    chain.stages(CHAIN.replace("cat a.txt > b.txt", "cat a.txt a.txt > b.txt"))
    dry = chain.ok("repro", "--dry", "--downstream", "b").out.splitlines()
    assert [line.split(":")[0] for line in dry] == ["b", "c@1", "c@2"]
    chain.ok("repro", "--downstream", "b")
    assert chain.lines("runs.log") == ["b", "c1", "c2"]
    assert chain.read("c1.txt") == "a\na\n"


def test_force_runs_up_to_date_targets_only(chain: Pipe) -> None:
    chain.ok("repro")
    chain.gen({"runs.log": ""})
    explain = chain.ok("repro", "-f", "b", "--explain").err.splitlines()
    assert "gitml: stage b: running (forced with --force)" in explain
    assert "gitml: stage a: up to date" in explain
    # b's output is unchanged, so c stays up to date
    assert chain.lines("runs.log") == ["b"]


def test_force_without_targets_runs_everything_without_the_run_cache(chain: Pipe) -> None:
    chain.ok("repro")
    chain.gen({"runs.log": ""})
    chain.ok("repro", "--force")
    assert chain.lines("runs.log") == ["a", "b", "c1", "c2", "other"]


def test_unknown_target_suggests(chain: Pipe) -> None:
    before = chain.snapshot()
    result = chain.fails("repro", "othr")
    assert result.err == "error: no stage named 'othr' in stages.yaml — did you mean 'other'?\n"
    result = chain.fails("repro", "cc")
    assert "did you mean 'c'?" in result.err
    result = chain.fails("repro", "zzzzzz")
    assert "no stage named 'zzzzzz' in stages.yaml — see `gitml stage list`" in result.err
    assert chain.snapshot() == before
    assert not chain.exists("runs.log")
