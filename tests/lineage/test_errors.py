"""gitml lineage refuses, in one line with the fix, what it cannot trace; cycles end."""

from __future__ import annotations

import json
import textwrap

from .conftest import STAGES, Project


def test_a_path_nothing_produced(project: Project) -> None:
    project.repo.gen({"notes.txt": "hello\n"})
    result = project.repo.fails("lineage", "notes.txt")
    assert result.out == ""
    (line,) = result.err.strip().splitlines()
    assert line.startswith("error: notes.txt: not tracked by gitml and not produced by any stage")
    assert "gitml add notes.txt" in line and "gitml repro" in line


def test_a_git_file_is_not_an_artifact(project: Project) -> None:
    (line,) = project.repo.fails("lineage", "src/prepare.sh").err.strip().splitlines()
    assert "src/prepare.sh: not tracked by gitml and not produced by any stage" in line
    assert "git log -- src/prepare.sh" in line


def test_a_path_that_does_not_exist(project: Project) -> None:
    (line,) = project.repo.fails("lineage", "nope/x.bin").err.strip().splitlines()
    assert line.startswith("error: nope/x.bin: does not exist and no stage produces it")


def test_a_declared_output_without_a_lock_entry(project: Project) -> None:
    extra = "  report:\n    cmd: cat metrics/eval.txt > report.txt\n"
    extra += "    deps: [metrics/eval.txt]\n    outs: [report.txt]\n"
    project.repo.gen({"stages.yaml": textwrap.dedent(STAGES).lstrip() + extra})
    (line,) = project.repo.fails("lineage", "report.txt").err.strip().splitlines()
    assert "report.txt: an output of stage report, but stages.lock has no entry for it" in line
    assert "run `gitml repro report`" in line


def test_an_output_the_lock_entry_does_not_record(project: Project) -> None:
    stages = (
        textwrap.dedent(STAGES)
        .lstrip()
        .replace("outs: [models/model.bin]", "outs: [models/model.bin, models/extra.bin]")
    )
    project.repo.gen({"stages.yaml": stages})
    (line,) = project.repo.fails("lineage", "models/extra.bin").err.strip().splitlines()
    assert "stages.lock records no such output for it" in line
    assert "gitml repro train" in line


def test_at_a_revision_before_the_pipeline_ran(project: Project) -> None:
    (line,) = (
        project.repo.fails("lineage", "--rev", project.pipeline, "models/model.bin")
        .err.strip()
        .splitlines()
    )
    assert "models/model.bin: an output of stage train, but stages.lock has no entry" in line
    (line,) = (
        project.repo.fails("lineage", "--rev", project.raw, "models/model.bin")
        .err.strip()
        .splitlines()
    )
    assert f"models/model.bin: does not exist at {project.raw} and no stage produces it" in line


def test_an_unknown_revision(project: Project) -> None:
    (line,) = project.repo.fails("lineage", "--rev", "no-such", "x").err.strip().splitlines()
    assert line.startswith("error: unknown revision 'no-such'")


def test_a_folder_holding_outputs(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen(
        {
            "stages.yaml": textwrap.dedent(
                """
                stages:
                  two:
                    cmd: mkdir -p out && echo a > out/a.txt && echo b > out/b.txt
                    outs: [out/a.txt, out/b.txt]
                """
            ).lstrip()
        }
    )
    tmp_repo.ok("repro")
    (line,) = tmp_repo.fails("lineage", "out").err.strip().splitlines()
    assert "out: a folder holding outputs (out/a.txt, out/b.txt)" in line


HASH_A = "xxh128:" + "a" * 32
HASH_B = "xxh128:" + "b" * 32


def test_a_cycle_in_the_lock_ends(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    """A lock left by renamed stages can say a depends on b and b on a."""
    tmp_repo.gen(
        {
            "stages.lock": textwrap.dedent(
                f"""
                schema: 1
                stages:
                  a:
                    cmd: make a
                    deps: [{{path: b.out, hash: '{HASH_B}', size: 1}}]
                    outs: [{{path: a.out, hash: '{HASH_A}', size: 1}}]
                  b:
                    cmd: make b
                    deps: [{{path: a.out, hash: '{HASH_A}', size: 1}}]
                    outs: [{{path: b.out, hash: '{HASH_B}', size: 1}}]
                """
            ).lstrip()
        }
    )
    tmp_repo.commit("a lock with a cycle")
    doc = json.loads(tmp_repo.ok("lineage", "--json", "a.out").out)
    (a,) = doc["artifact"]["from"]
    (b,) = a["deps"][0]["from"]
    assert b["stage"] == "b"
    assert b["deps"][0]["from"] == [{"kind": "cycle", "stage": "a"}]
    text = tmp_repo.ok("lineage", "a.out").out
    assert "stage a  (a cycle: already on this path)" in text
