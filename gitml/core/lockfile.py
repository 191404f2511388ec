"""``stages.lock``: per stage, the command, dependency hashes, param values,
output hashes and environment it last ran with. Written whole and atomically."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitml.core.atomic import write_text
from gitml.core.hashing import format_oid, parse_oid
from gitml.core.paths import check_relative
from gitml.core.schema import load_validated

if TYPE_CHECKING:
    from gitml.core.state import StateIndex

LOCK_FILE = "stages.lock"


@dataclass(frozen=True, slots=True)
class Record:
    """A file or folder at the moment it was recorded."""

    path: str
    oid: str  # 32 hex (folder: manifest hash)
    size: int
    files: int | None = None  # folders only
    cache: bool = True  # outputs only

    def to_dict(self, *, with_cache: bool = False) -> dict[str, Any]:
        doc: dict[str, Any] = {"path": self.path, "hash": format_oid(self.oid), "size": self.size}
        if self.files is not None:
            doc["files"] = self.files
        if with_cache and not self.cache:
            doc["cache"] = False
        return doc

    @classmethod
    def from_dict(cls, doc: dict[str, Any], source: str) -> Record:
        return cls(
            check_relative(str(doc["path"]), source),
            parse_oid(doc["hash"]),
            int(doc["size"]),
            doc.get("files"),
            bool(doc.get("cache", True)),
        )


@dataclass(frozen=True, slots=True)
class LockEntry:
    cmd: tuple[str, ...]
    deps: tuple[Record, ...] = ()
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # file -> key -> value
    outs: tuple[Record, ...] = ()
    env: dict[str, Any] = field(default_factory=dict)
    tune: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"cmd": self.cmd[0] if len(self.cmd) == 1 else list(self.cmd)}
        if self.deps:
            doc["deps"] = [d.to_dict() for d in self.deps]
        if self.params:
            doc["params"] = self.params
        if self.outs:
            doc["outs"] = [o.to_dict(with_cache=True) for o in self.outs]
        if self.env:
            doc["env"] = self.env
        if self.tune:
            doc["tune"] = self.tune
        return doc

    @classmethod
    def from_dict(cls, doc: dict[str, Any], source: str) -> LockEntry:
        cmd = doc["cmd"]
        return cls(
            cmd=tuple(cmd) if isinstance(cmd, list) else (str(cmd),),
            deps=tuple(Record.from_dict(d, source) for d in doc.get("deps") or []),
            params={str(k): dict(v) for k, v in (doc.get("params") or {}).items()},
            outs=tuple(Record.from_dict(o, source) for o in doc.get("outs") or []),
            env=dict(doc.get("env") or {}),
            tune=dict(doc.get("tune") or {}),
        )


def load(root: Path, state: StateIndex | None = None) -> dict[str, LockEntry]:
    """``root/stages.lock`` ({} without one); with the state index, parsed once per change."""
    path = root / LOCK_FILE
    if not path.is_file():
        return {}
    doc = load_validated(path, "lock", LOCK_FILE, state)
    return _entries(doc, LOCK_FILE)


def loads(text: str, source: str) -> dict[str, LockEntry]:
    """A lock file's text read from elsewhere (e.g. a git revision), validated."""
    from gitml.core.schema import parse_yaml, text_locator, validate

    doc = parse_yaml(text, source)
    validate(doc, "lock", source, text_locator(text))
    return _entries(doc, source)


def _entries(doc: dict[str, Any], source: str) -> dict[str, LockEntry]:
    return {
        str(name): LockEntry.from_dict(entry, source)
        for name, entry in (doc.get("stages") or {}).items()
    }


def dumps(entries: dict[str, LockEntry], order: list[str]) -> str:
    ranked = {name: i for i, name in enumerate(order)}
    names = sorted(entries, key=lambda n: (ranked.get(n, len(ranked)), n))
    doc = {"schema": 1, "stages": {name: entries[name].to_dict() for name in names}}
    header = "# Written by gitml repro: what each stage last ran with. Do not edit.\n"
    import yaml

    class NoAliases(yaml.SafeDumper):
        """No ``&id001`` anchors: entries that share a value still spell it out."""

        def ignore_aliases(self, data: Any) -> bool:
            return True

    body = yaml.dump(doc, Dumper=NoAliases, sort_keys=False, allow_unicode=True, width=1000)
    return header + body


def save(root: Path, entries: dict[str, LockEntry], order: list[str]) -> None:
    write_text(root / LOCK_FILE, dumps(entries, order))
