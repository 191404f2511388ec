"""The ``tune:`` block of a stage: parsed and checked into frozen values.

``parse_tune_spec(raw, source=..., line_of=...)`` validates the block against
``schemas/tune.schema.json`` and then checks what a schema cannot say (low <
high, ``when`` naming a real choice, one direction per metric, ...). Every
error is an :class:`~gitml.errors.InvalidFile` naming the file, the line of the
offending key inside the block (through ``line_of``) and a fix.

Conditional params (``when``) are how model selection is written: a choice
param picks the family, and each family's params carry ``when: {that.param:
value}``. They are kept in dependency order, so a sampler visits a choice
before the params that depend on it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitml.core.schema import _validator, load_schema, suggest
from gitml.core.tune_params import (
    KeyPath,
    LineOf,
    ParamSpace,
    Scalar,
    SpecContext,
    parse_space,
)
from gitml.errors import InvalidFile

__all__ = [
    "KeyPath",
    "LineOf",
    "Objective",
    "ParamSpace",
    "PrunerSpec",
    "Scalar",
    "TuneSpec",
    "grid_size",
    "parse_tune_spec",
    "spec_digest",
    "tune_identity_fields",
]

SAMPLERS = ("tpe", "random", "grid", "cmaes", "nsga2")
PRUNERS = ("median", "hyperband", "none")
PLACEHOLDERS = ("${trial.dir}", "${trial.params}", "${trial.number}")


@dataclass(frozen=True, slots=True)
class Objective:
    """One metric: ``key`` (dotted) inside the file ``path`` written by each trial."""

    path: str  # may contain ${trial.dir}; relative paths are relative to the stage's wdir
    key: str
    direction: str  # "maximize" | "minimize"

    @property
    def text(self) -> str:
        return f"{self.path}:{self.key}"


@dataclass(frozen=True, slots=True)
class PrunerSpec:
    kind: str = "median"  # "median" | "hyperband" | "none"
    startup_trials: int = 5
    warmup_steps: int = 0
    min_resource: int = 1
    max_resource: int | None = None
    reduction_factor: int = 3

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "median":
            return {
                "type": "median",
                "startup_trials": self.startup_trials,
                "warmup_steps": self.warmup_steps,
            }
        if self.kind == "hyperband":
            return {
                "type": "hyperband",
                "min_resource": self.min_resource,
                "max_resource": self.max_resource,
                "reduction_factor": self.reduction_factor,
            }
        return {"type": "none"}


@dataclass(frozen=True, slots=True)
class TuneSpec:
    """A validated ``tune:`` block."""

    objectives: tuple[Objective, ...]
    trials: int
    space: tuple[ParamSpace, ...]  # dependency order: a `when` target comes first
    sampler: str = "tpe"
    pruner: PrunerSpec = field(default_factory=PrunerSpec)
    seed: int | None = None
    timeout: float | None = None
    trial_timeout: float | None = None
    max_failures: int | None = None
    storage: str | None = None

    @property
    def metric_names(self) -> tuple[str, ...]:
        return tuple(o.key for o in self.objectives)

    @property
    def directions(self) -> tuple[str, ...]:
        return tuple(o.direction for o in self.objectives)

    @property
    def multi_objective(self) -> bool:
        return len(self.objectives) > 1

    def param(self, name: str) -> ParamSpace | None:
        return next((p for p in self.space if p.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """Everything, canonical (for stages.lock and study attributes)."""
        return {
            **tune_identity_fields(self),
            "trials": self.trials,
            "timeout": self.timeout,
            "trial_timeout": self.trial_timeout,
            "max_failures": self.max_failures,
            "storage": self.storage,
        }


def tune_identity_fields(spec: TuneSpec) -> dict[str, Any]:
    """The fields that define what a study searches: a change means a new study.

    The budget (``trials``), timeouts and the storage are left out, so raising
    ``trials`` continues the same study instead of starting over.
    """
    return {
        "metric": [o.text for o in spec.objectives],
        "direction": list(spec.directions),
        "sampler": spec.sampler,
        "seed": spec.seed,
        "pruner": spec.pruner.to_dict(),
        "space": [p.to_dict() for p in spec.space],
    }


def spec_digest(spec: TuneSpec) -> str:
    text = json.dumps(tune_identity_fields(spec), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def parse_tune_spec(
    raw: Any, *, source: str = "stages.yaml", line_of: LineOf | None = None
) -> TuneSpec:
    """Validate a ``tune:`` block (a dict from YAML) and build its :class:`TuneSpec`.

    ``line_of`` maps a key path inside the block (e.g. ``["space", "train.lr",
    "float"]``) to its line in ``source``, for error messages.
    """
    ctx = SpecContext(source, line_of)
    _check_schema(raw, ctx)
    objectives = _objectives(raw, ctx)
    spec = TuneSpec(
        objectives=objectives,
        trials=int(raw["trials"]),
        space=parse_space(raw["space"], ctx),
        sampler=str(raw.get("sampler", "tpe")),
        pruner=_pruner(raw.get("pruner"), len(objectives), ctx),
        seed=raw.get("seed"),
        timeout=_opt_float(raw.get("timeout")),
        trial_timeout=_opt_float(raw.get("trial_timeout")),
        max_failures=raw.get("max_failures"),
        storage=raw.get("storage"),
    )
    check_spec(spec, ctx)
    return spec


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _listify(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _objectives(raw: Mapping[str, Any], ctx: SpecContext) -> tuple[Objective, ...]:
    metrics = _listify(raw["metric"])
    directions = _listify(raw["direction"])
    if len(directions) == 1 and len(metrics) > 1:
        raise ctx.error(
            ["direction"],
            f"{len(metrics)} metrics but one direction",
            f"give a list of {len(metrics)} directions, one per metric",
        )
    if len(directions) != len(metrics):
        raise ctx.error(
            ["direction"],
            f"{len(directions)} directions for {len(metrics)} metric(s)",
            "give one direction (maximize or minimize) per metric",
        )
    out = []
    for i, (metric, direction) in enumerate(zip(metrics, directions, strict=True)):
        path, _, key = str(metric).rpartition(":")
        where: list[str | int] = ["metric", i] if isinstance(raw["metric"], list) else ["metric"]
        if not path.strip() or not key.strip():
            raise ctx.error(where, f"{metric!r} is not FILE:KEY", "e.g. ${trial.dir}/m.json:acc")
        out.append(Objective(path.strip(), key.strip(), str(direction)))
    names = [o.key for o in out]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise ctx.error(["metric"], f"two metrics are named {dup!r}", "use distinct keys")
    return tuple(out)


def _pruner(raw: Any, n_objectives: int, ctx: SpecContext) -> PrunerSpec:
    if raw is None:
        return PrunerSpec("median" if n_objectives == 1 else "none")
    body: dict[str, Any] = {"type": raw} if isinstance(raw, str) else dict(raw)
    kind = body.pop("type")
    median_keys, band_keys = (
        {"startup_trials", "warmup_steps"},
        {"min_resource", "max_resource", "reduction_factor"},
    )
    allowed = median_keys if kind == "median" else band_keys if kind == "hyperband" else set()
    for key in body:
        if key not in allowed:
            raise ctx.error(
                ["pruner", key],
                f"not an option of the {kind} pruner",
                f"options: {', '.join(sorted(allowed)) or 'none'}",
            )
    if kind != "none" and n_objectives > 1:
        raise ctx.error(
            ["pruner"],
            "pruning needs a single metric",
            "set `pruner: none` for multi-objective tuning",
        )
    spec = PrunerSpec(kind, **body)
    if spec.max_resource is not None and spec.max_resource < spec.min_resource:
        raise ctx.error(["pruner", "max_resource"], "max_resource < min_resource")
    return spec


def _check_schema(raw: Any, ctx: SpecContext) -> None:
    import fastjsonschema

    try:  # pre-generated when `tune` is in schema.SCHEMAS, else compiled once (on a copy)
        _validator("tune")(raw)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise _explain(exc, raw, ctx) from None


_NAME_HINT = "use names like train.lr (letters, digits, _ and -, joined by dots)"


def _explain(exc: Any, raw: Any, ctx: SpecContext) -> InvalidFile:
    path = _real_path(raw, [str(p) for p in (exc.path or [])[1:]])
    definition = exc.definition or {}
    problem = str(exc.message).replace(str(exc.name), "value", 1)
    hint = "see docs/tuning.md for the tune block's format"
    if exc.rule == "additionalProperties" and isinstance(exc.value, dict):
        allowed = list(definition.get("properties", {}))
        extra = next((k for k in exc.value if k not in allowed), None)
        if extra is not None:
            path.append(extra)
            problem = "unknown key"
            near = suggest(str(extra), allowed)
            hint = f"did you mean {near!r}?" if near else f"valid keys: {', '.join(allowed)}"
    elif exc.rule == "required":
        missing = [k for k in definition.get("required", []) if k not in (exc.value or {})]
        if missing:
            problem = f"missing required key {missing[0]!r}"
    elif exc.rule in ("pattern", "enum") and "description" in definition:
        problem = f"{exc.value!r} is not valid: {definition['description']}"
    elif exc.rule == "propertyNames" and isinstance(exc.value, dict):
        bad = next(iter(_bad_names(exc.value)), "?")
        path, problem, hint = [*path, bad], f"{bad!r} is not a dotted param name", _NAME_HINT
    elif exc.rule == "minProperties" and len(path) == 2 and path[0] == "space":
        problem = "empty param"
        hint = "write {float: [low, high]}, {int: [low, high]} or {choice: [...]}"
    return ctx.error(path, problem, hint)


def _real_path(doc: Any, parts: list[str]) -> list[str | int]:
    """fastjsonschema splits key paths at dots; rejoin the parts that form one dotted key."""
    out: list[str | int] = []
    i = 0
    while i < len(parts):
        if isinstance(doc, list) and parts[i].isdigit() and int(parts[i]) < len(doc):
            out.append(int(parts[i]))
            doc, i = doc[int(parts[i])], i + 1
            continue
        if not isinstance(doc, dict):
            return [*out, *parts[i:]]
        j = next((j for j in range(len(parts), i, -1) if ".".join(parts[i:j]) in doc), i + 1)
        key = ".".join(parts[i:j])
        out.append(key)
        doc, i = doc.get(key), j
    return out


def _bad_names(space: Mapping[str, Any]) -> list[str]:
    import re

    pattern = load_schema("tune")["properties"]["space"]["propertyNames"]["pattern"]
    return [str(k) for k in space if not re.match(pattern, str(k))]


def check_spec(spec: TuneSpec, ctx: SpecContext) -> None:
    """Checks across keys: sampler versus objectives and space."""
    if spec.sampler == "nsga2" and not spec.multi_objective:
        raise ctx.error(
            ["sampler"],
            "nsga2 searches several metrics; there is one",
            "use sampler: tpe for a single metric",
        )
    if spec.sampler == "cmaes" and spec.multi_objective:
        raise ctx.error(
            ["sampler"],
            "cmaes optimises a single metric",
            "use sampler: nsga2 or tpe for several metrics",
        )
    if spec.sampler != "grid":
        return
    for p in spec.space:
        if p.when:
            raise ctx.error(
                ["space", p.name, "when"],
                "grid search has no conditional params",
                "use sampler: tpe or random, or drop `when`",
            )
        if p.grid() is None:
            raise ctx.error(
                ["space", p.name, p.kind],
                "grid search needs a step for a float",
                "add step: (e.g. 0.01) or use choice: [...]",
            )


def grid_size(spec: TuneSpec) -> int:
    size = 1
    for p in spec.space:
        size *= len(p.grid() or ())
    return size
