"""``trailers`` (commits landing in protected branches carry sign-offs) and ``command``."""

from __future__ import annotations

import re
import subprocess

from gitml.core.policy import Rule
from gitml.ops.policy import Context, Failure

_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*)\s*:\s*\S")


def trailers_of(message: str) -> set[str]:
    """Lower-cased trailer keys of a commit message's last paragraph."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return set()
    keys = set()
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.match(line.strip())
        if match:
            keys.add(match.group(1).lower())
    return keys


def trailers(ctx: Context, rule: Rule) -> list[Failure]:
    if ctx.messages is None:
        ctx.notes.append(f"{rule.id}: no commits to judge here (checked on merge, push and CI)")
        return []
    required = [str(r).rstrip(":") for r in rule.option("require", [])]
    failures = []
    for commit, message in ctx.messages:
        have = trailers_of(message)
        subject = message.strip().splitlines()[0] if message.strip() else ""
        for key in required:
            if key.lower() in have:
                continue
            if commit == "merge":
                what, hint = (
                    "the merge commit",
                    f'add it to the merge message: git merge -m "…" -m "{key}: NAME <EMAIL>"',
                )
            else:
                what, hint = (
                    f"commit {commit[:12]} ({subject[:50]})",
                    f"add it with `git commit --amend --trailer '{key}: NAME <EMAIL>'` "
                    "(or `git rebase -i` for older commits)",
                )
            failures.append(
                Failure(
                    rule.id,
                    "",
                    f"{what} has no `{key}:` trailer, required in {ctx.target}",
                    hint,
                )
            )
    return failures


def command(ctx: Context, rule: Rule) -> list[Failure]:
    from gitml.proc import clean_env

    cmd = str(rule.option("run"))
    env = clean_env(
        {
            "GITML_HOOK": ctx.hook or "",
            "GITML_BASE": ctx.base or "",
            "GITML_HEAD": ctx.head or "",
            "GITML_TARGET": ctx.target or "",
        }
    )
    timeout = rule.option("timeout")
    try:
        proc = subprocess.run(
            ["sh", "-c", cmd],
            cwd=ctx.repo.root,
            env=env,
            capture_output=True,
            timeout=float(timeout) if timeout else None,
            check=False,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired:
        return [
            Failure(
                rule.id,
                "",
                f"`{cmd}` did not finish in {timeout}s",
                "make it faster or raise the rule's `timeout`",
            )
        ]
    if proc.returncode == 0:
        return []
    tail = (proc.stdout + proc.stderr).decode(errors="replace").strip().splitlines()[-5:]
    shown = (": " + " | ".join(tail)) if tail else ""
    return [
        Failure(
            rule.id,
            "",
            f"`{cmd}` failed with exit code {proc.returncode}{shown}",
            "fix what it reports and run `gitml check` again",
        )
    ]
