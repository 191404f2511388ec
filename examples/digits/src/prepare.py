"""Stage ``prepare``: split the digits into train/val/test and scale pixels to [0, 1].

Usage: ``python src/prepare.py`` (from the example root; no arguments).

Reads ``data/digits.csv.gz`` (1797 rows: 64 pixel columns with integers 0..16,
then the label 0..9, no header) and the params ``prepare.seed``,
``prepare.val_fraction`` and ``prepare.test_fraction``. The split is stratified:
each class is shuffled with the seed and cut by the fractions, so every split
keeps the class balance. Writes ``data/prepared/`` (format in ``splits.py``).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
from files import fresh_dir, replace_dir
from splits import N_CLASSES, N_PIXELS, PREPARED, SPLITS, save_split

from gitml import api

RAW = Path("data/digits.csv.gz")
MAX_PIXEL = 16


def read_digits(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Pixels (int, 0..16) and labels (0..9) of the raw file, checked."""
    if not path.is_file():
        raise SystemExit(f"{path} is missing: run `gitml checkout` or copy the dataset there")
    with gzip.open(path, "rt", encoding="ascii") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    if table.shape[1] != N_PIXELS + 1:
        raise SystemExit(f"{path}: expected {N_PIXELS + 1} columns, found {table.shape[1]}")
    pixels, labels = table[:, :N_PIXELS], table[:, N_PIXELS]
    if pixels.min() < 0 or pixels.max() > MAX_PIXEL:
        raise SystemExit(f"{path}: pixel values must lie in 0..{MAX_PIXEL}")
    if labels.min() < 0 or labels.max() >= N_CLASSES:
        raise SystemExit(f"{path}: labels must lie in 0..{N_CLASSES - 1}")
    return pixels, labels


def stratified_split(
    labels: np.ndarray, seed: int, val_fraction: float, test_fraction: float
) -> dict[str, np.ndarray]:
    """Row indices of each split, sorted; each class is cut by the same fractions."""
    if min(val_fraction, test_fraction) <= 0 or val_fraction + test_fraction >= 1:
        raise SystemExit(
            "prepare.val_fraction and prepare.test_fraction must be positive "
            f"and sum to less than 1 (got {val_fraction} and {test_fraction})"
        )
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in SPLITS}
    for label in range(N_CLASSES):
        rows = rng.permutation(np.flatnonzero(labels == label))
        n_test = round(len(rows) * test_fraction)
        n_val = round(len(rows) * val_fraction)
        parts["test"].append(rows[:n_test])
        parts["val"].append(rows[n_test : n_test + n_val])
        parts["train"].append(rows[n_test + n_val :])
    return {name: np.sort(np.concatenate(chunks)) for name, chunks in parts.items()}


def main() -> None:
    p = api.params()["prepare"]
    pixels, labels = read_digits(RAW)
    scaled = pixels.astype(np.float32) / MAX_PIXEL
    splits = stratified_split(
        labels, int(p["seed"]), float(p["val_fraction"]), float(p["test_fraction"])
    )
    staging = fresh_dir(PREPARED)
    for name, rows in splits.items():
        save_split(staging, name, scaled[rows], labels[rows])
    replace_dir(staging, PREPARED)
    sizes = ", ".join(f"{name} {len(rows)}" for name, rows in splits.items())
    print(f"prepared {len(labels)} digits into {PREPARED}: {sizes}")


if __name__ == "__main__":
    main()
