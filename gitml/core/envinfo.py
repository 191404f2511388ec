"""A fingerprint of the environment a stage ran in."""

from __future__ import annotations

import platform
from functools import cache
from importlib import metadata
from typing import Any

from gitml import __version__

# Packages whose version can change a model; recorded when installed.
KEY_PACKAGES = (
    "torch",
    "numpy",
    "scikit-learn",
    "pandas",
    "optuna",
    "pyarrow",
    "tensorflow",
    "jax",
    "xgboost",
    "lightgbm",
)


@cache
def fingerprint() -> dict[str, Any]:
    packages = {}
    for name in KEY_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {"python": platform.python_version(), "gitml": __version__, "packages": packages}


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Human-readable changes between two fingerprints (empty when equal or unknown)."""
    if not old:
        return []
    out = []
    for key in ("python", "gitml"):
        if old.get(key) != new.get(key):
            out.append(f"{key} {old.get(key)} -> {new.get(key)}")
    before, after = old.get("packages", {}), new.get("packages", {})
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            out.append(f"{name} {before.get(name, 'absent')} -> {after.get(name, 'absent')}")
    return out
