"""Crash-safe writes for the stage scripts: a temp file beside the target, then a rename.

gitml may check outputs out as links into its read-only cache, so a stage must
never write into an existing output file: it writes a new file and renames it
over the old one (the rename replaces the link, the cached object is untouched).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def replace_dir(staging: Path, target: Path) -> None:
    """Move the fully written folder ``staging`` to ``target``, removing the old one."""
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)


def fresh_dir(path: Path) -> Path:
    """An empty staging folder beside ``path`` (left-overs of a killed run are removed)."""
    staging = path.with_name(f".{path.name}.tmp")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging
