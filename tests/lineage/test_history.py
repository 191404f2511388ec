"""git.History.last_changes against real git histories: the commit ``git log -1 --
PATH`` names, merges included, and a lock file's content read only where its blob
changed."""

from __future__ import annotations

from pathlib import Path

import yaml

from gitml import git


def commit(repo, files: dict[str, str], message: str) -> str:  # type: ignore[no-untyped-def]
    repo.gen(files)
    repo.commit(message)
    return str(repo.git("rev-parse", "HEAD").strip())


def lock_text(a: str, b: str) -> str:
    return yaml.safe_dump({"schema": 1, "stages": {"a": {"cmd": a}, "b": {"cmd": b}}})


def test_only_changed_lock_blobs_are_read(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    first = commit(tmp_repo, {"stages.lock": lock_text("run a", "run b")}, "lock v1")
    for i in range(6):
        commit(tmp_repo, {f"notes/{i}.txt": str(i)}, f"unrelated {i}")
    second = commit(tmp_repo, {"stages.lock": lock_text("run a", "run b2")}, "b changed")
    for i in range(4):
        commit(tmp_repo, {f"more/{i}.txt": str(i)}, f"unrelated again {i}")
    reads: list[tuple[str, bool, bool]] = []

    def same(key: str, old: bytes | None, new: bytes | None) -> bool:
        reads.append((key, old is None, new is None))
        old_doc = yaml.safe_load(old or b"{}") or {}
        new_doc = yaml.safe_load(new or b"{}") or {}
        before = (old_doc.get("stages") or {}).get(key)
        return before is not None and before == (new_doc.get("stages") or {}).get(key)

    with git.History(tmp_repo.root) as history:
        found = history.last_changes(
            git.commit_id(tmp_repo.root, "HEAD") or "",
            {"a": "stages.lock", "b": "stages.lock"},
            same,
        )
    assert found["a"] is not None and found["a"].id == first
    assert found["b"] is not None and found["b"].id == second
    assert found["b"].summary == "b changed"
    # the lock's content is compared once per key where its blob changed
    # (lock v1 -> b changed), never for the ten commits that left it alone
    assert sorted(reads) == [("a", False, False), ("b", False, False)]


def test_agrees_with_git_log_on_a_branchy_history(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_repo
    commit(repo, {"x.txt": "1", "y.txt": "1", "d/z.txt": "1"}, "start")
    repo.git("checkout", "-q", "-b", "side")
    commit(repo, {"x.txt": "side"}, "x on side")
    commit(repo, {"d/z.txt": "side"}, "z on side")
    repo.git("checkout", "-q", "main")
    commit(repo, {"y.txt": "main"}, "y on main")
    repo.git("merge", "-q", "--no-ff", "--no-edit", "side")
    commit(repo, {"w.txt": "new"}, "w")
    paths = ["x.txt", "y.txt", "d/z.txt", "d", "w.txt", "absent.txt"]
    with git.History(repo.root) as history:
        found = history.last_changes(git.commit_id(repo.root, "HEAD") or "", {p: p for p in paths})
    for path in paths:
        expected = repo.git("log", "-1", "--format=%H", "--", path).strip() or None
        got = found[path].id if found[path] is not None else None
        assert got == expected, path


def test_changed_paths_and_blob_ids(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    commit(tmp_repo, {"a.txt": "a\n", "dir/b.txt": "b\n", "c[1].txt": "c\n"}, "files")
    root: Path = tmp_repo.root
    assert git.changed_paths(root, ["a.txt", "dir", "c[1].txt", "nothere"]) == set()
    tmp_repo.gen({"dir/new.txt": "n\n", "a.txt": "changed\n"})
    assert git.changed_paths(root, ["a.txt", "dir", "c[1].txt"]) == {"a.txt", "dir/new.txt"}
    assert git.blob_id(b"changed\n") == tmp_repo.git("hash-object", "a.txt").strip()
    assert git.commit_id(root, "no-such-branch") is None
    assert git.commit_id(root, "HEAD") == tmp_repo.git("rev-parse", "HEAD").strip()
