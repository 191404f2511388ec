"""The governance policy, ``.gitml/policy.yaml``: rules, the hooks they run in, branches.

Loaded with positions so every mistake is reported as file:line:column, key,
what is wrong and how to fix it; validated against ``schemas/policy.schema.json``
and then for what a schema cannot say (unique ids, options a rule type needs or
does not take, regular expressions that compile, threshold syntax).
"""

from __future__ import annotations

import fnmatch
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitml.core.located import LocatedDoc, load_located
from gitml.core.params import plain
from gitml.core.schema import cached_document

if TYPE_CHECKING:
    from gitml.core.state import StateIndex

POLICY_FILE = ".gitml/policy.yaml"
HOOKS = ("pre-commit", "pre-merge-commit", "pre-push", "ci")

# rule type -> (hooks it runs in by default, options it accepts, options it needs)
RULE_TYPES: dict[str, tuple[tuple[str, ...], frozenset[str], frozenset[str]]] = {
    "artifacts-committed": (("pre-commit", "pre-push", "ci"), frozenset(), frozenset()),
    "pipeline-fresh": (("pre-commit", "pre-push", "ci"), frozenset(), frozenset()),
    "large-files": (("pre-commit", "ci"), frozenset({"max_kb"}), frozenset()),
    "metric-gate": (
        ("pre-merge-commit", "pre-push", "ci"),
        frozenset({"thresholds", "regressions"}),
        frozenset(),
    ),
    "model-card": (("pre-commit", "pre-push", "ci"), frozenset({"models"}), frozenset()),
    "data-meta": (("pre-commit", "ci"), frozenset({"require", "paths"}), frozenset({"require"})),
    "pii": (
        ("pre-commit", "ci"),
        frozenset({"patterns", "custom", "paths", "sample_rows"}),
        frozenset(),
    ),
    "trailers": (
        ("pre-merge-commit", "pre-push", "ci"),
        frozenset({"require"}),
        frozenset({"require"}),
    ),
    "command": (("pre-commit", "ci"), frozenset({"run", "timeout"}), frozenset({"run"})),
}
COMMON = frozenset({"id", "type", "description", "hooks", "protected_branches"})
# rules that only apply when the change lands in a protected branch
BRANCH_RULES = frozenset({"metric-gate", "trailers"})

DEFAULT_MAX_KB = 1024.0
DEFAULT_MODELS = (
    "models/**",
    "*.pt",
    "*.pth",
    "*.onnx",
    "*.pkl",
    "*.joblib",
    "*.safetensors",
    "*.h5",
    "*.ckpt",
)

OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}
_THRESHOLD = re.compile(r"^\s*(\S+?):(\S+)\s*(>=|<=|==|>|<)\s*(\S+)\s*$")


@dataclass(frozen=True, slots=True)
class Threshold:
    file: str
    key: str
    op: str
    value: float

    def holds(self, actual: float) -> bool:
        return OPS[self.op](actual, self.value)

    def __str__(self) -> str:
        return f"{self.file}:{self.key} {self.op} {self.value:g}"


@dataclass(frozen=True, slots=True)
class Regression:
    file: str
    key: str
    max_drop: float | None  # for metrics where higher is better
    max_rise: float | None  # for metrics where lower is better (loss)
    relative: bool  # limits are fractions of the base value


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    type: str
    hooks: tuple[str, ...]
    protected_branches: tuple[str, ...]
    options: dict[str, Any] = field(hash=False, compare=False)
    index: int = 0  # position in the rules list, for error messages

    def runs_in(self, hook: str | None) -> bool:
        return hook is None or hook in self.hooks

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)

    @property
    def thresholds(self) -> tuple[Threshold, ...]:
        return tuple(parse_threshold(t) for t in self.options.get("thresholds", ()))

    @property
    def regressions(self) -> tuple[Regression, ...]:
        found = []
        for item in self.options.get("regressions", ()):
            file, key = item["metric"].rsplit(":", 1)
            found.append(
                Regression(
                    file,
                    key,
                    item.get("max_drop"),
                    item.get("max_rise"),
                    bool(item.get("relative", False)),
                )
            )
        return tuple(found)


@dataclass(frozen=True, slots=True)
class Policy:
    rules: tuple[Rule, ...]
    protected_branches: tuple[str, ...]
    source: str = POLICY_FILE

    def select(self, hook: str | None, rule_id: str | None = None) -> list[Rule]:
        return [r for r in self.rules if r.runs_in(hook) and (rule_id is None or r.id == rule_id)]

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def is_protected(branch: str | None, patterns: tuple[str, ...]) -> bool:
    """Whether ``branch`` (a short name or refs/heads/NAME) matches one of ``patterns``."""
    if branch is None:
        return False
    name = branch.removeprefix("refs/heads/")
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def parse_threshold(text: str) -> Threshold:
    match = _THRESHOLD.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not FILE:KEY OP NUMBER")
    file, key, op, number = match.groups()
    return Threshold(file, key, op, float(number))


def load(root: Path, state: StateIndex | None = None) -> Policy | None:
    """The policy of the work tree at ``root``, or None when it has none.

    With the state index, a policy that passed every check is not parsed again
    until the file changes (hooks read it on every commit)."""
    path = root / POLICY_FILE
    if not path.is_file():
        return None

    def checked() -> Any:
        located = load_located(path, POLICY_FILE, schema="policy")
        from_located(located)  # raises on anything wrong, with file:line
        return plain(located.doc)

    doc = cached_document(path, POLICY_FILE, "policy-checked", state, checked)
    return from_located(LocatedDoc(POLICY_FILE, doc))


def from_located(doc: LocatedDoc) -> Policy:
    """Build the policy from a parsed, schema-valid document; check what the schema cannot."""
    top = doc.doc or {}
    protected = tuple(str(b) for b in top.get("protected_branches") or ("main", "master"))
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(top.get("rules") or []):
        where: list[str | int] = ["rules", i]
        rule_id = str(raw["id"])
        if rule_id in seen:
            raise doc.error(
                [*where, "id"],
                f"rule id {rule_id!r} is used twice (also rules[{seen[rule_id]}])",
                "give each rule its own id",
            )
        seen[rule_id] = i
        rule_type = str(raw.get("type", rule_id))
        if rule_type not in RULE_TYPES:
            from gitml.core.schema import suggest

            near = suggest(rule_type, list(RULE_TYPES))
            raise doc.error(
                [*where, "type" if "type" in raw else "id"],
                f"unknown rule type {rule_type!r}",
                f"did you mean {near!r}?"
                if near
                else "set `type:` to one of " + ", ".join(RULE_TYPES),
            )
        hooks, accepted, needed = RULE_TYPES[rule_type]
        options = {k: v for k, v in raw.items() if k not in COMMON}
        _check_options(doc, where, rule_type, options, accepted, needed)
        rules.append(
            Rule(
                id=rule_id,
                type=rule_type,
                hooks=tuple(raw.get("hooks") or hooks),
                protected_branches=tuple(raw.get("protected_branches") or protected),
                options=plain(options),
                index=i,
            )
        )
    return Policy(tuple(rules), protected, doc.source)


def _check_options(
    doc: LocatedDoc,
    where: list[str | int],
    rule_type: str,
    options: dict[str, Any],
    accepted: frozenset[str],
    needed: frozenset[str],
) -> None:
    for name in options:
        if name not in accepted:
            takes = ", ".join(sorted(accepted)) or "no options"
            raise doc.error(
                [*where, name],
                f"{name} does not apply to a {rule_type} rule",
                f"remove it ({rule_type} takes {takes})",
            )
    for name in sorted(needed - set(options)):
        raise doc.error(where, f"a {rule_type} rule needs `{name}`", f"add `{name}:` to the rule")
    if rule_type == "metric-gate" and not (options.get("thresholds") or options.get("regressions")):
        raise doc.error(
            where,
            "a metric-gate rule needs `thresholds` or `regressions`",
            'add e.g. `thresholds: ["metrics/test.json:accuracy >= 0.9"]`',
        )
    for j, text in enumerate(options.get("thresholds") or []):
        try:
            parse_threshold(str(text))
        except ValueError:
            raise doc.error(
                [*where, "thresholds", j],
                f"{text!r} is not a threshold",
                "write FILE:KEY OP NUMBER, e.g. metrics/test.json:accuracy >= 0.9",
            ) from None
    for j, item in enumerate(options.get("regressions") or []):
        if item.get("max_drop") is None and item.get("max_rise") is None:
            raise doc.error(
                [*where, "regressions", j],
                "a regression limit needs `max_drop` (higher is better) "
                "or `max_rise` (lower is better)",
                "add e.g. `max_drop: 0.01`",
            )
    for name, pattern in (options.get("custom") or {}).items():
        try:
            re.compile(str(pattern))
        except re.error as exc:
            raise doc.error(
                [*where, "custom", name],
                f"invalid regular expression {pattern!r}: {exc}",
                "fix the pattern (Python `re` syntax)",
            ) from None


def models_globs(rule: Rule) -> tuple[str, ...]:
    return tuple(rule.option("models") or DEFAULT_MODELS)


def matches(path: str, globs: tuple[str, ...] | list[str]) -> bool:
    """gitignore-like matching: a glob without '/' matches the file name anywhere."""
    name = path.rsplit("/", 1)[-1]
    for glob in globs:
        if "/" not in glob:
            if fnmatch.fnmatchcase(name, glob):
                return True
        elif fnmatch.fnmatchcase(path, glob) or (
            glob.endswith("/**") and path.startswith(glob[:-2])
        ):
            return True
    return False
