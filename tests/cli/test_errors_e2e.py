"""Bad input: one clear line on stderr, exit code 1, and nothing changed on disk."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

OID = "0123456789abcdef0123456789abcdef"


def _one_line_error(result, *patterns: str) -> str:  # type: ignore[no-untyped-def]
    assert result.code == 1, result
    assert result.out == "", result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result
    assert lines[0].startswith("error: "), result
    assert " — " in lines[0], "the message says how to fix it"
    for pattern in patterns:
        assert re.search(pattern, lines[0]), (pattern, lines[0])
    return lines[0]


@pytest.fixture
def tracked(tmp_repo):  # type: ignore[no-untyped-def]
    tmp_repo.gen({"data/raw/a.csv": "a\n", "data/raw/sub/b.csv": "b\n", "model.pt": "w"})
    tmp_repo.ok("add", "data/raw", "model.pt")
    tmp_repo.commit("data")
    return tmp_repo


def _edit_pointer(tmp_repo, old: str, new: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_repo.root / "data/raw.gitml"
    text = path.read_text()
    assert re.search(old, text, flags=re.M), text
    path.write_text(re.sub(old, new, text, count=1, flags=re.M))


POINTER_CASES = {
    "broken-yaml": (
        r"^size: .*$",
        "size: [1, 2",
        [r"^error: data/raw\.gitml:\d+:\d+: invalid YAML"],
    ),
    "hash-format": (
        r"^hash: .*$",
        f"hash: md5:{OID}",
        [r"^error: data/raw\.gitml:3:\d+: hash: ", "xxh128: followed by 32 lowercase hex"],
    ),
    "hash-uppercase": (
        r"^hash: .*$",
        f"hash: xxh128:{OID.upper()}",
        [r"^error: data/raw\.gitml:3:\d+: hash: "],
    ),
    "dotdot-path": (r"^path: .*$", "path: ../../etc", [r"^error: data/raw\.gitml:2:\d+: path: "]),
    "absolute-path": (r"^path: .*$", "path: /etc", [r"^error: data/raw\.gitml:2:\d+: path: "]),
    "unknown-key": (
        r"^size: (.*)$",
        r"size: \1\nfiels: 2",
        [r"^error: data/raw\.gitml:\d+:\d+: fiels: unknown key", "did you mean 'files'\\?"],
    ),
    "wrong-type": (r"^size: .*$", "size: big", [r"^error: data/raw\.gitml:4:\d+: size: "]),
    "missing-key": (r"^hash: .*\n", "", [r"data/raw\.gitml.*missing required key 'hash'"]),
}


@pytest.mark.parametrize("case", list(POINTER_CASES))
def test_bad_pointer(tracked, case: str) -> None:  # type: ignore[no-untyped-def]
    old, new, patterns = POINTER_CASES[case]
    _edit_pointer(tracked, old, new)
    os.remove(tracked.root / "model.pt")  # checkout would restore it, if it ran
    tracked.gen({"data/raw/a.csv": "edited\n"})  # commit would record it, if it ran
    before = tracked.snapshot()
    for command in ("status", "checkout", "commit"):
        _one_line_error(tracked.run(command), *patterns)
    assert tracked.snapshot() == before


def test_bad_pointer_stops_gc(tracked) -> None:  # type: ignore[no-untyped-def]
    _edit_pointer(tracked, r"^size: (.*)$", r"size: \1\nfiels: 2")
    before = tracked.snapshot()
    _one_line_error(tracked.run("gc"), r"data/raw\.gitml:\d+:\d+: fiels: unknown key")
    assert tracked.snapshot() == before


def test_add_a_symlink_out_of_the_repo(tmp_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "secret.csv").write_text("s")
    tmp_repo.gen({"data/raw/a.csv": "a"})
    os.symlink(tmp_path / "secret.csv", tmp_repo.root / "data/link.csv")
    os.symlink(tmp_path / "secret.csv", tmp_repo.root / "data/raw/link.csv")
    before = tmp_repo.snapshot()
    _one_line_error(tmp_repo.run("add", "data/link.csv"), "symlink points outside the repository")
    _one_line_error(tmp_repo.run("add", "data/raw"), "symlink points outside the repository")
    assert tmp_repo.snapshot() == before


@pytest.mark.parametrize("target", [".git", ".git/config", ".git/objects"])
def test_add_inside_git(tmp_repo, target: str) -> None:  # type: ignore[no-untyped-def]
    before = tmp_repo.snapshot()
    _one_line_error(tmp_repo.run("add", target), "inside .git")
    assert tmp_repo.snapshot() == before


def test_add_what_git_tracks(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"data/raw/a.csv": "a", "data/raw/b.csv": "b", "ok.bin": "o"})
    tmp_repo.git("add", "data/raw")
    tmp_repo.git("commit", "-q", "-m", "oops, data in git")
    before = tmp_repo.snapshot()
    line = _one_line_error(
        tmp_repo.run("add", "ok.bin", "data/raw"), "already tracked by git", "data/raw"
    )
    assert "`git rm -r --cached data/raw`" in line
    assert tmp_repo.snapshot() == before


def test_add_a_missing_path(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"ok.bin": "o"})
    before = tmp_repo.snapshot()
    _one_line_error(tmp_repo.run("add", "ok.bin", "nope/x.csv"), "nope/x.csv: no such file")
    assert tmp_repo.snapshot() == before


def test_status_of_an_untracked_path(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    _one_line_error(tmp_repo.run("status", "data"), "data: not tracked by gitml", "gitml add")


def test_outside_a_git_repository(tmp_path: Path, repo_at) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "x.csv").write_text("x")
    repo = repo_at(folder)
    for args in (["status"], ["add", "x.csv"], ["init"], ["checkout"], ["gc"], ["fsck"]):
        _one_line_error(repo.run(*args), "not a git repository", "git init")
    assert sorted(p.name for p in folder.iterdir()) == ["x.csv"]


def test_before_gitml_init(tmp_path: Path, repo_at) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "fresh"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "x.csv").write_text("x")
    repo = repo_at(root)
    before = repo.snapshot()
    for args in (["status"], ["add", "x.csv"], ["checkout"], ["commit"], ["gc"], ["fsck"]):
        _one_line_error(repo.run(*args), "gitml is not initialised", "run `gitml init` first")
    assert repo.snapshot() == before
    assert not (root / ".git/gitml").exists()


def test_bad_config(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"x.csv": "x", ".gitml/config.yaml": "version: 1\ncache:\n  tpye: copy\n"})
    before = tmp_repo.snapshot()
    _one_line_error(
        tmp_repo.run("add", "x.csv"),
        r"^error: \.gitml/config\.yaml:3:\d+: cache\.tpye: unknown key",
        "did you mean 'type'\\?",
    )
    assert tmp_repo.snapshot() == before


def test_usage_errors_exit_2(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    assert tmp_repo.run("add").code == 2
    assert tmp_repo.run("status", "--no-such-flag").code == 2
    assert tmp_repo.run("no-such-command").code == 2


def test_lock_held_by_a_live_process(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    import sys

    tmp_repo.gen({"x.csv": "x", ".gitml/config.yaml": "version: 1\ncore:\n  lock_wait: 0.2\n"})
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from gitml.core.lock import RepoLock\n"
        "RepoLock(Path(sys.argv[1]), command='gitml add big').acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_repo.root / ".git/gitml/tmp/lock")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        before = tmp_repo.snapshot()
        result = tmp_repo.run("add", "x.csv")
        assert result.code == 1, result
        assert f"error: the repository is locked by pid {holder.pid} (gitml add big)" in result.err
        assert tmp_repo.snapshot() == before
        tmp_repo.ok("status")  # readers never block
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout:
            holder.stdout.close()
    tmp_repo.ok("add", "x.csv")
