"""Why a stage must run: compare the work tree with its ``stages.lock`` entry."""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from gitml.core import envinfo
from gitml.core.atomic import write_text
from gitml.core.dag import producers_of
from gitml.core.lockfile import LockEntry, Record
from gitml.core.params import MISSING, get_dotted, plain, read_params_file, set_dotted
from gitml.core.repo import Repo
from gitml.core.stages import Stage
from gitml.core.tree import Hasher
from gitml.errors import InvalidFile
from gitml.ops.record import record_path


@dataclass(frozen=True, slots=True)
class Reason:
    kind: str  # new | always | cmd | tune | dep | param | out | upstream | env | forced
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text}


@dataclass(frozen=True, slots=True)
class Check:
    """A stage compared with its lock entry, and what it would record if it ran now."""

    reasons: tuple[Reason, ...]
    deps: tuple[Record, ...]
    params: dict[str, dict[str, Any]]
    env_changes: tuple[str, ...] = field(default=())

    @property
    def stale(self) -> bool:
        return bool(self.reasons)


def short(oid: str | None) -> str:
    return oid[:8] if oid else "nothing"


class Inspector:
    """Current hashes of paths and values of params, memoised until :meth:`forget`."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.hasher = Hasher(repo.state, objects=repo.cache)
        self._records: dict[str, Record | None] = {}
        self._files: dict[str, dict[str, Any]] = {}

    def record(self, rel: str) -> Record | None:
        if rel not in self._records:
            self._records[rel] = record_path(self.repo, rel, self.hasher)
        return self._records[rel]

    def forget(self) -> None:
        self._records.clear()
        self._files.clear()

    def params_file(self, rel: str) -> dict[str, Any]:
        if rel not in self._files:
            self._files[rel] = read_params_file(self.repo.root / rel, rel)
        return self._files[rel]

    def param_values(self, stage: Stage) -> dict[str, dict[str, Any]]:
        values: dict[str, dict[str, Any]] = {}
        for ref in stage.params:
            doc = self.params_file(ref.file)
            if not ref.key:
                values.setdefault(ref.file, {}).update(plain(doc))
                continue
            value = get_dotted(doc, ref.key)
            if value is MISSING:
                raise InvalidFile(
                    ref.file,
                    f"stage {stage.name} reads param {ref.key!r}, which is not defined",
                    key=ref.key,
                    hint=f"add {ref.key} to {ref.file} or remove it from the stage's params",
                )
            values.setdefault(ref.file, {})[ref.key] = plain(value)
        return values


def nested_params(values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Param values as the nested mapping ``gitml.api.params()`` returns."""
    out: dict[str, Any] = {}
    for keys in values.values():
        for key, value in keys.items():
            set_dotted(out, key, value)
    return out


def stage_env(repo: Repo, stage: Stage, found: Check) -> dict[str, str]:
    """The environment a stage's command runs in (see :mod:`gitml.api`)."""
    folder = repo.tmp_dir / "params"
    folder.mkdir(parents=True, exist_ok=True)
    params_path = folder / f"{stage.name}.json"
    write_text(params_path, json.dumps(nested_params(found.params), indent=1))
    env = dict(os.environ)
    env.update(
        GITML_STAGE=stage.name,
        GITML_PARAMS_FILE=str(params_path),
        GITML_ROOT=str(repo.root),
    )
    return env


def check(
    inspector: Inspector,
    stage: Stage,
    entry: LockEntry | None,
    *,
    rebuilt: Collection[str] = (),
    producer: dict[str, str] | None = None,
    tune_key: str | None = None,
) -> Check:
    """Compare ``stage`` with ``entry``; ``rebuilt`` are upstream stages that will run first.

    ``tune_key`` is the digest of a tuning stage's search definition.
    """
    reasons: list[Reason] = []
    deps = tuple(r for r in (inspector.record(d) for d in stage.deps) if r is not None)
    params = inspector.param_values(stage)
    if entry is None:
        reasons.append(Reason("new", "never ran (no entry in stages.lock)"))
    if stage.always_changed:
        reasons.append(Reason("always", "always_changed is set"))
    if entry is not None:
        reasons += _cmd_reasons(stage, entry)
        if tune_key is not None and entry.tune.get("spec") != tune_key:
            reasons.append(Reason("tune", "the tune search definition changed"))
        reasons += _dep_reasons(inspector, stage, entry, rebuilt, producer or {})
        reasons += _param_reasons(params, entry)
        reasons += _out_reasons(inspector, stage, entry)
    env = envinfo.differences(entry.env if entry else {}, envinfo.fingerprint())
    return Check(tuple(reasons), deps, params, tuple(env))


def _cmd_reasons(stage: Stage, entry: LockEntry) -> list[Reason]:
    if tuple(stage.cmd) == tuple(entry.cmd):
        return []
    return [
        Reason(
            "cmd", f"command changed from {' && '.join(entry.cmd)!r} to {' && '.join(stage.cmd)!r}"
        )
    ]


def _dep_reasons(
    inspector: Inspector,
    stage: Stage,
    entry: LockEntry,
    rebuilt: Collection[str],
    producer: dict[str, str],
) -> list[Reason]:
    reasons = []
    before = {d.path: d for d in entry.deps}
    outs = sorted(producer) if rebuilt else []
    for dep in stage.deps:
        makers = [producer[o] for o in producers_of(dep, outs) if producer[o] in rebuilt]
        if makers:
            reasons.append(Reason("upstream", f"dep {dep} will be rebuilt by stage {makers[0]}"))
            continue
        now = inspector.record(dep)
        old = before.get(dep)
        if now is None:
            reasons.append(Reason("dep", f"dep {dep} is missing"))
        elif old is None:
            reasons.append(Reason("dep", f"dep {dep} was added"))
        elif old.oid != now.oid:
            reasons.append(
                Reason("dep", f"dep {dep} changed from {short(old.oid)} to {short(now.oid)}")
            )
    reasons += [Reason("dep", f"dep {p} was removed") for p in before if p not in stage.deps]
    return reasons


def _param_reasons(params: dict[str, dict[str, Any]], entry: LockEntry) -> list[Reason]:
    """One reason per changed leaf value (``train.lr``), not per declared section."""
    reasons = []
    for file in sorted(set(params) | set(entry.params)):
        now = _leaves(params.get(file, {}))
        old = _leaves(entry.params.get(file, {}))
        for key in sorted(set(now) | set(old)):
            if key not in old:
                reasons.append(Reason("param", f"param {key} was added ({now[key]!r})"))
            elif key not in now:
                reasons.append(Reason("param", f"param {key} was removed"))
            elif now[key] != old[key]:
                reasons.append(
                    Reason("param", f"param {key} changed from {old[key]!r} to {now[key]!r}")
                )
    return reasons


def _leaves(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict) and value:
            out.update(_leaves(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _out_reasons(inspector: Inspector, stage: Stage, entry: LockEntry) -> list[Reason]:
    reasons = []
    before = {o.path: o for o in entry.outs}
    for out in stage.outs:
        old = before.get(out.path)
        now = inspector.record(out.path)
        if now is None:
            reasons.append(Reason("out", f"output {out.path} is missing"))
        elif old is None:
            reasons.append(Reason("out", f"output {out.path} is new"))
        elif old.oid != now.oid:
            reasons.append(
                Reason(
                    "out", f"output {out.path} was modified ({short(old.oid)} -> {short(now.oid)})"
                )
            )
    return reasons
