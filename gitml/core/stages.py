"""The pipeline model: stages as immutable values, loaded from ``stages.yaml``.

Loading parses with positions (ruamel.yaml), validates against
``schemas/stages.schema.json``, expands ``foreach``/``matrix`` into
``name@key`` stages and interpolates ``${...}``. Every error names
``stages.yaml:line:column`` and the key.
"""

from __future__ import annotations

import itertools
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitml.core.interpolate import InterpolationError, render
from gitml.core.located import LocatedDoc, loads_located
from gitml.core.params import parse_params, plain
from gitml.core.source import DirSource, FileSource
from gitml.errors import InvalidFile

STAGES_FILE = "stages.yaml"
DEFAULT_PARAMS = "params.yaml"
# Outputs listed under metrics/plots are small files left for git by default.
CACHE_DEFAULT = {"outs": True, "metrics": False, "plots": False}


@dataclass(frozen=True, slots=True)
class Out:
    path: str  # repo-relative
    cache: bool = True
    persist: bool = False
    kind: str = "outs"  # outs | metrics | plots


@dataclass(frozen=True, slots=True)
class ParamRef:
    file: str  # repo-relative params file
    key: str  # dotted key; "" means the whole file
    where: tuple[str | int, ...] = field(default=(), compare=False)  # in the stage's definition


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    cmd: tuple[str, ...]
    wdir: str  # repo-relative, "" for the root
    deps: tuple[str, ...] = ()
    params: tuple[ParamRef, ...] = ()
    outs: tuple[Out, ...] = ()
    desc: str = ""
    frozen: bool = False
    always_changed: bool = False
    tune: Mapping[str, Any] | None = field(default=None, compare=False)
    origin: tuple[str, ...] = ()  # key path of the definition in stages.yaml

    @property
    def group(self) -> str:
        return self.name.split("@", 1)[0]


@dataclass(frozen=True, slots=True)
class PipelineDef:
    stages: dict[str, Stage]
    params_file: str
    doc: LocatedDoc

    def error(
        self, stage: Stage, keys: tuple[str | int, ...], problem: str, hint: str
    ) -> InvalidFile:
        return self.doc.error([*stage.origin, *keys], problem, hint)


def load(root: Path | FileSource) -> PipelineDef | None:
    """The pipeline in ``stages.yaml`` of a folder (or any file source), or None."""
    files = DirSource(root) if isinstance(root, Path) else root
    text = files.read_text(STAGES_FILE)
    if text is None:
        return None
    doc = loads_located(text, files.shown(STAGES_FILE), schema="stages")
    params_file = str(doc.doc.get("params") or DEFAULT_PARAMS)
    context = _context(files, doc, params_file)
    stages: dict[str, Stage] = {}
    for name, definition in doc.doc["stages"].items():
        for stage in _expand(doc, str(name), definition, context, params_file):
            stages[stage.name] = stage
    return PipelineDef(stages, params_file, doc)


def _context(files: FileSource, doc: LocatedDoc, params_file: str) -> dict[str, Any]:
    context: dict[str, Any] = {}
    text = files.read_text(params_file)
    if text is not None:
        context.update(parse_params(text, params_file, files.shown(params_file)))
    vars_block = doc.doc.get("vars")
    entries = vars_block if isinstance(vars_block, list) else [vars_block or {}]
    for i, entry in enumerate(entries):
        if isinstance(entry, str):
            rel = _confine(doc, ("vars", i), entry)
            text = files.read_text(rel)
            if text is None:
                raise InvalidFile(
                    files.shown(rel), "params file not found", hint="create it or fix the name"
                )
            context.update(parse_params(text, rel, files.shown(rel)))
        else:
            context.update(plain(entry))
    return context


def _expand(
    doc: LocatedDoc, name: str, definition: Any, context: dict[str, Any], params_file: str
) -> Iterator[Stage]:
    origin = ("stages", name)
    if "foreach" in definition and "matrix" in definition:
        raise doc.error([*origin, "matrix"], "use foreach or matrix, not both", "keep one")
    if "foreach" in definition:
        items = _resolve(doc, [*origin, "foreach"], definition["foreach"], context)
        pairs = _foreach_pairs(doc, origin, items)
    elif "matrix" in definition:
        pairs = _matrix_pairs(doc, origin, definition["matrix"], context)
    else:
        yield _build(doc, name, origin, definition, context, params_file)
        return
    body = {k: v for k, v in definition.items() if k not in ("foreach", "matrix")}
    for key, item in pairs:
        local = {**context, "item": item, "key": key}
        yield _build(doc, f"{name}@{key}", origin, body, local, params_file)


def _foreach_pairs(doc: LocatedDoc, origin: tuple[str, ...], items: Any) -> list[tuple[str, Any]]:
    if isinstance(items, dict) and items:
        return [(str(k), plain(v)) for k, v in items.items()]
    if isinstance(items, list) and items:
        scalar = all(isinstance(i, str | int | float | bool) for i in items)
        keys = [str(i) for i in items] if scalar else [str(n) for n in range(len(items))]
        if len(set(keys)) != len(keys):
            raise doc.error([*origin, "foreach"], "foreach items repeat", "list each item once")
        return list(zip(keys, (plain(i) for i in items), strict=True))
    raise doc.error([*origin, "foreach"], "foreach needs a non-empty list or mapping", "fix it")


def _matrix_pairs(
    doc: LocatedDoc, origin: tuple[str, ...], matrix: Any, context: dict[str, Any]
) -> list[tuple[str, Any]]:
    resolved = _resolve(doc, [*origin, "matrix"], matrix, context)
    if not isinstance(resolved, dict) or not all(
        isinstance(v, list) and v for v in resolved.values()
    ):
        raise doc.error([*origin, "matrix"], "matrix needs a mapping of lists", "fix it")
    dims = list(resolved)
    pairs = []
    for combo in itertools.product(*(resolved[d] for d in dims)):
        key = "-".join(str(v) for v in combo)
        pairs.append((key, dict(zip(dims, (plain(v) for v in combo), strict=True))))
    return pairs


def _resolve(doc: LocatedDoc, keys: list[str | int], value: Any, context: dict[str, Any]) -> Any:
    try:
        return render(value, context)
    except InterpolationError as exc:
        raise doc.error([*keys, *exc.keys], exc.problem, exc.hint) from None


def _confine(doc: LocatedDoc, keys: tuple[str | int, ...], path: str, wdir: str = "") -> str:
    if not isinstance(path, str) or not path.strip():
        raise doc.error(list(keys), "empty path", "write a relative path")
    if posixpath.isabs(path) or path.startswith("\\"):
        raise doc.error(list(keys), f"absolute path {path!r}", "paths are relative to stages.yaml")
    joined = posixpath.normpath(posixpath.join(wdir, path)) if wdir else posixpath.normpath(path)
    if joined == ".." or joined.startswith("../") or ".git" in joined.split("/"):
        raise doc.error(list(keys), f"path {path!r} leaves the repository", "remove the '..'")
    return "" if joined == "." else joined


def _build(
    doc: LocatedDoc,
    name: str,
    origin: tuple[str, ...],
    body: Mapping[str, Any],
    context: dict[str, Any],
    params_file: str,
) -> Stage:
    def get(key: str) -> Any:
        value = body.get(key)
        if key == "tune":  # rendered now, ${trial.*} kept for the tuner
            return plain(_resolve(doc, [*origin, key], value, context)) if value else None
        return plain(_resolve(doc, [*origin, key], value, context)) if value is not None else None

    wdir = _confine(doc, (*origin, "wdir"), get("wdir") or ".")
    cmd = get("cmd")
    cmds = tuple(cmd) if isinstance(cmd, list) else (str(cmd),)
    deps = tuple(
        dict.fromkeys(
            _confine(doc, (*origin, "deps", i), d, wdir) for i, d in enumerate(get("deps") or [])
        )
    )
    outs = tuple(
        out
        for kind in ("outs", "metrics", "plots")
        for out in _outs(doc, origin, kind, get(kind), wdir)
    )
    params = _params(doc, origin, get("params") or [], wdir, params_file)
    return Stage(
        name=name,
        cmd=cmds,
        wdir=wdir,
        deps=deps,
        params=params,
        outs=outs,
        desc=str(get("desc") or ""),
        frozen=bool(get("frozen")),
        always_changed=bool(get("always_changed")),
        tune=get("tune"),
        origin=origin,
    )


def _outs(
    doc: LocatedDoc, origin: tuple[str, ...], kind: str, items: Any, wdir: str
) -> Iterator[Out]:
    for i, item in enumerate(items or []):
        keys: tuple[str | int, ...] = (*origin, kind, i)
        if isinstance(item, dict):
            ((path, options),) = item.items()
            options = options or {}
        else:
            path, options = item, {}
        yield Out(
            _confine(doc, keys, str(path), wdir),
            cache=bool(options.get("cache", CACHE_DEFAULT[kind])),
            persist=bool(options.get("persist", False)),
            kind=kind,
        )


def _params(
    doc: LocatedDoc, origin: tuple[str, ...], items: list[Any], wdir: str, default_file: str
) -> tuple[ParamRef, ...]:
    refs: list[ParamRef] = []
    default = _confine(doc, (*origin, "params"), default_file, wdir)
    for i, item in enumerate(items):
        if isinstance(item, str):
            refs.append(ParamRef(default, item, ("params", i)))
            continue
        for file, keys in item.items():
            where = ("params", i, str(file))
            rel = _confine(doc, (*origin, *where), str(file), wdir)
            if keys:
                refs.extend(ParamRef(rel, str(k), (*where, j)) for j, k in enumerate(keys))
            else:
                refs.append(ParamRef(rel, "", where))
    return tuple(dict.fromkeys(refs))
