"""YAML documents that remember where each key came from (ruamel.yaml).

Used for hand-written files where every error must point at
file:line:column (``stages.yaml``); machine-written files use the faster
libyaml loader in :mod:`gitml.core.schema`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitml.core.schema import Position, validate
from gitml.errors import InvalidFile


@dataclass(frozen=True, slots=True)
class LocatedDoc:
    source: str  # the file name shown in messages
    doc: Any  # ruamel CommentedMap / CommentedSeq tree (dict and list subclasses)

    def position(self, keys: Sequence[str | int]) -> Position | None:
        node = self.doc
        lc = getattr(node, "lc", None)
        # the document itself, for errors about it as a whole (a missing top-level key)
        pos: Position | None = (lc.line + 1, lc.col + 1) if lc is not None else None
        for key in keys:
            lc = getattr(node, "lc", None)
            try:
                if isinstance(node, dict) and key in node:
                    if lc is not None:
                        line, col = lc.key(key)
                        pos = (line + 1, col + 1)
                    node = node[key]
                elif isinstance(node, list) and str(key).isdigit() and int(key) < len(node):
                    key = int(key)
                    if lc is not None:
                        line, col = lc.item(key)
                        pos = (line + 1, col + 1)
                    node = node[key]
                else:
                    break
            except (KeyError, TypeError, AttributeError):
                break
        return pos

    def error(
        self, keys: Sequence[str | int], problem: str, hint: str | None = None
    ) -> InvalidFile:
        pos = self.position(keys)
        line, column = pos if pos else (None, None)
        key = ".".join(str(k) for k in keys) or None
        return InvalidFile(self.source, problem, line=line, column=column, key=key, hint=hint)


def load_located(path: Path, source: str, schema: str | None = None) -> LocatedDoc:
    """Parse ``path`` keeping positions; validate against ``schema`` when given."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidFile(source, "not UTF-8 text", hint="save the file as UTF-8") from None
    return loads_located(text, source, schema)


def loads_located(text: str, source: str, schema: str | None = None) -> LocatedDoc:
    """Parse YAML ``text`` (named ``source`` in messages) keeping positions."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt", pure=True)
    try:
        doc = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InvalidFile(
            source,
            f"invalid YAML: {exc.problem or exc.context}",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint="fix the YAML syntax (duplicate keys are not allowed)",
        ) from None
    except YAMLError as exc:
        raise InvalidFile(source, f"invalid YAML: {exc}", hint="fix the YAML syntax") from None
    located = LocatedDoc(source, doc)
    if schema is not None:
        validate(doc, schema, source, located.position)
    return located
