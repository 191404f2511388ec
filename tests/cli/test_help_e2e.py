"""Every command documents itself with an example; light commands stay light."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from gitml.cli.main import COMMANDS, cli

DATA_COMMANDS = ["init", "add", "status", "checkout", "commit", "gc", "fsck"]


def _all_commands() -> list[tuple[str, ...]]:
    """Every command, with its group's name before it (groups themselves only list them)."""
    found: list[tuple[str, ...]] = []

    def walk(group: click.Group, prefix: tuple[str, ...]) -> None:
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, name
            if isinstance(command, click.Group):
                walk(command, (*prefix, name))
            else:
                found.append((*prefix, name))

    walk(cli, ())
    return found


def test_data_commands_are_registered() -> None:
    assert set(DATA_COMMANDS) <= set(COMMANDS)


@pytest.mark.parametrize("path", _all_commands(), ids=" ".join)
def test_every_command_help_has_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="gitml")
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, result.output
    assert f"Usage: gitml {' '.join(path)}" in result.output


def test_help_from_a_real_process(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    top = tmp_repo.ok("--help").out
    assert "Example" in top
    for name in DATA_COMMANDS:
        assert name in top
    for flag in ("--help", "-h"):
        out = tmp_repo.ok("status", flag).out
        assert "Example" in out and "--check" in out and "--json" in out


HEAVY = ("optuna", "torch", "pyarrow", "docker", "numpy")
PROBE = (
    "import sys\n"
    "from gitml.cli.main import main\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "except SystemExit:\n"
    "    pass\n"
    f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
)


@pytest.mark.parametrize("args", [["--version"], ["status"], ["add", "x.csv"], ["checkout"]])
def test_light_commands_do_not_import_heavy_packages(tmp_repo, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"x.csv": "x"})
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=tmp_repo.root, capture_output=True, text=True
    )
    assert proc.stderr.strip().splitlines()[-1] == "HEAVY []", proc
