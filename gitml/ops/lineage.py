"""Lineage: how an artifact came to be.

From ``stages.lock`` (what each stage last ran with) and the pointer files,
down to source data: the stage that produced a path, its command and param
values, each dependency with its hash, recursively; and the commit that last
changed each lock entry and each pointer or git file, found in one walk over
history. Read from the work tree (where uncommitted records are reported as
such) or from a revision.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from gitml import git
from gitml.core import lockfile
from gitml.core import pointer as pointers
from gitml.core import stages as stages_mod
from gitml.core.dag import producers_of
from gitml.core.hashing import format_oid
from gitml.core.lockfile import LockEntry, Record
from gitml.core.paths import to_repo_relative
from gitml.core.pointer import SUFFIX, Pointer
from gitml.core.repo import Repo
from gitml.core.source import decode
from gitml.core.stages import PipelineDef
from gitml.errors import GitmlError

# What the history walk traces: ("lock", stage name) or ("path", repo path).
Key = tuple[str, str]
LOCK = "lock"
PATH = "path"


@dataclass(frozen=True, slots=True)
class Change:
    """The commit that last changed a record; ``committed`` is False when the
    work tree's record differs from HEAD's (or HEAD has none)."""

    committed: bool
    commit: git.CommitInfo | None = None

    @property
    def date(self) -> str | None:
        if self.commit is None:
            return None
        zone = datetime.timezone(datetime.timedelta(seconds=self.commit.offset))
        return datetime.datetime.fromtimestamp(self.commit.time, zone).isoformat()

    def to_dict(self) -> dict[str, Any]:
        c = self.commit
        if c is None:
            return {"committed": self.committed, "commit": None}
        return {
            "committed": self.committed,
            "commit": c.id,
            "date": self.date,
            "author": c.author,
            "summary": c.summary,
        }


@dataclass(frozen=True, slots=True)
class StageNode:
    """A stage, as ``stages.lock`` records its last run."""

    name: str
    cmd: tuple[str, ...]
    params: dict[str, dict[str, Any]]
    change: Change  # of its lock entry
    deps: tuple[Dep, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "stage",
            "stage": self.name,
            "cmd": list(self.cmd),
            "params": self.params,
            "last_change": self.change.to_dict(),
            "deps": [d.to_dict() for d in self.deps],
        }


@dataclass(frozen=True, slots=True)
class PointerNode:
    """Source data: a pointer file and what it records."""

    pointer: Pointer
    change: Change  # of the pointer file

    def to_dict(self) -> dict[str, Any]:
        p = self.pointer
        doc: dict[str, Any] = {
            "kind": "pointer",
            "pointer": p.pointer_rel,
            "path": p.rel,
            "hash": format_oid(p.oid),
            "size": p.size,
        }
        if p.files is not None:
            doc["files"] = p.files
        doc["meta"] = p.meta
        doc["last_change"] = self.change.to_dict()
        return doc


@dataclass(frozen=True, slots=True)
class GitNode:
    """A file or folder that git itself tracks (source code, a config file)."""

    path: str
    object_id: str | None  # git blob/tree id; None when absent or an uncommitted folder
    is_dir: bool
    change: Change

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "git",
            "path": self.path,
            "type": "tree" if self.is_dir else "blob",
            "object": self.object_id,
            "last_change": self.change.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class SeenNode:
    """A stage shown in full elsewhere in the tree, or one that closes a cycle."""

    name: str
    cycle: bool

    def to_dict(self) -> dict[str, Any]:
        if self.cycle:
            return {"kind": "cycle", "stage": self.name}
        return {"kind": "stage", "stage": self.name, "shown_above": True}


Origin = StageNode | PointerNode | GitNode | SeenNode


@dataclass(frozen=True, slots=True)
class Dep:
    """A path as a record (lock dep or output, pointer) knows it, and where it came from."""

    path: str
    oid: str
    size: int
    files: int | None
    origins: tuple[Origin, ...]
    current: str | None = None  # the hash its origin records now, when that is known

    @property
    def stale(self) -> bool | None:
        return None if self.current is None else self.current != self.oid

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"path": self.path, "hash": format_oid(self.oid), "size": self.size}
        if self.files is not None:
            doc["files"] = self.files
        doc["stale"] = self.stale
        if self.stale and self.current is not None:
            doc["current_hash"] = format_oid(self.current)
        doc["from"] = [o.to_dict() for o in self.origins]
        return doc


@dataclass(frozen=True, slots=True)
class Lineage:
    path: str  # as asked, repo-relative
    rev: str | None  # None: the work tree
    commit: str | None  # the commit read (HEAD for the work tree)
    artifact: Dep = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "rev": self.rev,
            "commit": self.commit,
            "artifact": self.artifact.to_dict(),
        }


def lineage(repo: Repo, user_path: str, rev: str | None = None) -> Lineage:
    """The lineage of ``user_path`` in the work tree, or at ``rev``."""
    rel = to_repo_relative(repo.root, user_path, repo.cwd)
    with git.History(repo.root) as history:
        source: _Source = (
            _Workspace(repo, history) if rev is None else _Revision(repo, history, rev)
        )
        artifact = rel[: -len(SUFFIX)] if rel.endswith(SUFFIX) else rel
        keys: set[Key] = set()

        def record(key: Key) -> Change:
            keys.add(key)
            return Change(False)

        entries = source.lock()
        _Builder(source, entries, record).root(artifact, user_path)  # pass 1: what to trace
        changes = source.changes(keys)
        root = _Builder(source, entries, changes.__getitem__).root(artifact, user_path)
    return Lineage(rel, rev, source.tip, root)


class _Source:
    """Where records are read: the work tree, or a revision."""

    tip: str | None  # the commit read: HEAD for the work tree
    rev: str | None = None  # as the user named it; None for the work tree

    def __init__(self, repo: Repo, history: git.History) -> None:
        self.repo = repo
        self.history = history
        self._pointers: dict[str, Pointer | None] = {}
        self._objects: dict[str, tuple[str | None, bool] | None] = {}

    def lock(self) -> dict[str, LockEntry]:
        raise NotImplementedError

    def pointer_file(self, pointer_rel: str) -> Pointer | None:
        raise NotImplementedError

    def git_object(self, rel: str) -> tuple[str | None, bool] | None:
        """(git id, is a folder) of a path git tracks, or None when it is absent."""
        if rel not in self._objects:
            self._objects[rel] = self._git_object(rel)
        return self._objects[rel]

    def _git_object(self, rel: str) -> tuple[str | None, bool] | None:
        raise NotImplementedError

    def changes(self, keys: set[Key]) -> dict[Key, Change]:
        raise NotImplementedError

    def pipeline(self) -> PipelineDef | None:
        raise NotImplementedError

    def declared_producer(self, rel: str) -> str | None:
        """The stage whose declared outputs (in ``stages.yaml``) hold ``rel``."""
        definition = self.pipeline()
        for stage in (definition.stages if definition else {}).values():
            if any(rel == o.path or rel.startswith(o.path + "/") for o in stage.outs):
                return stage.name
        return None

    def pointer(self, rel: str) -> Pointer | None:
        """The pointer of the artifact ``rel``, or of the tracked folder holding it."""
        parts = rel.split("/")
        for i in range(len(parts), 0, -1):
            pointer_rel = "/".join(parts[:i]) + SUFFIX
            if pointer_rel not in self._pointers:
                self._pointers[pointer_rel] = self.pointer_file(pointer_rel)
            found = self._pointers[pointer_rel]
            if found is not None:
                return found
        return None

    def _walk(self, tip: str, keys: set[Key]) -> dict[Key, Change]:
        lock_stages = _LockStages()
        paths = {k: lockfile.LOCK_FILE if k[0] == LOCK else k[1] for k in keys}
        found = self.history.last_changes(tip, paths, lock_stages.same)
        return {k: Change(found[k] is not None, found[k]) for k in keys}


class _Workspace(_Source):
    def __init__(self, repo: Repo, history: git.History) -> None:
        super().__init__(repo, history)
        self.tip = git.head_commit(repo.root)

    def lock(self) -> dict[str, LockEntry]:
        return lockfile.load(self.repo.root)

    def pointer_file(self, pointer_rel: str) -> Pointer | None:
        if not os.path.isfile(self.repo.root / pointer_rel):
            return None
        return pointers.load(self.repo.root, pointer_rel)

    def _git_object(self, rel: str) -> tuple[str | None, bool] | None:
        path = self.repo.root / rel
        if path.is_file():
            return git.blob_id(path.read_bytes()), False
        if path.is_dir() and self.tip is not None:
            found = self.history.object_at(self.tip, rel)
            return (found[0] if found and found[1] else None), True
        return None

    def pipeline(self) -> PipelineDef | None:
        return stages_mod.load(self.repo.root)

    def changes(self, keys: set[Key]) -> dict[Key, Change]:
        if self.tip is None:
            return {k: Change(False) for k in keys}
        paths = [k[1] for k in keys if k[0] == PATH]
        dirty = git.changed_paths(self.repo.root, paths)
        lock_stages = _LockStages()
        here: dict[str, Any] = {}
        at_head: dict[str, Any] = {}
        if any(k[0] == LOCK for k in keys):
            here = lock_stages.stages((self.repo.root / lockfile.LOCK_FILE).read_bytes())
            at_head = lock_stages.stages(self.history.blob_at(self.tip, lockfile.LOCK_FILE))
        committed: set[Key] = set()
        for key in keys:
            kind, name = key
            if kind == LOCK:
                if name in at_head and here.get(name) == at_head[name]:
                    committed.add(key)
            elif self.history.object_at(self.tip, name) is not None and not any(
                d == name or d.startswith(name + "/") for d in dirty
            ):
                committed.add(key)
        walked = self._walk(self.tip, committed)
        return {k: walked.get(k, Change(False)) for k in keys}


class _Revision(_Source):
    """A commit's records; also a ``FileSource`` for the stages.yaml loader."""

    def __init__(self, repo: Repo, history: git.History, rev: str) -> None:
        super().__init__(repo, history)
        commit = git.commit_id(repo.root, rev)
        if commit is None:
            raise GitmlError(
                f"unknown revision {rev!r}",
                "name a commit, branch or tag (`git log --oneline` lists commits)",
            )
        self.tip = self.commit = commit
        self.rev = rev

    def read_text(self, rel: str) -> str | None:
        blob = self.history.blob_at(self.commit, rel)
        return None if blob is None else decode(blob, self.shown(rel))

    def shown(self, rel: str) -> str:
        return f"{self.rev}:{rel}"

    def lock(self) -> dict[str, LockEntry]:
        text = self.read_text(lockfile.LOCK_FILE)
        return {} if text is None else lockfile.loads(text, self.shown(lockfile.LOCK_FILE))

    def pointer_file(self, pointer_rel: str) -> Pointer | None:
        text = self.read_text(pointer_rel)
        return None if text is None else pointers.loads(text, pointer_rel)

    def pipeline(self) -> PipelineDef | None:
        return stages_mod.load(self)

    def _git_object(self, rel: str) -> tuple[str | None, bool] | None:
        return self.history.object_at(self.commit, rel)

    def changes(self, keys: set[Key]) -> dict[Key, Change]:
        return self._walk(self.commit, keys)


class _LockStages:
    """Lock files' ``stages`` mappings, parsed once per content."""

    def __init__(self) -> None:
        self._parsed: dict[bytes, dict[str, Any]] = {}

    def stages(self, blob: bytes | None) -> dict[str, Any]:
        if blob is None:
            return {}
        if blob not in self._parsed:
            try:
                doc = yaml.safe_load(blob)
            except yaml.YAMLError:
                doc = None
            found = doc.get("stages") if isinstance(doc, dict) else None
            self._parsed[blob] = found if isinstance(found, dict) else {}
        return self._parsed[blob]

    def same(self, key: Key, old: bytes | None, new: bytes | None) -> bool:
        """Whether a lock entry is the same in two versions of the lock file."""
        if key[0] != LOCK:
            return False
        entry = self.stages(new).get(key[1])
        return entry is not None and entry == self.stages(old).get(key[1])


class _Builder:
    """Builds the tree of one lineage; ``change_of`` answers for each traced record."""

    def __init__(
        self, source: _Source, entries: dict[str, LockEntry], change_of: Callable[[Key], Change]
    ) -> None:
        self.source = source
        self.change_of = change_of
        self.entries = entries
        self.producer: dict[str, tuple[str, Record]] = {}
        for name, entry in self.entries.items():
            for out in entry.outs:
                self.producer.setdefault(out.path, (name, out))
        self.outs_sorted = sorted(self.producer)
        self.active: set[str] = set()
        self.done: set[str] = set()

    def root(self, rel: str, shown: str) -> Dep:
        outs = [o for o in producers_of(rel, self.outs_sorted) if not o.startswith(rel + "/")]
        if outs:
            name, out = self.producer[outs[0]]
            return Dep(out.path, out.oid, out.size, out.files, (self.stage(name),))
        ptr = self.source.pointer(rel)
        if ptr is not None:
            return Dep(ptr.rel, ptr.oid, ptr.size, ptr.files, (self.pointer_node(ptr),))
        raise self._untraced(rel, shown)

    def _untraced(self, rel: str, shown: str) -> GitmlError:
        producer = self.source.declared_producer(rel)
        if producer is not None:
            what = "has no entry" if producer not in self.entries else "records no such output"
            return GitmlError(
                f"{shown}: an output of stage {producer}, but stages.lock {what} for it",
                f"run `gitml repro {producer}` to run the stage and record it",
            )
        inside = [o for o in self.outs_sorted if o.startswith(rel + "/")]
        if inside and rel:
            more = ", ..." if len(inside) > 3 else ""
            return GitmlError(
                f"{shown}: a folder holding outputs ({', '.join(inside[:3])}{more})",
                "ask for the lineage of one of them",
            )
        where = "" if self.source.rev is None else f" at {self.source.rev}"
        if self.source.git_object(rel) is None:
            return GitmlError(
                f"{shown}: does not exist{where} and no stage produces it",
                "check the path; `gitml stage list -v` lists every stage's outputs",
            )
        return GitmlError(
            f"{shown}: not tracked by gitml and not produced by any stage{where}",
            f"declare it in a stage's outs in stages.yaml and run `gitml repro`, or track "
            f"data with `gitml add {shown}` (for a file git tracks, `git log -- {shown}`)",
        )

    def stage(self, name: str) -> Origin:
        if name in self.active or name in self.done:
            return SeenNode(name, cycle=name in self.active)
        self.active.add(name)
        entry = self.entries[name]
        deps = tuple(self.dep(rec) for rec in entry.deps)
        self.active.discard(name)
        self.done.add(name)
        return StageNode(name, entry.cmd, entry.params, self.change_of((LOCK, name)), deps)

    def dep(self, rec: Record) -> Dep:
        outs = producers_of(rec.path, self.outs_sorted)
        if outs:
            current = self.producer[rec.path][1].oid if rec.path in self.producer else None
            names = dict.fromkeys(self.producer[o][0] for o in outs)
            origins = tuple(self.stage(n) for n in names)
            return Dep(rec.path, rec.oid, rec.size, rec.files, origins, current)
        ptr = self.source.pointer(rec.path)
        if ptr is not None:
            current = ptr.oid if ptr.rel == rec.path else None
            return Dep(rec.path, rec.oid, rec.size, rec.files, (self.pointer_node(ptr),), current)
        return Dep(rec.path, rec.oid, rec.size, rec.files, (self.git_node(rec.path),))

    def pointer_node(self, ptr: Pointer) -> PointerNode:
        return PointerNode(ptr, self.change_of((PATH, ptr.pointer_rel)))

    def git_node(self, rel: str) -> GitNode:
        change = self.change_of((PATH, rel))
        found = self.source.git_object(rel)
        if found is None:
            return GitNode(rel, None, False, change)
        object_id, is_dir = found
        if is_dir and not change.committed:
            object_id = None  # HEAD's tree is not what the work tree holds
        return GitNode(rel, object_id, is_dir, change)
