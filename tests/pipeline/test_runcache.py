"""The run cache: a computation done once is restored, not run again."""

from __future__ import annotations

import os

from .helpers import Pipe

# Random bytes: a restored output equal to the first run's can only come from the cache.
RANDOM = """
stages:
  train:
    cmd: >-
      mkdir -p out &&
      python -c "import os; open('out/a.bin', 'wb').write(os.urandom(32))" &&
      python -c "import os; open('model.bin', 'wb').write(os.urandom(32))" &&
      echo train >> runs.log
    params: [train.lr]
    outs: [model.bin, out]
"""


def set_lr(pipe: Pipe, lr: float) -> None:
    pipe.params(f"train:\n  lr: {lr}\n")


def outputs(pipe: Pipe) -> dict[str, bytes]:
    return {rel: (pipe.root / rel).read_bytes() for rel in ("model.bin", "out/a.bin")}


def test_changing_a_param_back_restores_from_the_run_cache(pipe: Pipe) -> None:
    set_lr(pipe, 0.1)
    pipe.stages(RANDOM)
    pipe.commit()
    pipe.ok("repro")
    first, first_lock = outputs(pipe), pipe.lock()["train"]
    set_lr(pipe, 0.2)
    pipe.ok("repro")
    assert outputs(pipe) != first
    assert pipe.lines("runs.log") == ["train", "train"]
    set_lr(pipe, 0.1)
    result = pipe.ok("repro")
    assert (
        "gitml: stage train: restored from the run cache"
        " (param train.lr changed from 0.2 to 0.1)" in result.err.splitlines()
    )
    assert pipe.lines("runs.log") == ["train", "train"], "the command ran"
    assert outputs(pipe) == first
    lock = pipe.lock()["train"]
    assert lock["outs"] == first_lock["outs"]
    assert lock["params"] == {"params.yaml": {"train.lr": 0.1}}
    assert pipe.ok("repro", "--dry").out == "train: skipped (up to date)\n"


def test_no_run_cache_runs_the_command(pipe: Pipe) -> None:
    set_lr(pipe, 0.1)
    pipe.stages(RANDOM)
    pipe.commit()
    pipe.ok("repro")
    first = outputs(pipe)
    set_lr(pipe, 0.2)
    pipe.ok("repro")
    set_lr(pipe, 0.1)
    result = pipe.ok("repro", "--no-run-cache")
    assert "restored" not in result.err
    assert pipe.lines("runs.log") == ["train", "train", "train"]
    assert outputs(pipe) != first


def test_missing_outputs_are_restored_from_the_run_cache(pipe: Pipe) -> None:
    set_lr(pipe, 0.1)
    pipe.stages(RANDOM)
    pipe.commit()
    pipe.ok("repro")
    first = outputs(pipe)
    os.unlink(pipe.root / "model.bin")
    result = pipe.ok("repro")
    assert "restored from the run cache (output model.bin is missing)" in result.err
    assert pipe.lines("runs.log") == ["train"]
    assert outputs(pipe) == first


def test_force_does_not_restore(pipe: Pipe) -> None:
    set_lr(pipe, 0.1)
    pipe.stages(RANDOM)
    pipe.commit()
    pipe.ok("repro")
    pipe.ok("repro", "-f")
    assert pipe.lines("runs.log") == ["train", "train"]


def test_run_cache_key_includes_the_command(pipe: Pipe) -> None:
    set_lr(pipe, 0.1)
    pipe.stages(RANDOM)
    pipe.commit()
    pipe.ok("repro")
    pipe.stages(RANDOM.replace("echo train", "echo train2"))
    pipe.ok("repro")
    assert pipe.lines("runs.log") == ["train", "train2"]


def fake_package_env(pipe: Pipe) -> dict[str, str]:
    """An environment where one more key package (xgboost 9.9) appears installed."""
    site = pipe.root.parent / "fake-site"
    meta = site / "xgboost-9.9.dist-info"
    meta.mkdir(parents=True, exist_ok=True)
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: xgboost\nVersion: 9.9\n")
    return {"PYTHONPATH": str(site)}


def test_a_real_environment_change_is_recorded(pipe: Pipe) -> None:
    set_lr(pipe, 0.1)
    pipe.stages(RANDOM)
    pipe.commit()
    pipe.ok("repro")
    env = fake_package_env(pipe)
    explain = pipe.ok("repro", "--explain", env=env).err
    assert "up to date (environment changed: xgboost absent -> 9.9)" in explain
    pipe.ok("repro", "--strict-env", env=env)
    assert pipe.lines("runs.log") == ["train", "train"]
    assert pipe.lock()["train"]["env"]["packages"]["xgboost"] == "9.9"


def test_strict_env_does_not_restore_results_of_another_environment(pipe: Pipe) -> None:
    set_lr(pipe, 0.1)
    pipe.stages(RANDOM)
    pipe.commit()
    pipe.ok("repro")  # lr 0.1 computed without xgboost
    env = fake_package_env(pipe)
    set_lr(pipe, 0.2)
    pipe.ok("repro", "--strict-env", env=env)
    set_lr(pipe, 0.1)
    pipe.ok("repro", "--strict-env", env=env)
    assert pipe.lines("runs.log") == ["train", "train", "train"]
