"""`gitml merge-driver BASE OURS THEIRS PATH` run as a process on files we write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitml.core import lockfile
from gitml.core import pointer as pointers
from gitml.core.lockfile import LockEntry, Record
from gitml.core.manifest import Entry, Manifest
from gitml.core.pointer import Pointer
from tests.conftest import Result, TmpRepo


def _oid(n: int) -> str:
    return f"{n:032x}"


def _folder(repo: TmpRepo, files: dict[str, int], *, store: bool = True) -> Manifest:
    manifest = Manifest.build(Entry(path, _oid(n), n) for path, n in files.items())
    if store:
        handle = repo.repo()
        if not handle.cache.exists(manifest.oid()):
            handle.cache.put_bytes(manifest.to_bytes(), manifest.oid())
        handle.close()
    return manifest


def _record(path: str, manifest: Manifest) -> Record:
    return Record(path, manifest.oid(), manifest.size, len(manifest))


def _entry(deps: Manifest, outs: Manifest, *, lr: float = 0.1) -> LockEntry:
    return LockEntry(
        cmd=("python prepare.py",),
        deps=(_record("data/raw", deps), Record("prepare.py", _oid(7), 7)),
        params={"params.yaml": {"lr": lr}},
        outs=(_record("data/prepared", outs),),
        env={"python": "3.11.7"},
    )


def _lock(**entries: LockEntry) -> str:
    return lockfile.dumps(entries, list(entries))


def drive(repo: TmpRepo, rel: str, base: str, ours: str, theirs: str, *args: str) -> Result:
    for name, text in (("base", base), ("ours", ours), ("theirs", theirs)):
        (repo.root / f".merge_{name}").write_text(text)
    return repo.run("merge-driver", *args, ".merge_base", ".merge_ours", ".merge_theirs", rel)


def merged(repo: TmpRepo) -> str:
    return (repo.root / ".merge_ours").read_text()


@pytest.fixture
def folders(tmp_repo: TmpRepo) -> dict[str, Manifest]:
    """A folder's base and two changes on different files, as dep and as output."""
    return {
        "raw": _folder(tmp_repo, {"a": 1, "b": 2, "c": 3}),
        "raw_ours": _folder(tmp_repo, {"a": 10, "b": 2, "c": 3}),
        "raw_theirs": _folder(tmp_repo, {"a": 1, "b": 2, "c": 3, "d": 4}),
        "raw_merged": _folder(tmp_repo, {"a": 10, "b": 2, "c": 3, "d": 4}, store=False),
        "prep": _folder(tmp_repo, {"a": 11, "b": 12, "c": 13}),
        "prep_ours": _folder(tmp_repo, {"a": 20, "b": 12, "c": 13}),
        "prep_theirs": _folder(tmp_repo, {"a": 11, "b": 12, "c": 13, "d": 14}),
        "prep_merged": _folder(tmp_repo, {"a": 20, "b": 12, "c": 13, "d": 14}, store=False),
    }


def _three(f: dict[str, Manifest], **theirs_params: float) -> tuple[str, str, str]:
    return (
        _lock(prepare=_entry(f["raw"], f["prep"])),
        _lock(prepare=_entry(f["raw_ours"], f["prep_ours"])),
        _lock(prepare=_entry(f["raw_theirs"], f["prep_theirs"], **theirs_params)),
    )


def test_a_stage_run_on_both_sides_over_different_files_is_merged(
    tmp_repo: TmpRepo, folders: dict[str, Manifest]
) -> None:
    base, ours, theirs = _three(folders)

    result = drive(tmp_repo, "stages.lock", base, ours, theirs, "--json")

    assert result.code == 0, result
    assert json.loads(result.out) == {
        "path": "stages.lock",
        "clean": True,
        "merged_folders": ["stage prepare dep data/raw", "stage prepare out data/prepared"],
        "conflicts": [],
    }
    entry = lockfile.loads(merged(tmp_repo), "stages.lock")["prepare"]
    assert entry.deps[0] == _record("data/raw", folders["raw_merged"])
    assert entry.outs[0] == _record("data/prepared", folders["prep_merged"])
    cache = tmp_repo.repo().cache
    assert Manifest.from_bytes(cache.read_bytes(entry.outs[0].oid)) == folders["prep_merged"]
    # The same text whichever side is ours: the result is deterministic.
    assert drive(tmp_repo, "stages.lock", base, theirs, ours).code == 0
    assert merged(tmp_repo) == lockfile.dumps({"prepare": entry}, ["prepare"])


def test_folders_are_not_merged_when_the_runs_had_different_params(
    tmp_repo: TmpRepo, folders: dict[str, Manifest]
) -> None:
    """The merged entry would claim a result that no run produced."""
    base, ours, theirs = _three(folders, lr=0.5)

    result = drive(tmp_repo, "stages.lock", base, ours, theirs)

    assert result.code == 1
    assert result.err.strip().splitlines() == [
        "gitml: conflict: stages.lock: stage prepare: both sides ran it differently (params)"
        " — keep one side between the markers, run `gitml repro prepare` to record the"
        " merged result, then `git add stages.lock`"
    ]
    assert "merged" not in result.out + result.err.split("conflict")[0]


def test_a_missing_manifest_is_a_conflict_that_says_which_and_how_to_get_it(
    tmp_repo: TmpRepo, folders: dict[str, Manifest]
) -> None:
    absent = _folder(tmp_repo, {"a": 1, "b": 2, "c": 3, "zz": 99}, store=False)
    base = _lock(prepare=_entry(folders["raw"], folders["prep"]))
    ours = _lock(prepare=_entry(folders["raw_ours"], folders["prep_ours"]))
    theirs = _lock(prepare=_entry(absent, folders["prep_theirs"]))

    result = drive(tmp_repo, "stages.lock", base, ours, theirs)

    assert result.code == 1
    assert f"manifest xxh128:{absent.oid()} (theirs) is not in the cache" in result.err
    assert "`gitml pull`" in result.err
    text = merged(tmp_repo)
    assert text.count("<<<<<<< ours\n") == 1 and absent.oid() in text


def test_a_stage_removed_on_one_side_and_rerun_on_the_other_conflicts(tmp_repo: TmpRepo) -> None:
    one, two = LockEntry(("one",)), LockEntry(("two",))
    base = _lock(a=one, b=one)
    ours = _lock(a=two)  # b removed
    theirs = _lock(a=one, b=two)  # b changed

    result = drive(tmp_repo, "stages.lock", base, ours, theirs)

    assert result.code == 1
    assert "stages.lock: stage b: removed on one side and changed on the other" in result.err
    assert merged(tmp_repo).endswith(
        "stages:\n  a:\n    cmd: two\n<<<<<<< ours\n=======\n  b:\n    cmd: two\n>>>>>>> theirs\n"
    )


def test_an_invalid_side_is_an_error_and_ours_is_left_alone(tmp_repo: TmpRepo) -> None:
    ours = _lock(a=LockEntry(("x",)))
    result = drive(tmp_repo, "stages.lock", ours, ours, "schema: 1\nstages:\n  a: {cmdd: x}\n")
    assert result.code == 1
    assert result.err.startswith("error: stages.lock (theirs):3:"), result
    assert merged(tmp_repo) == ours


def test_a_lock_file_in_a_subfolder_is_merged_too(tmp_repo: TmpRepo) -> None:
    one, two = LockEntry(("one",)), LockEntry(("two",))
    result = drive(tmp_repo, "sub/stages.lock", _lock(a=one), _lock(a=one, b=two), _lock(a=two))
    assert result.code == 0, result
    assert lockfile.loads(merged(tmp_repo), "stages.lock") == {"a": two, "b": two}


def test_other_files_are_refused(tmp_repo: TmpRepo) -> None:
    result = drive(tmp_repo, "params.yaml", "a: 1\n", "a: 2\n", "a: 3\n")
    assert result.code == 1
    assert "merges only stages.lock and *.gitml" in result.err
    assert "merge=gitml" in result.err


def _pointer(oid: str, size: int, files: int | None = None, **meta: str) -> str:
    return Pointer("data/raw", oid, size, files, dict(meta)).dumps()


def test_a_pointer_added_on_both_sides_with_different_content_conflicts(tmp_repo: TmpRepo) -> None:
    ours, theirs = _pointer(_oid(1), 1), _pointer(_oid(2), 2)

    result = drive(tmp_repo, "data/raw.gitml", "", ours, theirs)

    assert result.code == 1
    assert "data/raw.gitml: data/raw: added on both sides with different content" in result.err
    assert drive(tmp_repo, "data/raw.gitml", "", ours, ours).code == 0
    assert merged(tmp_repo) == ours


def test_a_file_artifact_changed_on_both_sides_conflicts(tmp_repo: TmpRepo) -> None:
    base = _pointer(_oid(1), 1, license="MIT")
    ours = _pointer(_oid(2), 2, license="MIT")
    theirs = _pointer(_oid(3), 3, license="MIT", source="x")

    result = drive(tmp_repo, "data/raw.gitml", base, ours, theirs)

    assert result.code == 1
    assert "data/raw.gitml: data/raw: changed on both sides —" in result.err
    assert merged(tmp_repo) == (
        f"version: 1\npath: raw\n<<<<<<< ours\nhash: xxh128:{_oid(2)}\nsize: 2\n=======\n"
        f"hash: xxh128:{_oid(3)}\nsize: 3\n>>>>>>> theirs\nmeta:\n  license: MIT\n  source: x\n"
    )


def test_a_merged_folder_pointer_counts_its_files(
    tmp_repo: TmpRepo, folders: dict[str, Manifest]
) -> None:
    def ptr(m: Manifest, **meta: str) -> str:
        return _pointer(m.oid(), m.size, len(m), **meta)

    base, ours = ptr(folders["raw"]), ptr(folders["raw_ours"], owner="me")
    result = drive(tmp_repo, "data/raw.gitml", base, ours, ptr(folders["raw_theirs"]))
    assert result.code == 0, result
    got = pointers.loads(merged(tmp_repo), "data/raw.gitml")
    want = folders["raw_merged"]
    assert (got.oid, got.size, got.files, got.meta) == (want.oid(), want.size, 4, {"owner": "me"})
    assert Path(tmp_repo.repo().cache.path(want.oid())).is_file()
