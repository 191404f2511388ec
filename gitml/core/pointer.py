"""Pointer files (``PATH.gitml``): what git commits in place of the data."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from gitml.core.atomic import write_text
from gitml.core.hashing import format_oid, parse_oid
from gitml.core.paths import check_relative
from gitml.core.schema import load_validated, validate
from gitml.errors import InvalidFile

if TYPE_CHECKING:
    import yaml

    from gitml.core.state import StateIndex

SUFFIX = ".gitml"


@cache
def _dumper() -> type[yaml.SafeDumper]:
    """A dumper that writes strings holding NEL (U+0085) double-quoted, where it is
    escaped: PyYAML writes it raw in other styles and a reader folds it into a space."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = '"' if "\x85" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, represent_str)
    return Dumper


@dataclass(frozen=True, slots=True)
class Pointer:
    """A pointer file's content; ``rel`` is the artifact's repo-relative path."""

    rel: str
    oid: str  # 32 hex
    size: int
    files: int | None = None  # set for directories
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_dir(self) -> bool:
        return self.files is not None

    @property
    def pointer_rel(self) -> str:
        return self.rel + SUFFIX

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "version": 1,
            "path": PurePosixPath(self.rel).name,
            "hash": format_oid(self.oid),
            "size": self.size,
        }
        if self.files is not None:
            doc["files"] = self.files
        if self.meta:
            doc["meta"] = self.meta
        return doc

    def dumps(self) -> str:
        import yaml

        return yaml.dump(self.to_dict(), Dumper=_dumper(), sort_keys=False, allow_unicode=True)

    @classmethod
    def from_dict(cls, doc: dict[str, Any], pointer_rel: str) -> Pointer:
        name = check_relative(str(doc["path"]), pointer_rel)
        folder = PurePosixPath(pointer_rel).parent
        rel = (folder / name).as_posix() if str(folder) != "." else name
        return cls(
            rel=rel,
            oid=parse_oid(doc["hash"]),
            size=int(doc["size"]),
            files=doc.get("files"),
            meta=dict(doc.get("meta") or {}),
        )


def load(root: Path, pointer_rel: str, state: StateIndex | None = None) -> Pointer:
    """Load and validate ``root/pointer_rel``; raise InvalidFile with file:line on error.

    With the state index, an unchanged pointer is not parsed again."""
    doc = load_validated(root / pointer_rel, "pointer", pointer_rel, state)
    return Pointer.from_dict(doc, pointer_rel)


def loads(text: str, pointer_rel: str) -> Pointer:
    """Parse pointer text read from elsewhere (e.g. a git revision)."""
    from gitml.core.schema import parse_yaml, text_locator

    doc = parse_yaml(text, pointer_rel)
    validate(doc, "pointer", pointer_rel, text_locator(text))
    return Pointer.from_dict(doc, pointer_rel)


def save(root: Path, pointer: Pointer) -> None:
    # No fsync (50 ms on a virtual disk, a third of a re-add): the rename still makes
    # the write atomic, and ext4, XFS and btrfs flush a file renamed over another at
    # the rename; a pointer lost to a power cut is written again by `gitml add`.
    write_text(root / pointer.pointer_rel, pointer.dumps(), fsync=False)


def artifact_of(pointer_rel: str) -> str:
    if not pointer_rel.endswith(SUFFIX):
        raise InvalidFile(pointer_rel, f"a pointer file's name ends in {SUFFIX}")
    return pointer_rel[: -len(SUFFIX)]
