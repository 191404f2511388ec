"""Reading params files (YAML, JSON, TOML) and dotted keys inside them."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

from gitml.errors import InvalidFile

MISSING = object()


def read_params_file(path: Path, source: str) -> dict[str, Any]:
    """A params file's content as a dict ({} when the file is empty)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidFile(
            source, "params file not found", hint="create it or fix the name"
        ) from None
    return parse_params(text, path.name, source)


def parse_params(text: str, name: str, source: str) -> dict[str, Any]:
    """A params file's ``text`` as a dict; ``name``'s extension picks YAML, JSON or TOML."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".json":
        try:
            doc = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError as exc:
            raise InvalidFile(
                source, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno
            ) from None
    elif suffix == ".toml":
        import tomllib

        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidFile(source, f"invalid TOML: {exc}") from None
    else:
        from gitml.core.schema import parse_yaml

        doc = parse_yaml(text, source) if text.strip() else {}
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise InvalidFile(source, "a params file must hold a mapping at the top level")
    return doc


def get_dotted(doc: Any, key: str) -> Any:
    """``doc["a"]["b"]`` for key ``a.b`` (list indices allowed); MISSING when absent."""
    node = doc
    for part in key.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node


def set_dotted(doc: dict[str, Any], key: str, value: Any) -> None:
    """Set ``doc["a"]["b"] = value`` for key ``a.b``, creating mappings as needed."""
    parts = key.split(".")
    node = doc
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def plain(value: Any) -> Any:
    """ruamel/yaml scalars and containers as plain Python values (for JSON, comparisons)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
