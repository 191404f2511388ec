"""Run the governance policy: the same code for ``gitml check``, the git hooks and CI.

A check runs in a :class:`Context` that says what is being judged (the work
tree, or a commit being pushed), what it is compared with (a base revision),
where it lands (the target branch, for rules that only guard protected
branches) and, in a hook, what git is about to record (staged files, the merge
message, the pushed commits). Rules live in :mod:`gitml.ops.rules`, one small
function each, loaded only when a policy uses them so a hook stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from gitml import git
from gitml.core import policy as policies
from gitml.core.policy import Policy, Rule
from gitml.core.repo import Repo
from gitml.errors import GitmlError

ZERO_SHA = "0" * 40
# With no .gitml/policy.yaml, hooks still refuse stale or missing artifacts.
DEFAULT_RULES = ("artifacts-committed", "pipeline-fresh")


@dataclass(frozen=True, slots=True)
class Failure:
    rule: str
    file: str
    problem: str
    hint: str
    metric: tuple[str, str] | None = None  # (file, key) for metric-gate failures

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "file": self.file,
            "problem": self.problem,
            "hint": self.hint,
        }
        if self.metric:
            out["metric"] = f"{self.metric[0]}:{self.metric[1]}"
        return out

    def line(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"[{self.rule}] {where}{self.problem} — {self.hint}"


@dataclass
class CheckResult:
    failures: list[Failure] = field(default_factory=list)
    rules_run: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (rule id, why)
    context: str = ""

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "context": self.context,
            "rules_run": self.rules_run,
            "skipped": [{"rule": r, "why": w} for r, w in self.skipped],
            "failures": [f.to_dict() for f in self.failures],
        }


@dataclass
class Context:
    """What a check judges. ``head`` None is the work tree; otherwise a commit id."""

    repo: Repo
    hook: str | None  # pre-commit | pre-merge-commit | pre-push | ci | None (by hand)
    head: str | None = None
    base: str | None = None  # the revision regressions are measured against
    target: str | None = None  # the branch the change lands in
    index: bool = False  # pre-commit: judge what git's index is about to record
    messages: list[tuple[str, str]] | None = None  # (commit or "merge", message) for trailers
    notes: list[str] = field(default_factory=list)

    @property
    def describe(self) -> str:
        what = "the work tree" if self.head is None else f"commit {self.head[:12]}"
        parts = [f"{self.hook or 'check'} on {what}"]
        if self.target:
            parts.append(f"into {self.target}")
        if self.base and self.base != self.target:
            parts.append(f"against {self.base[:12] if _is_sha(self.base) else self.base}")
        return " ".join(parts)

    @cached_property
    def staged(self) -> list[str] | None:
        """pre-commit: the paths git is about to commit (read only when a rule asks)."""
        return staged_files(self.repo) if self.index else None

    @cached_property
    def head_snapshot(self) -> Any:
        from gitml.ops.revision import snapshot

        return snapshot(self.repo, self.head)

    @cached_property
    def base_snapshot(self) -> Any:
        from gitml.ops.revision import snapshot

        return snapshot(self.repo, self.base) if self.base else None

    def protected(self, rule: Rule) -> bool:
        return policies.is_protected(self.target, rule.protected_branches)


RuleFn = Callable[[Context, Rule], list[Failure]]
# rule type -> "module:function", imported only when a policy uses the rule
RULES: dict[str, str] = {
    "artifacts-committed": "gitml.ops.rules.artifacts:artifacts_committed",
    "pipeline-fresh": "gitml.ops.rules.artifacts:pipeline_fresh",
    "large-files": "gitml.ops.rules.files:large_files",
    "pii": "gitml.ops.rules.pii:pii",
    "metric-gate": "gitml.ops.rules.metrics:metric_gate",
    "model-card": "gitml.ops.rules.cards:model_card",
    "data-meta": "gitml.ops.rules.cards:data_meta",
    "trailers": "gitml.ops.rules.commits:trailers",
    "command": "gitml.ops.rules.commits:command",
}


def _rule_fn(rule_type: str) -> RuleFn:
    import importlib

    module, name = RULES[rule_type].split(":")
    fn: RuleFn = getattr(importlib.import_module(module), name)
    return fn


def load_policy(repo: Repo, rev: str | None = None) -> Policy:
    """The policy of the work tree (or of revision ``rev``); the default one without a file."""
    if rev is not None:
        from gitml.core.located import loads_located

        text = git.read_blob(repo.root, rev, policies.POLICY_FILE)
        if text is not None:
            source = f"{rev}:{policies.POLICY_FILE}"
            return policies.from_located(
                loads_located(text.decode("utf-8", "replace"), source, schema="policy")
            )
    found = policies.load(repo.root, repo.state)
    if found is not None:
        return found
    rules = []
    for i, rule_id in enumerate(DEFAULT_RULES):
        hooks, _, _ = policies.RULE_TYPES[rule_id]
        rules.append(Rule(rule_id, rule_id, hooks, ("main", "master"), {}, i))
    return Policy(tuple(rules), ("main", "master"), "(default policy)")


def evaluate(
    ctx: Context, policy: Policy, rule_id: str | None = None, result: CheckResult | None = None
) -> CheckResult:
    """Run the rules of ``policy`` that apply in ``ctx`` and collect their failures."""
    result = result if result is not None else CheckResult(context=ctx.describe)
    selected = policy.select(ctx.hook, rule_id)
    if rule_id is not None and policy.get(rule_id) is None:
        known = ", ".join(r.id for r in policy.rules)
        raise GitmlError(f"no rule {rule_id!r} in {policy.source}", f"rules: {known}")
    for rule in selected:
        if rule.type in policies.BRANCH_RULES and ctx.hook is not None and not ctx.protected(rule):
            result.skipped.append((rule.id, f"{ctx.target or 'this branch'} is not protected"))
            continue
        failures = _rule_fn(rule.type)(ctx, rule)
        result.rules_run.append(rule.id)
        result.failures.extend(failures)
    for note in ctx.notes:
        if note not in (w for _, w in result.skipped):
            result.skipped.append(("", note))
    ctx.notes.clear()
    return result


def check(
    repo: Repo,
    *,
    base: str | None = None,
    hook: str | None = None,
    rule: str | None = None,
    ci: bool = False,
) -> CheckResult:
    """``gitml check``: the policy as a hook (``hook``), CI (``ci``) or by hand would run it."""
    if ci:
        return _check_ci(repo, base, rule)
    if hook == "pre-push":
        return _check_push(repo, base, rule)
    ctx = Context(repo, hook, head=None, base=_resolve(repo, base), target=current_branch(repo))
    if hook == "pre-commit":
        ctx.index = True
    elif hook == "pre-merge-commit":
        ctx.base = ctx.base or "HEAD"
        ctx.messages = _merge_message(repo)
    elif base is not None:
        ctx.target = _branch_of(base)
        ctx.messages = _first_parent_messages(repo, "HEAD", ctx.base)
    return evaluate(ctx, load_policy(repo), rule)


def _check_push(repo: Repo, base: str | None, rule_id: str | None) -> CheckResult:
    """``gitml check --hook pre-push``: HEAD against its upstream, or what the pre-commit
    framework says is being pushed (``PRE_COMMIT_TO_REF`` and friends)."""
    env = os.environ
    head_ref = env.get("PRE_COMMIT_TO_REF") or "HEAD"
    head = git.commit_id(repo.root, head_ref)
    if head is None:
        raise GitmlError(f"nothing to push: {head_ref} names no commit", "commit first")
    from_ref = env.get("PRE_COMMIT_FROM_REF")
    if from_ref and (from_ref == ZERO_SHA or not _have(repo, from_ref)):
        from_ref = None
    base = base or from_ref or _upstream(repo)
    target = env.get("PRE_COMMIT_REMOTE_BRANCH") or _branch_of(_upstream(repo)) or ""
    remote = env.get("PRE_COMMIT_REMOTE_NAME")
    ctx = _push_context(repo, head, target, _resolve(repo, base), remote)
    return evaluate(ctx, load_policy(repo), rule_id)


def _check_ci(repo: Repo, base: str | None, rule_id: str | None) -> CheckResult:
    """CI: judge HEAD as committed, against the pull request's target or the previous commit.

    The policy is read from the base revision when it has one, so a pull request
    cannot loosen the rules it is judged by.
    """
    head = git.head_commit(repo.root)
    if head is None:
        raise GitmlError("no commit to check", "run `gitml check --ci` in a clone with history")
    _resolve(repo, base)  # a --base that names nothing is an error, not "no base"
    target_ref = os.environ.get("GITHUB_BASE_REF") or None
    if base is None and target_ref:
        for candidate in (f"origin/{target_ref}", target_ref):
            if git.commit_id(repo.root, candidate):
                base = candidate
                break
    if base is None:
        base = git.commit_id(repo.root, "HEAD^")
    target = target_ref or (_branch_of(base) if base and not _is_sha(base) else None)
    target = target or os.environ.get("GITHUB_REF_NAME") or current_branch(repo)
    base_sha = git.commit_id(repo.root, base) if base else None
    ctx = Context(repo, "ci", head=head, base=base_sha, target=target)
    ctx.messages = _first_parent_messages(repo, head, base_sha)
    policy = load_policy(repo, base_sha) if base_sha else load_policy(repo, head)
    return evaluate(ctx, policy, rule_id)


def run_hook(repo: Repo, name: str, args: list[str], stdin: bytes, out: Any) -> int:
    """What an installed git hook runs; prints the failures and returns the exit code."""
    if name == "pre-push":
        result = CheckResult(context=f"pre-push to {args[0] if args else 'remote'}")
        policy = load_policy(repo)
        for line in stdin.decode("utf-8", "replace").splitlines():
            parts = line.split()
            if len(parts) != 4 or parts[1] == ZERO_SHA:
                continue  # a malformed line, or a branch deletion
            _local_ref, local_sha, remote_ref, remote_sha = parts
            base = remote_sha if remote_sha != ZERO_SHA and _have(repo, remote_sha) else None
            ctx = _push_context(repo, local_sha, remote_ref, base, args[0] if args else None)
            evaluate(ctx, policy, None, result)
    else:
        result = check(repo, hook=name)
    if result.passed:
        return 0
    out.notice(f"{name} refused by the policy ({result.context}):")
    for failure in result.failures:
        out.notice(f"  {failure.line()}")
    out.notice(f"  (see `gitml check --hook {name}`; CI runs the same checks)")
    return 1


def _push_context(
    repo: Repo, head: str, remote_ref: str, base: str | None, remote: str | None
) -> Context:
    branch = remote_ref.removeprefix("refs/heads/")
    if base is None and remote:
        tracking = f"refs/remotes/{remote}/{branch}"
        base = git.commit_id(repo.root, tracking)
    ctx = Context(repo, "pre-push", head=head, base=base, target=branch)
    if base is not None:
        ctx.messages = _first_parent_messages(repo, head, base)
    else:
        ctx.messages = _first_parent_messages(repo, head, None, exclude_remotes=True)
    return ctx


def metric_regressions(
    repo: Repo, base_metrics: dict[str, dict[str, Any]], head_metrics: dict[str, dict[str, Any]]
) -> dict[tuple[str, str], str]:
    """Metrics the policy's metric-gate rules flag, (file, key) -> why (for the PR report)."""
    from gitml.ops.rules.metrics import judge

    flagged: dict[tuple[str, str], str] = {}
    for rule in load_policy(repo).rules:
        if rule.type == "metric-gate":
            for failure in judge(rule, base_metrics, head_metrics):
                if failure.metric is not None:
                    flagged.setdefault(failure.metric, failure.problem)
    return flagged


# -- what git is about to do ---------------------------------------------------


def _is_sha(text: str) -> bool:
    return len(text) == 40 and all(c in "0123456789abcdef" for c in text)


def _have(repo: Repo, sha: str) -> bool:
    return git.commit_id(repo.root, sha) is not None


def _resolve(repo: Repo, rev: str | None) -> str | None:
    if rev is None:
        return None
    if git.commit_id(repo.root, rev) is None:
        raise GitmlError(f"unknown revision {rev!r}", "name a branch, tag or commit that exists")
    return rev


def _branch_of(rev: str | None) -> str | None:
    if rev is None:
        return None
    name = rev.removeprefix("refs/heads/").removeprefix("refs/remotes/")
    if "/" in name and not rev.startswith("refs/heads/"):
        remote, rest = name.split("/", 1)
        if remote in ("origin", "upstream"):
            return rest
    return name


def _upstream(repo: Repo) -> str | None:
    return git.rev_parse_name(repo.root, "@{upstream}")


def current_branch(repo: Repo) -> str | None:
    """The checked-out branch, read from HEAD itself (no git process on the hook path)."""
    try:
        head = (repo.git_dir / "HEAD").read_text().strip()
    except OSError:
        return git.current_branch(repo.root)
    return head.removeprefix("ref: refs/heads/") if head.startswith("ref: refs/heads/") else None


def _hook_env(repo: Repo) -> dict[str, str]:
    """git's own index inside a hook (``git commit PATH`` uses a temporary one)."""
    from gitml.proc import clean_env

    env = clean_env()
    index = os.environ.get("GIT_INDEX_FILE")
    if index:
        env["GIT_INDEX_FILE"] = str(Path(repo.root, index))
    return env


def staged_files(repo: Repo) -> list[str]:
    """Files added, copied, modified or renamed in git's index (what a commit records)."""
    return git.staged_files(repo.root, env=_hook_env(repo))


def staged_blobs(repo: Repo) -> list[tuple[str, str]]:
    """(path, blob id) of what the index adds or changes."""
    return git.staged_blobs(repo.root, env=_hook_env(repo))


def _merge_message(repo: Repo) -> list[tuple[str, str]]:
    path = repo.git_dir / "MERGE_MSG"
    return [("merge", path.read_text(errors="replace"))] if path.is_file() else []


def _first_parent_messages(
    repo: Repo, head: str, base: str | None, *, exclude_remotes: bool = False
) -> list[tuple[str, str]]:
    return git.first_parent_messages(repo.root, head, base, exclude_remotes=exclude_remotes)
