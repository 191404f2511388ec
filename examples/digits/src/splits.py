"""The prepared data format shared by the stages.

``data/prepared/`` holds, for each split in :data:`SPLITS`, ``{split}_x.npy``
(float32, shape ``(n, 64)``, pixels scaled to [0, 1], row-major 8x8 images) and
``{split}_y.npy`` (int64, shape ``(n,)``, labels 0..9). ``np.save`` writes no
timestamps, so equal arrays give byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

PREPARED = Path("data/prepared")
SPLITS = ("train", "val", "test")
N_PIXELS = 64
N_CLASSES = 10


def save_split(folder: Path, name: str, x: np.ndarray, y: np.ndarray) -> None:
    np.save(folder / f"{name}_x.npy", np.ascontiguousarray(x, dtype=np.float32))
    np.save(folder / f"{name}_y.npy", np.ascontiguousarray(y, dtype=np.int64))


def load_split(name: str, folder: Path = PREPARED) -> tuple[np.ndarray, np.ndarray]:
    """The pixels and labels of one split; a clear error when ``prepare`` has not run."""
    if name not in SPLITS:
        raise SystemExit(f"unknown split {name!r}: choose one of {', '.join(SPLITS)}")
    x_path, y_path = folder / f"{name}_x.npy", folder / f"{name}_y.npy"
    if not x_path.is_file() or not y_path.is_file():
        raise SystemExit(f"{x_path} is missing: run `python src/prepare.py` first")
    return np.load(x_path), np.load(y_path)
