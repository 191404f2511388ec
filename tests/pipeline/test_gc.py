"""``gitml gc`` keeps the objects stages.lock's outputs reference."""

from __future__ import annotations

import json
import os
import shutil

from gitml.core.hashing import hash_bytes

from .helpers import Pipe

STAGES = """
stages:
  train:
    cmd: >-
      mkdir -p model &&
      echo "weights ${train.lr}" > model/w.txt &&
      echo "config" > model/c.txt &&
      echo "log ${train.lr}" > log.txt &&
      echo train >> runs.log
    params: [train.lr]
    outs: [model, log.txt]
"""


def cached(pipe: Pipe, oid: str) -> bool:
    oid = oid.removeprefix("xxh128:")
    return (pipe.root / ".git/gitml/cache" / oid[:2] / oid[2:]).is_file()


def test_gc_keeps_stage_outputs(pipe: Pipe) -> None:
    pipe.params("train:\n  lr: 1\n")
    pipe.stages(STAGES)
    pipe.gen({"junk.bin": "junk\n"})
    pipe.commit()
    pipe.repo.git("rm", "-q", "--cached", "junk.bin")
    pipe.ok("add", "junk.bin")
    os.unlink(pipe.root / "junk.bin.gitml")  # nothing references it any more
    pipe.ok("repro")
    outs = {o["path"]: o["hash"] for o in pipe.lock()["train"]["outs"]}
    objects = [
        outs["model"],  # the folder's manifest
        outs["log.txt"],
        hash_bytes(b"weights 1\n"),
        hash_bytes(b"config\n"),
    ]
    assert all(cached(pipe, oid) for oid in objects)
    assert cached(pipe, hash_bytes(b"junk\n"))
    result = json.loads(pipe.ok("gc", "--json").out)
    assert result["removed"] == [hash_bytes(b"junk\n")]
    assert not cached(pipe, hash_bytes(b"junk\n"))
    assert all(cached(pipe, oid) for oid in objects)
    # the outputs come back from the cache without running the command
    shutil.rmtree(pipe.root / "model")
    os.unlink(pipe.root / "log.txt")
    result = pipe.ok("repro")
    assert "restored from the run cache" in result.err
    assert pipe.lines("runs.log") == ["train"]
    assert pipe.read("model/w.txt") == "weights 1\n"


def test_gc_drops_outputs_no_longer_in_the_lock(pipe: Pipe) -> None:
    pipe.params("train:\n  lr: 1\n")
    pipe.stages(STAGES)
    pipe.commit()
    pipe.ok("repro")
    pipe.params("train:\n  lr: 2\n")
    pipe.ok("repro")
    assert cached(pipe, hash_bytes(b"weights 1\n"))
    pipe.ok("gc")
    assert not cached(pipe, hash_bytes(b"weights 1\n"))
    assert cached(pipe, hash_bytes(b"weights 2\n"))
    # the run cache cannot restore what gc removed: the command runs again
    pipe.params("train:\n  lr: 1\n")
    result = pipe.ok("repro")
    assert "restored" not in result.err
    assert pipe.lines("runs.log") == ["train", "train", "train"]
    assert pipe.read("model/w.txt") == "weights 1\n"


def test_gc_keeps_outputs_of_committed_locks_with_all_commits(pipe: Pipe) -> None:
    pipe.params("train:\n  lr: 1\n")
    pipe.stages(STAGES)
    pipe.commit()
    pipe.ok("repro")
    pipe.commit("lr 1")
    pipe.params("train:\n  lr: 2\n")
    pipe.ok("repro")
    pipe.commit("lr 2")
    pipe.ok("gc", "--all-commits")
    assert cached(pipe, hash_bytes(b"weights 1\n"))
    assert cached(pipe, hash_bytes(b"weights 2\n"))
