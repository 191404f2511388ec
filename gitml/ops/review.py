"""Diffs across revisions: tracked data, params and metrics, between two snapshots.

Each side is a git revision (read through dulwich, never checked out) or the
work tree (``None``). Data is compared down to the files inside tracked
folders, through the manifests in the cache. In the work tree an artifact's
data on disk counts (hashed through the state index, so unchanged data costs
a stat per file), so a change not yet ``gitml add``-ed shows too.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from gitml.core.pointer import Pointer
from gitml.core.repo import Repo
from gitml.errors import GitmlError
from gitml.ops.metrics import flatten
from gitml.ops.revision import ManifestMissing, Snapshot, snapshot

ADDED, REMOVED, MODIFIED, UNCHANGED = "added", "removed", "modified", "unchanged"
FileMap = dict[str, tuple[str, int]]  # repo-relative path -> (hash, size)


@contextmanager
def two_snapshots(repo: Repo, a: str | None, b: str | None) -> Iterator[tuple[Snapshot, Snapshot]]:
    """Both sides of a comparison, closed afterwards."""
    with snapshot(repo, a) as old, snapshot(repo, b) as new:
        yield old, new


def default_revs(repo: Repo, a: str | None, b: str | None) -> tuple[str, str | None]:
    """``A`` defaults to HEAD and ``B`` to the work tree; a bare repository has none,
    so there ``B`` must be named."""
    if repo.bare and b is None:
        raise GitmlError(
            f"{repo.root} is a bare repository: there is no workspace to compare with",
            "name both revisions, e.g. `gitml diff main~1 main`",
        )
    return a or "HEAD", b


# -- data ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str
    state: str  # added | removed | modified
    old_size: int | None
    new_size: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "state": self.state,
            "old_size": self.old_size,
            "new_size": self.new_size,
        }


@dataclass(frozen=True, slots=True)
class ArtifactChange:
    path: str
    state: str  # added | removed | modified
    kind: str  # file | dir
    old: Pointer | None
    new: Pointer | None
    files: tuple[FileChange, ...] = ()
    note: str = ""  # why the files inside are not listed

    @property
    def old_size(self) -> int | None:
        return self.old.size if self.old else None

    @property
    def new_size(self) -> int | None:
        return self.new.size if self.new else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "state": self.state,
            "kind": self.kind,
            "old": _ptr_dict(self.old),
            "new": _ptr_dict(self.new),
            "files": [f.to_dict() for f in self.files],
        }
        if self.note:
            out["note"] = self.note
        return out


def _ptr_dict(ptr: Pointer | None) -> dict[str, Any] | None:
    if ptr is None:
        return None
    out: dict[str, Any] = {"hash": f"xxh128:{ptr.oid}", "size": ptr.size}
    if ptr.files is not None:
        out["files"] = ptr.files
    return out


@dataclass(frozen=True, slots=True)
class DataDiff:
    old: str  # descriptions of the two sides
    new: str
    changes: list[ArtifactChange] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "changes": [c.to_dict() for c in self.changes]}


def data_diff(repo: Repo, a: str | None, b: str | None) -> DataDiff:
    """Tracked data added, removed and modified going from ``a`` to ``b``."""
    with two_snapshots(repo, a, b) as (old, new):
        return diff_snapshots_data(old, new)


def diff_snapshots_data(old: Snapshot, new: Snapshot) -> DataDiff:
    before = old.artifacts()
    after, on_disk = (new.artifacts(), {}) if new.rev is not None else _actual_artifacts(new)
    changes: list[ArtifactChange] = []
    for path in sorted(set(before) | set(after)):
        was, now = before.get(path), after.get(path)
        if was is not None and now is not None and (was.oid, was.size) == (now.oid, now.size):
            continue
        state = ADDED if was is None else REMOVED if now is None else MODIFIED
        kind = "dir" if (now or was).is_dir else "file"  # type: ignore[union-attr]
        files, note = _file_changes(old, was, new, now, on_disk.get(path))
        changes.append(ArtifactChange(path, state, kind, was, now, files, note))
    return DataDiff(old.description, new.description, changes)


def _file_changes(
    old: Snapshot, was: Pointer | None, new: Snapshot, now: Pointer | None, disk: FileMap | None
) -> tuple[tuple[FileChange, ...], str]:
    notes: list[str] = []
    sides: list[FileMap] = []
    for snap, ptr, known in ((old, was, None), (new, now, disk)):
        try:
            sides.append(known if known is not None else _files_of(snap, ptr))
        except ManifestMissing as exc:
            notes.append(f"{snap.label}: manifest {exc.oid[:8]} not in the cache")
            sides.append({})
    if notes:
        return (), "; ".join(notes) + " — files inside not listed"
    a, b = sides
    rows = []
    for path in sorted(set(a) | set(b)):
        if path not in a:
            rows.append(FileChange(path, ADDED, None, b[path][1]))
        elif path not in b:
            rows.append(FileChange(path, REMOVED, a[path][1], None))
        elif a[path] != b[path]:
            rows.append(FileChange(path, MODIFIED, a[path][1], b[path][1]))
    return tuple(rows), ""


def _files_of(snap: Snapshot, ptr: Pointer | None) -> FileMap:
    return {} if ptr is None else snap.artifact_files(ptr)


def _actual_artifacts(work: Snapshot) -> tuple[dict[str, Pointer], dict[str, FileMap]]:
    """The work tree's artifacts as the data on disk is (missing data: as recorded),
    and the files of each folder found on disk."""
    from gitml.core.tree import Hasher
    from gitml.ops.status import current_files

    repo = work.repo
    hasher = Hasher(repo.state, objects=repo.cache)
    disk_files: dict[str, FileMap] = {}
    out: dict[str, Pointer] = {}
    for path, ptr in work.artifacts().items():
        files = current_files(repo, ptr)
        if files is None:
            out[path] = ptr
        elif ptr.is_dir:
            folder = hasher.tree(ptr.rel, files)
            oid, oids = folder.oid, folder.oids
            disk_files[path] = {
                f"{path}/{f.rel}": (o, f.size) for f, o in zip(files, oids, strict=True)
            }
            out[path] = Pointer(path, oid, sum(f.size for f in files), len(files), ptr.meta)
        else:
            oid = hasher.hash_files(files)[0]
            out[path] = Pointer(path, oid, files[0].size, None, ptr.meta)
    return out, disk_files


# -- params and metrics ------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class ValueDelta:
    """One param or metric: its value on each side (None: absent there)."""

    file: str
    key: str
    old: Any
    new: Any

    @property
    def changed(self) -> bool:
        return self.old != self.new or type(self.old) is not type(self.new)

    @property
    def absolute(self) -> float | None:
        if _is_number(self.old) and _is_number(self.new):
            return float(self.new - self.old)
        return None

    @property
    def relative(self) -> float | None:
        """The change in percent of the old value (None when old is 0 or not a number)."""
        change = self.absolute
        if change is None or self.old == 0 or not math.isfinite(self.old):
            return None
        return float(change / abs(self.old) * 100.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "key": self.key,
            "old": self.old,
            "new": self.new,
            "change": self.absolute,
            "change_pct": self.relative,
        }


def compare_values(
    old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]], *, include_unchanged: bool
) -> list[ValueDelta]:
    """Rows for every (file, key) on either side; flat keys (``a.b``) in both."""
    rows: list[ValueDelta] = []
    for file in sorted(set(old) | set(new)):
        a, b = old.get(file, {}), new.get(file, {})
        for key in sorted(set(a) | set(b)):
            row = ValueDelta(file, key, a.get(key), b.get(key))
            if include_unchanged or row.changed:
                rows.append(row)
    return rows


@dataclass(frozen=True, slots=True)
class ValuesDiff:
    old: str  # descriptions of the two sides
    new: str
    rows: list[ValueDelta]

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "rows": [r.to_dict() for r in self.rows]}


def flat_params(snap: Snapshot) -> dict[str, dict[str, Any]]:
    return {file: flatten(doc) for file, doc in snap.params().items()}


def params_diff(
    repo: Repo, a: str | None, b: str | None, *, include_unchanged: bool = False
) -> ValuesDiff:
    """Params (every params file of either pipeline) that differ between ``a`` and ``b``."""
    with two_snapshots(repo, a, b) as (old, new):
        rows = compare_values(
            flat_params(old), flat_params(new), include_unchanged=include_unchanged
        )
        return ValuesDiff(old.description, new.description, rows)


def metrics_diff(
    repo: Repo, a: str | None, b: str | None, *, include_unchanged: bool = False
) -> ValuesDiff:
    """Metrics (every metrics file either pipeline declares) between ``a`` and ``b``."""
    with two_snapshots(repo, a, b) as (old, new):
        rows = compare_values(old.metrics(), new.metrics(), include_unchanged=include_unchanged)
        return ValuesDiff(old.description, new.description, rows)
