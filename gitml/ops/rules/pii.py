"""``pii``: tabular data whose column names or sampled values look like personal data.

CSV/TSV (optionally gzipped) and Parquet files are read with pyarrow, only
their first ``sample_rows`` rows; pyarrow is imported only when there is a
tabular file to look at, so a hook with nothing to check stays fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gitml.core import policy as policies
from gitml.core.policy import Rule
from gitml.ops.policy import Context, Failure

TABULAR = (".csv", ".tsv", ".csv.gz", ".tsv.gz", ".parquet", ".pq")
DEFAULT_PATTERNS = ("email", "phone", "card")
DEFAULT_SAMPLE = 1000


@dataclass(frozen=True, slots=True)
class Pattern:
    name: str
    column: re.Pattern[str] | None  # matched against column names
    value: re.Pattern[str]  # searched in values
    luhn: bool = False  # card numbers: the digits must pass the Luhn check


BUILTIN = {
    "email": Pattern(
        "email",
        re.compile(r"e[-_ ]?mail", re.I),
        re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    ),
    "phone": Pattern(
        "phone",
        re.compile(r"phone|mobile|^tel|fax", re.I),
        re.compile(r"(?:\+\d{1,3}[ .-]?)?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b"),
    ),
    "card": Pattern(
        "card",
        re.compile(r"credit.?card|card.?num|^ccn?$|^pan$", re.I),
        re.compile(r"\b(?:\d[ -]?){12,18}\d\b"),
        luhn=True,
    ),
    "ssn": Pattern(
        "ssn", re.compile(r"^ssn$|social.?security", re.I), re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
    ),
    "ipv4": Pattern(
        "ipv4",
        re.compile(r"^ip(_?addr(ess)?)?$", re.I),
        re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"),
    ),
}


def luhn_ok(text: str) -> bool:
    digits = [int(c) for c in text if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return len(digits) >= 13 and total % 10 == 0


def patterns_of(rule: Rule) -> list[Pattern]:
    found = [BUILTIN[name] for name in rule.option("patterns") or DEFAULT_PATTERNS]
    for name, regex in (rule.option("custom") or {}).items():
        compiled = re.compile(str(regex))
        found.append(Pattern(str(name), compiled, compiled))
    return found


def is_tabular(path: str) -> bool:
    return path.lower().endswith(TABULAR)


def pii(ctx: Context, rule: Rule) -> list[Failure]:
    globs = rule.option("paths")
    files = [
        (path, data)
        for path, data in _candidates(ctx)
        if is_tabular(path) and (not globs or policies.matches(path, globs))
    ]
    if not files:
        return []
    sample = int(rule.option("sample_rows", DEFAULT_SAMPLE))
    patterns = patterns_of(rule)
    failures = []
    for path, load in files:
        try:
            columns = read_sample(path, load(), sample)
        except Exception as exc:  # any unreadable table is reported, not fatal
            failures.append(
                Failure(
                    rule.id,
                    path,
                    f"cannot be read as a table: {exc}".splitlines()[0],
                    "fix the file, or exclude it with the rule's `paths`",
                )
            )
            continue
        failures += _scan(rule, path, columns, patterns)
    return failures


def _scan(
    rule: Rule, path: str, columns: list[tuple[str, list[str]]], patterns: list[Pattern]
) -> list[Failure]:
    failures = []
    for column, values in columns:
        for pattern in patterns:
            if pattern.column is not None and pattern.column.search(column):
                what = f"column {column!r}: its name looks like {pattern.name} data"
            else:
                hit = next((v for v in values if _value_hit(pattern, v)), None)
                if hit is None:
                    continue
                what = (
                    f"column {column!r}: values look like {pattern.name} data (e.g. {_mask(hit)})"
                )
            failures.append(
                Failure(
                    rule.id,
                    path,
                    what,
                    "drop or anonymise the column before tracking the file, or narrow the "
                    "rule's `paths`/`patterns` in .gitml/policy.yaml",
                )
            )
            break
    return failures


def _value_hit(pattern: Pattern, value: str) -> bool:
    for match in pattern.value.finditer(value):
        if not pattern.luhn or luhn_ok(match.group(0)):
            return True
    return False


def _mask(value: str) -> str:
    value = value.strip()
    return value[:2] + "…" + value[-2:] if len(value) > 6 else "…"


Loader = Any  # () -> bytes | str (a path on disk)


def _candidates(ctx: Context) -> Iterator[tuple[str, Loader]]:
    """(path, loader) for the files this check covers: git files and tracked data."""
    from gitml import git

    repo = ctx.repo
    snap = ctx.head_snapshot
    pointers = snap.pointers()  # pointer file -> pointer
    staged = ctx.staged if ctx.head is None else None
    if ctx.head is None:
        git_paths = staged if staged is not None else git.tracked_under(repo.root, ["."])
        for rel in git_paths:
            if is_tabular(rel) and (repo.root / rel).is_file():
                yield rel, (lambda rel=rel: str(repo.root / rel))
    else:
        for rel, _blob, _x in git.tree_blobs(repo.root, ctx.head):
            if is_tabular(rel):
                yield rel, (lambda rel=rel: snap.read(rel))
    # pre-commit: only the tracked data whose pointer is staged; otherwise all of it
    wanted = pointers if staged is None else {p: pointers[p] for p in staged if p in pointers}
    yield from _artifact_files(ctx, rule_paths={p.rel: p for p in wanted.values()})


def _artifact_files(ctx: Context, rule_paths: dict[str, Any]) -> Iterator[tuple[str, Loader]]:
    from gitml.ops.revision import ManifestMissing

    repo = ctx.repo
    snap = ctx.head_snapshot
    for rel, ptr in rule_paths.items():
        try:
            files = snap.artifact_files(ptr)
        except ManifestMissing:
            ctx.notes.append(f"pii: {rel} is not in the cache here; not scanned")
            continue
        for path, (oid, _size) in files.items():
            if not is_tabular(path):
                continue
            if ctx.head is None and (repo.root / path).is_file():
                yield path, (lambda path=path: str(repo.root / path))
            elif repo.cache.exists(oid):
                yield path, (lambda oid=oid: str(repo.cache.path(oid)))
            else:
                ctx.notes.append(f"pii: {path} is not in the cache here; not scanned")


def read_sample(path: str, source: bytes | str | None, rows: int) -> list[tuple[str, list[str]]]:
    """(column name, its first ``rows`` values as text), in file order."""
    import pyarrow as pa

    if source is None:
        return []
    stream: Any = pa.BufferReader(source) if isinstance(source, bytes) else pa.OSFile(source)
    lower = path.lower()
    if lower.endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(stream)
        first = next(iter(parquet.iter_batches(batch_size=rows)), None)
        table = (
            pa.Table.from_batches([first])
            if first is not None
            else parquet.schema_arrow.empty_table()
        )
    else:
        import pyarrow.csv as pacsv

        if lower.endswith(".gz"):
            stream = pa.CompressedInputStream(stream, "gzip")
        parse = pacsv.ParseOptions(delimiter="\t" if ".tsv" in lower else ",")
        convert = pacsv.ConvertOptions(strings_can_be_null=False)
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(block_size=1 << 20),
            parse_options=parse,
            convert_options=convert,
        )
        collected = []
        count = 0
        for batch in reader:
            collected.append(batch)
            count += batch.num_rows
            if count >= rows:
                break
        table = pa.Table.from_batches(collected, schema=reader.schema)
    table = table.slice(0, rows)
    return [
        (name, [str(v) for v in column.to_pylist() if v is not None])
        for name, column in zip(table.column_names, table.columns, strict=True)
    ]
