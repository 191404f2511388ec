"""Loading YAML and validating it against the JSON Schemas: one clear line per problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitml.core.schema import (
    load_schema,
    load_yaml_file,
    parse_yaml,
    schema_path,
    suggest,
    validate,
)
from gitml.errors import InvalidFile

SCHEMAS = ["pointer", "config"]


@pytest.mark.parametrize("name", SCHEMAS)
def test_schemas_are_installed_and_valid_json(name: str) -> None:
    assert schema_path(name).is_file()
    schema = load_schema(name)
    assert schema["title"]
    json.dumps(schema)


def test_parse_yaml_syntax_error_has_line_and_column() -> None:
    with pytest.raises(InvalidFile) as info:
        parse_yaml("a: 1\nb: [1, 2\n", "f.yaml")
    err = info.value
    assert err.path == "f.yaml"
    assert err.line is not None and err.line >= 2
    assert err.column is not None
    assert err.message.startswith(f"f.yaml:{err.line}:{err.column}: invalid YAML")
    assert err.hint == "fix the YAML syntax"


def test_parse_yaml_tab_indentation() -> None:
    with pytest.raises(InvalidFile, match=r"^f\.yaml:2:\d+: invalid YAML"):
        parse_yaml("a:\n\t- b\n", "f.yaml")


def test_parse_yaml_refuses_python_tags() -> None:
    with pytest.raises(InvalidFile, match="invalid YAML"):
        parse_yaml("!!python/object/apply:os.system ['echo hi']\n", "f.yaml")


def test_suggest() -> None:
    assert suggest("sise", ["version", "size", "files"]) == "size"
    assert suggest("zzz", ["version", "size"]) is None


def _load(tmp_path: Path, text: str, schema: str = "config") -> InvalidFile:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(InvalidFile) as info:
        load_yaml_file(path, schema, ".gitml/config.yaml")
    assert "\n" not in str(info.value)
    return info.value


def test_unknown_nested_key_with_suggestion(tmp_path: Path) -> None:
    err = _load(tmp_path, "version: 1\ncache:\n  tpye: copy\n")
    assert err.key == "cache.tpye"
    assert err.line == 3
    assert err.message.startswith(".gitml/config.yaml:3")
    assert "unknown key" in err.message
    assert err.hint == "did you mean 'type'?"


def test_unknown_key_far_from_any_lists_the_valid_ones(tmp_path: Path) -> None:
    err = _load(tmp_path, "version: 1\nzzzzzz: 1\n")
    assert err.key == "zzzzzz"
    assert err.line == 2
    assert "version" in str(err.hint) and "cache" in str(err.hint)


def test_wrong_enum_value_names_the_key(tmp_path: Path) -> None:
    err = _load(tmp_path, "version: 1\ncache:\n  type: teleport\n")
    assert err.key is not None and err.key.startswith("cache.type")
    assert err.line == 3


def test_wrong_type(tmp_path: Path) -> None:
    err = _load(tmp_path, "version: 1\ncore:\n  lock_wait: soon\n")
    assert err.key == "core.lock_wait"
    assert err.line == 3


def test_missing_required_key(tmp_path: Path) -> None:
    err = _load(tmp_path, "version: 1\npath: x\nsize: 1\n", schema="pointer")
    assert "missing required key 'hash'" in err.message


def test_valid_file_returns_doc_and_text(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("version: 1\ncache:\n  type: [hardlink, copy]\n")
    doc, text = load_yaml_file(path, "config")
    assert doc == {"version": 1, "cache": {"type": ["hardlink", "copy"]}}
    assert text == path.read_text()


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"version: 1\n# \xff\n")
    with pytest.raises(InvalidFile, match=r"^c\.yaml: not UTF-8 text"):
        load_yaml_file(path, "config", "c.yaml")


def test_validate_without_text_still_names_key() -> None:
    with pytest.raises(InvalidFile) as info:
        validate({"version": 1, "cache": {"dir": ""}}, "config", "x.yaml")
    assert info.value.key == "cache.dir"
    assert info.value.line is None
