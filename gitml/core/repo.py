"""The repository a command works on: where things are, and handles to them."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from gitml import git
from gitml.core.config import Config
from gitml.core.linking import Linker
from gitml.core.lock import RepoLock
from gitml.core.odb import LocalCache
from gitml.core.state import StateIndex
from gitml.errors import NotARepository

CONFIG_DIR = ".gitml"


class Repo:
    def __init__(
        self, root: Path, git_dir: Path, common_dir: Path, cwd: Path, *, bare: bool = False
    ) -> None:
        self.root = root
        self.git_dir = git_dir
        self.common_dir = common_dir
        self.cwd = cwd
        self.notices: list[str] = []
        # A bare repository (root == git_dir): only read-only, revision-based commands.
        self.bare = bare
        # Where notices go as they happen (the CLI prints them); else kept in ``notices``.
        self.on_notice: Callable[[str], None] | None = None

    def __repr__(self) -> str:
        return f"Repo(root={self.root!r}, bare={self.bare})"

    def notice(self, text: str) -> None:
        if self.on_notice is not None:
            self.on_notice(text)
        else:
            self.notices.append(text)

    @classmethod
    def find(
        cls, start: Path | None = None, *, require_init: bool = True, allow_bare: bool = False
    ) -> Repo:
        """The repository around ``start``; ``allow_bare`` accepts a bare one (the
        commands that only read revisions and the cache, in ``<git dir>/gitml/cache``)."""
        cwd = (start or Path.cwd()).resolve()
        loc = git.find(cwd)
        repo = cls(loc.root, loc.git_dir, loc.common_dir, cwd, bare=loc.bare)
        if loc.bare:
            if not allow_bare:
                raise NotARepository(
                    f"{loc.root} is a bare repository: this command needs a work tree",
                    "run it in a clone with a work tree; on a bare repository only "
                    "`gitml diff`, `params diff`, `metrics diff` and `report` work",
                )
            return repo
        if require_init and not (repo.root / CONFIG_DIR).is_dir():
            raise NotARepository(
                f"gitml is not initialised in {repo.root}", "run `gitml init` first"
            )
        return repo

    @property
    def data_dir(self) -> Path:
        """``<common git dir>/gitml``: shared by all work trees of the repository."""
        return self.common_dir / "gitml"

    @cached_property
    def config(self) -> Config:
        # the state index lives in data_dir: do not create it just to read the config
        return Config.load(self.root, self.state if self.data_dir.is_dir() else None)

    @cached_property
    def cache(self) -> LocalCache:
        configured = self.config.cache_dir
        if configured:
            path = Path(configured)
            return LocalCache(path if path.is_absolute() else self.root / path)
        return LocalCache(self.data_dir / "cache")

    @cached_property
    def state(self) -> StateIndex:
        return StateIndex(self.data_dir / "state", on_event=self.notice)

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    def linker(self) -> Linker:
        return Linker(self.config.link_types)

    def lock(self, command: str = "") -> RepoLock:
        return RepoLock(
            self.tmp_dir / "lock",
            wait=self.config.lock_wait,
            command=command,
            on_event=self.notice,
        )

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def close(self) -> None:
        if "state" in self.__dict__:
            self.state.close()
