"""Where a loader reads a repository's files from: the work tree or a git revision.

Loaders of hand-written files (``stages.yaml``, params files) take a
``FileSource`` so the same code reads the work tree and any commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from gitml.errors import InvalidFile


class FileSource(Protocol):
    def read_text(self, rel: str) -> str | None:
        """The UTF-8 text of the repo-relative file ``rel``, or None when it is absent."""
        ...

    def shown(self, rel: str) -> str:
        """How ``rel`` is named in messages (``HEAD~1:stages.yaml`` for a revision)."""
        ...


def decode(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidFile(shown, "not UTF-8 text", hint="save the file as UTF-8") from None


@dataclass(frozen=True, slots=True)
class DirSource:
    """Files of a folder on disk (the work tree)."""

    root: Path

    def read_text(self, rel: str) -> str | None:
        try:
            data = (self.root / rel).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        return decode(data, rel)

    def shown(self, rel: str) -> str:
        return rel
