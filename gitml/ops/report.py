"""``gitml report``: what a change did, for the reviewer of a pull request.

Stages whose ``stages.lock`` entry changed (and what in it), params and
metrics diffs with the regressions the policy's metric-gate flags, data
changes, and the result of ``gitml check``. Rendering is in
:mod:`gitml.ops.report_format`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gitml.core.lockfile import LockEntry, Record
from gitml.core.repo import Repo
from gitml.errors import GitmlError
from gitml.ops.metrics import flatten
from gitml.ops.review import (
    ADDED,
    MODIFIED,
    REMOVED,
    DataDiff,
    ValueDelta,
    compare_values,
    diff_snapshots_data,
    flat_params,
    two_snapshots,
)
from gitml.ops.revision import Snapshot


@dataclass(frozen=True, slots=True)
class StageChange:
    name: str
    state: str  # added | removed | modified
    changes: tuple[str, ...] = ()  # "cmd", "dep src/x.py 1a2b3c4d -> 5e6f7a8b", ...

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.name, "state": self.state, "changes": list(self.changes)}


@dataclass
class Report:
    base: str  # descriptions of the two sides
    head: str
    stages: list[StageChange]
    params: list[ValueDelta]
    metrics: list[ValueDelta]
    regressions: dict[tuple[str, str], str]  # (file, key) -> why the policy flags it
    data: DataDiff
    check: Any = None  # gitml.ops.policy.CheckResult, when the policy ran
    notes: list[str] = field(default_factory=list)  # sections left out, and why

    @property
    def passed(self) -> bool:
        return not self.regressions and (self.check is None or self.check.passed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "passed": self.passed,
            "stages": [s.to_dict() for s in self.stages],
            "params": [p.to_dict() for p in self.params],
            "metrics": [
                {**m.to_dict(), "regression": self.regressions.get((m.file, m.key))}
                for m in self.metrics
            ],
            "data": self.data.to_dict(),
            "check": self.check.to_dict() if self.check is not None else None,
            "notes": self.notes,
        }


def report(repo: Repo, base: str, head: str | None) -> Report:
    """The report of ``head`` (None: the work tree) against ``base``."""
    if repo.bare and head is None:
        raise GitmlError(
            f"{repo.root} is a bare repository: there is no workspace to report on",
            "name the head too, e.g. `gitml report --base main --head feature`",
        )
    with two_snapshots(repo, base, head) as (old, new):
        old_metrics, new_metrics = old.metrics(), new.metrics()
        result = Report(
            base=old.description,
            head=new.description,
            stages=stage_changes(old.lock(), new.lock()),
            params=compare_values(flat_params(old), flat_params(new), include_unchanged=False),
            metrics=compare_values(old_metrics, new_metrics, include_unchanged=True),
            regressions={},
            data=diff_snapshots_data(old, new),
        )
        _policy(repo, result, old, new, base)
    return result


def _policy(repo: Repo, result: Report, old: Snapshot, new: Snapshot, base: str) -> None:
    """Regressions and ``gitml check``, when the policy engine is available."""
    try:
        from gitml.ops import policy
    except ImportError:
        result.notes.append("policy checks are not available in this gitml")
        return
    if repo.bare:
        result.notes.append("gitml check not run: a bare repository has no work tree")
        return
    result.regressions = policy.metric_regressions(repo, old.metrics(), new.metrics())
    result.check = policy.check(repo, base=base)
    if new.rev is not None:
        result.notes.append(f"gitml check judged the work tree, not {new.rev}")


# -- stages ------------------------------------------------------------------------


def stage_changes(old: dict[str, LockEntry], new: dict[str, LockEntry]) -> list[StageChange]:
    """Lock entries that differ, saying which of cmd, deps, params and outs changed."""
    out: list[StageChange] = []
    for name in [*new, *(n for n in old if n not in new)]:
        was, now = old.get(name), new.get(name)
        if was is None:
            out.append(StageChange(name, ADDED, ("first run",)))
        elif now is None:
            out.append(StageChange(name, REMOVED))
        else:
            changes = _entry_changes(was, now)
            if changes:
                out.append(StageChange(name, MODIFIED, tuple(changes)))
    return out


def _entry_changes(was: LockEntry, now: LockEntry) -> list[str]:
    changes: list[str] = []
    if was.cmd != now.cmd:
        changes.append(f"cmd: {' && '.join(was.cmd)!r} -> {' && '.join(now.cmd)!r}")
    changes += _record_changes("dep", was.deps, now.deps)
    old_params = {f"{f}:{k}": v for f, d in was.params.items() for k, v in flatten(d).items()}
    new_params = {f"{f}:{k}": v for f, d in now.params.items() for k, v in flatten(d).items()}
    for key in sorted(set(old_params) | set(new_params)):
        a, b = old_params.get(key, "(absent)"), new_params.get(key, "(absent)")
        if a != b:
            changes.append(f"param {key.split(':', 1)[1]}: {a} -> {b}")
    changes += _record_changes("out", was.outs, now.outs)
    return changes


def _record_changes(kind: str, old: tuple[Record, ...], new: tuple[Record, ...]) -> list[str]:
    before = {r.path: r for r in old}
    after = {r.path: r for r in new}
    changes = []
    for path in [*after, *(p for p in before if p not in after)]:
        a, b = before.get(path), after.get(path)
        if a is None:
            changes.append(f"{kind} {path} added")
        elif b is None:
            changes.append(f"{kind} {path} removed")
        elif a.oid != b.oid:
            changes.append(f"{kind} {path}: {a.oid[:8]} -> {b.oid[:8]}")
    return changes
