"""Stage ``evaluate@val`` / ``evaluate@test``: score the trained model on one split.

Usage: ``python src/evaluate.py --split val|test`` (from the example root).

Reads ``models/model.pt``, ``data/prepared/{split}_*.npy`` and the param
``evaluate.batch_size``. Writes:

``metrics/{split}.json``           ``{"accuracy", "macro_f1", "loss", "samples"}``
``plots/{split}_confusion.csv``    header ``actual,predicted,count``, then one row
                                   per (actual, predicted) pair of labels 0..9 (all
                                   100, zeros included), sorted by actual then predicted
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from files import write_bytes
from nets import load_checkpoint, predict
from splits import N_CLASSES, load_split
from torch.nn import functional as F

from gitml import api

MODEL = Path("models/model.pt")


def confusion_matrix(actual: torch.Tensor, predicted: torch.Tensor) -> torch.Tensor:
    """``matrix[a, p]`` counts rows of label ``a`` predicted as ``p``."""
    flat = actual * N_CLASSES + predicted
    return torch.bincount(flat, minlength=N_CLASSES * N_CLASSES).reshape(N_CLASSES, N_CLASSES)


def macro_f1(matrix: torch.Tensor) -> float:
    """Unweighted mean over classes of 2TP / (2TP + FP + FN); 0 for a class never seen."""
    tp = matrix.diag().double()
    denominator = matrix.sum(dim=0).double() + matrix.sum(dim=1).double()
    f1 = torch.where(denominator > 0, 2 * tp / denominator.clamp(min=1), torch.zeros_like(tp))
    return f1.mean().item()


def confusion_csv(matrix: torch.Tensor) -> str:
    rows = ["actual,predicted,count"]
    for a in range(N_CLASSES):
        rows += [f"{a},{p},{int(matrix[a, p])}" for p in range(N_CLASSES)]
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Score the digits model on one split.")
    parser.add_argument("--split", required=True, choices=("val", "test"))
    split = parser.parse_args(argv).split
    batch_size = int(api.params()["evaluate"]["batch_size"])
    torch.set_num_threads(1)
    model = load_checkpoint(MODEL)
    x, y = load_split(split)
    actual = torch.from_numpy(y)
    logits = predict(model, torch.from_numpy(x), batch_size)
    predicted = logits.argmax(dim=1)
    matrix = confusion_matrix(actual, predicted)
    metrics = {
        "accuracy": round((predicted == actual).double().mean().item(), 6),
        "macro_f1": round(macro_f1(matrix), 6),
        "loss": round(F.cross_entropy(logits, actual).item(), 6),
        "samples": len(actual),
    }
    api.log_metrics(Path(f"metrics/{split}.json"), **metrics)
    write_bytes(Path(f"plots/{split}_confusion.csv"), confusion_csv(matrix).encode("ascii"))
    print(f"{split}: accuracy {metrics['accuracy']:.4f}, macro F1 {metrics['macro_f1']:.4f}")


if __name__ == "__main__":
    main()
