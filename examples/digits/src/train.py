"""Stage ``train``: fit a small classifier on the prepared digits.

Usage::

    python src/train.py [--params FILE] [--out DIR | --model PATH --metrics PATH]

``--params FILE``   a YAML of params that override ``train.*``, e.g. a tuning
                    stage's best params (``train.lr: 0.01`` dotted, or nested
                    ``train: {lr: 0.01}``); ignored when the file does not exist.
``--out DIR``       write ``DIR/model.pt`` and ``DIR/metrics.json`` (a tuning trial's folder).
``--model PATH``    where to write the checkpoint (default ``models/model.pt``).
``--metrics PATH``  where to write the metrics (default ``metrics/train.json``).

Params (``train.*``): ``model`` (mlp or cnn), ``hidden``, ``lr``, ``epochs``,
``batch_size``, ``optimizer`` (adam, or sgd with momentum 0.9), ``seed``.
Metrics: ``{"epochs", "train": {"loss", "accuracy"}, "val": {"loss", "accuracy"}}``
after the last epoch. After every epoch the validation accuracy goes to
``gitml.api.report`` (a tuning trial may be pruned there; a no-op otherwise).

Deterministic: seeded with ``train.seed``, one CPU thread, deterministic
algorithms; two runs write byte-identical checkpoints and metrics.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import torch
import yaml
from nets import MODELS, build_model, predict, save_checkpoint
from splits import load_split
from torch import nn
from torch.nn import functional as F

from gitml import api

KEYS = ("model", "hidden", "lr", "epochs", "batch_size", "optimizer", "seed")
OPTIMIZERS = ("adam", "sgd")
EVAL_BATCH = 512


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train the digits classifier.")
    parser.add_argument("--params", type=Path, help="YAML overriding train.* (skipped if absent)")
    parser.add_argument("--out", type=Path, help="write DIR/model.pt and DIR/metrics.json")
    parser.add_argument("--model", type=Path, help="checkpoint path (default models/model.pt)")
    parser.add_argument("--metrics", type=Path, help="metrics path (default metrics/train.json)")
    parser.add_argument("--epochs", type=int, help="override train.epochs (tuning trials)")
    args = parser.parse_args(argv)
    if args.out is not None and (args.model or args.metrics):
        parser.error("--out replaces --model and --metrics; give one or the other")
    out = args.out
    args.model = args.model or (out / "model.pt" if out else Path("models/model.pt"))
    args.metrics = args.metrics or (out / "metrics.json" if out else Path("metrics/train.json"))
    return args


def read_overrides(path: Path | None) -> dict[str, Any]:
    """``train.*`` values from a best-params YAML (dotted or nested keys); {} if absent."""
    if path is None or not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    overrides = {}
    for key, value in flat.items():
        section, _, name = key.partition(".")
        if section != "train" or name not in KEYS:
            known = ", ".join(f"train.{k}" for k in KEYS)
            raise SystemExit(f"{path}: cannot override {key!r}; known keys: {known}")
        overrides[name] = value
    return overrides


def train_config(args: argparse.Namespace) -> dict[str, Any]:
    config = {**api.params().get("train", {}), **read_overrides(args.params)}
    if args.epochs is not None:
        config["epochs"] = args.epochs
    missing = [key for key in KEYS if key not in config]
    if missing:
        raise SystemExit(f"params.yaml: missing train.{', train.'.join(missing)}")
    if config["model"] not in MODELS:
        raise SystemExit(f"train.model must be one of {', '.join(MODELS)}")
    if config["optimizer"] not in OPTIMIZERS:
        raise SystemExit(f"train.optimizer must be one of {', '.join(OPTIMIZERS)}")
    return config


def make_optimizer(config: dict[str, Any], model: nn.Module) -> torch.optim.Optimizer:
    lr = float(config["lr"])
    if config["optimizer"] == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr)
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def score(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    logits = predict(model, x, EVAL_BATCH)
    accuracy = (logits.argmax(dim=1) == y).double().mean().item()
    return {"loss": round(F.cross_entropy(logits, y).item(), 6), "accuracy": round(accuracy, 6)}


def tensors(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = load_split(split)
    return torch.from_numpy(x), torch.from_numpy(y)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    config = train_config(args)
    torch.set_num_threads(1)
    api.seed_everything(int(config["seed"]))
    x_train, y_train = tensors("train")
    x_val, y_val = tensors("val")
    arch = {"model": str(config["model"]), "hidden": int(config["hidden"])}
    model = build_model(arch)
    optimizer = make_optimizer(config, model)
    order_rng = torch.Generator().manual_seed(int(config["seed"]))
    epochs, batch_size = int(config["epochs"]), int(config["batch_size"])
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(x_train), generator=order_rng)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            loss = F.cross_entropy(model(x_train[rows]), y_train[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        val = score(model, x_val, y_val)
        print(f"epoch {epoch}/{epochs}: val loss {val['loss']:.4f}, accuracy {val['accuracy']:.4f}")
        api.report(epoch, val["accuracy"])
    save_checkpoint(args.model, arch, model)
    train = score(model, x_train, y_train)
    api.log_metrics(args.metrics, epochs=epochs, train=train, val=val)
    print(f"wrote {args.model} and {args.metrics}: val accuracy {val['accuracy']:.4f}")


if __name__ == "__main__":
    main()
