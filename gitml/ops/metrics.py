"""Reading metrics files (JSON, YAML, CSV) into flat ``key -> value`` maps."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gitml.core.repo import Repo
from gitml.core.schema import parse_yaml
from gitml.errors import GitmlError
from gitml.ops.pipeline import load_pipeline
from gitml.ops.workspace import artifact_arg


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (list items by index)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}{key}."))
        return out
    if isinstance(value, list):
        out = {}
        for i, inner in enumerate(value):
            out.update(flatten(inner, f"{prefix}{i}."))
        return out
    return {prefix[:-1]: value} if prefix else {"value": value}


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def parse_metrics(text: str, name: str) -> dict[str, Any]:
    """Flat metrics of one file; CSV/TSV: the last row, by column name."""
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".tsv"):
        rows = list(csv.DictReader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ","))
        return {k: _number(v) for k, v in rows[-1].items()} if rows else {}
    if suffix == ".json":
        try:
            return flatten(json.loads(text))
        except json.JSONDecodeError as exc:
            raise GitmlError(f"{name}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    return flatten(parse_yaml(text, name))


def metrics_files(repo: Repo) -> list[str]:
    pipeline = load_pipeline(repo, check=False)
    if pipeline is None:
        return []
    return [o.path for s in pipeline.stages.values() for o in s.outs if o.kind == "metrics"]


def show(repo: Repo, paths: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """Metrics of the work tree: ``{file: {key: value}}`` (missing files skipped)."""
    files = [artifact_arg(repo, p) for p in paths] or metrics_files(repo)
    out: dict[str, dict[str, Any]] = {}
    for rel in dict.fromkeys(files):
        path = repo.root / rel
        if path.is_file():
            out[rel] = parse_metrics(path.read_text(encoding="utf-8"), rel)
        elif paths:
            raise GitmlError(f"{rel}: no such metrics file", "run `gitml repro` to create it")
    return out
