"""The ``gitml`` entry point and the one error handler.

click and the command group (:mod:`gitml.cli.app`) are imported only when a
command needs them: ``gitml hook NAME ...``, which git runs on every commit,
goes straight to :mod:`gitml.cli.hook_entry`, and the plain forms of ``add``,
``status`` and ``checkout`` to :mod:`gitml.cli.run` (see :mod:`gitml.cli.fast`).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any, NoReturn

from gitml import __version__
from gitml.errors import GitmlError

# command name -> "module:attribute"; modules load only when their command runs.
COMMANDS: dict[str, str] = {
    "init": "gitml.cli.data:init_cmd",
    "add": "gitml.cli.data:add_cmd",
    "status": "gitml.cli.data:status_cmd",
    "checkout": "gitml.cli.data:checkout_cmd",
    "commit": "gitml.cli.data:commit_cmd",
    "gc": "gitml.cli.data:gc_cmd",
    "fsck": "gitml.cli.data:fsck_cmd",
    "repro": "gitml.cli.pipeline:repro_cmd",
    "dag": "gitml.cli.pipeline:dag_cmd",
    "stage": "gitml.cli.pipeline:stage_group",
    "metrics": "gitml.cli.pipeline:metrics_group",
    "tune": "gitml.cli.tune:tune_cmd",
    # governance and review
    "install": "gitml.cli.hooks:install_cmd",
    "uninstall": "gitml.cli.hooks:uninstall_cmd",
    "hook": "gitml.cli.hooks:hook_cmd",
    "check": "gitml.cli.check:check_cmd",
    "card": "gitml.cli.check:card_cmd",
    "diff": "gitml.cli.review:diff_cmd",
    "params": "gitml.cli.review:params_group",
    "report": "gitml.cli.review:report_cmd",
    "lineage": "gitml.cli.lineage:lineage_cmd",
    "merge-driver": "gitml.cli.merge:merge_driver_cmd",
}


def _crash_log() -> str:
    import tempfile
    import traceback

    fd, path = tempfile.mkstemp(prefix="gitml-crash-", suffix=".log")
    with os.fdopen(fd, "w") as f:
        f.write(f"gitml {__version__} {time.strftime('%Y-%m-%dT%H:%M:%S')}\n")
        f.write(f"argv: {sys.argv}\n\n")
        traceback.print_exc(file=f)
    return path


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # a stop request unwinds like Ctrl-C: children are ended too


def __getattr__(name: str) -> Any:
    """``gitml.cli.main.cli``: the click group, imported on first use."""
    if name == "cli":
        from gitml.cli.app import cli

        return cli
    raise AttributeError(name)


def _leave(code: int) -> NoReturn:
    """Exit at once, skipping the interpreter's teardown, which frees every object
    one by one: 9 ms of a 100 ms ``status`` of 20,000 files. Only for a command that
    returned (the plain data commands, the hooks git runs): everything it opened is
    closed and its threads joined; the standard streams are flushed here."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left (``gitml status | head -1``)
        code = code or 1
    try:
        sys.stderr.flush()
    finally:
        os._exit(code)


def _echo_err(text: str) -> None:
    sys.stderr.write(f"{text}\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> Any:
    signal.signal(signal.SIGTERM, _terminate)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["hook"] and len(args) >= 2:
            # what the installed shims run: ``gitml hook NAME ARGS...`` (no options before NAME)
            from gitml.ops.hooks import HOOK_NAMES

            if args[1] in HOOK_NAMES:
                from gitml.cli.hook_entry import run_hook_command
                from gitml.cli.output import make_out

                hook_status = run_hook_command(args[1], args[2:], make_out(False, False, False))
                if argv is None:
                    _leave(hook_status)
                sys.exit(hook_status)
        if args in (["--version"], ["-V"]):  # click's version option, without click
            sys.stdout.write(f"gitml, version {__version__}\n")
            if argv is None:
                _leave(0)
            return None
        from gitml.cli.fast import parse

        plain = parse(args)
        if plain is not None:
            fn, paths, flags = plain
            status: int = fn(paths, **flags) or 0
            if argv is None:
                _leave(status)
            if status:
                sys.exit(status)
            return None
        from gitml.cli.app import cli

        return cli.main(args=args, prog_name="gitml", standalone_mode=False)
    except GitmlError as exc:
        hint = f" — {exc.hint}" if exc.hint else ""
        _echo_err(f"error: {exc.message}{hint}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _echo_err("interrupted")
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)
    except Exception as exc:
        code = _click_exit(exc)
        if code is not None:
            sys.exit(code)
        if _damaged_state(exc):
            _echo_err(
                f"error: gitml's state index is damaged ({exc}) — delete .git/gitml/state "
                "(a cache of hashes, safe to delete) and run the command again"
            )
            sys.exit(1)
        path = _crash_log()
        _echo_err(f"error: internal error in gitml; details in {path} — please report it")
        sys.exit(3)


def _damaged_state(exc: Exception) -> bool:
    """A damaged SQLite state index found after it was opened (opening sets one aside)."""
    sqlite3 = sys.modules.get("sqlite3")
    return sqlite3 is not None and isinstance(exc, sqlite3.DatabaseError)


def _click_exit(exc: Exception) -> int | None:
    """The exit status for click's own exceptions (usage errors, aborts); None otherwise."""
    if "click" not in sys.modules:
        return None
    import click

    if isinstance(exc, click.exceptions.Abort):
        _echo_err("interrupted")
        return 130
    if isinstance(exc, click.exceptions.Exit):
        return int(exc.exit_code)
    if isinstance(exc, click.ClickException):
        exc.show()
        return 2 if isinstance(exc, click.UsageError) else int(exc.exit_code)
    return None
