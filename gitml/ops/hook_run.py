"""What ``gitml hook NAME`` runs: the hook install kept aside, then gitml's part.

pre-commit, pre-merge-commit and pre-push run the policy (``gitml.ops.policy``,
called from the CLI); post-checkout on a branch switch and post-merge make the
work tree's data follow the pointers git just checked out.

On the path of every git hook: import only what is cheap at the top.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitml.errors import GitmlError
from gitml.ops.hooks import SAVED_SUFFIX

if TYPE_CHECKING:
    from gitml.core.repo import Repo

POLICY_HOOKS = frozenset({"pre-commit", "pre-merge-commit", "pre-push"})
STDIN_HOOKS = frozenset({"pre-push"})  # git feeds these on standard input (ref lines)


def run_saved(folder: Path, name: str, args: Sequence[str], stdin: bytes | None) -> int | None:
    """Run the foreign hook install moved aside; its exit code, or None when there is none.

    It runs like git would have run it: same arguments, git's environment
    (``GIT_*`` included: it is the hook), output straight to the terminal, and
    ``stdin`` fed to it (None: it reads the hook's own standard input). Not
    through :func:`gitml.proc.run`, which captures output and strips ``GIT_*``.
    """
    saved = folder / (name + SAVED_SUFFIX)
    if not saved.is_file() or not os.access(saved, os.X_OK):
        return None  # git skips a hook that is not executable, and so do we
    try:
        proc = subprocess.run([str(saved), *args], input=stdin, check=False)
    except OSError as exc:
        if exc.errno != errno.ENOEXEC:
            raise
        # A script without a "#!" line: git runs it with sh, so do we.
        proc = subprocess.run(["/bin/sh", str(saved), *args], input=stdin, check=False)
    return proc.returncode


def follows_checkout(name: str, args: Sequence[str]) -> bool:
    """Whether this hook run moves the work tree to other pointers.

    post-checkout: only a branch checkout (flag 1) to another commit; a file
    checkout (flag 0) and ``git checkout -b`` (same commit) change no pointer.
    """
    if name == "post-merge":
        return True
    return name == "post-checkout" and len(args) >= 3 and args[2] == "1" and args[0] != args[1]


@dataclass(frozen=True, slots=True)
class FollowResult:
    enabled: bool  # hooks.checkout in config
    updated: list[str] = field(default_factory=list)  # artifacts whose work-tree data changed
    missing: list[str] = field(default_factory=list)  # artifacts whose data is not in the cache
    warning: str | None = None  # why the data could not follow (the checkout itself stands)

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "updated": self.updated,
            "missing": self.missing,
            "warning": self.warning,
        }


def checkout_enabled(repo: Repo) -> bool:
    hooks = repo.config.raw.get("hooks") or {}
    return bool(hooks.get("checkout", True))


def follow_checkout(repo: Repo) -> FollowResult:
    """Make the work tree's data match the pointers git just checked out.

    A hook must not fail the checkout git already did, so what stops the data
    from following (data not in the cache, local changes that exist nowhere
    else, a busy lock, an invalid file) comes back as ``missing``/``warning``.
    """
    try:
        if not checkout_enabled(repo):
            return FollowResult(enabled=False)
        return _follow(repo)
    except GitmlError as exc:
        hint = f" — {exc.hint}" if exc.hint else ""
        return FollowResult(enabled=True, warning=f"{exc.message}{hint}")


def _follow(repo: Repo) -> FollowResult:
    from gitml.ops.checkout import materialize
    from gitml.ops.status import in_cache
    from gitml.ops.workspace import load_pointers

    with repo.lock("gitml hook: checkout"):
        ptrs = load_pointers(repo, with_outputs=True)
        missing = [p for p in ptrs if not in_cache(repo, p)]
        ready = [p for p in ptrs if p not in missing]
        results = materialize(repo, ready)
    return FollowResult(
        enabled=True,
        updated=[r.path for r in results if r.changed],
        missing=[p.rel for p in missing],
    )
