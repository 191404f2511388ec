"""The merge driver under a real `git merge`: stages.lock and pointer files."""

from __future__ import annotations

import subprocess

import yaml

from gitml.core import lockfile
from gitml.core import pointer as pointers
from tests.conftest import Result, TmpRepo

TWO_STAGES = """\
stages:
  a:
    cmd: mkdir -p out && cp a.txt out/a.txt
    deps: [a.txt]
    outs: [out/a.txt]
  b:
    cmd: mkdir -p res && cp b.txt res/b.txt
    deps: [b.txt]
    outs: [res/b.txt]
  c:
    cmd: mkdir -p out2 && cp c.txt out2/c.txt
    deps: [c.txt]
    outs: [out2/c.txt]
"""

PREPARE = """\
stages:
  prepare:
    cmd: cd data && mkdir -p prepared && for f in raw/*; do tr a-z A-Z <$f >prepared/${f#raw/}; done
    deps: [data/raw]
    outs: [data/prepared]
"""

RAW = {f"data/raw/f{i}.csv": f"row {i}\n" for i in range(1, 5)}


def merge(repo: TmpRepo, branch: str) -> Result:
    proc = subprocess.run(
        ["git", "merge", "--no-edit", branch],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=False,
    )
    return Result(proc)


def new_branch(repo: TmpRepo, name: str) -> None:
    repo.git("checkout", "-q", "-b", name)


def switch(repo: TmpRepo, name: str) -> None:
    """git checkout, then gitml checkout so the data follows the branch."""
    repo.git("checkout", "-q", name)
    repo.ok("checkout", "-q")


def files_under(repo: TmpRepo, folder: str) -> dict[str, str]:
    root = repo.root / folder
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}


def lock_hashes(repo: TmpRepo) -> dict[str, str]:
    """Stage name -> the hash of its first dep."""
    return {n: e.deps[0].oid for n, e in lockfile.load(repo.root).items()}


def keep_ours(text: str) -> str:
    """Resolve every conflict block by keeping our side."""
    kept, side = [], None
    for line in text.splitlines(keepends=True):
        if line.startswith("<<<<<<< "):
            side = "ours"
        elif line.startswith("=======") and side == "ours":
            side = "theirs"
        elif line.startswith(">>>>>>> "):
            side = None
        elif side != "theirs":
            kept.append(line)
    return "".join(kept)


# -- stages.lock -----------------------------------------------------------------


def _pipeline(repo: TmpRepo, *stages: str) -> None:
    repo.gen({"stages.yaml": TWO_STAGES, "a.txt": "1\n", "b.txt": "1\n", "c.txt": "1\n"})
    repo.ok("repro", "-q", *stages)
    repo.commit("pipeline")


def test_branches_that_change_different_stages_merge_cleanly(merge_repo: TmpRepo) -> None:
    _pipeline(merge_repo)
    new_branch(merge_repo, "feat")
    merge_repo.gen({"b.txt": "2\n"})
    merge_repo.ok("repro", "-q")
    merge_repo.commit("b on feat")
    theirs = lock_hashes(merge_repo)
    switch(merge_repo, "main")
    merge_repo.gen({"a.txt": "3\n"})
    merge_repo.ok("repro", "-q")
    merge_repo.commit("a on main")
    ours = lock_hashes(merge_repo)

    result = merge(merge_repo, "feat")

    assert result.code == 0, result
    merged = lock_hashes(merge_repo)
    assert merged == {"a": ours["a"], "b": theirs["b"], "c": ours["c"]}
    assert list(merged) == ["a", "b", "c"]
    merge_repo.ok("checkout", "-q")
    assert merge_repo.ok("status", "--check").code == 0  # no stale stage, no changed data
    assert (merge_repo.root / "res/b.txt").read_text() == "2\n"


def test_stages_run_for_the_first_time_on_both_branches_merge(merge_repo: TmpRepo) -> None:
    """Both branches add an entry at the same place: a line merge conflicts, the driver not."""
    _pipeline(merge_repo, "a")
    new_branch(merge_repo, "feat")
    merge_repo.ok("repro", "-q", "b")
    merge_repo.commit("run b")
    switch(merge_repo, "main")
    merge_repo.ok("repro", "-q", "c")
    merge_repo.commit("run c")
    assert list(lockfile.load(merge_repo.root)) == ["a", "c"]

    result = merge(merge_repo, "feat")

    assert result.code == 0, result
    text = (merge_repo.root / "stages.lock").read_text()
    assert "<<<<<<<" not in text
    assert set(lockfile.load(merge_repo.root)) == {"a", "b", "c"}
    merge_repo.ok("checkout", "-q")
    merge_repo.ok("status", "--check")


def test_the_same_stage_changed_differently_is_a_readable_conflict(merge_repo: TmpRepo) -> None:
    _pipeline(merge_repo)
    new_branch(merge_repo, "feat")
    merge_repo.gen({"a.txt": "from feat\n", "b.txt": "2\n"})
    merge_repo.ok("repro", "-q")
    merge_repo.commit("a and b on feat")
    switch(merge_repo, "main")
    merge_repo.gen({"a.txt": "from main\n"})
    merge_repo.ok("repro", "-q")
    merge_repo.commit("a on main")

    result = merge(merge_repo, "feat")

    assert result.code != 0
    assert "stages.lock: stage a:" in result.err, result
    assert "`gitml repro a`" in result.err and "git add stages.lock" in result.err
    assert "stage b" not in result.err  # b changed on one side only: merged
    assert "UU stages.lock" in merge_repo.git("status", "--short")
    text = (merge_repo.root / "stages.lock").read_text()
    assert text.count("<<<<<<< ours\n") == 1 and text.count(">>>>>>> theirs\n") == 1
    before, _, after = text.partition(">>>>>>> theirs\n")
    assert "  b:\n" in after and "  c:\n" in after  # the other stages stay outside the markers
    assert before.index("<<<<<<< ours\n  a:\n") > 0

    # Settle it as the message says: keep a side, re-run the stage, git add.
    merge_repo.gen({"a.txt": "settled\n", "stages.lock": keep_ours(text)})
    merge_repo.ok("repro", "-q", "a")
    merge_repo.git("add", "a.txt", "stages.lock")
    merge_repo.git("commit", "-q", "--no-edit")
    merge_repo.ok("checkout", "-q")
    merge_repo.ok("status", "--check")
    assert (merge_repo.root / "res/b.txt").read_text() == "2\n"


# -- pointer files -----------------------------------------------------------------


def _track_raw(repo: TmpRepo) -> None:
    repo.gen(RAW)
    repo.ok("add", "-q", "data/raw")
    repo.commit("track raw")


def _change(repo: TmpRepo, files: dict[str, str | None], message: str) -> None:
    for rel, content in files.items():
        if content is None:
            (repo.root / rel).unlink()
        else:
            repo.gen({rel: content})
    repo.ok("add", "-q", "data/raw")
    if (repo.root / "stages.yaml").is_file():
        repo.ok("repro", "-q")
    repo.commit(message)


def _diverge(repo: TmpRepo, feat: dict[str, str | None], main: dict[str, str | None]) -> None:
    new_branch(repo, "feat")
    _change(repo, feat, "data on feat")
    switch(repo, "main")
    _change(repo, main, "data on main")


def test_a_folder_changed_on_different_files_gets_a_merged_manifest(merge_repo: TmpRepo) -> None:
    _track_raw(merge_repo)
    _diverge(
        merge_repo,
        feat={"data/raw/f1.csv": "changed on feat\n", "data/raw/sub/new.csv": "new\n"},
        main={"data/raw/f3.csv": "changed on main\n", "data/raw/f4.csv": None},
    )

    result = merge(merge_repo, "feat")

    assert result.code == 0, result
    assert "merged data/raw from both sides' changes" in result.err
    expected = {
        "f1.csv": "changed on feat\n",
        "f2.csv": "row 2\n",
        "f3.csv": "changed on main\n",
        "sub/new.csv": "new\n",
    }
    ptr = pointers.load(merge_repo.root, "data/raw.gitml")
    assert ptr.files == 4 and ptr.size == sum(len(v) for v in expected.values())
    status = merge_repo.run("status", "--check")
    assert status.code == 1 and "data/raw: modified" in status.out  # still main's files

    merge_repo.ok("checkout", "-q")

    assert files_under(merge_repo, "data/raw") == expected
    assert merge_repo.ok("status", "--check").code == 0


def test_a_folder_stage_output_is_merged_and_the_stage_stays_fresh(merge_repo: TmpRepo) -> None:
    merge_repo.gen({"stages.yaml": PREPARE})
    _track_raw(merge_repo)
    merge_repo.ok("repro", "-q")
    merge_repo.commit("prepare")
    _diverge(
        merge_repo,
        feat={"data/raw/f1.csv": "feat\n", "data/raw/new.csv": "new\n"},
        main={"data/raw/f3.csv": "main\n"},
    )

    result = merge(merge_repo, "feat")

    assert result.code == 0, result
    entry = lockfile.load(merge_repo.root)["prepare"]
    assert entry.deps[0].oid == pointers.load(merge_repo.root, "data/raw.gitml").oid
    assert entry.outs[0].files == 5
    merge_repo.ok("checkout", "-q")
    assert files_under(merge_repo, "data/prepared") == {
        "f1.csv": "FEAT\n",
        "f2.csv": "ROW 2\n",
        "f3.csv": "MAIN\n",
        "f4.csv": "ROW 4\n",
        "new.csv": "NEW\n",
    }
    status = merge_repo.ok("status", "--check")
    assert "all 1 stage(s) up to date" in status.out


def test_the_same_file_changed_on_both_sides_is_a_conflict(merge_repo: TmpRepo) -> None:
    _track_raw(merge_repo)
    merge_repo.gen(
        {"data/raw.gitml": (merge_repo.root / "data/raw.gitml").read_text() + "meta:\n  a: 1\n"}
    )
    merge_repo.commit("meta")
    _diverge(
        merge_repo,
        feat={"data/raw/f2.csv": "feat\n", "data/raw/f1.csv": "feat\n"},
        main={"data/raw/f2.csv": "main\n"},
    )
    ours = pointers.load(merge_repo.root, "data/raw.gitml")

    result = merge(merge_repo, "feat")

    assert result.code != 0
    assert "data/raw.gitml: data/raw: both sides changed f2.csv —" in result.err, result
    assert "`gitml checkout data/raw`" in result.err
    text = (merge_repo.root / "data/raw.gitml").read_text()
    assert text.startswith("version: 1\npath: raw\n<<<<<<< ours\nhash: xxh128:" + ours.oid)
    assert text.endswith(">>>>>>> theirs\nmeta:\n  a: 1\n")
    pointers.loads(keep_ours(text), "data/raw.gitml")  # each side is a whole pointer


def test_a_pointer_changed_on_one_side_only_is_taken(merge_repo: TmpRepo) -> None:
    _track_raw(merge_repo)
    new_branch(merge_repo, "feat")
    _change(merge_repo, {"data/raw/f1.csv": "feat\n"}, "data on feat")
    theirs = (merge_repo.root / "data/raw.gitml").read_text()
    switch(merge_repo, "main")
    merge_repo.gen({"other.txt": "unrelated\n"})
    merge_repo.commit("unrelated")

    assert merge(merge_repo, "feat").code == 0

    assert (merge_repo.root / "data/raw.gitml").read_text() == theirs


def test_meta_from_one_side_and_data_from_the_other_are_both_kept(merge_repo: TmpRepo) -> None:
    _track_raw(merge_repo)
    new_branch(merge_repo, "feat")
    _change(merge_repo, {"data/raw/f1.csv": "feat\n"}, "data on feat")
    theirs = pointers.load(merge_repo.root, "data/raw.gitml")
    switch(merge_repo, "main")
    path = merge_repo.root / "data/raw.gitml"
    path.write_text(path.read_text() + "meta:\n  license: CC-BY-4.0\n")
    merge_repo.commit("license on main")

    result = merge(merge_repo, "feat")

    assert result.code == 0, result
    merged = pointers.load(merge_repo.root, "data/raw.gitml")
    assert (merged.oid, merged.files) == (theirs.oid, theirs.files)
    assert merged.meta == {"license": "CC-BY-4.0"}


def test_meta_set_differently_on_both_sides_conflicts_on_that_key(merge_repo: TmpRepo) -> None:
    _track_raw(merge_repo)
    path = merge_repo.root / "data/raw.gitml"
    base = path.read_text()
    new_branch(merge_repo, "feat")
    path.write_text(base + "meta:\n  license: MIT\n  source: feat\n")
    merge_repo.commit("feat meta")
    merge_repo.git("checkout", "-q", "main")
    path.write_text(base + "meta:\n  license: CC-BY-4.0\n  owner: me\n")
    merge_repo.commit("main meta")

    result = merge(merge_repo, "feat")

    assert result.code != 0
    assert "data/raw.gitml: meta.license: both sides changed it differently" in result.err
    assert "source" not in result.err and "owner" not in result.err
    text = path.read_text()
    assert text.endswith(
        "meta:\n<<<<<<< ours\n  license: CC-BY-4.0\n=======\n  license: MIT\n"
        ">>>>>>> theirs\n  source: feat\n  owner: me\n"
    )
    assert yaml.safe_load(keep_ours(text))["meta"] == {
        "license": "CC-BY-4.0",
        "owner": "me",
        "source": "feat",
    }
