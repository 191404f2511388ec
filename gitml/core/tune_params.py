"""The params of a ``tune:`` block's ``space``: distributions and conditions.

Part of :mod:`gitml.core.tune_space` (which re-exports :class:`ParamSpace`);
split out to keep each module small.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gitml.core.schema import suggest
from gitml.errors import InvalidFile

KeyPath = Sequence[str | int]
# Position of a key path inside the tune block: a line, a (line, column), or unknown.
LineOf = Callable[[KeyPath], "int | tuple[int, int] | None"]
Scalar = str | int | float | bool | None
DISTRIBUTIONS = ("float", "int", "choice")


@dataclass(frozen=True, slots=True)
class SpecContext:
    """Where the block comes from, to turn a problem into a located error."""

    source: str
    line_of: LineOf | None

    def error(self, keys: KeyPath, problem: str, hint: str | None = None) -> InvalidFile:
        pos = self.line_of(list(keys)) if self.line_of else None
        line, column = (pos if isinstance(pos, tuple) else (pos, None)) if pos else (None, None)
        key = ".".join(str(k) for k in ["tune", *keys])
        return InvalidFile(self.source, problem, line=line, column=column, key=key, hint=hint)


@dataclass(frozen=True, slots=True)
class ParamSpace:
    """One searched param: a dotted params name and its distribution."""

    name: str
    kind: str  # "float" | "int" | "choice"
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    step: float | int | None = None
    choices: tuple[Scalar, ...] = ()
    # ((choice param, allowed values), ...): sampled only when all of them hold
    when: tuple[tuple[str, tuple[Scalar, ...]], ...] = ()

    def active(self, values: Mapping[str, Any]) -> bool:
        """Whether this param is sampled, given the values sampled before it."""
        return all(name in values and values[name] in allowed for name, allowed in self.when)

    def grid(self) -> list[Scalar] | None:
        """The values a grid search visits, or None when the range is continuous."""
        if self.kind == "choice":
            return list(self.choices)
        assert self.low is not None and self.high is not None
        if self.kind == "int":
            return list(range(int(self.low), int(self.high) + 1, int(self.step or 1)))
        if self.step is None:
            return None
        count = round((self.high - self.low) / self.step) + 1
        return [round(self.low + i * self.step, 12) for i in range(count)]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.kind == "choice":
            out["choices"] = list(self.choices)
        else:
            out.update(low=self.low, high=self.high, log=self.log, step=self.step)
        if self.when:
            out["when"] = {name: list(values) for name, values in self.when}
        return out


def parse_space(raw: Mapping[str, Any], ctx: SpecContext) -> tuple[ParamSpace, ...]:
    """Build the params of ``space:`` and order them so that `when` targets come first."""
    params = {name: _param(name, body, ctx) for name, body in raw.items()}
    resolved = {
        name: _resolve_when(p, raw[name].get("when"), params, ctx) for name, p in params.items()
    }
    return _dependency_order(resolved, ctx)


def _param(name: str, body: Mapping[str, Any], ctx: SpecContext) -> ParamSpace:
    kinds = [k for k in DISTRIBUTIONS if k in body]
    if not kinds:
        raise ctx.error(
            ["space", name],
            "no distribution",
            "add one of float: [low, high], int: [low, high] or choice: [...]",
        )
    if len(kinds) > 1:
        raise ctx.error(
            ["space", name, kinds[1]],
            f"both {kinds[0]} and {kinds[1]}",
            "keep one distribution per param",
        )
    kind = kinds[0]
    if kind == "choice":
        for key in ("log", "step"):
            if key in body:
                raise ctx.error(
                    ["space", name, key], f"{key} applies to float and int only", f"remove {key}"
                )
        choices = tuple(body["choice"])
        same = [(a, b) for i, b in enumerate(choices) for a in choices[:i] if a == b]
        if same:
            a, b = same[0]
            twice = f"{b!r} is listed twice" if repr(a) == repr(b) else f"{a!r} and {b!r} are equal"
            raise ctx.error(["space", name, "choice"], twice, "list each choice once")
        return ParamSpace(name, "choice", choices=choices)
    low, high = (_number(v, kind, ["space", name, kind, i], ctx) for i, v in enumerate(body[kind]))
    return _checked_range(
        name, kind, low, high, bool(body.get("log", False)), body.get("step"), ctx
    )


def _number(value: Any, kind: str, keys: KeyPath, ctx: SpecContext) -> float | int:
    try:
        number = int(value) if kind == "int" else float(value)
    except (TypeError, ValueError):
        raise ctx.error(keys, f"{value!r} is not a number", "write e.g. 1.0e-4") from None
    if not math.isfinite(number):
        raise ctx.error(keys, f"{value!r} is not finite", "give finite bounds")
    return number


def _checked_range(
    name: str, kind: str, low: float, high: float, log: bool, step: Any, ctx: SpecContext
) -> ParamSpace:
    where = ["space", name, kind]
    if low > high:
        raise ctx.error(where, f"low {low} > high {high}", f"write [{high}, {low}]")
    if low == high:
        raise ctx.error(
            where, f"low == high ({low}): nothing to search", "fix the value in params.yaml instead"
        )
    if log and low <= 0:
        raise ctx.error(
            ["space", name, "log"],
            f"a log scale needs low > 0 (low is {low})",
            "raise low, or drop log: true",
        )
    if step is not None:
        if log:
            raise ctx.error(
                ["space", name, "step"], "step and log cannot be combined", "drop one of them"
            )
        if kind == "int" and step != int(step):
            raise ctx.error(
                ["space", name, "step"],
                f"step {step} of an int param is not whole",
                "use a whole step",
            )
        step = int(step) if kind == "int" else float(step)
        count = (high - low) / step
        if abs(count - round(count)) > 1e-9:
            fit = low + math.floor(count) * step
            raise ctx.error(
                ["space", name, "step"],
                f"high - low ({high} - {low}) is not a multiple of step {step}",
                f"use high: {fit:g}",
            )
    return ParamSpace(name, kind, low=low, high=high, log=log, step=step)


def _resolve_when(
    param: ParamSpace,
    raw: Mapping[str, Any] | None,
    params: Mapping[str, ParamSpace],
    ctx: SpecContext,
) -> ParamSpace:
    if not raw:
        return param
    conditions = []
    for target, values in raw.items():
        where = ["space", param.name, "when", target]
        choice_names = [n for n, p in params.items() if p.kind == "choice" and n != param.name]
        other = params.get(target)
        if target == param.name:
            raise ctx.error(where, "a param cannot depend on itself", "name another choice param")
        if other is None or other.kind != "choice":
            article = "an" if other is not None and other.kind == "int" else "a"
            what = (
                "not in the space"
                if other is None
                else f"{article} {other.kind} param, not a choice"
            )
            near = suggest(target, choice_names)
            hint = (
                f"did you mean {near!r}?"
                if near
                else (f"choice params: {', '.join(choice_names) or 'none'}")
            )
            raise ctx.error(where, f"{target!r} is {what}", hint)
        allowed = tuple(values) if isinstance(values, list) else (values,)
        for value in allowed:
            if value not in other.choices:
                shown = ", ".join(map(str, other.choices))
                raise ctx.error(
                    where,
                    f"{value!r} is not a choice of {target} ({shown})",
                    "use one of its choices",
                )
        conditions.append((target, allowed))
    return ParamSpace(
        param.name,
        param.kind,
        param.low,
        param.high,
        param.log,
        param.step,
        param.choices,
        tuple(conditions),
    )


def _dependency_order(params: Mapping[str, ParamSpace], ctx: SpecContext) -> tuple[ParamSpace, ...]:
    ordered: dict[str, ParamSpace] = {}

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in trail:
            cycle = " -> ".join([*trail[trail.index(name) :], name])
            raise ctx.error(
                ["space", name, "when"],
                f"conditions form a cycle: {cycle}",
                "make the conditions a tree",
            )
        for target, _ in params[name].when:
            visit(target, (*trail, name))
        ordered[name] = params[name]

    for name in params:
        visit(name, ())
    return tuple(ordered.values())
