"""Pointer files (``PATH.gitml``): what git commits in place of the data."""

from __future__ import annotations

import re
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


class Pointer:
    """A pointer file's content; ``rel`` is the artifact's repo-relative path.

    Immutable. Two pointers are equal when they name the same data: ``meta``
    does not take part.
    """

    __slots__ = ("files", "meta", "oid", "rel", "size")

    def __init__(
        self,
        rel: str,
        oid: str,  # 32 hex
        size: int,
        files: int | None = None,  # set for directories
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.rel = rel
        self.oid = oid
        self.size = size
        self.files = files
        self.meta: dict[str, Any] = {} if meta is None else meta

    def _key(self) -> tuple[str, str, int, int | None]:
        return (self.rel, self.oid, self.size, self.files)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pointer) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Pointer(rel={self.rel!r}, oid={self.oid!r}, size={self.size!r},"
            f" files={self.files!r}, meta={self.meta!r})"
        )

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
        plain = self._plain_text()
        if plain is not None:
            return plain
        import yaml

        return yaml.dump(self.to_dict(), Dumper=_dumper(), sort_keys=False, allow_unicode=True)

    def _plain_text(self) -> str | None:
        """The YAML text of a pointer without meta whose name needs no quoting, written
        without the YAML library (the same bytes ``yaml.dump`` gives: tested)."""
        name = PurePosixPath(self.rel).name
        if self.meta or not _plain_name(name):
            return None
        files = "" if self.files is None else f"files: {self.files}\n"
        return f"version: 1\npath: {name}\nhash: xxh128:{self.oid}\nsize: {self.size}\n{files}"

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

    A pointer exactly as gitml writes it (no meta, a plain name) is read without
    the YAML library; with the state index, an unchanged other one is not parsed
    again."""
    path = root / pointer_rel
    try:
        with open(path, "rb") as f:
            plain = _from_plain_text(f.read(_PLAIN_MAX), pointer_rel)
    except OSError:
        plain = None  # load_validated says what is wrong
    if plain is not None:
        return plain
    doc = load_validated(path, "pointer", pointer_rel, state)
    return Pointer.from_dict(doc, pointer_rel)


# What Pointer._plain_text writes, and nothing else: a name YAML reads as a plain
# string (no quotes, not a number, bool or null), sizes without leading zeros.
_PLAIN_MAX = 512
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_YAML_WORDS = frozenset(
    w
    for word in ("yes", "no", "true", "false", "on", "off", "null")
    for w in (word, word.capitalize(), word.upper())
)
_PLAIN_POINTER = re.compile(
    rb"version: 1\npath: ([A-Za-z_][A-Za-z0-9_.-]*)\nhash: xxh128:([0-9a-f]{32})\n"
    rb"size: (0|[1-9][0-9]*)\n(?:files: (0|[1-9][0-9]*)\n)?"
)


def _plain_name(name: str) -> bool:
    return _PLAIN_NAME.fullmatch(name) is not None and name not in _YAML_WORDS


def _from_plain_text(data: bytes, pointer_rel: str) -> Pointer | None:
    found = _PLAIN_POINTER.fullmatch(data)
    if found is None:
        return None
    name = found[1].decode()
    if not _plain_name(name):
        return None
    folder = pointer_rel.rpartition("/")[0]
    files = found[4]
    return Pointer(
        f"{folder}/{name}" if folder else name,
        found[2].decode(),
        int(found[3]),
        None if files is None else int(files),
    )


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
