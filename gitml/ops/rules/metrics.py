"""``metric-gate``: metrics above thresholds, and no regression beyond a limit from the base."""

from __future__ import annotations

import math
from typing import Any

from gitml.core.policy import Rule
from gitml.ops.policy import Context, Failure


def metric_gate(ctx: Context, rule: Rule) -> list[Failure]:
    head = ctx.head_snapshot.metrics()
    base = None
    if ctx.base_snapshot is not None:
        base = ctx.base_snapshot.metrics()
    elif rule.regressions:
        ctx.notes.append(f"{rule.id}: no base revision, so regressions were not compared")
    return judge(rule, base, head)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def judge(
    rule: Rule, base: dict[str, dict[str, Any]] | None, head: dict[str, dict[str, Any]]
) -> list[Failure]:
    """The rule's thresholds on ``head``, and its regression limits from ``base`` to ``head``."""
    failures = []
    for t in rule.thresholds:
        value = _number(head.get(t.file, {}).get(t.key))
        if value is None:
            failures.append(_missing(rule, t.file, t.key, head))
        elif not t.holds(value):
            failures.append(
                Failure(
                    rule.id,
                    t.file,
                    f"{t.key} is {value:g}, the policy needs {t.key} {t.op} {t.value:g}",
                    "improve the model, or change the threshold in .gitml/policy.yaml "
                    "with your reviewers' agreement",
                    (t.file, t.key),
                )
            )
    if base is None:
        return failures
    for r in rule.regressions:
        new = _number(head.get(r.file, {}).get(r.key))
        old = _number(base.get(r.file, {}).get(r.key))
        if new is None:
            failures.append(_missing(rule, r.file, r.key, head))
            continue
        if old is None:
            continue  # a new metric has nothing to regress from
        scale = abs(old) if r.relative and old else 1.0
        drop, rise = (old - new) / scale, (new - old) / scale
        unit = " (relative)" if r.relative else ""
        if r.max_drop is not None and drop > r.max_drop + 1e-12:
            failures.append(
                _regressed(
                    rule,
                    r.file,
                    r.key,
                    old,
                    new,
                    f"a drop of {drop:.4g}{unit}, more than max_drop {r.max_drop:g}",
                )
            )
        if r.max_rise is not None and rise > r.max_rise + 1e-12:
            failures.append(
                _regressed(
                    rule,
                    r.file,
                    r.key,
                    old,
                    new,
                    f"a rise of {rise:.4g}{unit}, more than max_rise {r.max_rise:g}",
                )
            )
    return failures


def _regressed(rule: Rule, file: str, key: str, old: float, new: float, what: str) -> Failure:
    return Failure(
        rule.id,
        file,
        f"{key} went from {old:g} to {new:g}: {what}",
        "fix the regression before merging, or agree a new limit in .gitml/policy.yaml",
        (file, key),
    )


def _missing(rule: Rule, file: str, key: str, head: dict[str, dict[str, Any]]) -> Failure:
    if file not in head:
        problem = "metrics file not found (not declared as a stage's metrics, or not produced)"
        hint = "run `gitml repro`, or fix the file name in .gitml/policy.yaml"
    else:
        keys = ", ".join(sorted(head[file])[:8])
        problem = f"no numeric metric {key!r} (it has: {keys})"
        hint = "fix the key in .gitml/policy.yaml"
    return Failure(rule.id, file, problem, hint, (file, key))
