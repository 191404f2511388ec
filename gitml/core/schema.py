"""Loading YAML files and validating them against ``schemas/*.schema.json``.

Validation uses validators compiled from the JSON Schemas (fastjsonschema:
pure Python generated once per process, ~1 ms per file); a failure is turned
into one line with file, line, key path, what is wrong and, for an unknown
key, the nearest valid one.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from gitml.errors import GitmlError, InvalidFile

Validator = Callable[[Any], Any]


def schema_path(name: str) -> Path:
    spec = importlib.util.find_spec("gitml.schemas")
    if spec is None or not spec.submodule_search_locations:
        raise GitmlError("gitml's schemas are not installed", "reinstall gitml")
    return Path(next(iter(spec.submodule_search_locations))) / f"{name}.schema.json"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A schema by name; a definition ``{"$embed": "other"}`` is replaced by schema ``other``.

    That is how ``stages`` includes the ``tune`` block's own schema.
    """
    data: dict[str, Any] = json.loads(schema_path(name).read_text())
    for key, definition in data.get("definitions", {}).items():
        embed = definition.get("$embed") if isinstance(definition, dict) else None
        if embed and schema_path(embed).is_file():
            inner = {k: v for k, v in load_schema(embed).items() if k not in ("$schema", "$id")}
            data["definitions"][key] = inner
        elif embed:
            data["definitions"][key] = {k: v for k, v in definition.items() if k != "$embed"}
    return data


@cache
def _validator(name: str) -> Validator:
    import fastjsonschema

    fn: Validator = fastjsonschema.compile(load_schema(name))
    return fn


def _loader() -> type[yaml.SafeLoader]:
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML; a syntax error becomes one line with file:line:column."""
    try:
        return yaml.load(text, Loader=_loader())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise InvalidFile(
            source,
            f"invalid YAML: {exc.problem}",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint="fix the YAML syntax",
        ) from None
    except yaml.YAMLError as exc:
        raise InvalidFile(source, f"invalid YAML: {exc}", hint="fix the YAML syntax") from None


Position = tuple[int, int]  # 1-based (line, column)
Locate = Callable[[Sequence[str | int]], Position | None]


def position_of(text: str, keys: Sequence[str | int]) -> Position | None:
    """The 1-based (line, column) of the node at ``keys`` in YAML ``text`` (best effort).

    Only called on the error path, so it may re-parse the text.
    """
    try:
        node = yaml.compose(text, Loader=_loader())
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    pos = (node.start_mark.line + 1, node.start_mark.column + 1)
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(key):
                    pos, node = (k.start_mark.line + 1, k.start_mark.column + 1), v
                    break
            else:
                return pos
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                return pos
            node = node.value[key]
            pos = (node.start_mark.line + 1, node.start_mark.column + 1)
        else:
            return pos
    return pos


def text_locator(text: str) -> Locate:
    return lambda keys: position_of(text, keys)


def suggest(word: str, choices: Sequence[str]) -> str | None:
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def validate(doc: Any, schema: str, source: str, locate: Locate | None = None) -> None:
    """Validate ``doc`` against schema ``schema``; raise :class:`InvalidFile` on failure.

    ``locate`` maps a key path to its position in the file, for the message.
    """
    import fastjsonschema

    try:
        _validator(schema)(doc)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise _explain(exc, source, locate) from None


def _explain(exc: Any, source: str, locate: Locate | None) -> InvalidFile:
    path = list((exc.path or [])[1:])
    definition = exc.definition or {}
    key = ".".join(str(p) for p in path) or None
    problem = str(exc.message).replace(str(exc.name), key or "the document", 1)
    hint = "see the format in docs/formats.md"
    if exc.rule == "additionalProperties" and isinstance(exc.value, dict):
        allowed = list(definition.get("properties", {}))
        extra = [k for k in exc.value if k not in allowed]
        if extra:
            path = [*path, extra[0]]
            key = ".".join(str(p) for p in path)
            problem = "unknown key"
            near = suggest(str(extra[0]), allowed)
            hint = f"did you mean {near!r}?" if near else f"valid keys: {', '.join(allowed)}"
    elif exc.rule == "required":
        missing = [k for k in definition.get("required", []) if k not in (exc.value or {})]
        if missing:
            problem = f"missing required key {missing[0]!r}"
    elif exc.rule == "pattern" and "description" in definition:
        problem = f"{exc.value!r} is not valid: {definition['description']}"
    pos = locate(path) if locate is not None else None
    line, column = pos if pos else (None, None)
    return InvalidFile(source, problem, line=line, column=column, key=key, hint=hint)


def load_yaml_file(path: Path, schema: str, source: str | None = None) -> tuple[Any, str]:
    """Read, parse and validate a YAML file; return (document, text)."""
    shown = source or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidFile(shown, "not UTF-8 text", hint="save the file as UTF-8") from None
    doc = parse_yaml(text, shown)
    validate(doc, schema, shown, text_locator(text))
    return doc, text
