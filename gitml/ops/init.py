"""``gitml init``: set gitml up in a git repository (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitml.core.atomic import write_text
from gitml.core.config import CONFIG
from gitml.core.repo import CONFIG_DIR, Repo

DEFAULT_CONFIG = """\
# gitml configuration (committed). Machine-specific settings and credentials
# go to .gitml/config.local.yaml, which git ignores.
version: 1
cache:
  # How cached data is put into the work tree, in order of preference.
  type: [reflink, copy]
"""

GITIGNORE = "/config.local.yaml\n/tmp\n"


@dataclass(frozen=True, slots=True)
class InitResult:
    root: str
    created: list[str]  # files created this time (empty when already initialised)


def init(start: Path | None = None) -> InitResult:
    repo = Repo.find(start, require_init=False)
    created = []
    folder = repo.root / CONFIG_DIR
    folder.mkdir(exist_ok=True)
    for rel, text in ((CONFIG, DEFAULT_CONFIG), (f"{CONFIG_DIR}/.gitignore", GITIGNORE)):
        path = repo.root / rel
        if not path.exists():
            write_text(path, text)
            created.append(rel)
    for sub in ("cache", "state", "tmp"):
        (repo.data_dir / sub).mkdir(parents=True, exist_ok=True)
    return InitResult(str(repo.root), created)
