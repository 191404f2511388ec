"""Stage outputs: ignored by git and cached, metrics left to git, persist, missing outputs."""

from __future__ import annotations

from gitml.core.hashing import hash_bytes

from .helpers import Pipe

STAGES = """
stages:
  train:
    cmd: >-
      mkdir -p models/parts &&
      echo weights > models/model.bin &&
      echo a > models/parts/a.txt &&
      echo b > models/parts/b.txt &&
      mkdir -p metrics &&
      echo '{"acc": 0.5}' > metrics/train.json
    outs: [models/model.bin, models/parts]
    metrics: [metrics/train.json]
"""


def cache_file(pipe: Pipe, digest: str) -> str:
    oid = digest.removeprefix("xxh128:")
    return f".git/gitml/cache/{oid[:2]}/{oid[2:]}"


def test_cached_outputs_are_ignored_and_in_the_cache(pipe: Pipe) -> None:
    pipe.stages(STAGES)
    pipe.commit()
    pipe.ok("repro")
    gitignore = pipe.read("models/.gitignore").splitlines()
    assert "/model.bin" in gitignore
    assert "/parts" in gitignore
    assert not pipe.exists(".gitignore") or "model" not in pipe.read(".gitignore")
    untracked = pipe.repo.git("status", "--porcelain", "--untracked-files=all").splitlines()
    assert "?? models/model.bin" not in untracked
    assert not any(line.startswith("?? models/parts") for line in untracked)
    outs = {o["path"]: o for o in pipe.lock()["train"]["outs"]}
    assert outs["models/model.bin"]["hash"] == "xxh128:" + hash_bytes(b"weights\n")
    assert pipe.exists(cache_file(pipe, outs["models/model.bin"]["hash"]))
    # a folder output: its manifest and every file are in the cache
    assert outs["models/parts"]["files"] == 2
    assert pipe.exists(cache_file(pipe, outs["models/parts"]["hash"]))
    for content in (b"a\n", b"b\n"):
        assert pipe.exists(cache_file(pipe, hash_bytes(content)))
    assert "cache" not in outs["models/model.bin"]


def test_metrics_are_left_to_git(pipe: Pipe) -> None:
    pipe.stages(STAGES)
    pipe.commit()
    pipe.ok("repro")
    assert "/train.json" not in (
        pipe.read("metrics/.gitignore") if pipe.exists("metrics/.gitignore") else ""
    )
    untracked = pipe.repo.git("status", "--porcelain", "--untracked-files=all").splitlines()
    assert "?? metrics/train.json" in untracked
    assert pipe.repo.git("check-ignore", "metrics/train.json", check=False) == ""
    outs = {o["path"]: o for o in pipe.lock()["train"]["outs"]}
    assert outs["metrics/train.json"]["cache"] is False
    # committing them is fine: repro goes on working
    pipe.commit("results")
    pipe.ok("repro", "-f")


def test_cache_false_output_is_not_ignored(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          small:
            cmd: echo small > small.txt && echo big > big.txt
            outs:
              - small.txt: {cache: false}
              - big.txt
        """
    )
    pipe.commit()
    pipe.ok("repro")
    assert pipe.read(".gitignore").splitlines() == ["/big.txt"]


def test_persist_outputs_are_not_deleted_before_the_run(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          grow:
            cmd: echo line >> kept.txt && echo line >> fresh.txt
            outs:
              - kept.txt: {persist: true}
              - fresh.txt
        """
    )
    pipe.commit()
    pipe.ok("repro")
    pipe.ok("repro", "-f")
    pipe.ok("repro", "-f")
    assert pipe.read("kept.txt") == "line\nline\nline\n"
    assert pipe.read("fresh.txt") == "line\n"


def test_stage_not_creating_its_output_fails_and_lock_is_unchanged(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          good:
            cmd: echo good > good.txt
            outs: [good.txt]
          lazy:
            cmd: echo lazy > lazy.txt
            outs: [lazy.txt, forgotten.txt]
        """
    )
    pipe.commit()
    result = pipe.fails("repro")
    assert "stage lazy: the command did not create its output forgotten.txt" in result.err
    assert "stages.lock was not changed for it" in result.err
    assert set(pipe.lock()) == {"good"}
    before = pipe.lock_bytes()
    pipe.fails("repro")
    assert pipe.lock_bytes() == before


def test_output_committed_to_git_is_refused(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          make:
            cmd: echo new > made.txt
            outs: [made.txt]
        """
    )
    pipe.gen({"made.txt": "old\n"})
    pipe.commit()
    result = pipe.fails("repro")
    assert "output made.txt is committed to git" in result.err
    assert "git rm -r --cached made.txt" in result.err
    assert pipe.read("made.txt") == "old\n"


def test_missing_output_error_does_not_invent_an_exit_code(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          lazy:
            cmd: echo lazy > lazy.txt
            outs: [lazy.txt, forgotten.txt]
        """
    )
    pipe.commit()
    last = pipe.fails("repro").err.strip().splitlines()[-1]
    assert "forgotten.txt" in last
    assert "exit code" not in last
