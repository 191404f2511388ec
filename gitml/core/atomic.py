"""Crash-safe file writes: a temp file in the same folder, then ``os.replace``."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

_counter = itertools.count()


def temp_name(target: Path) -> Path:
    """A unique temp path beside ``target`` that :func:`is_temp` recognises.

    Unique per process by pid and counter; writers open it with ``O_EXCL``.
    """
    return target.with_name(f".{target.name}.{os.getpid()}-{next(_counter)}.gitml-tmp")


def temp_str(target: str) -> str:
    """:func:`temp_name` for a ``str`` path, without pathlib (hot loops)."""
    head, _, name = target.rpartition("/")
    return f"{head}/.{name}.{os.getpid()}-{next(_counter)}.gitml-tmp"


def is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(".gitml-tmp")


def write_bytes(target: Path, data: bytes, mode: int = 0o644, *, fsync: bool = True) -> None:
    """Write ``data`` to ``target`` so that a reader sees the old or the new file, never half."""
    tmp = temp_name(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(target: Path, text: str, mode: int = 0o644, *, fsync: bool = True) -> None:
    write_bytes(target, text.encode("utf-8"), mode, fsync=fsync)
