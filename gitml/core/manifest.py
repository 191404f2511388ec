"""Directory manifests: the sorted list of a directory's files and their hashes.

A manifest is serialised canonically (compact JSON, entries sorted by path),
so a directory's hash is the hash of those bytes and is stored in the cache
like any other object.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from gitml.core.hashing import hash_bytes, is_oid
from gitml.core.paths import check_relative
from gitml.errors import GitmlError

VERSION = 1


class Entry(NamedTuple):
    path: str  # relative to the directory, posix
    oid: str  # 32 hex
    size: int
    executable: bool = False


class Manifest:
    """A folder's files, sorted by path (see :meth:`build`); immutable."""

    __slots__ = ("entries",)

    def __init__(self, entries: tuple[Entry, ...]) -> None:
        self.entries = entries

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Manifest) and self.entries == other.entries

    def __hash__(self) -> int:
        return hash(self.entries)

    def __repr__(self) -> str:
        return f"Manifest({self.entries!r})"

    @classmethod
    def build(cls, entries: Iterable[Entry]) -> Manifest:
        ordered = sorted(entries, key=lambda e: e.path)
        for a, b in itertools.pairwise(ordered):
            if a.path == b.path:
                raise GitmlError(f"duplicate path in manifest: {a.path}")
        return cls(tuple(ordered))

    @property
    def size(self) -> int:
        return sum(e.size for e in self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def by_path(self) -> dict[str, Entry]:
        return {e.path: e for e in self.entries}

    def to_bytes(self) -> bytes:
        rows = [[e.path, e.oid, e.size, int(e.executable)] for e in self.entries]
        doc = {"version": VERSION, "files": rows}
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def oid(self) -> str:
        return hash_bytes(self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "manifest") -> Manifest:
        try:
            doc = json.loads(data)
            if doc.get("version") != VERSION:
                raise ValueError(f"unsupported manifest version {doc.get('version')!r}")
            entries = []
            for path, oid, size, executable in doc["files"]:
                if not isinstance(size, int) or size < 0 or not is_oid(oid):
                    raise ValueError(f"bad entry for {path!r}")
                entries.append(Entry(check_relative(path, source), oid, size, bool(executable)))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GitmlError(
                f"{source}: corrupt directory manifest ({exc})",
                "run `gitml fsck --repair`, then add or pull the directory again",
            ) from exc
        return cls.build(entries)


def file_oids(data: bytes) -> set[str]:
    """Just the file hashes of a manifest's bytes: for membership tests on hot paths.

    Skips the per-entry validation of :meth:`Manifest.from_bytes`; use it only on
    bytes read from the cache, whose name is their hash.
    """
    try:
        return {row[1] for row in json.loads(data)["files"]}
    except (ValueError, KeyError, TypeError, IndexError):
        return set()


def diff(old: Manifest, new: Manifest) -> dict[str, list[str]]:
    """Paths added, modified and deleted going from ``old`` to ``new``."""
    before, after = old.by_path(), new.by_path()
    return {
        "added": sorted(p for p in after if p not in before),
        "modified": sorted(p for p, e in after.items() if p in before and _differ(before[p], e)),
        "deleted": sorted(p for p in before if p not in after),
    }


def _differ(a: Entry, b: Entry) -> bool:
    return a.oid != b.oid or a.executable != b.executable
