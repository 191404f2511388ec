"""gitml diff, params diff and metrics diff between real commits, as real processes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import repro


def _by_path(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["path"]: c for c in doc["changes"]}


def test_data_diff_between_two_commits(two_commits: Any) -> None:
    doc = json.loads(two_commits.ok("diff", "HEAD~1", "HEAD", "--json").out)
    assert doc["old"].startswith("HEAD~1 (") and doc["new"].startswith("HEAD (")
    changes = _by_path(doc)
    assert set(changes) == {
        "data/new.bin",
        "data/raw",
        "data/single.csv",
        "metrics/cached.json",
        "models/model.bin",
    }
    assert changes["data/new.bin"]["state"] == "added"
    assert changes["data/new.bin"]["old"] is None
    assert changes["data/new.bin"]["new"]["size"] == 10
    assert changes["data/single.csv"]["state"] == "removed"
    assert changes["data/single.csv"]["old"]["size"] == 8
    raw = changes["data/raw"]
    assert (raw["state"], raw["kind"]) == ("modified", "dir")
    assert (raw["old"]["size"], raw["new"]["size"]) == (12, 22)
    assert (raw["old"]["files"], raw["new"]["files"]) == (2, 2)
    assert raw["files"] == [
        {"path": "data/raw/a.txt", "state": "modified", "old_size": 6, "new_size": 14},
        {"path": "data/raw/b.txt", "state": "removed", "old_size": 6, "new_size": None},
        {"path": "data/raw/c.txt", "state": "added", "old_size": None, "new_size": 8},
    ]
    # a cached stage output is data too; the committed metrics file is not
    assert changes["models/model.bin"]["state"] == "modified"
    assert "metrics/train.json" not in changes
    # the reverse direction swaps added and removed
    back = _by_path(json.loads(two_commits.ok("diff", "HEAD", "HEAD~1", "--json").out))
    assert back["data/new.bin"]["state"] == "removed"
    assert back["data/single.csv"]["state"] == "added"


def test_data_diff_text_and_markdown(two_commits: Any) -> None:
    text = two_commits.ok("diff", "HEAD~1", "HEAD").out.splitlines()
    assert text[0].split() == ["change", "path", "old", "size", "new", "size"]
    rows = [line.split() for line in text[1:]]
    assert ["modified", "data/raw/", "12", "B", "22", "B"] in rows
    assert ["added", "data/raw/c.txt", "-", "8", "B"] in rows
    assert ["removed", "data/single.csv", "8", "B", "-"] in rows
    md = two_commits.ok("diff", "HEAD~1", "HEAD", "--md").out.splitlines()
    assert md[:2] == ["| change | path | old size | new size |", "|---|---|---|---|"]
    assert "| ↳ removed | data/raw/b.txt | 6 B | — |" in md
    assert "| added | data/new.bin | — | 10 B |" in md


def test_default_compares_head_with_the_data_on_disk(two_commits: Any) -> None:
    assert "no tracked data changed between HEAD" in two_commits.ok("diff").out
    # changed on disk, not yet `gitml add`-ed: the workspace side is the data itself
    two_commits.gen({"data/raw/d.txt": "delta\n", "data/new.bin": b"\x01" * 12})
    changes = _by_path(json.loads(two_commits.ok("diff", "--json").out))
    assert set(changes) == {"data/raw", "data/new.bin"}
    assert changes["data/raw"]["files"] == [
        {"path": "data/raw/d.txt", "state": "added", "old_size": None, "new_size": 6}
    ]
    assert (changes["data/new.bin"]["old"]["size"], changes["data/new.bin"]["new"]["size"]) == (
        10,
        12,
    )
    # data that is not checked out counts as recorded, not as deleted
    shutil.rmtree(two_commits.root / "data/raw")
    assert set(_by_path(json.loads(two_commits.ok("diff", "--json").out))) == {"data/new.bin"}


def test_missing_manifest_is_noted_per_artifact(two_commits: Any) -> None:
    old = json.loads(two_commits.ok("diff", "HEAD~1", "HEAD", "--json").out)
    oid = _by_path(old)["data/raw"]["old"]["hash"].removeprefix("xxh128:")
    (two_commits.cache / oid[:2] / oid[2:]).unlink()
    result = two_commits.ok("diff", "HEAD~1", "HEAD", "--json")
    raw = _by_path(json.loads(result.out))["data/raw"]
    assert raw["files"] == []
    assert raw["note"].startswith(f"HEAD~1: manifest {oid[:8]} not in the cache")
    text = two_commits.ok("diff", "HEAD~1", "HEAD").out
    assert f"note: data/raw: HEAD~1: manifest {oid[:8]} not in the cache" in text
    assert "data/new.bin" in text  # the other artifacts are still listed


def test_params_diff_numbers(two_commits: Any) -> None:
    doc = json.loads(two_commits.ok("params", "diff", "HEAD~1", "HEAD", "--json").out)
    assert doc["params"] == [
        {
            "file": "params.yaml",
            "key": "train.lr",
            "old": 0.01,
            "new": 0.02,
            "change": pytest.approx(0.01),
            "change_pct": pytest.approx(100.0),
        }
    ]
    everything = json.loads(
        two_commits.ok("params", "diff", "HEAD~1", "HEAD", "--all", "--json").out
    )
    keys = [(r["key"], r["change"]) for r in everything["params"]]
    assert keys == [("seed", 0.0), ("train.epochs", 0.0), ("train.lr", pytest.approx(0.01))]
    text = two_commits.ok("params", "diff", "HEAD~1", "HEAD").out.splitlines()
    assert text[0].split() == ["file", "key", "old", "new", "change", "change", "%"]
    assert text[1].split() == ["params.yaml", "train.lr", "0.01", "0.02", "+0.01", "+100%"]
    md = two_commits.ok("params", "diff", "HEAD~1", "HEAD", "--md").out.splitlines()
    assert md == [
        "| file | key | old | new | change | change % |",
        "|---|---|---|---|---|---|",
        "| params.yaml | train.lr | 0.01 | 0.02 | +0.01 | +100% |",
    ]


def test_params_diff_defaults_to_head_and_workspace(two_commits: Any) -> None:
    assert "no params changed" in two_commits.ok("params", "diff").out
    two_commits.gen({"params.yaml": "train:\n  lr: 0.05\n  epochs: 4\nseed: 7\nnew: x\n"})
    rows = json.loads(two_commits.ok("params", "diff", "--json").out)["params"]
    assert [(r["key"], r["old"], r["new"]) for r in rows] == [
        ("new", None, "x"),
        ("train.epochs", 3, 4),
        ("train.lr", 0.02, 0.05),
    ]
    assert rows[0]["change"] is None and rows[0]["change_pct"] is None
    assert rows[2]["change_pct"] == pytest.approx(150.0)
    # one revision: it against the workspace
    rows = json.loads(two_commits.ok("params", "diff", "HEAD~1", "--json").out)["params"]
    assert [(r["key"], r["old"], r["new"]) for r in rows][2] == ("train.lr", 0.01, 0.05)


def test_metrics_diff_numbers_and_cached_metrics(two_commits: Any) -> None:
    doc = json.loads(two_commits.ok("metrics", "diff", "HEAD~1", "HEAD", "--json").out)
    rows = {(r["file"], r["key"]): r for r in doc["metrics"]}
    assert set(rows) == {
        ("metrics/train.json", "acc"),
        ("metrics/train.json", "loss"),
        ("metrics/cached.json", "auc"),  # cache: true, so read from the cache by its lock hash
    }
    acc = rows[("metrics/train.json", "acc")]
    assert (acc["old"], acc["new"]) == (0.6, 0.7)
    assert acc["change"] == pytest.approx(0.1)
    assert acc["change_pct"] == pytest.approx(100 / 6)
    auc = rows[("metrics/cached.json", "auc")]
    assert (auc["old"], auc["new"]) == (0.3, 0.35)
    loss = rows[("metrics/train.json", "loss")]
    assert loss["change_pct"] == pytest.approx(-25.0)
    text = two_commits.ok("metrics", "diff", "HEAD~1", "HEAD", "--precision", "3").out
    assert ["metrics/train.json", "acc", "0.6", "0.7", "+0.1", "+16.7%"] in [
        line.split() for line in text.splitlines()
    ]
    full = two_commits.ok("metrics", "diff", "HEAD~1", "HEAD", "--all", "--md").out
    assert "| metrics/train.json | epochs | 3 | 3 | +0 | +0% |" in full


def test_metrics_diff_workspace_after_repro(two_commits: Any) -> None:
    two_commits.gen({"params.yaml": "train:\n  lr: 0.03\n  epochs: 3\nseed: 7\n"})
    repro(two_commits)
    rows = json.loads(two_commits.ok("metrics", "diff", "--json").out)["metrics"]
    acc = next(r for r in rows if r["key"] == "acc")
    assert (acc["old"], acc["new"]) == (0.7, 0.8)


def test_unknown_revision_is_one_line(two_commits: Any) -> None:
    for args in (["diff", "nosuchrev"], ["params", "diff", "HEAD", "nope~1"]):
        result = two_commits.fails(*args)
        lines = result.err.strip().splitlines()
        assert len(lines) == 1, result
        assert lines[0].startswith("error: unknown revision ")


def in_bare(bare: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """gitml in a bare repository; ``-P`` keeps its ``gitml/`` folder (the cache) from
    shadowing the package, as the ``gitml`` console script does."""
    cmd = [sys.executable, "-P", "-m", "gitml", *args]
    return subprocess.run(cmd, cwd=bare, capture_output=True, text=True, check=False)


def test_bare_clone_gives_the_same_diffs(two_commits: Any, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(two_commits.root), str(bare)], check=True)
    shutil.copytree(two_commits.root / ".git/gitml/cache", bare / "gitml/cache")
    for args in (
        ["diff", "HEAD~1", "HEAD", "--json"],
        ["params", "diff", "HEAD~1", "main", "--json"],
        ["metrics", "diff", "HEAD~1", "main", "--all", "--json"],
    ):
        result = in_bare(bare, *args)
        assert result.returncode == 0, result.stderr
        assert result.stdout == two_commits.ok(*args).out, args
    report = in_bare(bare, "report", "--base", "HEAD~1", "--head", "HEAD", "--md")
    assert report.returncode == 0, report.stderr
    assert "| params.yaml | train.lr | 0.01 | 0.02 | +0.01 | +100% |" in report.stdout
    assert "- gitml check not run: a bare repository has no work tree" in report.stdout
    no_workspace = in_bare(bare, "diff")
    assert no_workspace.returncode == 1
    assert "bare repository: there is no workspace to compare with" in no_workspace.stderr
    refused = in_bare(bare, "status")
    assert refused.returncode == 1
    assert "is a bare repository: this command needs a work tree" in refused.stderr
