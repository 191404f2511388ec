"""Stage outputs: cleared before a stage runs, cached after it, restored from the run cache."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence

from gitml import git
from gitml.core import ignore
from gitml.core.lockfile import Record
from gitml.core.pointer import Pointer
from gitml.core.repo import Repo
from gitml.core.stages import Stage
from gitml.core.tree import Hasher
from gitml.errors import AlreadyTrackedByGit, GitmlError, NotInCache
from gitml.ops.add import relink
from gitml.ops.checkout import materialize
from gitml.ops.record import files_of, pairs, record_files


def prepare(repo: Repo, stage: Stage) -> None:
    """Remove a stage's outputs (unless ``persist``) and make their folders."""
    cached = [o.path for o in stage.outs if o.cache]
    in_git = git.tracked_under(repo.root, cached) if cached else []
    if in_git:
        raise AlreadyTrackedByGit(
            f"stage {stage.name}: output {in_git[0]} is committed to git",
            f"untrack it with `git rm -r --cached {in_git[0]}`; gitml caches stage outputs",
        )
    for out in stage.outs:
        path = repo.root / out.path
        if not out.persist:
            remove(path)
        path.parent.mkdir(parents=True, exist_ok=True)


def remove(path: os.PathLike[str] | str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def collect(repo: Repo, stage: Stage) -> list[Record]:
    """Hash the outputs a stage produced into the cache; raise when one is missing."""
    records = []
    hasher = Hasher(repo.state, repo.cache)
    for out in stage.outs:
        files = files_of(repo, out.path)
        if files is None:
            raise GitmlError(
                f"the command did not create its output {out.path}",
                "make the command write it, or remove it from the stage's outputs",
            )
        is_dir = (repo.root / out.path).is_dir()
        record, oids = record_files(repo, out.path, files, hasher, is_dir=is_dir)
        records.append(Record(record.path, record.oid, record.size, record.files, out.cache))
        if out.cache:
            ignore.add_entry(repo.root, out.path)
            relink(repo, pairs(files, oids))
    return records


def restore(repo: Repo, stage: Stage, records: Sequence[Record]) -> bool:
    """Put recorded outputs back from the cache; False when some data is gone."""
    wanted = {o.path for o in stage.outs}
    if {r.path for r in records} != wanted:
        return False
    ptrs = [Pointer(r.path, r.oid, r.size, r.files) for r in records]
    try:
        materialize(repo, ptrs, force=True)
    except NotInCache:
        return False
    for out in stage.outs:
        if out.cache:
            ignore.add_entry(repo.root, out.path)
    return True
