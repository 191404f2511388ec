"""``gitml commit``: record the work-tree content of tracked artifacts."""

from __future__ import annotations

import os
from collections.abc import Sequence

from gitml.core.repo import Repo
from gitml.core.tree import Progress
from gitml.errors import GitmlError
from gitml.ops.add import AddResult, add_all
from gitml.ops.workspace import load_pointers


def commit(
    repo: Repo, paths: Sequence[str] = (), *, progress: Progress | None = None
) -> list[AddResult]:
    ptrs = load_pointers(repo, paths)
    missing = [p.rel for p in ptrs if not os.path.lexists(repo.root / p.rel)]
    if missing:
        raise GitmlError(
            f"cannot commit {', '.join(missing)}: missing from the work tree",
            "run `gitml checkout` to restore it, or delete its .gitml pointer to stop tracking it",
        )
    with repo.lock("gitml commit"):
        return add_all(repo, [p.rel for p in ptrs], progress=progress)
