"""The git merge driver for ``stages.lock`` and pointer files (``*.gitml``).

git hands over three versions (base, ours, theirs) and the path; the merged
text is written over ours. What only one side changed is taken. A folder both
sides changed on different files gets a merged manifest (stored in the cache),
so its pointer or lock record names the union of both changes. Anything else
is left between git's conflict markers, around the conflicting part only.

A stage entry of ``stages.lock`` is the record of one run. When both sides
changed it, it is merged only if the two runs had the same command, params
and tuning spec, and every dependency or output that differs is a cached
folder both changed on different files: any other mix would claim a result no
run produced, so it is a conflict to settle by re-running the stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from gitml.core import lockfile
from gitml.core import pointer as pointers
from gitml.core.atomic import write_text
from gitml.core.hashing import format_oid, parse_oid
from gitml.core.lockfile import LockEntry, Record
from gitml.core.manifest import Manifest
from gitml.core.merge3 import (
    MISSING,
    Conflict,
    ManifestConflict,
    Missing,
    conflict_block,
    conflicts_of,
    merge3,
    merge_keyed,
    merge_manifests,
    merge_order,
)
from gitml.core.odb import LocalCache
from gitml.core.repo import Repo
from gitml.errors import GitmlError

SIDES = ("base", "ours", "theirs")


@dataclass(frozen=True, slots=True)
class MergeConflict:
    """One conflict left in the merged file: where, why, and how to settle it."""

    path: str  # the file git merges (stages.lock, data/raw.gitml)
    what: str  # "stage train", "data/raw", "meta.license"
    reason: str
    hint: str

    def line(self) -> str:
        return f"{self.path}: {self.what}: {self.reason} — {self.hint}"


@dataclass(frozen=True, slots=True)
class MergeResult:
    path: str
    conflicts: tuple[MergeConflict, ...]
    merged_folders: tuple[str, ...]  # folders whose manifests were merged

    @property
    def clean(self) -> bool:
        return not self.conflicts


def merge_file(base: Path, ours: Path, theirs: Path, rel: str) -> MergeResult:
    """Merge ``rel``'s three versions and write the result over ``ours``.

    Folder manifests are read from (and the merged ones written to) the cache of
    the repository around the current directory, where git runs its drivers.
    """
    texts = tuple(_read(p, side) for p, side in zip((base, ours, theirs), SIDES, strict=True))
    folders = _Folders()
    name = PurePosixPath(rel).name
    if name == lockfile.LOCK_FILE:
        text, conflicts = _merge_lock(rel, texts, folders)
    elif name.endswith(pointers.SUFFIX) and name != pointers.SUFFIX:
        text, conflicts = _merge_pointer(rel, texts, folders)
    else:
        raise GitmlError(
            f"{rel}: the gitml merge driver merges only stages.lock and *.gitml files",
            "remove this path's `merge=gitml` line from .gitattributes",
        )
    write_text(ours, text)
    return MergeResult(rel, tuple(conflicts), tuple(folders.merged))


def _read(path: Path, side: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GitmlError(
            f"cannot read the {side} version {path}: {exc}", "resolve the merge by hand"
        ) from None


# -- folders: merging manifests through the cache ------------------------------


@dataclass(frozen=True, slots=True)
class _Tree:
    oid: str
    size: int
    files: int


@dataclass(frozen=True, slots=True)
class _Problem:
    reason: str
    missing: bool = False  # a manifest is not in the cache


@dataclass
class _Folders:
    merged: list[str] = field(default_factory=list)
    _cache: LocalCache | None = None

    def cache(self) -> LocalCache:
        if self._cache is None:  # only a folder merge needs the repository
            repo = Repo.find(require_init=False)
            self._cache = repo.cache
            repo.close()
        return self._cache

    def merge(self, label: str, base: str, ours: str, theirs: str) -> _Tree | _Problem:
        """Merge a folder's three manifests; store the merged one in the cache."""
        cache = self.cache()
        manifests = []
        for side, oid in zip(SIDES, (base, ours, theirs), strict=True):
            if not cache.exists(oid):
                return _Problem(f"manifest {format_oid(oid)} ({side}) is not in the cache", True)
            manifests.append(Manifest.from_bytes(cache.read_bytes(oid), format_oid(oid)))
        merged = merge_manifests(*manifests)
        if isinstance(merged, ManifestConflict):
            return _Problem(f"both sides changed {_some(merged.paths)}")
        oid = merged.oid()
        if not cache.exists(oid):
            cache.put_bytes(merged.to_bytes(), oid)
        self.merged.append(label)
        return _Tree(oid, merged.size, len(merged))


def _some(paths: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


_FETCH_HINT = (
    "get it into the cache (`gitml pull`/`gitml fetch`, or `gitml add` on that branch), "
    "then `git merge --abort` and merge again"
)


# -- pointer files -------------------------------------------------------------


def _merge_pointer(
    rel: str, texts: tuple[str, ...], folders: _Folders
) -> tuple[str, list[MergeConflict]]:
    base = pointers.loads(texts[0], f"{rel} (base)") if texts[0].strip() else None
    ours, theirs = _load_pointer(texts[1], rel, "ours"), _load_pointer(texts[2], rel, "theirs")
    data = merge3(_data(base) if base else MISSING, _data(ours), _data(theirs))
    conflicts: list[MergeConflict] = []
    if isinstance(data, Conflict):
        data = _merge_pointer_data(ours, data, folders, conflicts)
    meta = merge_keyed(base.meta if base else {}, ours.meta, theirs.meta)
    for key in conflicts_of(meta):
        conflicts.append(
            MergeConflict(
                rel,
                f"meta.{key}",
                "both sides changed it differently",
                f"keep one value between the markers, then `git add {rel}`",
            )
        )
    if not conflicts and isinstance(data, dict):
        merged = pointers.Pointer.from_dict({**data, "meta": meta}, rel)
        text = merged.dumps()
        pointers.loads(text, rel)  # what we write must be a valid pointer
        return text, []
    return _render_pointer(data, meta), conflicts


def _load_pointer(text: str, rel: str, side: str) -> pointers.Pointer:
    if not text.strip():
        raise GitmlError(f"{rel}: the {side} version is empty", "resolve the merge by hand")
    return pointers.loads(text, f"{rel} ({side})")


def _data(ptr: pointers.Pointer) -> dict[str, Any]:
    """The pointer's fields that name the content: version, path, hash, size, files."""
    doc = ptr.to_dict()
    doc.pop("meta", None)
    return doc


def _merge_pointer_data(
    ours: pointers.Pointer,
    data: Conflict[dict[str, Any]],
    folders: _Folders,
    conflicts: list[MergeConflict],
) -> dict[str, Any] | Conflict[dict[str, Any]]:
    rel, art = ours.pointer_rel, ours.rel
    hint = (
        f"keep one side between the markers and run `gitml checkout {art}` (or put the data "
        f"you want in {art} and run `gitml add {art}`), then `git add {rel}`"
    )
    sides = (data.base, data.ours, data.theirs)
    dicts = [s for s in sides if isinstance(s, dict)]
    if len(dicts) < 3:
        reason = "added on both sides with different content"
    elif any("files" not in s for s in dicts) or len({s["path"] for s in dicts}) > 1:
        reason = "changed on both sides"
    else:
        got = folders.merge(art, *(parse_oid(s["hash"]) for s in dicts))
        if isinstance(got, _Tree):
            return {**dicts[1], "hash": format_oid(got.oid), "size": got.size, "files": got.files}
        reason, hint = got.reason, (_FETCH_HINT if got.missing else hint)
    conflicts.append(MergeConflict(rel, art, reason, hint))
    return data


_HEAD = ("version", "path")  # kept outside the markers when both sides agree


def _render_pointer(
    data: dict[str, Any] | Missing | Conflict[dict[str, Any]], meta: dict[str, Any]
) -> str:
    if isinstance(data, Conflict):
        ours, theirs = _side(data.ours), _side(data.theirs)
        same = {k: v for k, v in ours.items() if k in _HEAD and theirs.get(k) == v}
        text = _yaml(same) + conflict_block(
            _yaml({k: v for k, v in ours.items() if k not in same}),
            _yaml({k: v for k, v in theirs.items() if k not in same}),
        )
    else:
        text = _yaml(_side(data))
    if meta:
        text += "meta:\n"
        for key, value in meta.items():
            if isinstance(value, Conflict):
                mine, other = (_yaml({key: v}, 2) if v is not MISSING else "" for v in _two(value))
                text += conflict_block(mine, other)
            else:
                text += _yaml({key: value}, 2)
    return text


def _side(value: dict[str, Any] | Missing) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _two(conflict: Conflict[Any]) -> tuple[Any, Any]:
    return conflict.ours, conflict.theirs


def _yaml(doc: dict[str, Any], indent: int = 0) -> str:
    if not doc:
        return ""
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1000)
    pad = " " * indent
    return "".join(pad + line for line in text.splitlines(keepends=True))


# -- stages.lock -----------------------------------------------------------------


def _merge_lock(
    rel: str, texts: tuple[str, ...], folders: _Folders
) -> tuple[str, list[MergeConflict]]:
    base, ours, theirs = (
        lockfile.loads(text, f"{rel} ({side})") if text.strip() else {}
        for text, side in zip(texts, SIDES, strict=True)
    )
    order = merge_order(list(ours), list(theirs))
    merged: dict[str, LockEntry] = {}
    blocks: dict[str, str] = {}
    conflicts: list[MergeConflict] = []
    for name in order:
        value = merge3(base.get(name, MISSING), ours.get(name, MISSING), theirs.get(name, MISSING))
        if isinstance(value, Conflict):
            value = _merge_entry(name, value, folders, rel, conflicts)
        if isinstance(value, LockEntry):
            merged[name] = value
            blocks[name] = _entry_block(name, value)
        elif isinstance(value, Conflict):
            ours_text, theirs_text = (
                _entry_block(name, e) if isinstance(e, LockEntry) else "" for e in _two(value)
            )
            blocks[name] = conflict_block(ours_text, theirs_text)
    if conflicts:
        return _lock_head() + "".join(blocks.values()), conflicts
    text = lockfile.dumps(merged, order)
    lockfile.loads(text, rel)  # what we write must be a valid lock file
    return text, []


def _entry_block(name: str, entry: LockEntry) -> str:
    """The lines ``lockfile.dumps`` writes for one stage (under ``stages:``)."""
    return _split_dump(lockfile.dumps({name: entry}, [name]))[1]


def _lock_head() -> str:
    """The lines ``lockfile.dumps`` writes before the first stage."""
    return _split_dump(lockfile.dumps({"stage": LockEntry(("cmd",))}, ["stage"]))[0]


def _split_dump(text: str) -> tuple[str, str]:
    head, sep, block = text.partition("\nstages:\n")
    if not sep:
        raise AssertionError("lockfile.dumps no longer writes a `stages:` line")
    return head + sep, block


def _merge_entry(
    name: str,
    entry: Conflict[LockEntry],
    folders: _Folders,
    rel: str,
    conflicts: list[MergeConflict],
) -> LockEntry | Conflict[LockEntry]:
    """Both sides changed stage ``name``: merge it if both ran the same inputs save folders."""
    base, ours, theirs = entry.base, entry.ours, entry.theirs
    problems: list[_Problem] = []
    if not isinstance(ours, LockEntry) or not isinstance(theirs, LockEntry):
        problems.append(_Problem("removed on one side and changed on the other"))
    elif not isinstance(base, LockEntry):
        problems.append(_Problem("added on both sides with different results"))
    else:
        done = len(folders.merged)
        merged = _merge_runs(name, base, ours, theirs, folders, problems)
        if merged is not None and not problems:
            return merged
        del folders.merged[done:]  # those folders were merged for an entry that conflicts
    hint = (
        f"keep one side between the markers, run `gitml repro {name}` to record the "
        f"merged result, then `git add {rel}`"
    )
    if any(p.missing for p in problems):
        hint = _FETCH_HINT
    reason = "; ".join(p.reason for p in problems)
    conflicts.append(MergeConflict(rel, f"stage {name}", reason, hint))
    return entry


def _merge_runs(
    name: str,
    base: LockEntry,
    ours: LockEntry,
    theirs: LockEntry,
    folders: _Folders,
    problems: list[_Problem],
) -> LockEntry | None:
    differ = [f for f in ("cmd", "params", "tune") if getattr(ours, f) != getattr(theirs, f)]
    env = merge3(base.env, ours.env, theirs.env)
    if isinstance(env, Conflict):
        differ.append("env")
    if differ:
        problems.append(_Problem(f"both sides ran it differently ({', '.join(differ)})"))
    records = (name, folders, problems)
    deps = _merge_records("dep", base.deps, ours.deps, theirs.deps, *records)
    outs = _merge_records("out", base.outs, ours.outs, theirs.outs, *records)
    if problems or not isinstance(env, dict):
        return None
    return LockEntry(ours.cmd, tuple(deps), ours.params, tuple(outs), env, ours.tune)


def _merge_records(
    kind: str,
    base: Sequence[Record],
    ours: Sequence[Record],
    theirs: Sequence[Record],
    name: str,
    folders: _Folders,
    problems: list[_Problem],
) -> list[Record]:
    """Records by path: equal on both sides, or a cached folder merged from both."""
    b, o, t = ({r.path: r for r in records} for records in (base, ours, theirs))
    merged: list[Record] = []
    for path in merge_order(list(o), list(t)):
        rb, ro, rt = b.get(path), o.get(path), t.get(path)
        if ro == rt:
            if ro is not None:
                merged.append(ro)
            continue
        if rb is None or ro is None or rt is None or not _folders_alike(rb, ro, rt):
            problems.append(_Problem(f"{kind} {path} differs"))
            continue
        got = folders.merge(f"stage {name} {kind} {path}", rb.oid, ro.oid, rt.oid)
        if isinstance(got, _Problem):
            problems.append(_Problem(f"{kind} {path}: {got.reason}", got.missing))
        else:
            merged.append(Record(path, got.oid, got.size, got.files, ro.cache))
    return merged


def _folders_alike(*records: Record) -> bool:
    return all(r.files is not None and r.cache for r in records)
