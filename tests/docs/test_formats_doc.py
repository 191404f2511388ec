"""The docs cannot drift from the code: schemas vs docs/formats.md, the CLI vs
docs/commands.md, links between pages, and the tour in docs/index.md runs."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FORMATS = DOCS / "formats.md"
GENERATOR = ROOT / "scripts" / "gen_command_docs.py"
# Schemas whose every key must be in a table of docs/formats.md (tune: docs/tuning.md).
SCHEMAS = ("pointer", "config", "stages", "lock", "policy", "model-card")
# Pages owned elsewhere that may not exist yet; links to them are not checked.
NOT_YET = {"tuning.md"}

ROW_KEY = re.compile(r"^\|\s*`([^`]+)`\s*\|")


def _schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text())
    return data


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every schema object that declares ``properties``, however deeply nested."""
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def _property_names(name: str) -> set[str]:
    return {key for obj in _objects(_schema(name)) for key in obj["properties"]}


def _section(name: str) -> str:
    """The ``## `` section of formats.md that names ``schemas/<name>.schema.json``."""
    text = FORMATS.read_text(encoding="utf-8")
    sections = re.split(r"^(?=## )", text, flags=re.MULTILINE)
    marker = f"schemas/{name}.schema.json"
    found = [s for s in sections if marker in s and s.startswith("## ")]
    assert len(found) == 1, f"docs/formats.md needs exactly one section naming {marker}"
    return found[0]


def _tables(section: str) -> list[list[list[str]]]:
    """Markdown tables of a section as lists of rows of cells (header row first)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*section.splitlines(), ""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(set(c) <= set("-: ") for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def _documented_keys(section: str) -> set[str]:
    """Last segments of the backticked keys in the first column of every table row."""
    keys = set()
    for line in section.splitlines():
        match = ROW_KEY.match(line)
        if match:
            keys.add(match.group(1).rsplit(".", 1)[-1])
    return keys


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_schema_key_is_documented(name: str) -> None:
    missing = _property_names(name) - _documented_keys(_section(name))
    assert not missing, (
        f"keys of schemas/{name}.schema.json missing from the tables of docs/formats.md:"
        f" {sorted(missing)}"
    )


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_documented_key_is_in_the_schema(name: str) -> None:
    extra = _documented_keys(_section(name)) - _property_names(name)
    assert not extra, (
        f"docs/formats.md documents keys that schemas/{name}.schema.json does not have:"
        f" {sorted(extra)}"
    )


@pytest.mark.parametrize("name", SCHEMAS)
def test_required_columns_match_the_schema(name: str) -> None:
    """A table with a "required" column says "yes" exactly for the schema's required keys."""
    objects = list(_objects(_schema(name)))
    by_keys = {frozenset(obj["properties"]): set(obj.get("required", [])) for obj in objects}
    for table in _tables(_section(name)):
        header, rows = [c.lower() for c in table[0]], table[1:]
        if "required" not in header:
            continue
        column = header.index("required")
        keys = {row[0].strip("`"): row[column] for row in rows}
        required = by_keys.get(frozenset(keys))
        assert required is not None, f"no object of {name}.schema.json has keys {sorted(keys)}"
        said = {key for key, value in keys.items() if value == "yes"}
        assert said == required, f"{name}: required keys are {sorted(required)}, docs say {said}"


def test_schema_key_collection_sees_nested_definitions() -> None:
    """Guard the walker: output options and lock records live in nested definitions."""
    assert {"cache", "persist", "always_changed", "foreach"} <= _property_names("stages")
    assert {"files", "env", "schema"} <= _property_names("lock")
    assert {"lock_wait", "type", "dir"} <= _property_names("config")


# -- docs/commands.md -----------------------------------------------------------


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_command_docs", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_commands_md_is_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr or "run: python scripts/gen_command_docs.py"


def test_generator_covers_every_registered_command() -> None:
    from gitml.cli.main import COMMANDS

    text = _generator().render()
    for name in COMMANDS:
        assert f"\n## gitml {name}\n" in text
    assert "## gitml stage list" in text  # subcommands of groups too


def test_generator_picks_up_new_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    from gitml.cli import main

    monkeypatch.setitem(main.COMMANDS, "zz-new", "gitml.cli.data:fsck_cmd")
    assert "\n## gitml zz-new\n\n```text\nUsage: gitml zz-new [OPTIONS]" in _generator().render()


def test_check_mode_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "commands.md"
    stale.write_text("# Command reference\n")
    generator = _generator()
    assert generator.main(["--check", "--output", str(stale)]) == 1
    assert generator.main(["--output", str(stale)]) == 0
    assert generator.main(["--check", "--output", str(stale)]) == 0


# -- links between pages ----------------------------------------------------------


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {_slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE)}


def _links(page: Path) -> Iterator[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if not re.match(r"[a-z]+:", target):
            yield target


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_links_point_to_existing_pages_and_headings(page: str) -> None:
    source = DOCS / page
    for link in _links(source):
        file, _, anchor = link.partition("#")
        if file in NOT_YET:
            continue
        target = (DOCS / file) if file else source
        assert target.is_file(), f"{page}: link to missing {file}"
        if anchor and target.suffix == ".md":
            assert anchor in _anchors(target), f"{page}: no heading for #{anchor} in {target.name}"


# -- the tour in docs/index.md runs as written --------------------------------------


def _tour_script() -> str:
    text = (DOCS / "index.md").read_text(encoding="utf-8")
    tour = text.split("## A 5-minute tour", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```bash\n(.*?)^```", tour, flags=re.M | re.S)
    assert len(blocks) >= 3
    return "\n".join(blocks)


@pytest.mark.slow
def test_the_tour_runs(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", _tour_script()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1000 data/raw/numbers.txt" in proc.stdout
    assert "stale (param train.scale changed from 2 to 3)" in proc.stdout
    assert proc.stdout.rstrip().endswith("stages: 1 up to date")
