"""``model-card`` (every model has a valid card that names its training data) and
``data-meta`` (tracked data carries the metadata the policy asks for)."""

from __future__ import annotations

from typing import Any

from gitml.core import policy as policies
from gitml.core.policy import Rule
from gitml.errors import InvalidFile
from gitml.ops.policy import Context, Failure

CARD_SUFFIXES = (".card.yaml", ".card.yml", ".card.md")


def card_candidates(model: str) -> list[str]:
    """Where the card of ``model`` may be: ``models/model.pt`` -> ``models/model.card.yaml``, …"""
    folder, _, name = model.rpartition("/")
    stem = name.split(".", 1)[0] if "." in name else name
    base = f"{folder}/{stem}" if folder else stem
    return [base + suffix for suffix in CARD_SUFFIXES]


def declared_models(snap: Any, rule: Rule) -> list[str]:
    """Recorded stage outputs (``outs``) and tracked data matching the rule's model globs."""
    globs = policies.models_globs(rule)
    found: list[str] = []
    pipeline = snap.pipeline()
    if pipeline is not None:
        # a model no run has produced yet has no training data to describe
        recorded = {o.path for e in snap.lock().values() for o in e.outs}
        found += [
            o.path
            for s in pipeline.stages.values()
            for o in s.outs
            if o.kind == "outs" and o.path in recorded
        ]
    found += [p.rel for p in snap.pointers().values()]
    return [m for m in dict.fromkeys(found) if policies.matches(m, globs)]


def split_front_matter(text: str, source: str) -> tuple[str, str, str]:
    """A Markdown card as (opening ``---`` line, the YAML between, the closing line onward)."""
    lines = text.splitlines(keepends=True)
    end = next((i for i, x in enumerate(lines[1:], 1) if x.strip() == "---"), None)
    if not lines or lines[0].strip() != "---" or end is None:
        raise InvalidFile(
            source,
            "no YAML front matter",
            line=1,
            hint="start the file with a `---` line, the card's fields, and a closing `---`",
        )
    return lines[0], "".join(lines[1:end]), "".join(lines[end:])


def parse_card(text: str, source: str) -> dict[str, Any]:
    """A card's fields: the whole YAML file, or a Markdown file's front matter."""
    from gitml.core.schema import parse_yaml, text_locator, validate

    offset = 0
    if source.endswith(".md"):
        _, text, _ = split_front_matter(text, source)
        offset = 1
    doc = parse_yaml(text, source) if text.strip() else None
    if not isinstance(doc, dict):
        raise InvalidFile(source, "a model card must be a mapping of fields", line=1 + offset)
    locate = text_locator(text)
    validate(doc, "model-card", source, lambda keys: _shift(locate(keys), offset))
    return doc


def _shift(pos: tuple[int, int] | None, offset: int) -> tuple[int, int] | None:
    return (pos[0] + offset, pos[1]) if pos else None


def model_card(ctx: Context, rule: Rule) -> list[Failure]:
    snap = ctx.head_snapshot
    failures = []
    for model in declared_models(snap, rule):
        candidates = card_candidates(model)
        found = next(((c, t) for c in candidates if (t := snap.read_text(c)) is not None), None)
        if found is None:
            failures.append(
                Failure(
                    rule.id,
                    model,
                    "has no model card",
                    f"write {candidates[0]} (`gitml card {model}` drafts one; "
                    "fields in docs/governance.md)",
                )
            )
            continue
        failures += _check_card(ctx, rule, model, *found)
    return failures


def current_hashes(snap: Any) -> dict[str, str]:
    """Artifact path -> hash for tracked data, stage outputs and recorded deps."""
    hashes = {d.path: d.oid for e in snap.lock().values() for d in e.deps}
    hashes.update({rel: p.oid for rel, p in snap.artifacts().items()})
    return hashes


def _check_card(ctx: Context, rule: Rule, model: str, card: str, text: str) -> list[Failure]:
    from gitml.core.hashing import format_oid, parse_oid

    try:
        doc = parse_card(text, card)
    except InvalidFile as exc:
        return [
            Failure(
                rule.id,
                card,
                f"invalid model card: {exc.message}",
                exc.hint or "fix the card (fields in docs/governance.md)",
            )
        ]
    failures = []
    snap = ctx.head_snapshot
    hashes = current_hashes(snap)
    for item in doc["training_data"]:
        path, listed = str(item["path"]), parse_oid(str(item["hash"]))
        now = hashes.get(path)
        if now is None:
            failures.append(
                Failure(
                    rule.id,
                    card,
                    f"training data {path} is not tracked data or a stage output",
                    f"fix the path, or `gitml add {path}`",
                )
            )
        elif now != listed:
            failures.append(
                Failure(
                    rule.id,
                    card,
                    f"lists {path} at {format_oid(listed)[:19]}…, but it is now "
                    f"{format_oid(now)[:19]}…",
                    f"update training_data in the card (`gitml card {model}` refreshes it)",
                )
            )
    metrics = snap.metrics()
    declared = set(snap.metrics_files())
    for name, value in doc["metrics"].items():
        if isinstance(value, str) and ":" in value:
            file, key = value.rsplit(":", 1)
            if file in declared and file not in metrics:
                ctx.notes.append(f"{rule.id}: {file} is not available here; {name} not checked")
            elif key not in metrics.get(file, {}):
                failures.append(
                    Failure(
                        rule.id,
                        card,
                        f"metric {name} refers to {value}, which does not exist",
                        "fix FILE:KEY or give a number",
                    )
                )
    return failures


def data_meta(ctx: Context, rule: Rule) -> list[Failure]:
    required = [str(k) for k in rule.option("require", [])]
    globs = rule.option("paths")
    failures = []
    for rel, ptr in ctx.head_snapshot.pointers().items():
        if globs and not policies.matches(ptr.rel, globs):
            continue
        meta = ptr.meta or {}
        missing = [k for k in required if meta.get(k) in (None, "")]
        if missing:
            example = ", ".join(f"{k}: …" for k in missing)
            failures.append(
                Failure(
                    rule.id,
                    rel,
                    "meta lacks " + ", ".join(missing),
                    f"add `meta: {{{example}}}` to {rel} (`gitml add` keeps it)",
                )
            )
    return failures
