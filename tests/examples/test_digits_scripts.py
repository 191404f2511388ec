"""The digits example's stage scripts, run by hand as real processes on a copy of it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

pytestmark = [pytest.mark.slow, pytest.mark.torch]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits"
SOURCES = [
    "params.yaml",
    "stages.yaml",
    "data/digits.csv.gz",
    *(
        f"src/{name}"
        for name in ("prepare.py", "train.py", "evaluate.py", "nets.py", "splits.py", "files.py")
    ),
]
STAGES = [
    ["src/prepare.py"],
    ["src/train.py"],
    ["src/evaluate.py", "--split", "val"],
    ["src/evaluate.py", "--split", "test"],
]
OUTPUTS = ["data/prepared", "models", "metrics", "plots"]


def copy_example(dest: Path) -> Path:
    for rel in SOURCES:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(EXAMPLE / rel, dest / rel)
    return dest


def run(root: Path, *args: str) -> str:
    """Run one script like a user would by hand, warnings turned into errors."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITML_")}
    proc = subprocess.run(
        [sys.executable, "-W", "error", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout}\n{proc.stderr}"
    assert proc.stderr == "", proc.stderr
    return proc.stdout


def outputs(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for folder in OUTPUTS
        for path in sorted((root / folder).rglob("*"))
        if path.is_file()
    }


def test_pipeline_is_accurate_and_byte_reproducible(tmp_path: Path) -> None:
    runs = []
    for name in ("first", "second"):
        root = copy_example(tmp_path / name)
        for stage in STAGES:
            run(root, *stage)
        runs.append(outputs(root))
    first, second = runs

    assert sorted(first) == [
        "data/prepared/test_x.npy",
        "data/prepared/test_y.npy",
        "data/prepared/train_x.npy",
        "data/prepared/train_y.npy",
        "data/prepared/val_x.npy",
        "data/prepared/val_y.npy",
        "metrics/test.json",
        "metrics/train.json",
        "metrics/val.json",
        "models/model.pt",
        "plots/test_confusion.csv",
        "plots/val_confusion.csv",
    ]
    differing = [rel for rel in first if first[rel] != second[rel]]
    assert differing == [], f"not byte-identical across runs: {differing}"

    train = json.loads(first["metrics/train.json"])
    assert train["epochs"] > 0
    assert train["train"]["accuracy"] > 0.9
    assert train["val"]["accuracy"] > 0.9
    for split in ("val", "test"):
        metrics = json.loads(first[f"metrics/{split}.json"])
        assert metrics["accuracy"] > 0.9, metrics
        assert metrics["macro_f1"] > 0.9, metrics
        assert metrics["loss"] < 0.5, metrics
        lines = first[f"plots/{split}_confusion.csv"].decode().splitlines()
        assert lines[0] == "actual,predicted,count"
        assert len(lines) == 1 + 100
        assert sum(int(line.rsplit(",", 1)[1]) for line in lines[1:]) == metrics["samples"]
    assert json.loads(first["metrics/val.json"])["accuracy"] == train["val"]["accuracy"]


def test_train_takes_best_params_and_a_trial_folder(tmp_path: Path) -> None:
    import torch

    root = copy_example(tmp_path / "digits")
    run(root, "src/prepare.py")
    (root / "best.yaml").write_text("train.model: cnn\ntrain:\n  epochs: 2\n  lr: 0.003\n")
    run(root, "src/train.py", "--params", "best.yaml", "--out", "trial")
    metrics = json.loads((root / "trial" / "metrics.json").read_text())
    assert metrics["epochs"] == 2
    assert 0 < metrics["val"]["accuracy"] <= 1
    checkpoint = torch.load(root / "trial" / "model.pt", weights_only=True)
    assert checkpoint["arch"] == {"model": "cnn", "hidden": 128}
    assert not (root / "models").exists()
    assert not (root / "metrics").exists()

    run(root, "src/train.py", "--params", "absent.yaml", "--metrics", "m.json", "--model", "m.pt")
    assert json.loads((root / "m.json").read_text())["epochs"] == 30
