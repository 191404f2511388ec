"""End to end: real `gitml` and `git` processes on a real repository."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gitml.cli.output import human_bytes

V1 = {
    "models/model.pt": b"\x00weights v1" * 100,
    "data/raw/a.csv": "id,x\n1,2\n",
    "data/raw/train/cats/1.jpg": b"\xff\xd8cat1",
    "data/raw/train/cats/2.jpg": b"\xff\xd8cat2",
    "data/raw/train/dogs/1.jpg": b"\xff\xd8dog1",
    "data/raw/test/deep/er/x.bin": b"\x01\x02\x03",
}


def _data(tmp_repo) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    return {
        rel: content
        for rel, content in tmp_repo.snapshot().items()
        if rel.startswith("data/raw/") or rel == "models/model.pt"
    }


def _v2(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen(
        {
            "models/model.pt": b"\x00weights v2" * 120,
            "data/raw/a.csv": "id,x\n1,2\n2,3\n",
            "data/raw/train/cats/3.jpg": b"\xff\xd8cat3",
            "data/raw/train/birds/new/1.jpg": b"\xff\xd8bird",
        }
    )
    os.remove(tmp_repo.root / "data/raw/train/dogs/1.jpg")
    shutil.rmtree(tmp_repo.root / "data/raw/test/deep")


def _tracked(tmp_repo) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    tmp_repo.gen(V1)
    tmp_repo.ok("add", "models/model.pt", "data/raw")
    tmp_repo.commit("v1")
    return _data(tmp_repo)


def test_add_commit_change_checkout_restores_each_version(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen(V1)
    result = tmp_repo.ok("add", "models/model.pt", "data/raw")
    assert "added data/raw (5 files" in result.out
    assert "git add" in result.out and "data/raw.gitml" in result.out
    tmp_repo.commit("v1")
    v1 = _data(tmp_repo)
    assert tmp_repo.git("status", "--porcelain") == ""  # data ignored, pointers committed
    _v2(tmp_repo)
    tmp_repo.ok("add", "models/model.pt", "data/raw")
    tmp_repo.commit("v2")
    v2 = _data(tmp_repo)
    assert v2 != v1

    tmp_repo.git("checkout", "-q", "HEAD~1")
    assert tmp_repo.fails("status", "--check").out  # pointers are v1, data still v2
    out = tmp_repo.ok("checkout").out
    assert "data/raw:" in out and "models/model.pt:" in out
    assert _data(tmp_repo) == v1
    assert not (tmp_repo.root / "data/raw/train/birds").exists()
    assert tmp_repo.ok("status", "--check").out.startswith("all 2 tracked artifact(s) up to date")

    tmp_repo.git("checkout", "-q", "main")
    tmp_repo.ok("checkout")
    assert _data(tmp_repo) == v2
    assert "already matches" in tmp_repo.ok("checkout").out


def test_a_second_worktree_checks_out_from_the_shared_cache(tmp_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    v1 = _tracked(tmp_repo)
    wt = tmp_path / "wt"
    tmp_repo.git("worktree", "add", "-q", "--detach", str(wt))
    assert not (wt / "data/raw").exists()
    assert "missing" in tmp_repo.fails("status", "--check", cwd=wt).out
    tmp_repo.ok("checkout", cwd=wt)
    for rel, content in v1.items():
        assert (wt / rel).read_bytes() == content
    tmp_repo.ok("status", "--check", cwd=wt)
    assert not (wt / ".git").is_dir()  # one cache, inside the main repository's git dir
    # A change added in the second work tree lands in the same cache.
    (wt / "models/model.pt").write_bytes(b"from wt")
    tmp_repo.ok("add", "models/model.pt", cwd=wt)
    ptr = (wt / "models/model.pt.gitml").read_text()
    (tmp_repo.root / "models/model.pt.gitml").write_text(ptr)
    tmp_repo.ok("checkout", "models/model.pt")
    assert (tmp_repo.root / "models/model.pt").read_bytes() == b"from wt"


def _gc_json(tmp_repo, *flags: str) -> dict:  # type: ignore[no-untyped-def]
    result: dict = json.loads(tmp_repo.ok("gc", "--json", *flags).out)
    return result


def test_gc_keeps_other_branches_only_when_asked(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    _tracked(tmp_repo)
    tmp_repo.git("checkout", "-q", "-b", "experiment")
    _v2(tmp_repo)
    tmp_repo.ok("add", "models/model.pt", "data/raw")
    tmp_repo.commit("v2 on a branch")
    tmp_repo.git("checkout", "-q", "main")
    tmp_repo.ok("checkout")
    objects = sorted(p for p in tmp_repo.cache.rglob("*") if p.is_file())

    dry = tmp_repo.ok("gc", "--dry-run")
    assert "would remove" in dry.out
    dry_json = _gc_json(tmp_repo, "--dry-run")
    assert dry_json["dry_run"] is True
    assert len(dry_json["removed"]) == 5  # model v2, a.csv v2, cat3, bird, v2 manifest
    assert dry_json["bytes_freed"] == sum(
        (tmp_repo.cache / oid[:2] / oid[2:]).stat().st_size for oid in dry_json["removed"]
    )
    assert f"would remove 5 object(s), {human_bytes(dry_json['bytes_freed'])}; kept 7" in dry.out
    assert dry.out.count("would remove xxh128:") == 5
    assert sorted(p for p in tmp_repo.cache.rglob("*") if p.is_file()) == objects

    kept = _gc_json(tmp_repo, "--all-branches")
    assert kept["removed"] == []
    assert sorted(p for p in tmp_repo.cache.rglob("*") if p.is_file()) == objects

    gone = _gc_json(tmp_repo)
    assert sorted(gone["removed"]) == sorted(dry_json["removed"])
    for oid in gone["removed"]:
        assert not (tmp_repo.cache / oid[:2] / oid[2:]).exists()
    tmp_repo.ok("status", "--check")
    # The experiment's data is gone from this cache: its checkout now says so.
    tmp_repo.git("checkout", "-q", "experiment")
    result = tmp_repo.fails("checkout")
    assert "is not in the cache" in result.err


def test_fsck_finds_and_repairs_a_corrupt_object(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    _tracked(tmp_repo)
    from gitml.core.hashing import hash_bytes

    oid = hash_bytes(V1["models/model.pt"])  # type: ignore[arg-type]
    obj = tmp_repo.cache / oid[:2] / oid[2:]
    assert stat.S_IMODE(obj.stat().st_mode) == 0o444
    tmp_repo.ok("fsck")
    obj.chmod(0o644)
    obj.write_bytes(b"bit rot")
    obj.chmod(0o444)
    found = tmp_repo.fails("fsck")
    assert f"corrupt: xxh128:{oid}\n" in found.out
    assert "1 corrupt" in found.out
    assert obj.exists()
    repaired = tmp_repo.fails("fsck", "--repair")
    assert f"corrupt: xxh128:{oid} (removed)" in repaired.out
    assert not obj.exists()
    missing = json.loads(tmp_repo.fails("fsck", "--json").out)
    assert (missing["corrupt"], missing["missing"], missing["ok"]) == ([], [oid], False)
    tmp_repo.ok("add", "models/model.pt")
    assert obj.read_bytes() == V1["models/model.pt"]
    assert json.loads(tmp_repo.ok("fsck", "--json").out)["ok"] is True


def test_re_add_reports_what_was_read_and_stored(tmp_repo, backdate) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({f"data/many/{i % 7}/{i}.txt": f"line {i}\n" for i in range(100)})
    backdate(tmp_repo.root / "data")
    [first] = json.loads(tmp_repo.ok("add", "--json", "data/many").out)
    assert (first["files"], first["hashed"], first["stored"], first["changed"]) == (
        100,
        100,
        100,
        True,
    )
    tmp_repo.gen({"data/many/0/0.txt": "edited\n", "data/many/new.txt": "new\n"})
    [second] = json.loads(tmp_repo.ok("add", "--json", "data/many").out)
    assert (second["files"], second["hashed"], second["stored"], second["changed"]) == (
        101,
        2,
        2,
        True,
    )
    detail = tmp_repo.ok("add", "-v", "data/many").out
    assert "unchanged data/many (101 files" in detail
    assert "stored 0 new object(s)" in detail


def test_status_states_and_output(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({**V1, "extra.bin": b"e", "gone.bin": b"g", "uncached.bin": b"u"})
    tmp_repo.ok("add", "models/model.pt", "data/raw", "extra.bin", "gone.bin", "uncached.bin")
    clean = tmp_repo.ok("status", "--check")
    assert clean.out == "all 5 tracked artifact(s) up to date\n"
    tmp_repo.gen({"data/raw/a.csv": "changed\n", "data/raw/train/new.jpg": b"n"})
    os.remove(tmp_repo.root / "data/raw/train/cats/1.jpg")
    os.remove(tmp_repo.root / "gone.bin")
    from gitml.core.hashing import hash_bytes

    oid = hash_bytes(b"u")
    os.remove(tmp_repo.cache / oid[:2] / oid[2:])

    plain = tmp_repo.fails("status", "--check")
    assert plain.out.splitlines() == [
        "M data/raw: modified",
        "! gone.bin: missing",
        "C uncached.bin: not in cache",
    ]
    assert tmp_repo.ok("status").out == plain.out  # without --check: exit 0

    verbose = tmp_repo.ok("status", "-v").out.splitlines()
    assert "M data/raw: modified" in verbose
    assert "    added: data/raw/train/new.jpg" in verbose
    assert "    modified: data/raw/a.csv" in verbose
    assert "    deleted: data/raw/train/cats/1.jpg" in verbose
    assert "  extra.bin: unchanged" in verbose

    doc = json.loads(tmp_repo.ok("status", "--json").out)
    assert doc["clean"] is False
    by_path = {a["path"]: a for a in doc["artifacts"]}
    assert set(by_path) == {"data/raw", "extra.bin", "gone.bin", "models/model.pt", "uncached.bin"}
    assert by_path["data/raw"] == {
        "path": "data/raw",
        "kind": "dir",
        "state": "modified",
        "workspace": "modified",
        "in_cache": True,
        "changes": {
            "added": ["train/new.jpg"],
            "modified": ["a.csv"],
            "deleted": ["train/cats/1.jpg"],
        },
    }
    assert by_path["gone.bin"]["state"] == "missing"
    assert by_path["uncached.bin"] == {
        "path": "uncached.bin",
        "kind": "file",
        "state": "not in cache",
        "workspace": "unchanged",
        "in_cache": False,
    }
    assert by_path["extra.bin"]["state"] == "unchanged"
    assert json.loads(tmp_repo.fails("status", "--json", "--check").out) == doc
    # Paths narrow it down.
    narrowed = json.loads(tmp_repo.ok("status", "--json", "extra.bin").out)
    assert [a["path"] for a in narrowed["artifacts"]] == ["extra.bin"]
    assert narrowed["clean"] is True


def test_checkout_replaces_cached_content_and_refuses_unsaved_changes(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    v1 = _tracked(tmp_repo)
    _v2(tmp_repo)
    tmp_repo.ok("add", "models/model.pt", "data/raw")
    # Back to v1's pointers; the work tree's v2 content is in the cache: replaced silently.
    tmp_repo.git("checkout", "-q", "--", "models/model.pt.gitml", "data/raw.gitml")
    tmp_repo.ok("checkout")
    assert _data(tmp_repo) == v1

    # An edit that exists nowhere else is kept, and nothing at all changes.
    tmp_repo.gen({"data/raw/train/cats/2.jpg": b"my unsaved edit"})
    os.remove(tmp_repo.root / "models/model.pt")
    before = tmp_repo.snapshot()
    result = tmp_repo.fails("checkout")
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1
    assert "data/raw/train/cats/2.jpg" in result.err
    assert "--force" in result.err
    assert tmp_repo.snapshot() == before

    tmp_repo.ok("checkout", "--force")
    assert _data(tmp_repo) == v1


def test_commit_command(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    _tracked(tmp_repo)
    assert tmp_repo.ok("commit").out == "nothing changed\n"
    tmp_repo.gen({"models/model.pt": b"retrained"})
    assert tmp_repo.ok("commit").out == "recorded models/model.pt -> models/model.pt.gitml\n"
    tmp_repo.ok("status", "--check")
    assert "models/model.pt.gitml" in tmp_repo.git("status", "--porcelain")


def test_from_a_subfolder(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"data/raw/a": "a", "data/other.csv": "o", "top.bin": "t"})
    sub = tmp_repo.root / "data"
    tmp_repo.ok("init", cwd=sub)
    tmp_repo.ok("add", "raw", "other.csv", "../top.bin", cwd=sub)
    assert (sub / "raw.gitml").is_file()
    assert (sub / "other.csv.gitml").is_file()
    assert (tmp_repo.root / "top.bin.gitml").is_file()
    assert (sub / ".gitignore").read_text() == "/raw\n/other.csv\n"
    (sub / "raw/a").write_text("changed")
    assert tmp_repo.fails("status", "--check", "raw", cwd=sub).out == "M data/raw: modified\n"
    narrowed = json.loads(tmp_repo.ok("status", "--json", "other.csv", cwd=sub).out)
    assert [a["path"] for a in narrowed["artifacts"]] == ["data/other.csv"]
    tmp_repo.ok("checkout", "--force", "raw", cwd=sub)
    assert (sub / "raw/a").read_text() == "a"
    deeper = sub / "raw"
    assert "data/raw" in tmp_repo.ok("status", "-v", "..", cwd=deeper).out


def test_init_is_idempotent(tmp_path: Path, repo_at) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "fresh"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    repo = repo_at(root)
    first = repo.ok("init")
    assert "created .gitml/config.yaml" in first.out
    config = (root / ".gitml/config.yaml").read_bytes()
    second = repo.ok("init")
    assert "already initialised" in second.out
    assert (root / ".gitml/config.yaml").read_bytes() == config
    assert json.loads(repo.ok("init", "--json").out) == {"root": str(root.resolve()), "created": []}
    assert repo.ok("init", "-q").out == ""


def test_version(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    from gitml import __version__

    for flag in ("--version", "-V"):
        assert tmp_repo.ok(flag).out == f"gitml, version {__version__}\n"
    # main answers these without click: what click's own version option says is the same
    click_says = subprocess.run(
        [sys.executable, "-c", "from gitml.cli.app import cli; cli(['--version'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert click_says.stdout == f"gitml, version {__version__}\n"


def test_git_ml_is_found_by_git(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    from gitml import __version__

    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "git-ml").exists(), "console script git-ml is not installed"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    for args in (["ml", "--version"], ["ml", "status"]):
        proc = subprocess.run(
            ["git", *args], cwd=tmp_repo.root, env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc
    version = subprocess.run(
        ["git", "ml", "--version"], cwd=tmp_repo.root, env=env, capture_output=True, text=True
    )
    assert version.stdout == f"gitml, version {__version__}\n"


@pytest.mark.parametrize("kind", ["hardlink", "symlink"])
def test_link_cache_types(tmp_repo, kind: str) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({".gitml/config.yaml": f"version: 1\ncache:\n  type: [{kind}, copy]\n"})
    tmp_repo.gen({**V1, "data/raw/run.sh": "#!/bin/sh\necho hi\n"})
    script = tmp_repo.root / "data/raw/run.sh"
    script.chmod(0o755)
    tmp_repo.ok("add", "models/model.pt", "data/raw")
    v1 = _data(tmp_repo)

    def check_links() -> None:
        # An executable file keeps its own executable copy: a link would share the
        # object's read-only, non-executable mode with every file of that content.
        assert not script.is_symlink()
        assert stat.S_IMODE(script.stat().st_mode) == 0o755
        assert subprocess.run([str(script)], capture_output=True, text=True).stdout == "hi\n"
        for rel in v1:
            if rel == "data/raw/run.sh":
                continue
            path = tmp_repo.root / rel
            if kind == "symlink":
                assert path.is_symlink(), rel
                assert path.resolve().is_relative_to(tmp_repo.cache.resolve()), rel
            else:
                assert not path.is_symlink(), rel
                assert path.stat().st_nlink >= 2, rel
                oid_path = next(
                    p for p in tmp_repo.cache.rglob("*") if p.stat().st_ino == path.stat().st_ino
                )
                assert oid_path.read_bytes() == v1[rel]
            # Links share the cache object: read-only, so an edit cannot corrupt the cache.
            assert stat.S_IMODE(path.stat().st_mode) & 0o222 == 0, rel

    check_links()
    tmp_repo.ok("status", "--check")
    shutil.rmtree(tmp_repo.root / "data/raw/train")
    os.remove(tmp_repo.root / "models/model.pt")
    tmp_repo.ok("checkout")
    check_links()
    assert _data(tmp_repo) == v1
    tmp_repo.ok("status", "--check")
    # Editing a linked file: replace it (as tools do), then add records the new content.
    target = tmp_repo.root / "models/model.pt"
    target.unlink()
    target.write_bytes(b"new weights")
    tmp_repo.ok("add", "models/model.pt")
    assert target.read_bytes() == b"new weights"
    tmp_repo.ok("fsck")


def test_the_suggested_git_add_command_works_for_any_name(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"my data/raw set/a.csv": "a", "it's.bin": "b"})
    out = tmp_repo.ok("add", "my data/raw set", "it's.bin").out
    [line] = [line for line in out.splitlines() if line.startswith("to record it in git: ")]
    command = line.removeprefix("to record it in git: ")
    subprocess.run(command, shell=True, cwd=tmp_repo.root, check=True)
    staged = tmp_repo.git("diff", "--cached", "--name-only", "-z").split("\0")
    assert sorted(filter(None, staged)) == [
        ".gitignore",
        "it's.bin.gitml",
        "my data/.gitignore",
        "my data/raw set.gitml",
    ]
