"""The run cache: a stage's key (command + dependency hashes + param values +
declared outputs) -> the outputs it produced, so a computation done once is
restored instead of run again."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gitml.core.atomic import write_bytes
from gitml.core.hashing import hash_bytes
from gitml.core.lockfile import Record
from gitml.errors import GitmlError


def run_key(
    cmd: Sequence[str],
    deps: Sequence[Record],
    params: dict[str, dict[str, Any]],
    outs: Sequence[tuple[str, bool]],
) -> str:
    doc = {
        "cmd": list(cmd),
        "deps": [[d.path, d.oid] for d in deps],
        "params": params,
        "outs": [list(o) for o in outs],
    }
    return hash_bytes(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode())


class RunCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key[2:]}.json"

    def get(self, key: str) -> tuple[list[Record], dict[str, Any]] | None:
        """The outputs recorded for ``key`` and the environment that made them."""
        try:
            doc = json.loads(self._path(key).read_bytes())
            outs = [Record.from_dict(o, "run cache") for o in doc["outs"]]
            return outs, dict(doc.get("env") or {})
        except (OSError, ValueError, KeyError, TypeError, GitmlError):
            return None

    def put(self, key: str, stage: str, outs: Sequence[Record], env: dict[str, Any]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"stage": stage, "outs": [o.to_dict(with_cache=True) for o in outs], "env": env}
        write_bytes(path, json.dumps(doc, indent=1).encode(), fsync=False)
