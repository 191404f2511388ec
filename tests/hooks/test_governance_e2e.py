"""The installed hooks and merge driver with the rest of governance: a real commit is
refused by the policy, a real merge runs the driver that `gitml install` registered."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .conftest import git_ok, run_git

POLICY = "version: 1\nrules:\n  - id: large-files\n    max_kb: 1\n"


def test_installed_pre_commit_hook_runs_the_policy(repo: Any) -> None:
    root = Path(repo.root)
    repo.gen({".gitml/policy.yaml": POLICY})
    git_ok(root, "add", ".gitml/policy.yaml")
    git_ok(root, "commit", "-q", "-m", "policy")
    repo.ok("install")
    repo.gen({"big.bin": os.urandom(4096), "small.txt": "ok\n"})
    git_ok(root, "add", "big.bin", "small.txt")
    head = repo.git("rev-parse", "HEAD")

    refused = run_git(root, "commit", "-q", "-m", "a large file")

    assert refused.returncode == 1, refused
    assert "[large-files] big.bin" in refused.stderr and "gitml add big.bin" in refused.stderr
    assert repo.git("rev-parse", "HEAD") == head
    git_ok(root, "rm", "-q", "--cached", "big.bin")
    git_ok(root, "commit", "-q", "-m", "only the small file")
    assert repo.git("rev-parse", "HEAD") != head


def test_installed_merge_driver_merges_a_folder_and_data_follows(repo: Any) -> None:
    """Both branches change data/raw, on different files: git's line merge of the pointer
    conflicts (both hashes changed), the driver merges the manifests; post-merge checks the
    merged folder out. gitml is not on PATH: the driver falls back to the recorded python."""
    root = Path(repo.root)
    repo.ok("install")
    repo.gen({"data/raw/f1.csv": "one\n", "data/raw/f2.csv": "two\n"})
    repo.ok("add", "data/raw")
    git_ok(root, "add", "-A")
    git_ok(root, "commit", "-q", "-m", "raw data, merge driver attributes")
    git_ok(root, "checkout", "-q", "-b", "feat")
    repo.gen({"data/raw/f1.csv": "one, changed on feat\n"})
    repo.ok("add", "data/raw")
    git_ok(root, "commit", "-q", "-am", "f1 on feat")
    git_ok(root, "checkout", "-q", "main")
    assert (root / "data/raw/f1.csv").read_text() == "one\n"
    repo.gen({"data/raw/f2.csv": "two, changed on main\n"})
    repo.ok("add", "data/raw")
    git_ok(root, "commit", "-q", "-am", "f2 on main")

    merged = run_git(root, "merge", "--no-edit", "feat")

    assert merged.returncode == 0, merged
    assert "<<<<<<<" not in (root / "data/raw.gitml").read_text()
    assert (root / "data/raw/f1.csv").read_text() == "one, changed on feat\n"
    assert (root / "data/raw/f2.csv").read_text() == "two, changed on main\n"
    assert '"state": "unchanged"' in repo.ok("status", "--json").out

    repo.ok("uninstall")  # without the driver the same merge is a line conflict
    git_ok(root, "reset", "-q", "--hard", "HEAD^")
    assert run_git(root, "merge", "--no-edit", "feat").returncode == 1
