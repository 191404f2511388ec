"""Three-way merging: values, keyed collections, key order and folder manifests.

Pure functions for the merge driver (``gitml.ops.merge``). A side that does
not have a key is :data:`MISSING`; a change both sides made differently comes
back as a :class:`Conflict` holding all three versions.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Generic, TypeVar

from gitml.core.manifest import Entry, Manifest

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MARKER_OURS = "<<<<<<< ours\n"
MARKER_SPLIT = "=======\n"
MARKER_THEIRS = ">>>>>>> theirs\n"


class Missing(enum.Enum):
    """The value of a key that one version does not have."""

    MISSING = "missing"


MISSING = Missing.MISSING


@dataclass(frozen=True, slots=True)
class Conflict(Generic[V]):
    """Both sides changed a value, and differently."""

    base: V | Missing
    ours: V | Missing
    theirs: V | Missing


def merge3(base: V | Missing, ours: V | Missing, theirs: V | Missing) -> V | Missing | Conflict[V]:
    """The side that changed, the common value, or a conflict."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    return Conflict(base, ours, theirs)


def merge_order(ours: Sequence[K], theirs: Sequence[K]) -> list[K]:
    """Ours' order, with each key only theirs has placed after its predecessor in theirs."""
    result = list(ours)
    placed = set(result)
    for i, key in enumerate(theirs):
        if key in placed:
            continue
        before = next((k for k in reversed(theirs[:i]) if k in placed), None)
        result.insert(result.index(before) + 1 if before is not None else 0, key)
        placed.add(key)
    return result


def merge_keyed(
    base: Mapping[K, V], ours: Mapping[K, V], theirs: Mapping[K, V]
) -> dict[K, V | Conflict[V]]:
    """Key by key :func:`merge3`, in :func:`merge_order`; keys that end up missing are left out."""
    merged: dict[K, V | Conflict[V]] = {}
    for key in merge_order(list(ours), list(theirs)):
        value = merge3(base.get(key, MISSING), ours.get(key, MISSING), theirs.get(key, MISSING))
        if value is not MISSING:
            merged[key] = value
    return merged


def conflicts_of(merged: Mapping[K, object]) -> list[K]:
    return [key for key, value in merged.items() if isinstance(value, Conflict)]


@dataclass(frozen=True, slots=True)
class ManifestConflict:
    """Files inside a folder that cannot be merged: changed on both sides, or a
    file on one side where the other has a folder."""

    paths: tuple[str, ...]


def merge_manifests(
    base: Manifest, ours: Manifest, theirs: Manifest
) -> Manifest | ManifestConflict:
    """File by file three-way merge of a folder's manifests."""
    merged = merge_keyed(base.by_path(), ours.by_path(), theirs.by_path())
    both = conflicts_of(merged)
    if both:
        return ManifestConflict(tuple(sorted(both)))
    entries = [e for e in merged.values() if isinstance(e, Entry)]
    clashes = _file_folder_clashes({e.path for e in entries})
    if clashes:
        return ManifestConflict(tuple(sorted(clashes)))
    return Manifest.build(entries)


def _file_folder_clashes(paths: set[str]) -> set[str]:
    """Paths that are a file and also a parent folder of another path."""
    return {
        str(parent)
        for path in paths
        for parent in PurePosixPath(path).parents
        if str(parent) in paths
    }


def conflict_block(ours: str, theirs: str) -> str:
    """``ours`` and ``theirs`` (whole lines, either may be empty) between git's markers."""
    return f"{MARKER_OURS}{_lines(ours)}{MARKER_SPLIT}{_lines(theirs)}{MARKER_THEIRS}"


def _lines(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"
