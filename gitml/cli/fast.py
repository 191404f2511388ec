"""The plain forms of ``add``, ``status`` and ``checkout``, run without click.

These run in loops, scripts and hooks, where importing and setting up click
costs more than the command itself on an unchanged work tree (about 20 ms of
a 100 ms ``status``). :func:`parse` reads the plain forms only: the options
in :data:`COMMANDS`, each spelled out on its own, and paths. Anything else
(``--help``, ``-qv``, ``--``, an unknown or misspelt option) returns None and
goes through click, which owns help and usage errors. The tests hold these
tables to the click commands' own options.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_OUTPUT = {
    "--json": "as_json",
    "-q": "quiet",
    "--quiet": "quiet",
    "-v": "verbose",
    "--verbose": "verbose",
}

# command -> (its flags: spelling -> keyword, whether it needs at least one path)
COMMANDS: dict[str, tuple[dict[str, str], bool]] = {
    "add": (_OUTPUT, True),
    "status": ({"--check": "check", **_OUTPUT}, False),
    "checkout": ({"-f": "force", "--force": "force", **_OUTPUT}, False),
}


def parse(args: list[str]) -> tuple[Callable[..., None], list[str], dict[str, bool]] | None:
    """``(function, paths, flags)`` for a plain command line, else None (use click)."""
    if not args or args[0] not in COMMANDS:
        return None
    spelled, needs_path = COMMANDS[args[0]]
    flags = dict.fromkeys(spelled.values(), False)
    paths = []
    for arg in args[1:]:
        if arg.startswith("-"):
            key = spelled.get(arg)
            if key is None:
                return None
            flags[key] = True
        else:
            paths.append(arg)
    if needs_path and not paths:
        return None
    return _function(args[0]), paths, flags


def _function(command: str) -> Callable[..., Any]:
    from gitml.cli import run

    fn: Callable[..., Any] = getattr(run, command)
    return fn
