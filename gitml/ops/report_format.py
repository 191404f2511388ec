"""Tables for the review commands: plain text for a terminal, Markdown for a pull request.

Numbers are shown with ``precision`` significant digits (default 5); JSON
output keeps the exact values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gitml.ops.report import Report
from gitml.ops.review import DataDiff, ValueDelta

DEFAULT_PRECISION = 5


def value_text(value: Any, precision: int = DEFAULT_PRECISION, *, md: bool = False) -> str:
    if value is None:
        return "—" if md else "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.{precision}g}"
    if isinstance(value, int | str):
        return str(value)
    return json.dumps(value, sort_keys=True)


def change_text(change: float | None, precision: int, *, percent: bool = False) -> str:
    if change is None:
        return ""
    return f"{change:+.{precision}g}" + ("%" if percent else "")


def size_text(size: int | None, *, md: bool = False) -> str:
    if size is None:
        return "—" if md else "-"
    amount = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{size} B"  # pragma: no cover


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ") or " "


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, md: bool, escaped: bool = False
) -> str:
    """A Markdown table (cells escaped unless ``escaped``), or padded plain columns."""
    if md:
        cell = (lambda c: c or " ") if escaped else _md_cell
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    out = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [list(headers), *rows]
    ]
    return "\n".join(out)


def values_table(
    rows: Sequence[ValueDelta],
    precision: int = DEFAULT_PRECISION,
    *,
    md: bool,
    regressions: dict[tuple[str, str], str] | None = None,
) -> str:
    """file, key, old, new, change, change %, and (for the report) the policy's verdict."""
    headers = ["file", "key", "old", "new", "change", "change %"]
    if regressions is not None:
        headers.append("policy")
    body = []
    for r in rows:
        cells = [
            r.file,
            r.key,
            value_text(r.old, precision, md=md),
            value_text(r.new, precision, md=md),
            change_text(r.absolute, precision),
            change_text(r.relative, precision, percent=True),
        ]
        if regressions is not None:
            why = regressions.get((r.file, r.key))
            cells.append(("❌ " if md else "REGRESSION: ") + why if why else "")
        body.append(cells)
    return table(headers, body, md=md)


def data_table(diff: DataDiff, *, md: bool) -> str:
    """One row per artifact (folders end in ``/``), then one per file changed inside it."""
    rows: list[list[str]] = []
    for c in diff.changes:
        label = f"{c.path}/" if c.kind == "dir" else c.path
        rows.append([c.state, label, size_text(c.old_size, md=md), size_text(c.new_size, md=md)])
        for f in c.files if c.kind == "dir" else ():
            rows.append(
                [
                    f"↳ {f.state}" if md else f"  {f.state}",
                    f.path if md else f"  {f.path}",
                    size_text(f.old_size, md=md),
                    size_text(f.new_size, md=md),
                ]
            )
    text = table(["change", "path", "old size", "new size"], rows, md=md)
    notes = [f"{c.path}: {c.note}" for c in diff.changes if c.note]
    if notes:
        bullet = "- " if md else "note: "
        text += "\n\n" + "\n".join(bullet + n for n in notes)
    return text


def _heading(title: str, md: bool) -> str:
    return f"### {title}" if md else f"{title}\n{'-' * len(title)}"


def _summary(rep: Report) -> str:
    parts = [
        _count(len(rep.stages), "stage"),
        _count(len(rep.params), "param"),
        _count(sum(1 for m in rep.metrics if m.changed), "metric"),
        _count(len(rep.data.changes), "data artifact"),
    ]
    text = ", ".join(parts) + " changed"
    if rep.regressions:
        text += f"; {_count(len(rep.regressions), 'metric regression')}"
    if rep.check is not None:
        failed = len(rep.check.failures)
        text += "; check passed" if not failed else f"; check failed ({_count(failed, 'failure')})"
    return text


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def render_report(rep: Report, precision: int = DEFAULT_PRECISION, *, md: bool) -> str:
    """The whole report: Markdown for a PR comment or a job summary, or plain text."""
    verdict = ("✅" if rep.passed else "❌") if md else ("PASSED" if rep.passed else "FAILED")
    title = "## gitml report" if md else "gitml report\n============"
    sides = (
        f"**base** `{rep.base}` → **head** `{rep.head}`"
        if md
        else f"base: {rep.base}\nhead: {rep.head}"
    )
    parts = [title, sides, f"{verdict} {_summary(rep)}"]
    parts += [_heading("Stages changed", md), _stages(rep, md)]
    parts += [_heading("Params", md), _or_none(rep.params, "No params changed.", precision, md)]
    metrics = values_table(rep.metrics, precision, md=md, regressions=rep.regressions)
    parts += [_heading("Metrics", md), metrics if rep.metrics else "No metrics files."]
    data = data_table(rep.data, md=md) if rep.data.changes else "No tracked data changed."
    parts += [_heading("Data", md), data]
    parts += [_heading("Check", md), _check(rep, md)]
    if rep.notes:
        parts.append("\n".join(("- " if md else "note: ") + n for n in rep.notes))
    return "\n\n".join(parts) + "\n"


def _or_none(rows: Sequence[ValueDelta], empty: str, precision: int, md: bool) -> str:
    return values_table(rows, precision, md=md) if rows else empty


def _stages(rep: Report, md: bool) -> str:
    if not rep.stages:
        return "No stage changed in stages.lock."
    rows: list[list[str]] = []
    for s in rep.stages:
        if md:  # GitHub renders <br> inside a table cell
            rows.append([s.name, s.state, "<br>".join(_md_cell(c) for c in s.changes)])
            continue
        first, *more = s.changes or ("",)
        rows.append([s.name, s.state, first])
        rows += [["", "", c] for c in more]
    return table(["stage", "change", "what changed"], rows, md=md, escaped=md)


def _check(rep: Report, md: bool) -> str:
    check = rep.check
    if check is None:
        return "Not run."
    rules = ", ".join(check.rules_run) or "none"
    if check.passed:
        return f"Passed ({check.context or 'gitml check'}); rules run: {rules}."
    rows = [[f.rule, f.file, f.problem, f.hint] for f in check.failures]
    head = f"Failed ({check.context or 'gitml check'}); rules run: {rules}."
    return head + "\n\n" + table(["rule", "file", "problem", "how to fix"], rows, md=md)
