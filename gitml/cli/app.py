"""The click command group: every command, loaded only when it runs."""

from __future__ import annotations

import importlib

import click

from gitml import __version__
from gitml.cli.main import COMMANDS


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
