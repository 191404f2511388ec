"""Why a stage runs: every cause, as ``repro --dry``, ``repro --explain`` and ``status`` say it."""

from __future__ import annotations

import json
import os
import platform

import yaml

from gitml.core.hashing import hash_bytes

from .helpers import Pipe

TRAIN = """
stages:
  train:
    cmd: cat src.txt > model.txt && echo train >> runs.log
    deps: [src.txt]
    params: [train]
    outs: [model.txt]
"""


def setup_train(pipe: Pipe) -> None:
    pipe.params(
        """
        train:
          lr: 0.1
          epochs: 3
        other: 1
        """
    )
    pipe.gen({"src.txt": "one\n"})
    pipe.stages(TRAIN)
    pipe.commit()


def assert_stale(pipe: Pipe, stage: str, reason: str) -> None:
    """``--dry`` and ``status`` report ``reason`` for ``stage``; ``--explain`` runs it for it."""
    runs = len(pipe.lines("runs.log"))
    dry = pipe.ok("repro", "--dry").out.splitlines()
    assert f"{stage}: would run ({reason})" in dry, dry
    status = pipe.ok("status").out.splitlines()
    assert f"S stage {stage}: stale ({reason})" in status, status
    assert len(pipe.lines("runs.log")) == runs, "--dry or status ran a command"
    explain = pipe.ok("repro", "--explain", "--no-run-cache").err.splitlines()
    assert f"gitml: stage {stage}: running ({reason})" in explain, explain
    assert len(pipe.lines("runs.log")) == runs + 1


def assert_up_to_date(pipe: Pipe) -> None:
    assert pipe.ok("repro", "--dry").out.splitlines() == ["train: skipped (up to date)"]
    status = pipe.ok("status", "--check").out.splitlines()
    assert "all 1 stage(s) up to date" in status


def test_never_ran(pipe: Pipe) -> None:
    setup_train(pipe)
    status = json.loads(pipe.fails("status", "--json", "--check").out)
    assert status["clean"] is False
    assert status["stages"] == [
        {
            "stage": "train",
            "stale": True,
            "action": "would-run",
            "reasons": [{"kind": "new", "text": "never ran (no entry in stages.lock)"}],
            "env_changes": [],
            "seconds": 0.0,
            "exit_code": None,
            "error": None,
        }
    ]
    assert_stale(pipe, "train", "never ran (no entry in stages.lock)")
    assert_up_to_date(pipe)


def test_noop_repro_runs_nothing(pipe: Pipe) -> None:
    setup_train(pipe)
    pipe.ok("repro")
    lock = pipe.lock_bytes()
    for _ in range(2):
        result = pipe.ok("repro")
        assert result.out == "stages: 1 up to date\n"
        assert result.err == ""
    assert pipe.lines("runs.log") == ["train"]
    assert pipe.lock_bytes() == lock
    explain = pipe.ok("repro", "--explain").err.splitlines()
    assert explain == ["gitml: stage train: up to date"]


def test_command_changed(pipe: Pipe) -> None:
    setup_train(pipe)
    pipe.ok("repro")
    pipe.stages(TRAIN.replace("> model.txt", ">model.txt"))
    assert_stale(
        pipe,
        "train",
        "command changed from 'cat src.txt > model.txt && echo train >> runs.log'"
        " to 'cat src.txt >model.txt && echo train >> runs.log'",
    )
    assert_up_to_date(pipe)


def test_dep_changed_from_hash_to_hash(pipe: Pipe) -> None:
    setup_train(pipe)
    pipe.ok("repro")
    pipe.gen({"src.txt": "two\n"})
    old, new = hash_bytes(b"one\n")[:8], hash_bytes(b"two\n")[:8]
    assert_stale(pipe, "train", f"dep src.txt changed from {old} to {new}")
    assert pipe.read("model.txt") == "two\n"
    assert_up_to_date(pipe)


def test_nested_param_changed_from_value_to_value(pipe: Pipe) -> None:
    setup_train(pipe)
    pipe.ok("repro")
    pipe.params(
        """
        train:
          lr: 0.25
          epochs: 3
        other: 2
        """
    )
    assert_stale(pipe, "train", "param train.lr changed from 0.1 to 0.25")
    assert pipe.lock()["train"]["params"] == {"params.yaml": {"train": {"lr": 0.25, "epochs": 3}}}
    assert_up_to_date(pipe)


def test_param_not_declared_does_not_make_stale(pipe: Pipe) -> None:
    setup_train(pipe)
    pipe.ok("repro")
    pipe.params(
        """
        train:
          lr: 0.1
          epochs: 3
        other: 99
        """
    )
    assert_up_to_date(pipe)


def test_dotted_param_key(pipe: Pipe) -> None:
    setup_train(pipe)
    pipe.stages(TRAIN.replace("params: [train]", "params: [train.epochs]"))
    pipe.ok("repro")
    assert pipe.lock()["train"]["params"] == {"params.yaml": {"train.epochs": 3}}
    pipe.params(
        """
        train:
          lr: 0.5
          epochs: 4
        """
    )
    assert_stale(pipe, "train", "param train.epochs changed from 3 to 4")


def test_output_missing(pipe: Pipe) -> None:
    setup_train(pipe)
    pipe.ok("repro")
    os.unlink(pipe.root / "model.txt")
    assert_stale(pipe, "train", "output model.txt is missing")
    assert_up_to_date(pipe)


def test_output_modified(pipe: Pipe) -> None:
    setup_train(pipe)
    pipe.ok("repro")
    os.unlink(pipe.root / "model.txt")  # it may be a link into the read-only cache
    pipe.gen({"model.txt": "edited\n"})
    old, new = hash_bytes(b"one\n")[:8], hash_bytes(b"edited\n")[:8]
    assert_stale(pipe, "train", f"output model.txt was modified ({old} -> {new})")
    assert pipe.read("model.txt") == "one\n"
    assert_up_to_date(pipe)


def test_upstream_rebuild_is_the_reason_downstream(pipe: Pipe) -> None:
    setup_train(pipe)
    pipe.stages(
        TRAIN
        + """
  score:
    cmd: cat model.txt > score.txt
    deps: [model.txt]
    outs: [score.txt]
"""
    )
    pipe.ok("repro")
    pipe.gen({"src.txt": "two\n"})
    dry = pipe.ok("repro", "--dry").out.splitlines()
    assert "score: would run (dep model.txt will be rebuilt by stage train)" in dry


def test_always_changed_is_always_stale(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          fetch:
            cmd: echo fetched > fetched.txt && echo fetch >> runs.log
            outs: [fetched.txt]
            always_changed: true
        """
    )
    pipe.commit()
    pipe.ok("repro")
    dry = pipe.ok("repro", "--dry").out.splitlines()
    assert dry == ["fetch: would run (always_changed is set)"]
    status = pipe.ok("status").out.splitlines()
    assert "S stage fetch: stale (always_changed is set)" in status


def test_always_changed_stage_runs_every_time(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          fetch:
            cmd: echo fetched > fetched.txt && echo fetch >> runs.log
            outs: [fetched.txt]
            always_changed: true
        """
    )
    pipe.commit()
    pipe.ok("repro")
    explain = pipe.ok("repro", "--explain").err.splitlines()
    assert "gitml: stage fetch: running (always_changed is set)" in explain, explain
    assert pipe.lines("runs.log") == ["fetch", "fetch"]


def test_frozen_stage_never_runs(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          ice:
            cmd: echo ice > ice.txt && echo ice >> runs.log
            outs: [ice.txt]
            frozen: true
          after:
            cmd: echo after > after.txt && echo after >> runs.log
            outs: [after.txt]
        """
    )
    pipe.commit()
    dry = pipe.ok("repro", "--dry").out.splitlines()
    assert dry[0].startswith("ice: frozen")
    assert dry[1] == "after: would run (never ran (no entry in stages.lock))"
    explain = pipe.ok("repro", "--explain").err.splitlines()
    assert "gitml: stage ice: frozen: not checked and not run" in explain
    pipe.ok("repro", "ice")
    pipe.ok("repro", "-f", "ice")
    assert pipe.lines("runs.log") == ["after"]
    assert not pipe.exists("ice.txt")
    assert set(pipe.lock()) == {"after"}
    status = json.loads(pipe.ok("status", "--json").out)
    assert {s["stage"]: s["stale"] for s in status["stages"]} == {"ice": False, "after": False}


def fake_python_version(pipe: Pipe, version: str) -> None:
    """Edit the env block of stages.lock, as if the stage had run under another python."""
    doc = yaml.safe_load(pipe.read("stages.lock"))
    doc["stages"]["train"]["env"]["python"] = version
    pipe.gen({"stages.lock": yaml.safe_dump(doc, sort_keys=False)})


def test_environment_change_is_only_reported(pipe: Pipe) -> None:
    setup_train(pipe)
    pipe.ok("repro")
    fake_python_version(pipe, "3.0.0")
    change = f"python 3.0.0 -> {platform.python_version()}"
    explain = pipe.ok("repro", "--explain").err.splitlines()
    assert explain == [f"gitml: stage train: up to date (environment changed: {change})"]
    status = json.loads(pipe.ok("status", "--json").out)
    assert status["stages"][0]["stale"] is False
    assert status["stages"][0]["env_changes"] == [change]
    assert pipe.lines("runs.log") == ["train"]
    assert pipe.lock()["train"]["env"]["python"] == "3.0.0"


def test_environment_change_reruns_with_strict_env(pipe: Pipe) -> None:
    setup_train(pipe)
    pipe.ok("repro")
    fake_python_version(pipe, "3.0.0")
    reason = f"environment changed: python 3.0.0 -> {platform.python_version()}"
    dry = pipe.ok("repro", "--dry", "--strict-env").out.splitlines()
    assert dry == [f"train: would run ({reason})"]
    explain = pipe.ok("repro", "--strict-env", "--explain", "--no-run-cache").err.splitlines()
    assert f"gitml: stage train: running ({reason})" in explain
    assert pipe.lines("runs.log") == ["train", "train"]
    assert pipe.lock()["train"]["env"]["python"] == platform.python_version()
    assert pipe.ok("repro", "--dry", "--strict-env").out == "train: skipped (up to date)\n"


def test_dry_run_reports_an_environment_change(pipe: Pipe) -> None:
    setup_train(pipe)
    pipe.ok("repro")
    fake_python_version(pipe, "3.0.0")
    dry = pipe.ok("repro", "--dry").out
    assert f"environment changed: python 3.0.0 -> {platform.python_version()}" in dry
