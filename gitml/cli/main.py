"""The ``gitml`` entry point: a lazily loaded command group and the one error handler."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import time
from typing import Any

import click

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


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Run `gitml COMMAND --help` for a command's options and an example.",
)
@click.version_option(__version__, "-V", "--version", prog_name="gitml")
def cli() -> None:
    """gitml: git-native data, pipelines and tuning for machine learning.

    \b
    Example:
      gitml init && gitml add data/raw && git add data/raw.gitml data/.gitignore
    """


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


def main(argv: list[str] | None = None) -> Any:
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return cli.main(args=argv, prog_name="gitml", standalone_mode=False)
    except GitmlError as exc:
        hint = f" — {exc.hint}" if exc.hint else ""
        click.echo(f"error: {exc.message}{hint}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)
    except Exception:
        path = _crash_log()
        click.echo(
            f"error: internal error in gitml; details in {path} — please report it", err=True
        )
        sys.exit(3)
