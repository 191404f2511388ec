"""gitml.ops.revision: a revision's records read through dulwich, never checked out."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gitml import git
from gitml.core.repo import Repo
from gitml.errors import NotARepository
from gitml.git import UnknownRevision
from gitml.ops.revision import ManifestMissing, snapshot


def test_revision_and_workspace_records(two_commits: Any) -> None:
    repo = Repo.find(two_commits.root)
    with snapshot(repo, "HEAD~1") as old, snapshot(repo, "HEAD") as new:
        assert old.commit_id == git.resolve_commit(repo.root, "HEAD~1")
        assert old.description.startswith("HEAD~1 (") and old.description.endswith(": first)")
        assert set(old.pointers()) == {"data/raw.gitml", "data/single.csv.gitml"}
        assert old.pointers()["data/raw.gitml"].rel == "data/raw"
        assert set(new.pointers()) == {"data/raw.gitml", "data/new.bin.gitml"}
        assert old.params()["params.yaml"]["train"]["lr"] == 0.01
        assert new.params()["params.yaml"]["train"]["lr"] == 0.02
        assert old.lock()["train"].params == {"params.yaml": {"train": {"lr": 0.01, "epochs": 3}}}
        pipeline = old.pipeline()
        assert pipeline is not None and list(pipeline.stages) == ["train"]
        assert old.metrics()["metrics/train.json"] == {"acc": 0.6, "epochs": 3, "loss": 0.4}
        # metrics/cached.json is ignored by git: read from the cache by the lock's hash
        assert old.read("metrics/cached.json") is None
        assert old.metrics()["metrics/cached.json"] == {"auc": 0.3}
        assert new.metrics()["metrics/cached.json"] == {"auc": 0.35}
        old_files = old.artifact_files(old.artifacts()["data/raw"])
        assert {k: v[1] for k, v in old_files.items()} == {"data/raw/a.txt": 6, "data/raw/b.txt": 6}
        sizes = {k: v[1] for k, v in new.artifact_files(new.artifacts()["data/raw"]).items()}
        assert sizes == {"data/raw/a.txt": 14, "data/raw/c.txt": 8}
        assert "models/model.bin" in new.artifacts()  # a cached stage output
    work = snapshot(repo, None)
    assert work.label == "workspace" and work.commit_id is None
    assert work.params() == snapshot(repo, "HEAD").params()
    repo.close()


def test_missing_manifest_is_a_typed_error(two_commits: Any) -> None:
    repo = Repo.find(two_commits.root)
    with snapshot(repo, "HEAD") as snap:
        raw = snap.artifacts()["data/raw"]
        repo.cache.path(raw.oid).chmod(0o644)
        repo.cache.path(raw.oid).unlink()
        with pytest.raises(ManifestMissing, match="data/raw: the folder's manifest"):
            snap.artifact_files(raw)
    repo.close()


def test_revision_names(two_commits: Any) -> None:
    repo = Repo.find(two_commits.root)
    two_commits.git("tag", "-a", "-m", "v1", "v1", "HEAD~1")
    first = git.resolve_commit(repo.root, "HEAD~1")
    for rev in ("HEAD^", "main~1", "v1", first[:7], first):
        assert git.resolve_commit(repo.root, rev) == first
    with pytest.raises(UnknownRevision, match="unknown revision 'HEAD~5': no such ancestor"):
        git.resolve_commit(repo.root, "HEAD~5")
    with pytest.raises(UnknownRevision, match="unknown revision 'nosuch'"):
        snapshot(repo, "nosuch")
    repo.close()


def test_bare_clone_reads_the_same(two_commits: Any, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(two_commits.root), str(bare)], check=True)
    shutil.copytree(two_commits.root / ".git/gitml/cache", bare / "gitml/cache")
    repo = Repo.find(bare, allow_bare=True)
    assert repo.bare and repo.root == bare.resolve()
    with snapshot(repo, "HEAD~1") as snap:
        assert snap.metrics()["metrics/cached.json"] == {"auc": 0.3}
        assert len(snap.artifact_files(snap.artifacts()["data/raw"])) == 2
    with pytest.raises(NotARepository, match="bare repository: this command needs a work tree"):
        Repo.find(bare)
    repo.close()
