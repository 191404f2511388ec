"""The click-free plain forms of add/status/checkout agree with the click commands."""

from __future__ import annotations

import click
import pytest

from gitml.cli import data, fast, run


def _click_command(name: str) -> click.Command:
    command = getattr(data, f"{name}_cmd")
    assert isinstance(command, click.Command)
    return command


@pytest.mark.parametrize("name", sorted(fast.COMMANDS))
def test_flags_are_the_click_commands_flags(name: str) -> None:
    spelled, needs_path = fast.COMMANDS[name]
    command = _click_command(name)
    options = {
        spelling: param.name
        for param in command.params
        if isinstance(param, click.Option)
        for spelling in param.opts
    }
    assert spelled == options
    assert all(p.is_flag for p in command.params if isinstance(p, click.Option)), (
        "the fast path reads flags only"
    )
    (paths,) = [p for p in command.params if isinstance(p, click.Argument)]
    assert paths.nargs == -1 and paths.required == needs_path


@pytest.mark.parametrize("name", sorted(fast.COMMANDS))
def test_the_fast_path_calls_what_the_click_command_calls(name: str) -> None:
    parsed = fast.parse([name, "x"])
    assert parsed is not None
    assert parsed[0] is getattr(run, name)


def test_plain_forms_are_parsed() -> None:
    assert fast.parse(["status", "-q", "data", "--check", "models"]) == (
        run.status,
        ["data", "models"],
        {"check": True, "as_json": False, "quiet": True, "verbose": False},
    )
    assert fast.parse(["checkout", "--force"]) == (
        run.checkout,
        [],
        {"force": True, "as_json": False, "quiet": False, "verbose": False},
    )


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["status", "--help"],
        ["status", "-h"],
        ["status", "-qv"],  # combined short flags: click's business
        ["status", "--", "-odd-name"],
        ["status", "--chekc"],  # click says "no such option" and suggests --check
        ["add"],  # a missing path is click's usage error
        ["add", "-f", "data"],  # checkout's flag, not add's
        ["repro"],
        ["--version"],
    ],
)
def test_anything_else_goes_to_click(args: list[str]) -> None:
    assert fast.parse(args) is None
