"""gitml lineage on a real pipeline: stages, commands, params, dep hashes, source
pointers and the commits that last changed each record."""

from __future__ import annotations

from typing import Any

from .conftest import Project


def stage_nodes(dep: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every fully shown stage below a dep record of the JSON output, by name."""
    found: dict[str, dict[str, Any]] = {}
    for origin in dep["from"]:
        if origin["kind"] == "stage" and "deps" in origin:
            found[origin["stage"]] = origin
            for child in origin["deps"]:
                found.update(stage_nodes(child))
    return found


def deps_of(stage: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["path"]: d for d in stage["deps"]}


def test_final_output_lists_every_stage_down_to_the_source_pointer(project: Project) -> None:
    doc = project.json("metrics/eval.txt")
    lock = project.lock()
    assert doc["path"] == "metrics/eval.txt"
    assert doc["rev"] is None
    assert doc["commit"] == project.head()
    artifact = doc["artifact"]
    out = next(o for o in lock["evaluate"]["outs"] if o["path"] == "metrics/eval.txt")
    assert (artifact["path"], artifact["hash"], artifact["size"]) == (
        "metrics/eval.txt",
        out["hash"],
        out["size"],
    )

    stages = stage_nodes(artifact)
    assert set(stages) == {"evaluate", "train", "prepare"}
    for name, node in stages.items():
        entry = lock[name]
        assert node["cmd"] == ([entry["cmd"]] if isinstance(entry["cmd"], str) else entry["cmd"])
        assert node["params"] == entry.get("params", {})
        # every dep with the hash stages.lock recorded for it
        assert {p: d["hash"] for p, d in deps_of(node).items()} == {
            d["path"]: d["hash"] for d in entry["deps"]
        }
        assert all(d["stale"] in (False, None) for d in node["deps"])
    assert stages["train"]["params"] == {"params.yaml": {"train": {"lr": 0.2, "epochs": 3}}}
    assert stages["prepare"]["params"] == {"params.yaml": {"prepare.scale": 2}}

    # the commit that last changed each lock entry: prepare did not run again for lr
    changes = {name: node["last_change"] for name, node in stages.items()}
    assert changes["prepare"]["commit"] == project.run1
    assert changes["train"]["commit"] == project.run2
    assert changes["evaluate"]["commit"] == project.run2
    assert all(c["committed"] for c in changes.values())
    assert changes["train"]["summary"] == "lr 0.2"

    # down to source data: the pointer with its hash, size, meta and commit
    raw = deps_of(stages["prepare"])["data/raw"]
    (source,) = raw["from"]
    pointer = project.pointer()
    assert source["kind"] == "pointer"
    assert source["pointer"] == "data/raw.gitml"
    assert (source["hash"], source["size"], source["files"]) == (
        pointer["hash"],
        pointer["size"],
        2,
    )
    assert source["meta"] == {"license": "CC-BY-4.0", "source": "https://example.org"}
    assert source["last_change"]["commit"] == project.raw
    assert raw["hash"] == pointer["hash"] and raw["stale"] is False

    # a plain git file: its blob and the commit that last changed it
    (script,) = deps_of(stages["prepare"])["src/prepare.sh"]["from"]
    assert script["kind"] == "git" and script["type"] == "blob"
    assert script["object"] == project.repo.git("rev-parse", "HEAD:src/prepare.sh").strip()
    assert script["last_change"]["commit"] == project.pipeline


def test_a_stage_reached_twice_is_shown_once(project: Project) -> None:
    doc = project.json("metrics/eval.txt")
    evaluate = doc["artifact"]["from"][0]
    again = deps_of(evaluate)["data/prepared/all.csv"]
    # data/prepared/all.csv lies inside prepare's folder output, which train's
    # branch already showed in full
    assert again["from"] == [{"kind": "stage", "stage": "prepare", "shown_above": True}]


def test_text_output_is_an_indented_tree(project: Project) -> None:
    text = project.ok("lineage", "models/model.bin")
    lines = text.splitlines()
    lock = project.lock()
    model = next(o for o in lock["train"]["outs"] if o["path"] == "models/model.bin")
    assert lines[0] == f"models/model.bin  {model['hash']}  ({model['size']} B)"
    assert lines[1].startswith(f"  stage train  (lock entry: {project.run2[:12]} ")
    assert lines[1].endswith('"lr 0.2")')
    assert lines[2] == f"    cmd: {lock['train']['cmd']}"
    assert lines[3] == "    params params.yaml: train.lr=0.2, train.epochs=3"
    assert lines[4].startswith("    dep data/prepared  xxh128:")
    assert lines[5].startswith(f"      stage prepare  (lock entry: {project.run1[:12]} ")
    pointer_line = f"          pointer data/raw.gitml  (last changed: {project.raw[:12]} "
    assert any(line.startswith(pointer_line) for line in lines), text
    assert "            meta: license=CC-BY-4.0, source=https://example.org" in lines
    blob = project.repo.git("rev-parse", "HEAD:src/prepare.sh").strip()
    assert f"          git file  blob {blob[:12]}  (last changed: {project.pipeline[:12]} " in (
        text
    )


def test_a_file_inside_a_folder_output_resolves_to_its_stage(project: Project) -> None:
    doc = project.json("data/prepared/all.csv")
    assert doc["path"] == "data/prepared/all.csv"
    assert doc["artifact"]["path"] == "data/prepared"
    (origin,) = doc["artifact"]["from"]
    assert origin["stage"] == "prepare"
    assert origin["last_change"]["commit"] == project.run1
    text = project.ok("lineage", "data/prepared/all.csv")
    assert text.splitlines()[0] == "data/prepared/all.csv is inside data/prepared"


def test_tracked_data_its_pointer_and_a_file_inside_it(project: Project) -> None:
    pointer = project.pointer()
    for asked in ("data/raw", "data/raw.gitml", "data/raw/a.csv"):
        doc = project.json(asked)
        assert doc["artifact"]["hash"] == pointer["hash"], asked
        (origin,) = doc["artifact"]["from"]
        assert origin["kind"] == "pointer"
        assert origin["last_change"]["commit"] == project.raw
    # from a subfolder, paths are relative to it
    (project.repo.root / "data").mkdir(exist_ok=True)
    result = project.repo.ok("lineage", "--json", "raw", cwd=project.repo.root / "data")
    assert '"pointer": "data/raw.gitml"' in result.out


def test_uncommitted_records_are_reported_as_such(project: Project) -> None:
    repo = project.repo
    # new data, tracked but not committed, and the pipeline not run again
    repo.gen({"data/raw/c.csv": "5,6\n"})
    repo.ok("add", "data/raw")
    doc = project.json("models/model.bin")
    stages = stage_nodes(doc["artifact"])
    raw = deps_of(stages["prepare"])["data/raw"]
    (source,) = raw["from"]
    assert source["last_change"] == {"committed": False, "commit": None}
    assert source["hash"] == project.pointer()["hash"]
    assert raw["stale"] is True and raw["current_hash"] == source["hash"]
    assert raw["hash"] != source["hash"]
    assert stages["prepare"]["last_change"]["commit"] == project.run1
    text = project.ok("lineage", "models/model.bin")
    assert "pointer data/raw.gitml  (last changed: not committed)" in text
    assert f"[stale: its source now records {source['hash']}]" in text

    # now the pipeline runs: prepare's and train's lock entries are new, uncommitted
    repo.ok("repro")
    stages = stage_nodes(project.json("models/model.bin")["artifact"])
    assert stages["prepare"]["last_change"] == {"committed": False, "commit": None}
    assert stages["train"]["last_change"] == {"committed": False, "commit": None}
    assert deps_of(stages["prepare"])["data/raw"]["stale"] is False
    assert "(lock entry: not committed)" in project.ok("lineage", "models/model.bin")

    # an uncommitted change to a git file dep
    repo.gen({"src/prepare.sh": PREPARE_SH_EDITED})
    stages = stage_nodes(project.json("models/model.bin")["artifact"])
    (script,) = deps_of(stages["prepare"])["src/prepare.sh"]["from"]
    assert script["last_change"]["committed"] is False
    assert script["object"] == repo.git("hash-object", "src/prepare.sh").strip()


PREPARE_SH_EDITED = "mkdir -p data/prepared\ncat data/raw/*.csv > data/prepared/all.csv\n"


def test_rev_reads_the_records_of_a_commit(project: Project) -> None:
    # later history: new data, the pipeline run again
    project.repo.gen({"data/raw/c.csv": "5,6\n"})
    project.repo.ok("add", "data/raw")
    project.repo.ok("repro")
    later = project.commit("more data")

    doc = project.json("models/model.bin", "--rev", project.run1)
    assert doc["rev"] == project.run1 and doc["commit"] == project.run1
    stages = stage_nodes(doc["artifact"])
    assert stages["train"]["params"] == {"params.yaml": {"train": {"lr": 0.1, "epochs": 3}}}
    assert stages["train"]["last_change"]["commit"] == project.run1
    (source,) = deps_of(stages["prepare"])["data/raw"]["from"]
    assert source["last_change"]["commit"] == project.raw
    assert source["files"] == 2

    doc = project.json("models/model.bin", "--rev", "HEAD")
    assert doc["commit"] == later
    stages = stage_nodes(doc["artifact"])
    assert {s["last_change"]["commit"] for s in stages.values()} == {later}
    (source,) = deps_of(stages["prepare"])["data/raw"]["from"]
    assert source["last_change"]["commit"] == later and source["files"] == 3

    text = project.ok("lineage", "--rev", "HEAD~1", "models/model.bin")
    assert text.splitlines()[0] == f"at HEAD~1 ({project.run2[:12]})"


def test_a_merged_branch_is_credited_not_the_merge(project: Project) -> None:
    repo = project.repo
    repo.git("checkout", "-q", "-b", "side")
    repo.gen({"params.yaml": "prepare:\n  scale: 3\ntrain:\n  lr: 0.2\n  epochs: 3\n"})
    repo.ok("repro")
    side = project.commit("scale 3")
    repo.git("checkout", "-q", "main")
    repo.gen({"README.md": "notes\n"})
    project.commit("notes")
    repo.git("merge", "-q", "--no-ff", "--no-edit", "side")
    merge = project.head()
    repo.ok("checkout")  # bring the workspace data in line with the merged lock
    stages = stage_nodes(project.json("metrics/eval.txt")["artifact"])
    assert stages["prepare"]["last_change"]["commit"] == side
    assert merge != side
    (source,) = deps_of(stages["prepare"])["data/raw"]["from"]
    assert source["last_change"]["commit"] == project.raw
