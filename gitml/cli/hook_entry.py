"""What the installed git hooks run (``gitml hook NAME``), without click.

:func:`gitml.cli.main.main` calls :func:`run_hook_command` directly for the
plain ``gitml hook NAME ARGS...`` the shims use, so a hook costs neither
click's import nor its parsing; ``gitml hook --help`` and the other forms go
through the click command in :mod:`gitml.cli.hooks`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gitml.cli.output import Out

if TYPE_CHECKING:
    from gitml.core.repo import Repo
    from gitml.ops.hook_run import FollowResult

# The shim reads this exit status of its interpreter fallback as "cannot import gitml"
# and then runs the kept hook itself: a kept hook exiting with it must not run twice.
SHIM_NO_GITML = 75


def run_hook_command(name: str, args: list[str], out: Out) -> int:
    """Run the kept hook, then gitml's part; return the hook's exit status."""
    from gitml.core.repo import Repo
    from gitml.ops.hook_run import STDIN_HOOKS, run_saved
    from gitml.ops.hooks import hooks_dir, is_initialised

    stdin = _read_stdin() if name in STDIN_HOOKS else None
    repo = Repo.find(require_init=False)
    repo.on_notice = out.notice
    try:
        env_dir = os.environ.get("GITML_HOOKS_DIR")  # set by the shim: where it lives
        folder = Path(env_dir) if env_dir else hooks_dir(repo)
        code = run_saved(folder, name, args, stdin) or 0
        if is_initialised(repo):
            ours = _run_ours(repo, name, args, stdin, out)
            code = code or ours
    finally:
        repo.close()
    return 1 if code == SHIM_NO_GITML else code


def _read_stdin() -> bytes:
    if sys.stdin is None or sys.stdin.isatty():
        return b""
    return sys.stdin.buffer.read()


def _run_ours(repo: Repo, name: str, args: list[str], stdin: bytes | None, out: Out) -> int:
    from gitml.ops import hook_run as ops

    if name in ops.POLICY_HOOKS:
        from gitml.ops.policy import run_hook

        return int(run_hook(repo, name, args, stdin or b"", out))
    if ops.follows_checkout(name, args):
        _print_follow(out, name, ops.follow_checkout(repo))
    return 0


def _print_follow(out: Out, name: str, r: FollowResult) -> None:
    if out.json:
        out.emit_json({"hook": name, "checkout": r.to_dict()})
        return
    for path in r.missing:
        out.notice(
            f"warning: {path}: not checked out, its data is not in the cache"
            " — `gitml pull` it, or `gitml repro` the stage that makes it"
        )
    if r.warning:
        out.notice(f"warning: data did not follow the checkout: {r.warning}")
    if r.updated:
        out.notice(f"checked out data: {', '.join(r.updated)}")
