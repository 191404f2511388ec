"""``gitml card MODEL``: draft a model card, or refresh the training data it names.

A new card gets what gitml knows (name, training data with hashes, metrics of
the stages that evaluate the model as FILE:KEY references, the git user as
owner) and empty fields for what only people know (license, intended use,
limitations), so the ``model-card`` rule refuses it until they are filled. An
existing card keeps every field and comment; only ``training_data`` is rewritten.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from gitml import git
from gitml.core.atomic import write_text
from gitml.core.hashing import format_oid
from gitml.core.repo import Repo
from gitml.errors import GitmlError
from gitml.ops.revision import snapshot
from gitml.ops.rules.cards import CARD_SUFFIXES, card_candidates, split_front_matter


@dataclass(frozen=True, slots=True)
class CardResult:
    model: str
    card: str
    created: bool
    changed: bool
    training_data: list[dict[str, str]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "card": self.card,
            "created": self.created,
            "changed": self.changed,
            "training_data": self.training_data,
        }


def training_data(snap: Any, model: str) -> list[dict[str, str]]:
    """The tracked data and stage outputs the model's stage read, with their hashes."""
    artifacts = snap.artifacts()
    for entry in snap.lock().values():
        if any(o.path == model for o in entry.outs):
            return [
                {"path": d.path, "hash": format_oid(d.oid)}
                for d in entry.deps
                if d.path in artifacts
            ]
    if model in artifacts:
        raise GitmlError(
            f"{model} is tracked data, not a stage output: gitml cannot tell what it was "
            "trained on",
            "write the card's training_data by hand (fields in docs/governance.md)",
        )
    raise GitmlError(
        f"{model} is not a recorded stage output",
        "run `gitml repro` for the stage that writes it, then `gitml card` again",
    )


def _metrics(snap: Any, model: str) -> dict[str, str]:
    """FILE:KEY references to numeric metrics of the stages that read the model."""
    pipeline = snap.pipeline()
    found: dict[str, str] = {}
    if pipeline is None:
        return found
    values = snap.metrics()
    for stage in pipeline.stages.values():
        if model not in stage.deps:
            continue
        for out in stage.outs:
            for key, value in values.get(out.path, {}).items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    stem = out.path.rsplit("/", 1)[-1].split(".", 1)[0]
                    found.setdefault(f"{stem}.{key}", f"{out.path}:{key}")
    return found


def card(repo: Repo, model: str, *, write: bool = True) -> CardResult:
    from gitml.core.paths import to_repo_relative

    model = to_repo_relative(repo.root, model, repo.cwd)
    snap = snapshot(repo, None)
    data = training_data(snap, model)
    existing = next((c for c in card_candidates(model) if (repo.root / c).is_file()), None)
    if existing is None:
        path = card_candidates(model)[0]
        text = _draft(repo, snap, model, data)
        if write:
            write_text(repo.root / path, text)
        return CardResult(model, path, True, True, data)
    old = (repo.root / existing).read_text(encoding="utf-8")
    new = _refresh(old, existing, data)
    if write and new != old:
        write_text(repo.root / existing, new)
    return CardResult(model, existing, False, new != old, data)


def _draft(repo: Repo, snap: Any, model: str, data: list[dict[str, str]]) -> str:
    import yaml

    owner = git.git(repo.root, "config", "user.email", check=False).strip()
    doc = {
        "name": model.rsplit("/", 1)[-1].split(".", 1)[0],
        "version": "0.1.0",
        "owners": [owner or "you@example.org"],
        "license": "",
        "intended_use": "",
        "limitations": "",
        "training_data": data,
        "metrics": _metrics(snap, model),
    }
    header = (
        "# Model card (gitml model-card rule; fields in docs/governance.md).\n"
        "# Fill in license, intended_use and limitations; `gitml card "
        f"{model}` refreshes training_data.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def _refresh(text: str, source: str, data: list[dict[str, str]]) -> str:
    """``text`` with only its training_data replaced (comments and order kept)."""
    from ruamel.yaml import YAML

    front = source.endswith(CARD_SUFFIXES[-1])
    head, body, tail = split_front_matter(text, source) if front else ("", text, "")
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    doc = yaml.load(body)
    if not isinstance(doc, dict):
        raise GitmlError(
            f"{source}: not a mapping of fields",
            "fix the card, or delete it and run `gitml card` again",
        )
    doc["training_data"] = data
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return head + buf.getvalue() + tail
