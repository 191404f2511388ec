"""``.gitml/config.yaml`` (committed) merged with ``.gitml/config.local.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from gitml.core.schema import load_validated

if TYPE_CHECKING:
    from gitml.core.state import StateIndex

CONFIG = ".gitml/config.yaml"
LOCAL = ".gitml/config.local.yaml"
DEFAULT_LINKS = ("reflink", "copy")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


class Config(NamedTuple):
    raw: dict[str, Any]

    @classmethod
    def load(cls, root: Path, state: StateIndex | None = None) -> Config:
        merged: dict[str, Any] = {}
        for rel in (CONFIG, LOCAL):
            path = root / rel
            if path.is_file():
                doc = load_validated(path, "config", rel, state)
                merged = _merge(merged, doc or {})
        return cls(merged)

    @property
    def link_types(self) -> list[str]:
        value = self.raw.get("cache", {}).get("type", list(DEFAULT_LINKS))
        return [value] if isinstance(value, str) else list(value)

    @property
    def cache_dir(self) -> str | None:
        value = self.raw.get("cache", {}).get("dir")
        return str(value) if value else None

    @property
    def lock_wait(self) -> float:
        return float(self.raw.get("core", {}).get("lock_wait", 5.0))

    @property
    def jobs(self) -> int | None:
        value = self.raw.get("core", {}).get("jobs")
        return int(value) if value else None
