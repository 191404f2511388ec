"""The classifiers and their checkpoint file.

``build_model`` makes a network from an architecture dict (``{"model": "mlp" |
"cnn", "hidden": int}``). A checkpoint (``models/model.pt``) is a
``torch.save`` of ``{"format", "arch", "state_dict"}``: it carries the
architecture, so ``evaluate.py`` rebuilds the very network ``train.py`` trained
(even when a tuning stage's best params changed it) without reading the train
params. ``torch.save`` 2.x writes no timestamps and derives its
serialization id from the content, so equal weights give byte-identical files
(checked by ``tests/examples/test_digits_scripts.py``).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch
from files import write_bytes
from splits import N_CLASSES, N_PIXELS
from torch import nn

FORMAT = "gitml-digits/1"
MODELS = ("mlp", "cnn")


def build_model(arch: dict[str, Any]) -> nn.Module:
    kind, hidden = arch["model"], int(arch["hidden"])
    if kind == "mlp":
        return nn.Sequential(nn.Linear(N_PIXELS, hidden), nn.ReLU(), nn.Linear(hidden, N_CLASSES))
    if kind == "cnn":
        return nn.Sequential(
            nn.Unflatten(1, (1, 8, 8)),
            nn.Conv2d(1, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 4 * 4, hidden),
            nn.ReLU(),
            nn.Linear(hidden, N_CLASSES),
        )
    raise SystemExit(f"unknown model {kind!r}: train.model must be one of {', '.join(MODELS)}")


def save_checkpoint(path: Path, arch: dict[str, Any], model: nn.Module) -> None:
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, "arch": arch, "state_dict": model.state_dict()}, buffer)
    write_bytes(path, buffer.getvalue())


def load_checkpoint(path: Path) -> nn.Module:
    """The trained network, in eval mode."""
    if not path.is_file():
        raise SystemExit(f"{path} is missing: run `python src/train.py` first")
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if checkpoint.get("format") != FORMAT:
        raise SystemExit(f"{path} is not a {FORMAT} checkpoint: retrain with src/train.py")
    model = build_model(checkpoint["arch"])
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval()


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Logits for every row of ``x``, in eval mode, batch by batch."""
    model.eval()
    return torch.cat([model(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])
