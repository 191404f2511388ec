"""The API for stage scripts: ``from gitml import api``.

Importable without heavy dependencies (numpy and torch are used only when
installed). ``gitml repro`` runs each stage with these environment variables:

``GITML_STAGE``        the stage's name (``evaluate@val`` for expanded stages)
``GITML_PARAMS_FILE``  a JSON file with the params the stage declared, nested
                       (``{"train": {"lr": 0.01}}``); for tuning trials, the
                       trial's sampled values merged in
``GITML_ROOT``         the repository root

Run by hand (no ``GITML_PARAMS_FILE``), :func:`params` reads the whole
``params.yaml`` of the current folder, else of the repository root.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

PARAMS_ENV = "GITML_PARAMS_FILE"
STAGE_ENV = "GITML_STAGE"
ROOT_ENV = "GITML_ROOT"


def stage() -> str | None:
    """The name of the stage being run, or None outside ``gitml repro``."""
    return os.environ.get(STAGE_ENV)


def params() -> dict[str, Any]:
    """The params this stage declared (nested dicts), as ``gitml repro`` resolved them."""
    path = os.environ.get(PARAMS_ENV)
    if path:
        with open(path, encoding="utf-8") as f:
            data: dict[str, Any] = json.load(f)
        return data
    for folder in (Path.cwd(), _root()):
        candidate = folder / "params.yaml"
        if candidate.is_file():
            import yaml

            loaded = yaml.safe_load(candidate.read_text(encoding="utf-8"))
            return dict(loaded or {})
    return {}


def _root() -> Path:
    """``$GITML_ROOT``, else the enclosing git work tree, else the current folder."""
    if os.environ.get(ROOT_ENV):
        return Path(os.environ[ROOT_ENV])
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (when installed); make torch deterministic."""
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        import numpy as np
    except ImportError:
        pass
    else:
        np.random.seed(seed)
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(seed)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    if hasattr(torch.backends, "cudnn"):
        torch.backends.cudnn.benchmark = False


def log_metrics(path: str | os.PathLike[str], **values: Any) -> None:
    """Write ``values`` as a JSON metrics file, atomically (nested dicts allowed)."""
    from gitml.core.atomic import write_text

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text(target, json.dumps(values, indent=2, sort_keys=True) + "\n")


def report(step: int, value: float) -> None:
    """Report an intermediate value of a tuning trial (see ``gitml.ops.tune``).

    When the study's pruner decides the trial should stop, this ends the
    process cleanly and the trial is recorded as pruned. Outside a tuning
    trial it does nothing.
    """
    from gitml.tune_client import report as _report

    _report(step, value)
