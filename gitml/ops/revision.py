"""What a revision records: its files, pointers, lock, pipeline, params and metrics.

``snapshot(repo, rev)`` reads a git revision through dulwich (nothing is
checked out, so it works on a bare repository plus its cache), or the work
tree when ``rev`` is None. Everything is read lazily and kept, so one
snapshot answers many questions for the price of one read each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from gitml import git
from gitml.core import lockfile
from gitml.core import pointer as pointers
from gitml.core.lockfile import LockEntry, Record
from gitml.core.manifest import Manifest
from gitml.core.params import parse_params
from gitml.core.pointer import SUFFIX, Pointer
from gitml.core.repo import Repo
from gitml.core.source import DirSource, decode
from gitml.core.stages import DEFAULT_PARAMS, PipelineDef
from gitml.errors import GitmlError, NotInCache

WORKSPACE = "workspace"


class ManifestMissing(NotInCache):
    """A folder's manifest is not in the cache, so its files cannot be listed."""

    def __init__(self, rel: str, oid: str) -> None:
        super().__init__(
            f"{rel}: the folder's manifest {oid[:8]} is not in the cache",
            "its data was never stored in this cache: copy the objects from a cache that has them",
        )
        self.rel = rel
        self.oid = oid


class _CommitSource:
    """The ``FileSource`` of one commit, read through dulwich."""

    def __init__(self, files: git.CommitFiles, label: str) -> None:
        self.files = files
        self.label = label

    def read_bytes(self, rel: str) -> bytes | None:
        return self.files.read(rel)

    def read_text(self, rel: str) -> str | None:
        data = self.files.read(rel)
        return None if data is None else decode(data, self.shown(rel))

    def shown(self, rel: str) -> str:
        return f"{self.label}:{rel}"


class _WorkSource(DirSource):
    def read_bytes(self, rel: str) -> bytes | None:
        try:
            return (self.root / rel).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None


@dataclass(frozen=True)
class Snapshot:
    """One side of a comparison: a commit, or the work tree (``rev`` None)."""

    repo: Repo
    rev: str | None
    commit_id: str | None
    description: str  # "workspace", or "HEAD~1 (1a2b3c4d: the subject)"
    _source: _CommitSource | _WorkSource = field(repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def label(self) -> str:
        """Short name for tables: the revision as given, or ``workspace``."""
        return self.rev if self.rev is not None else WORKSPACE

    def shown(self, rel: str) -> str:
        return self._source.shown(rel)

    def close(self) -> None:
        """Release the git handles (a revision's); the workspace holds none."""
        if isinstance(self._source, _CommitSource):
            self._source.files.close()

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, rel: str) -> bytes | None:
        """The bytes of repo-relative file ``rel`` at this revision, or None."""
        return self._source.read_bytes(rel)

    def read_text(self, rel: str) -> str | None:
        return self._source.read_text(rel)

    def _cached(self, key: str, make: Any) -> Any:
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    # -- records --------------------------------------------------------------

    def pointers(self) -> dict[str, Pointer]:
        """Pointer file path -> its content, for every ``*.gitml`` file."""
        return dict(self._cached("pointers", self._load_pointers))

    def _load_pointers(self) -> dict[str, Pointer]:
        if isinstance(self._source, _CommitSource):
            rels = self._source.files.paths(_is_pointer_file)
        else:
            # the work tree's pointers, through the state index's parsed documents
            rels = [r for r in git.pointer_files(self.repo.root, SUFFIX) if _is_pointer_file(r)]
            return {rel: pointers.load(self.repo.root, rel, self.repo.state) for rel in rels}
        found: dict[str, Pointer] = {}
        for rel in rels:
            text = self.read_text(rel)
            if text is not None:
                found[rel] = pointers.loads(text, self.shown(rel))
        # loads() names the pointer by its shown path; the artifact path is repo-relative
        return {rel: _rebase(p, rel) for rel, p in found.items()}

    def lock(self) -> dict[str, LockEntry]:
        """``stages.lock`` at this revision (empty when there is none)."""

        def load() -> dict[str, LockEntry]:
            if isinstance(self._source, _WorkSource):
                return lockfile.load(self.repo.root, self.repo.state)
            text = self.read_text(lockfile.LOCK_FILE)
            return {} if text is None else lockfile.loads(text, self.shown(lockfile.LOCK_FILE))

        return dict(self._cached("lock", load))

    def pipeline(self) -> PipelineDef | None:
        """``stages.yaml`` at this revision, expanded and interpolated, or None."""
        from gitml.core import stages

        result: PipelineDef | None = self._cached("pipeline", lambda: stages.load(self._source))
        return result

    def artifacts(self) -> dict[str, Pointer]:
        """Tracked data: artifact path -> pointer, for pointer files and the cached
        stage outputs of ``stages.lock`` (as pointers)."""
        found = {p.rel: p for p in self.pointers().values()}
        for entry in self.lock().values():
            for rec in entry.outs:
                if rec.cache and rec.path not in found:
                    found[rec.path] = Pointer(rec.path, rec.oid, rec.size, rec.files)
        return dict(sorted(found.items()))

    # -- params and metrics ---------------------------------------------------

    def params_files(self) -> list[str]:
        """The params files the pipeline reads, plus the default one when it exists."""
        pipeline = self.pipeline()
        default = pipeline.params_file if pipeline else DEFAULT_PARAMS
        names = [default] if self.read(default) is not None else []
        if pipeline is not None:
            names += [r.file for s in pipeline.stages.values() for r in s.params]
        return list(dict.fromkeys(names))

    def params(self) -> dict[str, dict[str, Any]]:
        """Params file -> its whole content, for every params file of the pipeline."""

        def load() -> dict[str, dict[str, Any]]:
            out: dict[str, dict[str, Any]] = {}
            for rel in self.params_files():
                text = self.read_text(rel)
                if text is not None:
                    out[rel] = parse_params(text, rel, self.shown(rel))
            return out

        return dict(self._cached("params", load))

    def metrics_files(self) -> list[str]:
        pipeline = self.pipeline()
        if pipeline is None:
            return []
        outs = [o.path for s in pipeline.stages.values() for o in s.outs if o.kind == "metrics"]
        return list(dict.fromkeys(outs))

    def metrics(self) -> dict[str, dict[str, Any]]:
        """Metrics file -> flat ``{key: value}``, for every metrics file the pipeline
        declares; a file git does not hold is read from the cache by its lock hash."""
        return dict(self._cached("metrics", self._load_metrics))

    def _load_metrics(self) -> dict[str, dict[str, Any]]:
        from gitml.ops.metrics import parse_metrics

        recorded = {o.path: o for e in self.lock().values() for o in e.outs}
        out: dict[str, dict[str, Any]] = {}
        for rel in self.metrics_files():
            data = self.read(rel)
            if data is None and rel in recorded and recorded[rel].files is None:
                oid = recorded[rel].oid
                if self.repo.cache.exists(oid):
                    data = self.repo.cache.read_bytes(oid)
            if data is not None:
                out[rel] = parse_metrics(decode(data, self.shown(rel)), rel)
        return out

    # -- data -----------------------------------------------------------------

    def artifact_files(self, item: Pointer | Record) -> dict[str, tuple[str, int]]:
        """Repo-relative file path -> (hash, size) for an artifact or a lock output;
        a folder is expanded through its manifest (ManifestMissing when not cached)."""
        rel = item.rel if isinstance(item, Pointer) else item.path
        if item.files is None:
            return {rel: (item.oid, item.size)}
        return {f"{rel}/{path}": value for path, value in manifest_files(self.repo, rel, item.oid)}


def manifest_files(repo: Repo, rel: str, oid: str) -> list[tuple[str, tuple[str, int]]]:
    """(path inside the folder, (hash, size)) for each file of a cached manifest."""
    if not repo.cache.exists(oid):
        raise ManifestMissing(rel, oid)
    manifest = Manifest.from_bytes(repo.cache.read_bytes(oid), rel)
    return [(e.path, (e.oid, e.size)) for e in manifest]


def _is_pointer_file(path: str) -> bool:
    name = PurePosixPath(path).name
    return name.endswith(SUFFIX) and name != SUFFIX


def _rebase(ptr: Pointer, pointer_rel: str) -> Pointer:
    name = PurePosixPath(ptr.rel).name
    folder = PurePosixPath(pointer_rel).parent
    rel = (folder / name).as_posix() if str(folder) != "." else name
    return Pointer(rel, ptr.oid, ptr.size, ptr.files, ptr.meta)


def snapshot(repo: Repo, rev: str | None) -> Snapshot:
    """A revision's records (``rev`` is any git revision), or the work tree's (None).

    An unknown revision raises ``UnknownRevision``; a bare repository has no
    work tree, so ``rev`` None is refused there. Close it (or use ``with``).
    """
    if rev is None:
        if repo.bare:
            raise GitmlError(
                f"{repo.root} is a bare repository: there is no workspace to compare",
                "name two revisions, e.g. `gitml diff main~1 main`",
            )
        return Snapshot(repo, None, None, WORKSPACE, _WorkSource(repo.root))
    files = git.CommitFiles(repo.root, rev)
    source = _CommitSource(files, rev)
    description = f"{rev} ({files.commit_id[:8]}: {files.subject})"
    return Snapshot(repo, rev, files.commit_id, description, source)
