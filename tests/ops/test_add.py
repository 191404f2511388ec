"""``gitml add`` at the ops level: what is stored, what is read, what is refused."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from gitml.core.hashing import hash_bytes
from gitml.core.manifest import Manifest
from gitml.core.pointer import load as load_pointer
from gitml.core.repo import Repo
from gitml.errors import AlreadyTrackedByGit, BadPath
from gitml.ops.add import add

TREE = {
    "data/raw/a.csv": "a,b\n1,2\n",
    "data/raw/sub/b.csv": "b\n",
    "data/raw/sub/deeper/c.bin": b"\x00\x01\x02",
}


def _files(n: int) -> dict[str, str]:
    return {f"data/many/{i // 10}/f{i}.txt": f"content {i}\n" for i in range(n)}


def test_add_a_file(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"models/model.pt": b"weights"})
    [r] = add(repo, ["models/model.pt"])
    oid = hash_bytes(b"weights")
    assert (r.path, r.pointer, r.hash, r.size, r.files) == (
        "models/model.pt",
        "models/model.pt.gitml",
        f"xxh128:{oid}",
        7,
        None,
    )
    assert (r.hashed, r.stored, r.changed) == (1, 1, True)
    assert yaml.safe_load((tmp_repo.root / "models/model.pt.gitml").read_text()) == {
        "version": 1,
        "path": "model.pt",
        "hash": f"xxh128:{oid}",
        "size": 7,
    }
    assert (tmp_repo.root / "models/.gitignore").read_text() == "/model.pt\n"
    assert repo.cache.read_bytes(oid) == b"weights"
    assert stat.S_IMODE(os.stat(repo.cache.path(oid)).st_mode) == 0o444
    assert (tmp_repo.root / "models/model.pt").read_bytes() == b"weights"
    # git sees the pointer and .gitignore, not the data.
    assert tmp_repo.git("status", "--porcelain", "-uall").splitlines() == [
        "?? .gitml/.gitignore",
        "?? .gitml/config.yaml",
        "?? models/.gitignore",
        "?? models/model.pt.gitml",
    ]


def test_add_a_directory(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen(TREE)
    [r] = add(repo, ["data/raw"])
    assert (r.files, r.size, r.hashed, r.stored) == (3, 13, 3, 3)
    ptr = load_pointer(tmp_repo.root, "data/raw.gitml")
    assert ptr.is_dir and ptr.files == 3
    manifest = Manifest.from_bytes(repo.cache.read_bytes(ptr.oid))
    assert [e.path for e in manifest] == ["a.csv", "sub/b.csv", "sub/deeper/c.bin"]
    for e in manifest:
        assert repo.cache.read_bytes(e.oid) == (tmp_repo.root / "data/raw" / e.path).read_bytes()
    assert repo.state.is_complete(ptr.oid)


def test_add_an_empty_directory(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    (tmp_repo.root / "empty").mkdir()
    [r] = add(repo, ["empty"])
    assert (r.files, r.size) == (0, 0)


def test_executable_bit_is_recorded(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"tools/run.sh": "#!/bin/sh\n", "tools/lib.sh": "x\n"})
    (tmp_repo.root / "tools/run.sh").chmod(0o755)
    [r] = add(repo, ["tools"])
    manifest = Manifest.from_bytes(repo.cache.read_bytes(r.hash.split(":")[1]))
    assert {e.path: e.executable for e in manifest} == {"lib.sh": False, "run.sh": True}


def test_re_adding_unchanged_data_reads_nothing(
    tmp_repo,  # type: ignore[no-untyped-def]
    repo: Repo,
    backdate: Callable[..., None],
) -> None:
    tmp_repo.gen(_files(40))
    backdate(tmp_repo.root / "data")
    add(repo, ["data/many"])
    [again] = add(repo, ["data/many"])
    assert (again.hashed, again.stored, again.changed) == (0, 0, False)


def test_re_adding_a_changed_directory_stores_only_the_changes(
    tmp_repo,  # type: ignore[no-untyped-def]
    repo: Repo,
    backdate: Callable[..., None],
) -> None:
    tmp_repo.gen(_files(50))
    backdate(tmp_repo.root / "data")
    [first] = add(repo, ["data/many"])
    assert (first.hashed, first.stored) == (50, 50)
    before = set(repo.cache.iter_oids())
    tmp_repo.gen(
        {
            "data/many/0/f3.txt": "changed 3\n",
            "data/many/4/f47.txt": "changed 47\n",
            "data/many/new/n.txt": "new file\n",
        }
    )
    os.remove(tmp_repo.root / "data/many/2/f20.txt")
    [second] = add(repo, ["data/many"])
    assert second.changed
    assert second.files == 50
    assert (second.hashed, second.stored) == (3, 3)
    new_objects = set(repo.cache.iter_oids()) - before
    # three file objects and the new manifest
    assert len(new_objects) == 4
    assert second.hash.split(":")[1] in new_objects


def test_duplicate_content_is_stored_once(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({f"d/{i}": "same\n" for i in range(5)})
    [r] = add(repo, ["d"])
    assert (r.hashed, r.stored) == (5, 1)


def test_add_through_the_pointer_name_and_duplicates(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"m.pt": "x"})
    add(repo, ["m.pt"])
    results = add(repo, ["m.pt.gitml", "m.pt", "./m.pt"])
    assert [r.path for r in results] == ["m.pt"]
    assert not results[0].changed


def test_meta_survives_re_adding(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"m.pt": "v1"})
    add(repo, ["m.pt"])
    ptr_file = tmp_repo.root / "m.pt.gitml"
    ptr_file.write_text(ptr_file.read_text() + "meta:\n  license: MIT\n")
    tmp_repo.gen({"m.pt": "v2"})
    [r] = add(repo, ["m.pt"])
    assert r.changed
    doc = yaml.safe_load(ptr_file.read_text())
    assert doc["meta"] == {"license": "MIT"}
    assert doc["hash"] == f"xxh128:{hash_bytes(b'v2')}"


def test_a_broken_pointer_is_replaced(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"m.pt": "v1", "m.pt.gitml": "version: [\n"})
    [r] = add(repo, ["m.pt"])
    assert r.changed
    assert load_pointer(tmp_repo.root, "m.pt.gitml").oid == hash_bytes(b"v1")


def test_links_inside_the_repo_are_followed(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"shared/x.csv": "x\n", "d/a": "a"})
    os.symlink("../shared/x.csv", tmp_repo.root / "d/x.csv")
    [r] = add(repo, ["d"])
    assert r.files == 2


# -- refused input: one error, nothing written -------------------------------


def _refused(tmp_repo, repo: Repo, paths: list[str], error: type[Exception], match: str) -> None:  # type: ignore[no-untyped-def]
    before = tmp_repo.snapshot()
    with pytest.raises(error, match=match):
        add(repo, paths)
    assert tmp_repo.snapshot() == before


def test_refuses_a_missing_path(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"a": "a"})
    _refused(tmp_repo, repo, ["a", "nope"], BadPath, "nope: no such file or folder")


def test_refuses_git_internals(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    _refused(tmp_repo, repo, [".git/config"], BadPath, "inside .git")
    _refused(tmp_repo, repo, [".git"], BadPath, "inside .git")


def test_refuses_the_root_and_outside(tmp_repo, repo: Repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _refused(tmp_repo, repo, ["."], BadPath, "is the repository root")
    (tmp_path / "out").write_text("x")
    _refused(tmp_repo, repo, [str(tmp_path / "out")], BadPath, "outside the repository")


def test_refuses_what_git_tracks(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"data/raw/a.csv": "a", "data/raw/b.csv": "b"})
    tmp_repo.commit()
    with pytest.raises(AlreadyTrackedByGit) as info:
        add(repo, ["data/raw"])
    assert "data/raw: already tracked by git (2 file(s)" in info.value.message
    assert "git rm -r --cached data/raw" in str(info.value.hint)


def test_refuses_a_path_inside_a_tracked_folder(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen(TREE)
    add(repo, ["data/raw"])
    _refused(
        tmp_repo, repo, ["data/raw/sub"], BadPath, "is inside data/raw, which gitml already tracks"
    )


def test_refuses_a_link_out_of_the_repo(tmp_repo, repo: Repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "secret").write_text("s")
    tmp_repo.gen({"d/a": "a"})
    os.symlink(tmp_path / "secret", tmp_repo.root / "link")
    _refused(tmp_repo, repo, ["link"], BadPath, "symlink points outside the repository")


def test_a_bad_link_in_the_last_folder_writes_nothing_for_the_first(
    tmp_repo,  # type: ignore[no-untyped-def]
    repo: Repo,
    tmp_path: Path,
) -> None:
    (tmp_path / "secret").write_text("s")
    tmp_repo.gen({"good/a": "a", "bad/b": "b"})
    os.symlink(tmp_path / "secret", tmp_repo.root / "bad/link")
    _refused(tmp_repo, repo, ["good", "bad"], BadPath, "symlink points outside the repository")


def test_refuses_a_symlinked_folder(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"real/a": "a"})
    os.symlink("real", tmp_repo.root / "alias")
    _refused(tmp_repo, repo, ["alias"], BadPath, "symlinked folder")


def test_refuses_a_fifo(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    os.mkfifo(tmp_repo.root / "pipe")
    _refused(tmp_repo, repo, ["pipe"], BadPath, "not a regular file or folder")


@pytest.mark.parametrize("name", ["C:x", "\\x", "a\nb"])
def test_refuses_names_a_pointer_cannot_hold(tmp_repo, repo: Repo, name: str) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"ok": "fine", f"d/{name}": "x"})
    _refused(tmp_repo, repo, ["ok", f"d/{name}"], BadPath, "gitml cannot track a name")
    _refused(tmp_repo, repo, ["ok", "d"], BadPath, "gitml cannot track a name")


@pytest.mark.parametrize(
    ("rel", "named"),
    [
        ("d/sub/a\nb", "d/sub/a\nb"),
        ("d/sub/deep/a\nb", "d/sub/deep/a\nb"),
        ("d/C:x/f", "d/C:x"),  # the folder is what to rename
        ("d/\\x/f", "d/\\x"),
        ("d/s\nx/f", "d/s\nx"),
        ("d/sub/s\nx/f", "d/sub/s\nx"),
    ],
)
def test_refuses_such_names_anywhere_in_a_folder(
    tmp_repo, repo: Repo, rel: str, named: str
) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"d/fine/ok": "fine", "d/sub/x:y": "fine too", rel: "x"})
    _refused(tmp_repo, repo, ["d"], BadPath, f"^{re.escape(named)}: gitml cannot track a name")


def test_names_with_spaces_colons_and_unicode_are_tracked(
    tmp_repo,  # type: ignore[no-untyped-def]
    repo: Repo,
) -> None:
    names = [" lead", "trail ", "0:z", "ab:c", "données é", "tab\tname", "#x", "!y"]
    tmp_repo.gen({f"d/{n}": n for n in names} | {f"{n}.bin": n for n in names})
    results = add(repo, ["d", *(f"{n}.bin" for n in names)])
    assert results[0].files == len(names)
    from gitml.ops.status import status

    assert all(s.clean for s in status(repo))
    assert sorted(s.path for s in status(repo)) == sorted(["d", *(f"{n}.bin" for n in names)])


def test_refuses_a_folder_holding_a_tracked_artifact(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    # Its pointer would end up inside the folder's data, ignored by git: silently untracked.
    tmp_repo.gen({"data/raw/a": "a", "data/b": "b"})
    add(repo, ["data/raw"])
    _refused(
        tmp_repo, repo, ["data"], BadPath, "data: contains data/raw, which gitml already tracks"
    )
    add(repo, ["data/b"])  # the other paths, one by one


def test_a_folder_that_became_a_file_and_back(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from gitml.ops.checkout import checkout
    from gitml.ops.status import status

    tmp_repo.gen({"art/a": "a", "art/b": "b"})
    add(repo, ["art"])
    folder_pointer = (tmp_repo.root / "art.gitml").read_text()
    shutil.rmtree(tmp_repo.root / "art")
    tmp_repo.gen({"art": "now a file"})
    assert [s.workspace for s in status(repo)] == ["missing"]
    [r] = add(repo, ["art"])
    assert (r.files, r.changed) == (None, True)
    assert [s.state for s in status(repo)] == ["unchanged"]
    # Back to the folder's pointer: the file's content is in the cache, so it is replaced.
    (tmp_repo.root / "art.gitml").write_text(folder_pointer)
    checkout(repo)
    assert (tmp_repo.root / "art/a").read_text() == "a"
    assert [s.state for s in status(repo)] == ["unchanged"]


def test_large_and_empty_files(tmp_repo, repo: Repo) -> None:  # type: ignore[no-untyped-def]
    from gitml.ops.checkout import checkout

    big = os.urandom(3 * (1 << 20) + 17)  # above the one-read size: streamed, then copied
    tmp_repo.gen({"big.bin": big, "empty.bin": b"", "d/big.bin": big, "d/empty": b""})
    results = add(repo, ["big.bin", "empty.bin", "d"])
    assert [r.size for r in results] == [len(big), 0, len(big)]
    assert repo.cache.read_bytes(hash_bytes(big)) == big
    assert repo.cache.read_bytes(hash_bytes(b"")) == b""
    for rel in ("big.bin", "empty.bin", "d/big.bin", "d/empty"):
        os.remove(tmp_repo.root / rel)
    checkout(repo)
    assert (tmp_repo.root / "big.bin").read_bytes() == big
    assert (tmp_repo.root / "d/big.bin").read_bytes() == big
    assert (tmp_repo.root / "empty.bin").read_bytes() == b""
    assert (tmp_repo.root / "d/empty").read_bytes() == b""
