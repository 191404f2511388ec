"""Behaviour fixed after a review of the docs against the code."""

from __future__ import annotations

from .helpers import Pipe

PREPARE_TRAIN = """
stages:
  prepare:
    cmd: mkdir -p data/prepared && echo ${prepare.n} > data/prepared/train.txt
    params: [prepare.n]
    outs: [data/prepared]
  train:
    cmd: cat data/prepared/train.txt > model.txt && echo train >> runs.log
    deps: [data/prepared/train.txt]
    outs: [model.txt]
"""


def test_dry_sees_a_dep_inside_a_rebuilt_folder_output(pipe: Pipe) -> None:
    pipe.params("prepare:\n  n: 1\n")
    pipe.stages(PREPARE_TRAIN)
    pipe.commit()
    pipe.ok("repro")
    pipe.params("prepare:\n  n: 2\n")
    dry = pipe.ok("repro", "--dry").out.splitlines()
    assert dry[1] == (
        "train: would run (dep data/prepared/train.txt will be rebuilt by stage prepare)"
    )


def test_strict_env_reruns_instead_of_restoring(pipe: Pipe) -> None:
    pipe.params("prepare:\n  n: 1\n")
    pipe.stages(PREPARE_TRAIN)
    pipe.commit()
    pipe.ok("repro")
    lock = pipe.lock_bytes().decode().replace("python: ", "python: 0.0.0-was-", 2)
    pipe.gen({"stages.lock": lock})
    explain = pipe.ok("repro", "--strict-env", "--explain").err
    assert "restored from the run cache" not in explain
    assert "stage train: running (environment changed: python 0.0.0-was-" in explain
    assert pipe.lines("runs.log") == ["train", "train"]


def test_persist_outputs_are_not_restored_from_the_run_cache(pipe: Pipe) -> None:
    pipe.params("n: 1\n")
    pipe.stages(
        """
        stages:
          grow:
            cmd: echo ${n} >> log.txt
            params: [n]
            outs:
              - log.txt: {persist: true}
        """
    )
    pipe.commit()
    pipe.ok("repro")
    pipe.params("n: 2\n")
    pipe.ok("repro")
    pipe.params("n: 1\n")
    pipe.ok("repro")
    assert pipe.lines("log.txt") == ["1", "2", "1"]


def test_summary_counts_failed_and_blocked_apart(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          bad:
            cmd: exit 3
            outs: [bad.txt]
          after:
            cmd: cp bad.txt after.txt
            deps: [bad.txt]
            outs: [after.txt]
          fine:
            cmd: echo ok > fine.txt
            outs: [fine.txt]
        """
    )
    pipe.commit()
    result = pipe.fails("repro", "--keep-going")
    assert result.out.strip() == "stages: 1 ran, 1 failed, 1 blocked by a failure"


def test_status_of_a_stage_output_points_at_the_pipeline(pipe: Pipe) -> None:
    pipe.params("prepare:\n  n: 1\n")
    pipe.stages(PREPARE_TRAIN)
    pipe.commit()
    pipe.ok("repro")
    err = pipe.fails("status", "model.txt").err
    assert "model.txt: is an output of stage train, tracked by stages.lock" in err
    assert "gitml add" not in err


def test_gc_keeps_what_another_worktree_uses(pipe: Pipe) -> None:
    repo = pipe.repo
    repo.gen({"base.txt": "base\n"})
    repo.ok("add", "base.txt")
    repo.commit("base")
    other = repo.root.parent / "wt"
    repo.git("worktree", "add", "-q", "-b", "exp", str(other))
    (other / "model.bin").write_bytes(b"only in the other worktree, uncommitted")
    repo.ok("add", "model.bin", cwd=other)
    result = repo.ok("gc", "--dry-run")
    assert "would remove 0 object(s)" in result.out
